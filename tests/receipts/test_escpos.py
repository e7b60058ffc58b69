"""The receipt on a thermal printer: what the ESC/POS bytes print, and how printers fail."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topup.core.money import MAX_AMOUNT_CENTS, format_amount_for_locale
from topup.receipts.errors import PrinterUnavailable
from topup.receipts.escpos import receipt_render_escpos
from topup.receipts.printers import (
    DummyPrinter,
    FilePrinter,
    NetworkPrinter,
    PrinterStatus,
    printer_from_url,
)

from .escpos_text import CUT, ESC_INIT, QR, escpos_text
from .factories import receipt_make

URL = "https://topup.example/receipts/TU-2025-000042"

# € 1.234,56 paid: 21 % VAT inside is € 214,26. No-break spaces as babel puts them.
EXPECTED = {
    "nl": ("Nummer ontvangstbewijs", "Btw 21%", "€\xa0214,26", "€\xa01.234,56"),
    "fr": ("Numéro de reçu", "TVA 21%", "214,26\xa0€", "1\xa0234,56\xa0€"),
    "de": ("Quittungsnummer", "MwSt. 21%", "214,26\xa0€", "1.234,56\xa0€"),
    "en": ("Receipt number", "VAT 21%", "€214.26", "€1,234.56"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_printed_receipt_has_number_vat_and_total_in_the_code_page(language: str) -> None:
    label, vat_label, vat, total = EXPECTED[language]
    printer = DummyPrinter()

    result = printer.print_receipt(receipt=receipt_make(), language=language)

    output = printer.output
    assert result.bytes_sent == len(output) and result.destination == "dummy:"
    assert output.startswith(ESC_INIT)
    assert b"TU-2025-000042" in output
    assert CUT in output[-8:]
    assert "€".encode() not in output, "UTF-8 would print as three odd characters"
    text = escpos_text(output)
    assert label in text
    vat_line = next(line for line in text.splitlines() if line.startswith(vat_label))
    assert vat_line.endswith(vat)
    assert total in text
    assert "•••• 4242" in text
    assert QR not in output


def test_the_euro_sign_is_sent_as_one_byte_after_a_code_page_switch() -> None:
    receipt = receipt_make(payment_instrument_masked="**** 4242")

    output = receipt_render_escpos(receipt=receipt, language="en")

    # The first € needs a switch: ESC t 15 selects ISO 8859-7 in the default profile (€ = 0xA4).
    assert b"\x1bt\x0f\xa41,020.30" in output
    assert b"\xa41,234.56" in output


def test_a_receipt_url_prints_as_a_qr_code() -> None:
    output = receipt_render_escpos(receipt=receipt_make(), language="nl", receipt_url=URL)

    assert QR in output
    assert URL.encode() in output
    assert output.index(QR) < output.rindex(CUT)


def test_a_receipt_url_must_be_absolute_http() -> None:
    with pytest.raises(ValueError, match="absolute"):
        receipt_render_escpos(receipt=receipt_make(), language="nl", receipt_url="/receipts/1")


def test_a_chinese_receipt_is_printed_in_english_with_a_note() -> None:
    text = escpos_text(receipt_render_escpos(receipt=receipt_make(), language="zh-hans"))

    assert "Receipt number" in text and "€1,234.56" in text
    assert "Printed in English" in text
    assert "收据" not in text


def test_the_same_receipt_prints_the_same_bytes_on_every_printer(tmp_path: Path) -> None:
    receipt = receipt_make()
    dummy = DummyPrinter()
    dummy.print_receipt(receipt=receipt, language="fr", receipt_url=URL)
    path = tmp_path / "lp0"

    FilePrinter(path).print_receipt(receipt=receipt, language="fr", receipt_url=URL)

    assert path.read_bytes() == dummy.output


@pytest.fixture
def tcp_printer() -> Iterator[tuple[int, Callable[[], bytes]]]:
    """A one-job printer on 127.0.0.1: accepts one connection and keeps what it receives."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    received: list[bytes] = []

    def serve() -> None:
        connection, _address = server.accept()
        with connection:
            connection.settimeout(5)
            while chunk := connection.recv(65536):
                received.append(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def job() -> bytes:
        thread.join(timeout=5)
        assert not thread.is_alive(), "the printer connection was never closed"
        return b"".join(received)

    yield server.getsockname()[1], job
    server.close()


def test_a_network_printer_receives_the_same_bytes_as_the_dummy(
    tcp_printer: tuple[int, Callable[[], bytes]],
) -> None:
    port, job = tcp_printer
    receipt = receipt_make()
    dummy = DummyPrinter()
    dummy.print_receipt(receipt=receipt, language="de", receipt_url=URL)

    result = NetworkPrinter("127.0.0.1", port=port, timeout_s=5).print_receipt(
        receipt=receipt, language="de", receipt_url=URL
    )

    assert job() == dummy.output
    assert result.bytes_sent == len(dummy.output)
    assert result.destination == f"tcp://127.0.0.1:{port}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_printer_that_refuses_the_connection_is_unavailable_at_once() -> None:
    """A refused connection is answered at once: the error is the refusal, not the timeout."""
    printer = NetworkPrinter("127.0.0.1", port=_closed_port(), timeout_s=3)

    with pytest.raises(PrinterUnavailable) as raised:
        printer.print_receipt(receipt=receipt_make(), language="en")

    refusal = raised.value.__cause__
    while refusal is not None and not isinstance(refusal, OSError):
        refusal = refusal.__cause__ or refusal.__context__
    assert isinstance(refusal, ConnectionRefusedError), repr(raised.value.__cause__)
    assert raised.value.code == "printer_unavailable"
    with translation.override("en"):  # another test may have left a language active
        assert "PDF" in str(raised.value.message)
    assert printer.status() is PrinterStatus.OFFLINE


def test_a_printer_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    printer = FilePrinter(tmp_path / "no-such-dir" / "lp0")

    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterUnavailable):
        printer.print_receipt(receipt=receipt_make(), language="en")


