"""Ungulate winter feeding: site and visit values, their checks, seasons and the kill alert.

A feeding site is a register entry (a hay feeder, a salt lick, ...); a visit is one trip to
it: feed put out (type + kg), what was left from last time, snow and temperature, signs of
deer and boar, and predator sign near the site. Editors edit these dataclasses and hand them
to `store.feeding`; every check here raises a typed error that carries the facts, and
`_register_messages` teaches `i18n.messages.describe` to say each one in the user's language.

A feeding *season* is named by the year it starts in: season 2023 runs from 1 November 2023
to 30 April 2024, by the station's local calendar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ranger_app.domain.errors import BadInput
from ranger_app.domain.geo import check_position
from ranger_app.domain.records import PhotoValue
from ranger_app.domain.serial import json_to_dict, value_to_json
from ranger_app.domain.validation import check_not_future
from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import N_, _
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import _DESCRIBE

# A predator kill this close to a site means predators are using it as a larder: review
# where the feed is put out (reference/records.md section 3).
KILL_ALERT_RADIUS_M = 500.0
KILL = "KILL"
PAD_WIDTH_CM = (5.0, 20.0)  # from a small leopard's to a big bear's front pad
TEMPERATURE_C = (-60.0, 45.0)
SEASON_MONTHS = (11, 12, 1, 2, 3, 4)


# =========================================================================================
# values
# =========================================================================================

@dataclass
class FeedItemValue:
    feed_type: str = "HAY"
    kg: float = 0.0
    uuid: str | None = None


@dataclass
class UngulateSignValue:
    species: str = "CENI"
    sign_type: str = "TRACKS"
    count: int | None = None
    freshness: str = ""
    uuid: str | None = None


@dataclass
class PredatorSignValue:
    species: str = "PTAL"
    sign_type: str = "TRACKS"
    distance_m: float | None = None  # from the site
    pad_width_cm: float | None = None
    lat: float | None = None
    lon: float | None = None
    prey_species: str = ""  # for a kill
    note: str = ""
    uuid: str | None = None


@dataclass
class FeedingSiteValue:
    code: str = ""
    name: str = ""
    site_type: str = "FEEDER_HAY"
    station_uuid: str | None = None
    lat: float | None = None
    lon: float | None = None
    capacity: int | None = None  # animals
    target_species: list[str] = field(default_factory=list)
    condition: str = "GOOD"
    camera_location_uuid: str | None = None
    notes: str = ""
    uuid: str | None = None
    rev: int = 0
    # from the quarter map when the position is set (ui.quarter_fill); the ranger may override
    forest_district: str = ""
    quarter: str = ""


@dataclass
class FeedingVisitValue:
    site_uuid: str | None = None
    visited_at: datetime | None = None
    tz: str = "Asia/Vladivostok"
    crew: list[str] = field(default_factory=list)  # person uuids
    transport: str = "FOOT"
    items: list[FeedItemValue] = field(default_factory=list)
    remaining_pct: int | None = None  # of what was put out last time
    snow_depth_cm: int | None = None
    temp_c: float | None = None
    ungulate_signs: list[UngulateSignValue] = field(default_factory=list)
    predator_signs: list[PredatorSignValue] = field(default_factory=list)
    photos: list[PhotoValue] = field(default_factory=list)
    notes: str = ""
    notes_lang: str = ""
    uuid: str | None = None
    rev: int = 0

    @property
    def kg_total(self) -> float:
        return sum(item.kg for item in self.items)


# =========================================================================================
# typed errors (data, not sentences; see _register_messages)
# =========================================================================================

@dataclass
class FeedingFieldMissing(BadInput):
    field: str  # a key of FIELD_LABELS


@dataclass
class FeedWeightNotPositive(BadInput):
    row: int  # 1-based row of the feed table
    feed_type: str
    kg: float


@dataclass
class PercentOutOfRange(BadInput):
    field: str
    value: float


@dataclass
class NegativeValue(BadInput):
    field: str
    value: float
    row: int = 0  # 1-based row of a sign table; 0 for a field of the visit or site


@dataclass
class PadWidthImplausible(BadInput):
    row: int
    pad_width_cm: float
    low: float = PAD_WIDTH_CM[0]
    high: float = PAD_WIDTH_CM[1]


@dataclass
class TemperatureImplausible(BadInput):
    temp_c: float
    low: float = TEMPERATURE_C[0]
    high: float = TEMPERATURE_C[1]


@dataclass
class IncompletePosition(BadInput):
    where: str  # "site" or "predator sign"


@dataclass
class DuplicateSiteCode(BadInput):
    code: str


# Field keys used in the errors above -> their labels (translated when shown).
FIELD_LABELS: dict[str, str] = {
    "code": N_("Site code"),
    "site": N_("Feeding site"),
    "visited_at": N_("Date and time of the visit"),
    "remaining_pct": N_("Remaining from last time"),
    "snow_depth_cm": N_("Snow depth"),
    "capacity": N_("Capacity"),
    "count": N_("Count"),
    "distance_m": N_("Distance from the site"),
}


# =========================================================================================
# checks
# =========================================================================================

def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _check_position(lat: float | None, lon: float | None, where: str) -> None:
    if lat is None and lon is None:
        return
    if lat is None or lon is None:
        raise IncompletePosition(where)
    check_position(lat, lon, where)


def _check_not_negative(name: str, value: float | None, row: int = 0) -> None:
    if value is not None and (not _finite(value) or value < 0):
        raise NegativeValue(name, value, row)


def validate_site(site: FeedingSiteValue) -> None:
    if not site.code.strip():
        raise FeedingFieldMissing("code")
    vocabulary("feeding_site_types").get(site.site_type)
    vocabulary("site_conditions").get(site.condition)
    species = vocabulary("ungulate_species")
    for code in site.target_species:
        species.get(code)
    _check_position(site.lat, site.lon, "site")
    _check_not_negative("capacity", site.capacity)


def validate_visit(visit: FeedingVisitValue) -> None:
    if not visit.site_uuid:
        raise FeedingFieldMissing("site")
    if visit.visited_at is None:
        raise FeedingFieldMissing("visited_at")
    check_not_future(visit.visited_at)
    vocabulary("transports").get(visit.transport)
    feeds = vocabulary("feed_types")
    for row, item in enumerate(visit.items, start=1):
        feeds.get(item.feed_type)
        if not _finite(item.kg) or item.kg <= 0:
            raise FeedWeightNotPositive(row, item.feed_type, item.kg)
    if visit.remaining_pct is not None and not (
            _finite(visit.remaining_pct) and 0 <= visit.remaining_pct <= 100):
        raise PercentOutOfRange("remaining_pct", visit.remaining_pct)
    _check_not_negative("snow_depth_cm", visit.snow_depth_cm)
    if visit.temp_c is not None and not (
            _finite(visit.temp_c) and TEMPERATURE_C[0] <= visit.temp_c <= TEMPERATURE_C[1]):
        raise TemperatureImplausible(visit.temp_c)
    ungulates = vocabulary("ungulate_species")
    ungulate_signs = vocabulary("ungulate_sign_types")
    freshness = vocabulary("sign_freshness")
    for row, sign in enumerate(visit.ungulate_signs, start=1):
        ungulates.get(sign.species)
        ungulate_signs.get(sign.sign_type)
        if sign.freshness:
            freshness.get(sign.freshness)
        _check_not_negative("count", sign.count, row)
    predators = vocabulary("predator_species")
    predator_signs = vocabulary("predator_sign_types")
    for row, p in enumerate(visit.predator_signs, start=1):
        predators.get(p.species)
        predator_signs.get(p.sign_type)
        if p.prey_species:
            ungulates.get(p.prey_species)
        _check_not_negative("distance_m", p.distance_m, row)
        if p.pad_width_cm is not None and not (
                _finite(p.pad_width_cm) and PAD_WIDTH_CM[0] <= p.pad_width_cm <= PAD_WIDTH_CM[1]):
            raise PadWidthImplausible(row, p.pad_width_cm)
        _check_position(p.lat, p.lon, "predator sign")


# =========================================================================================
# seasons
# =========================================================================================

def season_of_day(day: date) -> int | None:
    """The feeding season (its starting year) a local calendar day falls in, or None."""
    if day.month >= 11:
        return day.year
    if day.month <= 4:
        return day.year - 1
    return None


def season_of(moment: datetime, tz: str) -> int | None:
    """The season of an aware moment, read on the station's calendar (`tz`)."""
    return season_of_day(moment.astimezone(ZoneInfo(tz)).date())


