"""The dashboards' charts: standalone SVG that is valid XML, runs nothing and fetches nothing."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from defusedxml import ElementTree
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import FakeClock
from tests.topups.conftest import CreateOrder
from topup.dashboards.charts import ChartImage, chart_failure_reasons, chart_topups_per_hour
from topup.dashboards.selectors import (
    DashboardWindow,
    FailureReasonCount,
    FailureReasons,
    HourCounts,
    TopupsPerHour,
    dashboard_failure_reasons,
    dashboard_topups_per_hour,
)

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
START = dt.datetime(2026, 6, 10, 7, 0, tzinfo=dt.UTC)
CHANNELS = ("online", "shop", "kiosk")


def _window(hours: int) -> DashboardWindow:
    return DashboardWindow(hours=hours, start=START, until=START + dt.timedelta(hours=hours))


def _per_hour(counts: list[tuple[int, int, int]]) -> TopupsPerHour:
    window = _window(len(counts))
    return TopupsPerHour(
        window=window,
        channels=CHANNELS,
        hours=tuple(
            HourCounts(start=timezone.localtime(start), counts=row)
            for start, row in zip(window.hour_starts(), counts, strict=True)
        ),
    )


def _failures(*reasons: tuple[str, int]) -> FailureReasons:
    return FailureReasons(
        window=_window(24),
        reasons=tuple(FailureReasonCount(reason=code, count=count) for code, count in reasons),
    )


def assert_safe_svg(chart: ChartImage) -> None:
    """Valid XML with an <svg> root; no script, no link, no URL but the SVG namespace."""
    root = ElementTree.fromstring(chart.svg.encode("utf-8"))
    assert root.tag == f"{{{SVG_NAMESPACE}}}svg"
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert "script" not in tags
    assert "<script" not in chart.svg.lower()
    assert "href" not in chart.svg
    assert set(re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", chart.svg)) <= {SVG_NAMESPACE}
    assert "//" not in chart.svg.replace(SVG_NAMESPACE, "")
    assert chart.data_uri.startswith("data:image/svg+xml;base64,")
    encoded = chart.data_uri.removeprefix("data:image/svg+xml;base64,")
    assert base64.b64decode(encoded).decode("utf-8") == chart.svg


def test_the_per_hour_chart_is_safe_svg_with_a_legend_and_an_alt_text() -> None:
    chart = chart_topups_per_hour(figures=_per_hour([(1, 0, 2), (0, 0, 0), (4, 1, 0)]))
    assert_safe_svg(chart)
    for label in ("Online", "Shop counter", "Self-service kiosk"):
        assert label in chart.svg
    assert "09:00" in chart.svg  # 07:00 UTC on the operator's clock
    assert "over the last 3 hours: 8 top-ups in all" in chart.alt
    assert "The busiest hour began at 11:00 with 5." in chart.alt


def test_the_failures_chart_is_safe_svg_with_the_most_frequent_reason_in_its_alt_text() -> None:
    chart = chart_failure_reasons(figures=_failures(("card_declined", 5), ("expired", 2)))
    assert_safe_svg(chart)
    assert "The payment was not completed in time" in chart.svg
    assert "7 in all" in chart.alt
    assert "Most frequent: Your card was declined by the bank." in chart.alt
    assert "(5)" in chart.alt


@pytest.mark.django_db
def test_empty_figures_still_give_safe_charts(clock: FakeClock) -> None:
    per_hour = chart_topups_per_hour(figures=dashboard_topups_per_hour(hours=24))
    failures = chart_failure_reasons(figures=dashboard_failure_reasons(hours=24))
    for chart in (per_hour, failures):
        assert_safe_svg(chart)
        assert "No data in this window" in chart.svg
    assert per_hour.alt.endswith("0 top-ups in all.")


@pytest.mark.django_db
def test_charts_of_real_orders(clock: FakeClock, create_order: CreateOrder) -> None:
    create_order(channel="kiosk")
    create_order()
    figures = dashboard_topups_per_hour(hours=6)
    chart = chart_topups_per_hour(figures=figures)
    assert_safe_svg(chart)
    assert "2 top-ups in all" in chart.alt


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(
        st.tuples(*(st.integers(min_value=0, max_value=500) for _ in CHANNELS)),
        min_size=1,
        max_size=168,
    ),
    reasons=st.lists(
        st.tuples(
            st.sampled_from(["card_declined", "expired", "insufficient_funds", "", "new_code"]),
            st.integers(min_value=1, max_value=10_000),
        ),
        max_size=5,
        unique_by=lambda reason: reason[0],
    ),
)
def test_any_figures_give_safe_charts(
    counts: list[tuple[int, int, int]], reasons: list[tuple[str, int]]
) -> None:
    per_hour = chart_topups_per_hour(figures=_per_hour(counts))
    assert_safe_svg(per_hour)
    assert f": {sum(map(sum, counts))} top-ups in all." in per_hour.alt
    assert_safe_svg(chart_failure_reasons(figures=_failures(*reasons)))
