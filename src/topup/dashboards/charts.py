"""The dashboards' charts as static SVG (pygal): no script, no external URL, an alt text each.

The back office's Content-Security-Policy allows no inline script, so the SVG carries none: pygal's
tooltip JavaScript is switched off (js=[]) and its inline configuration script, which it writes
regardless, is cut from the tree before serialisation, with its comments (they hold URLs). The
page embeds the SVG as a data: image next to a plain table of the same figures.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol
from xml.etree import ElementTree

import pygal
from django.utils import formats
from django.utils.translation import gettext, ngettext
from pygal.style import Style

from topup.dashboards.selectors import FailureReasons, HourCounts, TopupsPerHour
from topup.receipts.labels import channel_label

CHART_WIDTH_PX: Final = 960
CHART_HEIGHT_PX: Final = 360
FAILURE_LABEL_MAX_CHARS: Final = 48
FAILURE_CHART_MIN_HEIGHT_PX: Final = 200
FAILURE_BAND_PX: Final = 56
# Chosen to stay apart for the common forms of colour blindness (Okabe-Ito).
CHART_COLOURS: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
CHART_STYLE: Final = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#6b6b6b",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    no_data_font_size=20,
    colors=CHART_COLOURS,
)


@dataclass(frozen=True)
class ChartImage:
    svg: str  # a standalone SVG document
    alt: str  # what the chart shows, in words, for screen readers
    width_px: int
    height_px: int

    @property
    def data_uri(self) -> str:
        encoded = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"


def _without_scripts(root: ElementTree.Element) -> ElementTree.Element:
    """Drop every <script> element and every comment: the image must run and fetch nothing."""
    for parent in root.iter():
        for child in list(parent):
            tag = child.tag
            if tag is ElementTree.Comment or (isinstance(tag, str) and tag.endswith("script")):
                parent.remove(child)
    return root


def _config(*, height_px: int = CHART_HEIGHT_PX) -> dict[str, object]:
    return {
        "style": CHART_STYLE,
        "width": CHART_WIDTH_PX,
        "height": height_px,
        "js": [],
        "disable_xml_declaration": False,
        "legend_at_bottom": True,
        "no_data_text": gettext("No data in this window"),
        "print_values": False,
        "truncate_label": -1,
    }


class _Chart(Protocol):
    """What this module uses of a pygal chart (pygal ships no type hints)."""

    def add_xml_filter(
        self, callback: Callable[[ElementTree.Element], ElementTree.Element]
    ) -> None: ...

    def render(self, *, is_unicode: bool) -> str: ...


def _render(chart: _Chart) -> str:
    chart.add_xml_filter(_without_scripts)
    return chart.render(is_unicode=True)


def _count_ticks(maximum: int) -> list[int]:
    """Whole-number axis ticks from 0 past `maximum`, at most about eight of them."""
    step = 1
    while maximum > step * 8:
        step *= 5 if str(step).startswith("2") else 2
    top = max(1, -(-maximum // step)) * step
    return list(range(0, top + 1, step))


def _hour_label(hour: HourCounts, *, with_day: bool) -> str:
    return formats.date_format(hour.start, "D H:i" if with_day else "H:i")


def _label_step(hours: int) -> int:
    """Every how many hours an axis label is printed: about eight labels at most."""
    return next(step for step in (1, 2, 3, 6, 12, 24, 48) if hours <= step * 8)


def chart_topups_per_hour(*, figures: TopupsPerHour) -> ChartImage:
    """A stacked bar chart: top-ups per hour (the operator's clock), one colour per channel."""
    hours = figures.window.hours
    chart = pygal.StackedBar(
        **_config(),
        x_labels_major_every=_label_step(hours),
        show_minor_x_labels=False,
        y_title=gettext("Top-ups"),
    )
    chart.x_labels = [_hour_label(hour, with_day=hours > 24) for hour in figures.hours]
    if figures.total:
        # Whole-number ticks; pygal cannot place given ticks on a chart without series.
        chart.y_labels = _count_ticks(max(hour.total for hour in figures.hours))
        for channel in figures.channels:
            chart.add(channel_label(channel), figures.channel_series(channel))
    return ChartImage(
        svg=_render(chart),
        alt=_per_hour_alt(figures),
        width_px=CHART_WIDTH_PX,
        height_px=CHART_HEIGHT_PX,
    )


def _per_hour_alt(figures: TopupsPerHour) -> str:
    hours = figures.window.hours
    summary = ngettext(
        "Stacked bar chart of the top-ups per hour and channel over the last %(hours)d hour: "
        "%(total)d top-ups in all.",
        "Stacked bar chart of the top-ups per hour and channel over the last %(hours)d hours: "
        "%(total)d top-ups in all.",
        hours,
    ) % {"hours": hours, "total": figures.total}
    if not figures.total:
        return summary
    busiest = max(figures.hours, key=lambda hour: hour.total)  # the first of equals
    return " ".join(
        [
            summary,
            gettext("The busiest hour began at %(time)s with %(count)d.")
            % {"time": _hour_label(busiest, with_day=hours > 24), "count": busiest.total},
        ]
    )


def _shortened(text: str) -> str:
    if len(text) <= FAILURE_LABEL_MAX_CHARS:
        return text
    return text[: FAILURE_LABEL_MAX_CHARS - 1].rstrip() + "…"


def chart_failure_reasons(*, figures: FailureReasons) -> ChartImage:
    """A horizontal bar chart: how many of the window's orders failed for each reason."""
    # One band per reason: a single reason does not fill the whole chart.
    height_px = max(FAILURE_CHART_MIN_HEIGHT_PX, 80 + FAILURE_BAND_PX * len(figures.reasons))
    chart = pygal.HorizontalBar(**_config(height_px=height_px), show_legend=False)
    # pygal draws the first label at the bottom: reversed, the most frequent reason is on top.
    reasons = list(reversed(figures.reasons))
    chart.x_labels = [_shortened(reason.label) for reason in reasons]
    if reasons:
        chart.y_labels = _count_ticks(max(reason.count for reason in reasons))
        chart.add(gettext("Orders"), [reason.count for reason in reasons])
    return ChartImage(
        svg=_render(chart),
        alt=_failures_alt(figures),
        width_px=CHART_WIDTH_PX,
        height_px=height_px,
    )


def _failures_alt(figures: FailureReasons) -> str:
    hours = figures.window.hours
    summary = ngettext(
        "Horizontal bar chart of why top-ups failed or expired over the last %(hours)d hour: "
        "%(total)d in all.",
        "Horizontal bar chart of why top-ups failed or expired over the last %(hours)d hours: "
        "%(total)d in all.",
        hours,
    ) % {"hours": hours, "total": figures.total}
    if not figures.reasons:
        return summary
    top = figures.reasons[0]
    return " ".join(
        [
            summary,
            gettext("Most frequent: %(reason)s (%(count)d).")
            % {"reason": top.label, "count": top.count},
        ]
    )
