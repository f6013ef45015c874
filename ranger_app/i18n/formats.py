"""Dates, numbers and units in the current language, through Babel only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal

from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import _, babel_locale, current_language, pgettext


def local_time(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def datetime_short(value: datetime | None, tz: str) -> str:
    """`14.03.2025 11:00` in the station's zone (rangers read local time)."""
    if value is None:
        return ""
    return _babel_datetime(local_time(value, tz), "short", locale=babel_locale())


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=babel_locale())


def km(value: float | None) -> str:
    return _("{value} km").format(value=number(value, 1)) if value is not None else ""


def hectares(value: float | None) -> str:
    return _("{value} ha").format(value=number(value, 1)) if value is not None else ""


def kilograms(value: float | None) -> str:
    return _("{value} kg").format(value=number(value, 0)) if value is not None else ""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes = round(seconds / 60)
    return _("{h} h {m:02d} min").format(h=minutes // 60, m=minutes % 60)


def unit(symbol: str) -> str:
    """A unit symbol from the vocabulary files (`pcs`, `cm`, …) in the current language."""
    names = {"pcs": pgettext("unit", "pcs"), "cm": pgettext("unit", "cm"),
             "d": pgettext("unit", "d"), "kg": pgettext("unit", "kg"),
             "m³": pgettext("unit", "m³")}
    return names.get(symbol, symbol)


def with_unit(label: str, symbol: str) -> str:
    """`Pad width, cm` / `Ширина пятки, см` / `掌垫宽度（厘米）`; the label alone without a unit."""
    if not symbol:
        return label
    return _("{label}, {unit}").format(label=label, unit=unit(symbol))


def term(vocab: str, code: str | None) -> str:
    """A vocabulary code as a label in the current language."""
    return vocabulary(vocab).label(code, current_language())


def category_path(code: str | None) -> str:
    return vocabulary("observation_categories").path_label(code, current_language())
