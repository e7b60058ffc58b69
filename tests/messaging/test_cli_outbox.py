"""`topup sms outbox`: what was sent to a number, found whatever way the number is typed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topup.core.worker import worker_drain
from topup.messaging.models import SmsPurpose
from topup.messaging.services import messaging_sms_send

pytestmark = pytest.mark.django_db

NUMBER = "+32470000001"


def _outbox(*args: str) -> str:
    out = StringIO()
    call_command("sms", "outbox", *args, stdout=out)
    return out.getvalue()


def _send(body: str, msisdn: str = NUMBER) -> None:
    messaging_sms_send(msisdn=msisdn, body=body, sender_name="Topup", purpose=SmsPurpose.ALERT)


def test_it_prints_every_message_to_the_number_newest_first() -> None:
    _send("first message")
    _send("second message")
    _send("for someone else", msisdn="+32470000002")
    worker_drain()
    _send("still queued")

    printed = _outbox("--msisdn", "0470 00 00 01")

    lines = printed.splitlines()
    assert lines[0] == "Messages to 0470 00 00 01 (+32470000001), newest first:"
    assert len(lines) == 4
    assert "[queued]" in lines[1] and lines[1].endswith("still queued")
    assert "[sent]" in lines[2] and lines[2].endswith("second message")
    assert "from Topup" in lines[3] and lines[3].endswith("first message")
    assert "someone else" not in printed


def test_last_prints_only_the_newest_message() -> None:
    _send("old news")
    _send("latest news")
    worker_drain()
    printed = _outbox("--msisdn", NUMBER, "--last")
    assert "latest news" in printed and "old news" not in printed


def test_a_login_code_is_readable_in_the_outbox() -> None:
    from topup.messaging.services import otp_request

    otp_request(msisdn=NUMBER, client_ip=None, sender_name="Topup", language="en")
    worker_drain()
    printed = _outbox("--msisdn", NUMBER, "--last")
    assert "Your Topup code: " in printed and "•" not in printed


def test_a_number_without_messages_says_so() -> None:
    assert _outbox("--msisdn", "+32470000009") == "No messages to 0470 00 00 09 (+32470000009).\n"


@pytest.mark.parametrize("typed", ["12345", "+33612345678", "0470", "hello", ""])
def test_an_invalid_number_is_a_clear_error(typed: str) -> None:
    with pytest.raises(CommandError, match="not a Belgian mobile number"):
        _outbox("--msisdn", typed)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(["0", "+32", "+32 ", "0032", "0032 "]),
    separator=st.sampled_from(["", " ", "  "]),
)
def test_any_belgian_spelling_finds_the_same_messages(
    django_db_setup: None, prefix: str, separator: str
) -> None:
    typed = prefix + separator.join(["470", "00", "00", "01"])
    printed = _outbox("--msisdn", typed)
    assert "(+32470000001)" in printed


def test_the_command_line_exits_non_zero_on_an_invalid_number(
    tmp_path: pytest.TempPathFactory,
) -> None:
    import os
    import subprocess
    import sys

    environment = {**os.environ, "TOPUP_DATA_DIR": str(tmp_path)}
    environment.pop("DATABASE_URL", None)
    finished = subprocess.run(
        [sys.executable, "-m", "django", "sms", "outbox", "--msisdn", "12345"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "topup.config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 1
    assert "not a Belgian mobile number" in finished.stderr
