"""A slim TCP load balancer for the netns demo: round robin over health-checked web hosts.

    python deploy/lb.py --listen 10.77.0.10:8000 --backend 10.77.0.11:8000 \
        --backend 10.77.0.12:8000 [--stats FILE]

Standard library only, so the demo needs nothing installed (production uses HAProxy, nginx or
the platform's balancer; docs/operations.md shows an HAProxy configuration). Each client
connection goes to the next backend that is up; a backend that refuses or does not answer the
connection within CONNECT_TIMEOUT_S is marked down and the next one is tried, so a dead host
costs a client nothing but the connection attempt. A health check (`GET /healthz`) every
CHECK_INTERVAL_S takes a backend out after FALL failures and back in after RISE successes.
A connection cut while a request is in flight (the host died mid-request) is cut for the
client too: the client sends the request again with the same idempotency key.

The stats file (JSON, rewritten every second and at exit) says per backend: whether it is up,
connections proxied, connection attempts that failed, and when it last changed state.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

CONNECT_TIMEOUT_S: Final = 1.0
CHECK_INTERVAL_S: Final = 0.5
CHECK_TIMEOUT_S: Final = 1.0
FALL: Final = 2  # failed checks in a row before a backend is taken out
RISE: Final = 2  # good checks in a row before it is put back
CHUNK_BYTES: Final = 64 * 1024
# A connection silent this long in one direction is closed: a backend whose link is cut sends
# no FIN, and its client slot would otherwise be held for ever (gunicorn's timeout is 20 s).
IDLE_TIMEOUT_S: Final = 60.0
MAX_CLIENTS: Final = 512  # connections proxied at once; more wait in the listen backlog
STATS_INTERVAL_S: Final = 1.0


@dataclass
class Backend:
    host: str
    port: int
    up: bool = True
    connections: int = 0
    connect_failures: int = 0
    checks_failed_in_row: int = 0
    checks_good_in_row: int = 0
    changed_at: float = field(default_factory=time.time)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    def mark(self, *, up: bool, why: str) -> None:
        if self.up == up:
            return
        self.up = up
        self.changed_at = time.time()
        state = "UP" if up else "DOWN"
        sys.stderr.write(f"lb: backend {self.name} {state} ({why})\n")
        sys.stderr.flush()

    def as_json(self) -> dict[str, object]:
        return {
            "up": self.up,
            "connections": self.connections,
            "connect_failures": self.connect_failures,
            "changed_at": round(self.changed_at, 3),
        }


@dataclass
class Balancer:
    backends: list[Backend]
    stats_path: Path | None
    next_index: int = 0
    clients: int = 0
    refused_no_backend: int = 0
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_CLIENTS))

    def candidates(self) -> list[Backend]:
        """Backends to try for one connection: those up first, in round-robin order, then the
        ones marked down (a check may be late: better a try than a refusal)."""
        count = len(self.backends)
        start = self.next_index
        self.next_index = (self.next_index + 1) % count
        ordered = [self.backends[(start + offset) % count] for offset in range(count)]
        return [b for b in ordered if b.up] + [b for b in ordered if not b.up]

    async def connect(self) -> tuple[Backend, asyncio.StreamReader, asyncio.StreamWriter] | None:
        for backend in self.candidates():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(backend.host, backend.port), CONNECT_TIMEOUT_S
                )
            except (OSError, TimeoutError):
                backend.connect_failures += 1
                backend.mark(up=False, why="connection failed")
                continue
            backend.connections += 1
            return backend, reader, writer
        return None

    async def serve_client(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        async with self.slots:
            self.clients += 1
            connected = await self.connect()
            if connected is None:
                self.refused_no_backend += 1
                await _close(client_writer)
                return
            _backend, server_reader, server_writer = connected
            await asyncio.gather(
                _pipe(client_reader, server_writer), _pipe(server_reader, client_writer)
            )
            await _close(server_writer)
            await _close(client_writer)

    def stats(self) -> dict[str, object]:
        return {
            "at": round(time.time(), 3),
            "clients": self.clients,
            "refused_no_backend": self.refused_no_backend,
            "backends": {b.name: b.as_json() for b in self.backends},
        }

    def stats_write(self) -> None:
        if self.stats_path is None:
            return
        partial = self.stats_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.stats(), indent=1))
        os.replace(partial, self.stats_path)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until EOF (passed on as a half-close) or a cut (passed on as a close:
    a connection cut mid-request stays cut for the client, who then sends it again)."""
    try:
        while chunk := await asyncio.wait_for(reader.read(CHUNK_BYTES), IDLE_TIMEOUT_S):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError, TimeoutError):
        await _close(writer)


async def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        writer.close()
        await writer.wait_closed()


async def _healthy(backend: Backend) -> bool:
    request = (
        f"GET /healthz HTTP/1.1\r\nHost: {backend.host}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(backend.host, backend.port), CHECK_TIMEOUT_S
        )
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), CHECK_TIMEOUT_S)
    except (OSError, TimeoutError):
        return False
    finally:
        await _close(writer)
    return status_line.split(b" ")[1:2] == [b"200"]


async def health_loop(balancer: Balancer) -> None:
    while True:
        results = await asyncio.gather(*(_healthy(b) for b in balancer.backends))
        for backend, good in zip(balancer.backends, results, strict=True):
            if good:
                backend.checks_good_in_row += 1
                backend.checks_failed_in_row = 0
                if backend.checks_good_in_row >= RISE:
                    backend.mark(up=True, why="health check passed")
            else:
                backend.checks_failed_in_row += 1
                backend.checks_good_in_row = 0
                if backend.checks_failed_in_row >= FALL:
                    backend.mark(up=False, why="health check failed")
        await asyncio.sleep(CHECK_INTERVAL_S)


async def stats_loop(balancer: Balancer) -> None:
    while True:
        balancer.stats_write()
        await asyncio.sleep(STATS_INTERVAL_S)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"HOST:PORT expected, not {text!r}")
    return host, int(port)


async def main(listen: tuple[str, int], backends: list[Backend], stats_path: Path | None) -> None:
    balancer = Balancer(backends=backends, stats_path=stats_path)
    server = await asyncio.start_server(balancer.serve_client, *listen, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    names = ", ".join(b.name for b in backends)
    sys.stderr.write(f"lb: listening on {listen[0]}:{listen[1]}, backends {names}\n")
    sys.stderr.flush()
    tasks = [asyncio.create_task(health_loop(balancer)), asyncio.create_task(stats_loop(balancer))]
    async with server:
        await stop.wait()
    for task in tasks:
        task.cancel()
    balancer.stats_write()


def cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="lb.py", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=_address, required=True, help="HOST:PORT")
    parser.add_argument("--backend", type=_address, action="append", required=True)
    parser.add_argument("--stats", type=Path, help="JSON file rewritten every second")
    args = parser.parse_args(argv)
    backends = [Backend(host=host, port=port) for host, port in args.backend]
    asyncio.run(main(args.listen, backends, args.stats))


if __name__ == "__main__":
    cli(sys.argv[1:])
