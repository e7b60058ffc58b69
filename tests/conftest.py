"""Shared fixtures: the real worker, and loud reporting of what this machine could not test."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from pytest_django.fixtures import Settings

from tests.support import FakeClock
from topup.audit.services import Actor

# Set by scripts/run-tests (and .ci/run): a skipped environment is then a failure, not a note.
REQUIRE_ALL = os.environ.get("TOPUP_REQUIRE_ALL") == "1"


def is_postgres() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def chromium_path() -> str | None:
    """The browser for tests marked `browser`: TOPUP_CHROMIUM, else chromium on PATH."""
    configured = os.environ.get("TOPUP_CHROMIUM", "")
    if configured:
        return configured if os.path.exists(configured) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Stop the platform's clock at now; the test moves it with `clock.advance(seconds=...)`."""
    fake = FakeClock(moment=dt.datetime.now(tz=dt.UTC).replace(microsecond=0))
    monkeypatch.setattr("topup.core.clock.now", fake.now)
    return fake


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    """The demo loader creates staff accounts; real PBKDF2 rounds would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def catalog_cache_forgotten() -> Iterator[None]:
    """Each test starts without the previous one's catalog: its rows were rolled back."""
    from topup.catalog.selectors import catalog_cache_forget

    catalog_cache_forget()
    yield
    catalog_cache_forget()


@pytest.fixture(autouse=True)
def language_reset() -> Iterator[None]:
    """Each test starts in the default language: a request or a service that activated one
    (a subscriber's, for an SMS) leaves it on the thread, and a command run next would speak
    it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"topup: database engine = {engine}",
        f"topup: chromium = {chromium_path() or 'not found'}",
        f"topup: TOPUP_REQUIRE_ALL = {'1' if REQUIRE_ALL else '0'}",
    ]


def _environment_skips() -> dict[str, str]:
    """marker name -> why tests with that marker cannot run here (absent when they can)."""
    skips: dict[str, str] = {}
    if not is_postgres():
        skips["postgres"] = (
            "needs PostgreSQL: this run uses SQLite (set DATABASE_URL=postgres://...)"
        )
    if chromium_path() is None:
        skips["browser"] = "needs Chromium: set TOPUP_CHROMIUM or install chromium"
    return skips


_ENVIRONMENT_MARKERS = ("postgres", "browser")
_markers_by_nodeid: dict[str, set[str]] = {}
_skipped_by_environment: dict[str, set[str]] = {}  # nodeid -> markers that caused the skip
_skipped_despite_required: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips = _environment_skips()
    for item in items:
        markers = {m for m in _ENVIRONMENT_MARKERS if item.get_closest_marker(m) is not None}
        _markers_by_nodeid[item.nodeid] = markers
        for marker_name in sorted(markers & skips.keys()):
            item.add_marker(
                pytest.mark.skip(reason=f"SKIPPED ({marker_name}): {skips[marker_name]}")
            )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.skipped:
        return
    markers = _markers_by_nodeid.get(report.nodeid, set())
    if markers & _environment_skips().keys():
        _skipped_by_environment[report.nodeid] = markers & _environment_skips().keys()
    elif "postgres" in markers:
        # Runs on PostgreSQL yet skipped from inside: under TOPUP_REQUIRE_ALL that is a failure.
        _skipped_despite_required.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_by_environment:
        terminalreporter.write_sep("!", "TESTS NOT RUN ON THIS MACHINE", red=True, bold=True)
        skips = _environment_skips()
        for marker_name in sorted(set().union(*_skipped_by_environment.values())):
            nodeids = [n for n, m in _skipped_by_environment.items() if marker_name in m]
            terminalreporter.write_line(
                f"  {len(nodeids)} test(s) {skips[marker_name]}; e.g. {nodeids[0]}",
                red=True,
                bold=True,
            )
    if REQUIRE_ALL and _skipped_despite_required:
        terminalreporter.write_sep("!", "TOPUP_REQUIRE_ALL=1: POSTGRESQL TESTS SKIPPED", red=True)
        for nodeid in _skipped_despite_required:
            terminalreporter.write_line(f"  {nodeid}", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_ALL and _skipped_despite_required and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("tests")


@pytest.fixture
def drain_worker() -> Callable[..., int]:
    """Run every ready background task through the real worker code; returns how many ran."""
    from topup.core.worker import worker_drain

    return worker_drain