def season_bounds(season: int) -> tuple[date, date]:
    """First and last local day of a season: 1 November to 30 April."""
    return date(season, 11, 1), date(season + 1, 4, 30)


def current_season(today: date) -> int:
    """The season under way, or (May to October) the one that ended last."""
    found = season_of_day(today)
    return found if found is not None else today.year - 1


# =========================================================================================
# drafts: values to JSON and back
# =========================================================================================

def site_to_json(site: FeedingSiteValue) -> str:
    return value_to_json(site)


def site_from_json(text: str) -> FeedingSiteValue:
    return FeedingSiteValue(**json_to_dict(text))


def visit_to_json(visit: FeedingVisitValue) -> str:
    return value_to_json(visit)


def visit_from_json(text: str) -> FeedingVisitValue:
    d = json_to_dict(text)
    return FeedingVisitValue(**{
        **d,
        "items": [FeedItemValue(**x) for x in d.pop("items")],
        "ungulate_signs": [UngulateSignValue(**x) for x in d.pop("ungulate_signs")],
        "predator_signs": [PredatorSignValue(**x) for x in d.pop("predator_signs")],
        "photos": [PhotoValue(**x) for x in d.pop("photos")],
    })


# =========================================================================================
# messages: one sentence per error, in the user's language
# =========================================================================================

