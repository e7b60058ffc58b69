"""The demo cluster's load balancer (deploy/lb.py): round robin, and a dead backend skipped."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType

LB_PATH = Path(__file__).resolve().parents[2] / "deploy" / "lb.py"


def _lb_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("topup_deploy_lb", LB_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module by name
    spec.loader.exec_module(module)
    return module


lb = _lb_module()


def _refusing_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _web_host(name: str) -> asyncio.Server:
    """A backend that answers every request with its own name."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = name.encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


async def _get(port: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer.partition(b"\r\n\r\n")[2].decode()


def _port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


async def _scenario() -> tuple[list[str], list[str], object, bool, bool]:
    web1, web2 = await _web_host("web1"), await _web_host("web2")
    backends = [
        lb.Backend(host="127.0.0.1", port=_port(web1)),
        lb.Backend(host="127.0.0.1", port=_refusing_port()),
        lb.Backend(host="127.0.0.1", port=_port(web2)),
    ]
    balancer = lb.Balancer(backends=backends, stats_path=None)
    front = await asyncio.start_server(balancer.serve_client, "127.0.0.1", 0)
    before = [await _get(_port(front)) for _ in range(6)]
    web2.close()  # the host dies: its port refuses from now on
    await web2.wait_closed()
    after = [await _get(_port(front)) for _ in range(4)]
    healthy = await lb._healthy(backends[0]), await lb._healthy(backends[1])
    front.close()
    web1.close()
    return before, after, balancer.stats(), healthy[0], healthy[1]


def test_round_robin_skips_dead_backends_and_serves_every_request() -> None:
    before, after, stats, web1_healthy, dead_healthy = asyncio.run(_scenario())

    assert sorted(set(before)) == ["web1", "web2"]  # both hosts serve; nobody is refused
    assert after == ["web1"] * 4  # the other host keeps serving alone
    assert isinstance(stats, dict)
    backends = stats["backends"]
    assert [b["up"] for b in backends.values()] == [True, False, False]
    assert list(backends.values())[1]["connections"] == 0
    assert stats["refused_no_backend"] == 0
    assert (web1_healthy, dead_healthy) == (True, False)
