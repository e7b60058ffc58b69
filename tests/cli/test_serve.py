"""`topup serve`: the gunicorn command line it runs, and the server it starts answering,
reloading and stopping as a supervisor expects."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from topup.cli.management.commands import serve

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def _argv(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    """The command line `topup serve ARGS` would exec, caught before the exec."""
    seen: list[list[str]] = []
    monkeypatch.setattr(serve.os, "execv", lambda _path, argv: seen.append(list(argv)))
    call_command("serve", *args)
    [argv] = seen
    return argv


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_default_is_one_gthread_worker_per_cpu_with_eight_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = _argv(monkeypatch)
    assert _option(argv, "--worker-class") == "gthread"
    assert _option(argv, "--threads") == "8"
    assert _option(argv, "--workers") == str(max(2, os.cpu_count() or 1))


def test_options_override_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _argv(monkeypatch, "--workers", "5", "--threads", "4", "--bind", "0.0.0.0:9000")
    assert (_option(argv, "--workers"), _option(argv, "--threads")) == ("5", "4")
    assert _option(argv, "--bind") == "0.0.0.0:9000"
    sync = _argv(monkeypatch, "--worker-class", "sync")
    assert (_option(sync, "--worker-class"), _option(sync, "--threads")) == ("sync", "1")


def test_sync_workers_refuse_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve.os, "execv", lambda _path, _argv: pytest.fail("started"))
    with pytest.raises(CommandError, match="sync workers have one thread"):
        call_command("serve", "--worker-class", "sync", "--threads", "4")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthz_twice(port: int) -> bool:
    """Two requests on one kept-alive connection both answered (a stopping worker closes it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for _ in range(2):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            if response.status != 200 or response.getheader("Connection", "") == "close":
                return False
        return True
    finally:
        connection.close()


def _wait_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        with contextlib.suppress(OSError):
            if _healthz_twice(port):
                return
        time.sleep(0.2)
    pytest.fail("the server did not answer /healthz on a kept-alive connection")


def test_the_server_answers_reloads_and_stops_gracefully(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOPUP_", "DATABASE_URL"))}
    env.update(TOPUP_DATA_DIR=str(tmp_path), TOPUP_LOG_LEVEL="WARNING")
    log = (tmp_path / "serve.log").open("wb")
    command = [sys.executable, "-m", "topup.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        _wait_healthy(port, server)
        server.send_signal(signal.SIGHUP)  # new workers with the same configuration
        _wait_healthy(port, server)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=STOP_TIMEOUT_S) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