def _register_messages() -> None:
    def label(key: str) -> str:
        return _(FIELD_LABELS[key]) if key in FIELD_LABELS else key

    def negative(x: NegativeValue) -> str:
        if x.row:
            return _("{field} in row {row} cannot be negative ({value}). Enter 0 or more, "
                     "or leave it empty.").format(field=label(x.field), row=x.row,
                                                 value=fmt.number(x.value, 0))
        return _("{field} cannot be negative ({value}). Enter 0 or more, or leave it "
                 "empty.").format(field=label(x.field), value=fmt.number(x.value, 0))

    _DESCRIBE.update({
        FeedingFieldMissing: lambda x: _("{field} is required. Fill it in and save again.")
        .format(field=label(x.field)),
        FeedWeightNotPositive: lambda x: _(
            "Feed row {row} ({feed}): the weight must be more than 0 kg, not {kg}. "
            "Enter what was put out, or remove the row."
        ).format(row=x.row, feed=fmt.term("feed_types", x.feed_type),
                 kg=fmt.number(x.kg, 1)),
        PercentOutOfRange: lambda x: _(
            "{field} must be between 0 and 100 %, not {value}.").format(
            field=label(x.field), value=fmt.number(x.value, 0)),
        NegativeValue: negative,
        PadWidthImplausible: lambda x: _(
            "Predator sign row {row}: a pad width of {value} cm is not plausible; it must be "
            "between {low} and {high} cm. Measure the front pad across its widest part."
        ).format(row=x.row, value=fmt.number(x.pad_width_cm, 1),
                 low=fmt.number(x.low, 0), high=fmt.number(x.high, 0)),
        TemperatureImplausible: lambda x: _(
            "A temperature of {value} °C is not plausible here; it must be between {low} "
            "and {high} °C.").format(value=fmt.number(x.temp_c, 1),
                                    low=fmt.number(x.low, 0), high=fmt.number(x.high, 0)),
        IncompletePosition: lambda x: _(
            "The feeding site's position has a latitude or a longitude but not both. "
            "Enter both, or clear both.") if x.where == "site" else _(
            "A predator sign's position has a latitude or a longitude but not both. "
            "Enter both, or clear both."),
        DuplicateSiteCode: lambda x: _(
            "Another feeding site already has the code {code}. Choose a code no other site "
            "uses.").format(code=x.code),
    })


_register_messages()

