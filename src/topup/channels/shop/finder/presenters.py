"""What the finder's templates show: opening hours by day, the busy-hours grid, languages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language_info

from topup.core.languages import languages_native
from topup.visits.models import ShopHours
from topup.visits.selectors import BusyHours

EN_DASH = "\u2013"
# Hours shown in the busy chart when a shop has no opening hours yet.
DEFAULT_CHART_HOURS = range(8, 20)


def picker_languages() -> list[tuple[str, str]]:
    return languages_native()


def languages_spoken(codes: str) -> list[str]:
    """`nl,fr,en` → the languages' names in the reader's language."""
    names: list[str] = []
    for code in (part.strip() for part in codes.split(",")):
        if not code:
            continue
        try:
            names.append(str(get_language_info(code)["name_translated"]))
        except KeyError:
            names.append(code)
    return names


def time_text(value: dt.time) -> str:
    return formats.time_format(value, "H:i")


@dataclass(frozen=True)
class DayHours:
    weekday: int
    name: str
    periods: list[str]  # "09:00-18:00" with an en dash; empty when closed


def opening_hours(hours: list[ShopHours]) -> list[DayHours]:
    return [
        DayHours(
            weekday=weekday,
            name=str(WEEKDAYS[weekday]),
            periods=[
                f"{time_text(period.opens)}{EN_DASH}{time_text(period.closes)}"
                for period in hours
                if period.weekday == weekday
            ],
        )
        for weekday in range(7)
    ]


@dataclass(frozen=True)
class BusyCell:
    hour: int
    count: int
    level: int  # 0..4, drawn by the stylesheet's .busy-N classes
    open: bool


@dataclass(frozen=True)
class BusyRow:
    name: str
    cells: list[BusyCell]


def _chart_hours(hours: list[ShopHours]) -> range:
    if not hours:
        return DEFAULT_CHART_HOURS
    first = min(period.opens.hour for period in hours)
    last = max(period.closes.hour + (period.closes.minute > 0) for period in hours)
    return range(first, last)


def busy_rows(busy: BusyHours, hours: list[ShopHours]) -> tuple[list[int], list[BusyRow]]:
    """The grid's column hours and one row per weekday; closed hours are marked, not hidden."""
    columns = list(_chart_hours(hours))
    open_slots = {
        (period.weekday, hour)
        for period in hours
        for hour in range(period.opens.hour, period.closes.hour + (period.closes.minute > 0))
    }
    rows = [
        BusyRow(
            name=str(WEEKDAYS[weekday]),
            cells=[
                BusyCell(
                    hour=hour,
                    count=busy.counts[weekday][hour],
                    level=busy.level(weekday=weekday, hour=hour),
                    open=(weekday, hour) in open_slots or not hours,
                )
                for hour in columns
            ],
        )
        for weekday in range(7)
    ]
    return columns, rows


def quiet_times(busy: BusyHours, hours: list[ShopHours]) -> list[str]:
    """`Tuesday 09:00-10:00` (en dash), quietest first, within opening hours."""
    return [
        f"{WEEKDAYS[weekday]} {hour:02d}:00{EN_DASH}{hour + 1:02d}:00"
        for weekday, hour in busy.quietest_open_hours(hours=hours)
    ]
