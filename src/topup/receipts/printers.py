"""The receipt printer port and its outputs: a network printer, a device file, and a dummy.

Every output renders the whole job first (see `topup.receipts.escpos`) and then sends it in one
write, so a rendering bug never leaves half a receipt on the paper, and every output gets the
very same bytes. python-escpos does the device I/O; its errors become `PrinterUnavailable`.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol
from urllib.parse import parse_qs, urlsplit

from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy, File, Network

from topup.receipts.errors import PrinterUnavailable
from topup.receipts.escpos import receipt_render_escpos
from topup.receipts.model import Receipt

logger = logging.getLogger(__name__)

DEFAULT_PORT: Final = 9100  # "raw" / JetDirect: what ESC/POS network printers listen on
DEFAULT_TIMEOUT_S: Final = 5.0
MAX_TIMEOUT_S: Final = 30.0
MAX_JOB_BYTES: Final = 1_000_000  # a receipt is a few kilobytes; anything bigger is a bug
_STATUS_TIMEOUT_S: Final = 2.0
# DLE EOT n real-time status replies (python-escpos's masks).
_STATUS_OFFLINE_BIT: Final = 0x08
_PAPER_END_BITS: Final = 0x60


class PrinterStatus(enum.StrEnum):
    OK = "ok"
    OUT_OF_PAPER = "out_of_paper"
    OFFLINE = "offline"


@dataclass(frozen=True)
class PrintResult:
    destination: str  # e.g. "tcp://10.0.0.5:9100", for the agent and the log
    bytes_sent: int


class ReceiptPrinter(Protocol):
    """A receipt printer at the counter. Raises `PrinterUnavailable` when it cannot print."""

    def print_receipt(
        self, *, receipt: Receipt, language: str, receipt_url: str | None = None
    ) -> PrintResult: ...

    def print_job(self, *, content: bytes) -> PrintResult:
        """Send an already rendered ESC/POS job (a Z report, say)."""
        ...

    def status(self) -> PrinterStatus: ...


class _EscposOutput:
    """What every output shares: render, then send once; subclasses only send."""

    destination: str

    def print_receipt(
        self, *, receipt: Receipt, language: str, receipt_url: str | None = None
    ) -> PrintResult:
        content = receipt_render_escpos(receipt=receipt, language=language, receipt_url=receipt_url)
        return self.print_job(content=content)

    def print_job(self, *, content: bytes) -> PrintResult:
        if not 0 < len(content) <= MAX_JOB_BYTES:
            raise ValueError(f"an ESC/POS job has 1 to {MAX_JOB_BYTES} bytes, not {len(content)}")
        try:
            self._send(content)
        except (EscposError, OSError) as error:
            # Connection refused, timeout, unplugged USB, no such device file.
            logger.warning("printer %s unavailable: %s", self.destination, error)
            raise PrinterUnavailable(details={"printer": self.destination}) from error
        return PrintResult(destination=self.destination, bytes_sent=len(content))

    def _send(self, content: bytes) -> None:
        raise NotImplementedError


class NetworkPrinter(_EscposOutput):
    """An ESC/POS printer on the shop's network, on its raw TCP port."""

    def __init__(
        self, host: str, port: int = DEFAULT_PORT, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        if not host:
            raise ValueError("a network printer needs a host")
        if not 0 < port < 65536:
            raise ValueError(f"port out of range: {port}")
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise ValueError(f"timeout must be in (0, {MAX_TIMEOUT_S}] seconds: {timeout_s}")
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.destination = f"tcp://{host}:{port}"

    def _send(self, content: bytes) -> None:
        device = Network(host=self.host, port=self.port, timeout=self.timeout_s)
        try:
            device.open()
            device._raw(content)
        finally:
            device.close()

    def status(self) -> PrinterStatus:
        device = Network(
            host=self.host, port=self.port, timeout=min(self.timeout_s, _STATUS_TIMEOUT_S)
        )
        try:
            device.open()
            online: bytes = device.query_status(b"\x10\x04\x01")
            paper: bytes = device.query_status(b"\x10\x04\x04")
        except (EscposError, OSError):
            return PrinterStatus.OFFLINE
        finally:
            device.close()
        return _status_from_replies(online=online, paper=paper)


class FilePrinter(_EscposOutput):
    """A printer behind a device file (/dev/usb/lp0), or a plain file that keeps the last job."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_absolute():
            raise ValueError(f"a printer file path must be absolute: {self.path}")
        self.destination = self.path.as_uri()

    def _send(self, content: bytes) -> None:
        device = File(devfile=str(self.path))
        try:
            device.open()
            device._raw(content)
        finally:
            device.close()

    def status(self) -> PrinterStatus:
        # A device file is write-only: paper status cannot be read through it.
        if self.path.exists():
            writable = os.access(self.path, os.W_OK)
        else:
            writable = self.path.parent.is_dir() and os.access(self.path.parent, os.W_OK)
        return PrinterStatus.OK if writable else PrinterStatus.OFFLINE


class DummyPrinter(_EscposOutput):
    """Keeps every job in memory (`output`), for development and tests.

    `simulated_status` lets a test or a demo see the console's answer to a printer that is out of
    paper or offline: printing then raises `PrinterUnavailable` as a real printer's error would.
    """

    destination = "dummy:"

    def __init__(self, *, simulated_status: PrinterStatus = PrinterStatus.OK) -> None:
        self._device = Dummy()
        self.simulated_status = simulated_status

    @property
    def output(self) -> bytes:
        """Everything printed so far, job after job."""
        output: bytes = self._device.output
        return output

    def clear(self) -> None:
        self._device.clear()

    def _send(self, content: bytes) -> None:
        if self.simulated_status is not PrinterStatus.OK:
            raise OSError(f"simulated printer status: {self.simulated_status}")
        self._device._raw(content)

    def status(self) -> PrinterStatus:
        return self.simulated_status


def printer_from_url(url: str) -> NetworkPrinter | FilePrinter | DummyPrinter:
    """The printer a setting names: `tcp://HOST[:PORT][?timeout_s=N]`, `file:///PATH`, `dummy:`.

    Raises ValueError with what is wrong: a bad setting is the operator's bug, found at start-up.
    """
    parts = urlsplit(url.strip())
    if parts.scheme == "dummy" and not (parts.netloc or parts.path or parts.query):
        return DummyPrinter()
    if parts.scheme == "file" and parts.netloc in {"", "localhost"} and parts.path:
        if parts.query or parts.fragment:
            raise ValueError(f"a file printer URL has no query or fragment: {url!r}")
        return FilePrinter(parts.path)
    if parts.scheme == "tcp":
        return _network_printer_from_url(url)
    raise ValueError(
        f"unsupported printer URL {url!r}: use tcp://HOST:PORT, file:///PATH or dummy:"
    )


def _network_printer_from_url(url: str) -> NetworkPrinter:
    parts = urlsplit(url.strip())
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as error:
        raise ValueError(f"invalid port in printer URL {url!r}") from error
    host = parts.hostname or ""
    if not host or ":" in host:
        # python-escpos's network printer speaks IPv4 (and host names) only.
        raise ValueError(f"a tcp printer URL needs an IPv4 address or host name: {url!r}")
    if parts.path not in {"", "/"} or parts.fragment or parts.username:
        raise ValueError(f"a tcp printer URL is tcp://HOST:PORT[?timeout_s=N]: {url!r}")
    query = parse_qs(parts.query, strict_parsing=False)
    if set(query) - {"timeout_s"}:
        raise ValueError(f"unknown printer URL option in {url!r}: only timeout_s")
    timeout_s = DEFAULT_TIMEOUT_S
    if "timeout_s" in query:
        try:
            timeout_s = float(query["timeout_s"][-1])
        except ValueError as error:
            raise ValueError(f"timeout_s is not a number in {url!r}") from error
    return NetworkPrinter(host, port=port, timeout_s=timeout_s)


def _status_from_replies(*, online: bytes, paper: bytes) -> PrinterStatus:
    if not online or online[0] & _STATUS_OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    if paper and paper[0] & _PAPER_END_BITS == _PAPER_END_BITS:
        return PrinterStatus.OUT_OF_PAPER
    return PrinterStatus.OK