def test_a_dummy_printer_out_of_paper_prints_nothing() -> None:
    printer = DummyPrinter(simulated_status=PrinterStatus.OUT_OF_PAPER)

    assert printer.status() is PrinterStatus.OUT_OF_PAPER
    with pytest.raises(PrinterUnavailable):
        printer.print_receipt(receipt=receipt_make(), language="en")
    assert printer.output == b""


def _status_server(replies: dict[bytes, bytes]) -> tuple[socket.socket, threading.Thread]:
    """A printer that answers DLE EOT n status queries (or stays silent on unknown ones)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve() -> None:
        connection, _address = server.accept()
        with connection:
            connection.settimeout(5)
            while query := connection.recv(3):
                if query in replies:
                    connection.sendall(replies[query])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize(
    ("paper_reply", "expected"),
    [(b"\x12", PrinterStatus.OK), (b"\x72", PrinterStatus.OUT_OF_PAPER)],
)
def test_a_network_printer_reports_its_paper(paper_reply: bytes, expected: PrinterStatus) -> None:
    server, thread = _status_server({b"\x10\x04\x01": b"\x12", b"\x10\x04\x04": paper_reply})
    with server:
        printer = NetworkPrinter("127.0.0.1", port=server.getsockname()[1], timeout_s=2)

        assert printer.status() is expected
        thread.join(timeout=5)


def test_a_network_printer_that_does_not_answer_status_is_offline() -> None:
    server, thread = _status_server({})
    with server:
        printer = NetworkPrinter("127.0.0.1", port=server.getsockname()[1], timeout_s=0.3)

        assert printer.status() is PrinterStatus.OFFLINE
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("url", "kind", "destination"),
    [
        ("tcp://10.0.0.5:9100", NetworkPrinter, "tcp://10.0.0.5:9100"),
        ("tcp://printer.shop.lan", NetworkPrinter, "tcp://printer.shop.lan:9100"),
        ("tcp://10.0.0.5:9101?timeout_s=2.5", NetworkPrinter, "tcp://10.0.0.5:9101"),
        ("file:///dev/usb/lp0", FilePrinter, "file:///dev/usb/lp0"),
        ("dummy:", DummyPrinter, "dummy:"),
    ],
)
def test_the_factory_reads_printer_settings(url: str, kind: type, destination: str) -> None:
    printer = printer_from_url(url)

    assert isinstance(printer, kind)
    assert printer.destination == destination


def test_the_factory_keeps_the_timeout() -> None:
    printer = printer_from_url("tcp://10.0.0.5:9100?timeout_s=2.5")

    assert isinstance(printer, NetworkPrinter) and printer.timeout_s == 2.5


@pytest.mark.parametrize(
    "url",
    [
        "",
        "usb://04b8:0202",
        "http://10.0.0.5:9100",
        "tcp://",
        "tcp://10.0.0.5:70000",
        "tcp://10.0.0.5:port",
        "tcp://[::1]:9100",
        "tcp://10.0.0.5:9100/queue",
        "tcp://10.0.0.5:9100?timeout_s=0",
        "tcp://10.0.0.5:9100?timeout_s=3600",
        "tcp://10.0.0.5:9100?timeout_s=soon",
        "tcp://10.0.0.5:9100?retries=3",
        "file://printer-host/dev/usb/lp0",
        "file:relative/lp0",
        "dummy://anything",
    ],
)
def test_the_factory_refuses_what_it_cannot_print_to(url: str) -> None:
    with pytest.raises(ValueError, match=r"printer URL|port|timeout|absolute"):
        printer_from_url(url)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount_cents=st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS),
    receipt_number=st.text(min_size=1, max_size=40),
    operator_address=st.text(max_size=200),
    instrument=st.text(max_size=30),
    language=st.sampled_from(["nl", "fr", "de", "en", "zh-hans", "xx"]),
)
def test_any_receipt_prints(
    amount_cents: int, receipt_number: str, operator_address: str, instrument: str, language: str
) -> None:
    receipt = receipt_make(
        amount_cents=amount_cents,
        receipt_number=receipt_number,
        operator_address=operator_address,
        payment_instrument_masked=instrument,
    )

    output = receipt_render_escpos(receipt=receipt, language=language, receipt_url=URL)

    assert output.startswith(ESC_INIT) and output.count(CUT) == 1
    printed_language = language if language in {"nl", "fr", "de"} else "en"
    total = format_amount_for_locale(amount_cents, printed_language)
    assert total in escpos_text(output)


def test_control_characters_in_receipt_data_never_reach_the_printer_as_commands() -> None:
    receipt = receipt_make(operator_address="Rue\x1dV\x00 1\x1b@", receipt_number="TU\x1bt\x05-1")

    output = receipt_render_escpos(receipt=receipt, language="fr")

    assert output.count(CUT) == 1 and output.count(ESC_INIT) == 1
    assert b"\x1bt\x05" not in output
    assert "TU t -1" in escpos_text(output)
