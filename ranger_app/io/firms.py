"""NASA FIRMS active-fire CSV in: MODIS or VIIRS hotspots, matched to the park's fire reports.

FIRMS writes one CSV per instrument (`reference/records.md` §2.1). The instrument is told by
its brightness columns (`brightness`/`bright_t31` for MODIS, `bright_ti4`/`bright_ti5` for
VIIRS); a missing required column, or a column FIRMS does not write, is refused with a typed
error naming the columns. Each hotspot is matched to the nearest fire report within one pixel
(1 km MODIS, 0.5 km VIIRS) and ±24 h of the fire's active window (detected .. extinguished,
or now); the rest are listed for a ranger to check. All or nothing: the whole file is read
and checked before a single row is written, and a hotspot already stored is not added again.

The error messages for every fire-report error live here too (registered into
`i18n.messages` on import), so the UI and the CLI word them the same way.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ranger_app.domain import fires as f
from ranger_app.domain.errors import FileTooLarge, MalformedFile
from ranger_app.domain.fires import FireGrid, HotspotValue, match_hotspot
from ranger_app.i18n import _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.io.gpx import CancelCallback, ImportCancelled, ProgressCallback
from ranger_app.store.db import Database
from ranger_app.store.fires import fire_windows, hotspot_key, known_hotspots, save_hotspots

DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # a year of VIIRS over a whole country is ~60 MB
_CHUNK = 2000

COMMON_REQUIRED = ("latitude", "longitude", "acq_date", "acq_time", "satellite", "confidence",
                   "frp", "daynight")
INSTRUMENT_COLUMNS = {"MODIS": ("brightness", "bright_t31"),
                      "VIIRS": ("bright_ti4", "bright_ti5")}
# Columns FIRMS writes that we keep (in `raw`) but do not need: pixel size, processing
# version, the archive's fire type, the country of a country download.
OPTIONAL = ("scan", "track", "instrument", "version", "type", "country_id")
VIIRS_CONFIDENCE = frozenset({"l", "n", "h", "low", "nominal", "high"})


# --- reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FirmsFile:
    path: str
    instrument: str
    hotspots: tuple[HotspotValue, ...]


def detect_instrument(path: str, columns: list[str]) -> str:
    """MODIS or VIIRS from the header; a typed error naming what is missing or unknown."""
    present = set(columns)
    instrument = next((name for name, cols in INSTRUMENT_COLUMNS.items()
                       if any(c in present for c in cols)), "")
    if not instrument:
        wanted = [cols[0] for cols in INSTRUMENT_COLUMNS.values()]
        missing = [c for c in COMMON_REQUIRED if c not in present]
        raise f.FirmsMissingColumns(path, "", (*missing, " / ".join(wanted)))
    required = COMMON_REQUIRED + INSTRUMENT_COLUMNS[instrument]
    missing = tuple(c for c in required if c not in present)
    if missing:
        raise f.FirmsMissingColumns(path, instrument, missing)
    known = set(required) | set(OPTIONAL)
    unknown = tuple(c for c in columns if c not in known)
    if unknown:
        raise f.FirmsUnknownColumns(path, unknown)
    return instrument


def _float(path: str, line: int, column: str, text: str, low: float = -math.inf,
           high: float = math.inf, optional: bool = False) -> float | None:
    text = text.strip()
    if not text and optional:
        return None
    try:
        value = float(text)
    except ValueError:
        raise f.FirmsBadValue(path, line, column, text) from None
    if not (math.isfinite(value) and low <= value <= high):
        raise f.FirmsBadValue(path, line, column, text)
    return value


def _acquired(path: str, line: int, day: str, hhmm: str) -> datetime:
    try:
        date = datetime.strptime(day.strip(), "%Y-%m-%d")
    except ValueError:
        raise f.FirmsBadValue(path, line, "acq_date", day) from None
    digits = hhmm.strip()
    # FIRMS writes HHMM in UTC; some exports drop the leading zeros (`45` is 00:45)
    if not digits.isdigit() or len(digits) > 4:
        raise f.FirmsBadValue(path, line, "acq_time", hhmm)
    hours, minutes = int(digits.zfill(4)[:2]), int(digits.zfill(4)[2:])
    if hours > 23 or minutes > 59:
        raise f.FirmsBadValue(path, line, "acq_time", hhmm)
    return date.replace(hour=hours, minute=minutes, tzinfo=UTC)


def _confidence(path: str, line: int, instrument: str, text: str) -> str:
    text = text.strip().lower()
    if instrument == "VIIRS":
        if text not in VIIRS_CONFIDENCE:
            raise f.FirmsBadValue(path, line, "confidence", text)
        return text  # verbatim, as FIRMS wrote it (l, n, h)
    value = _float(path, line, "confidence", text, 0, 100)
    return str(round(value or 0))


def _hotspot(path: str, line: int, instrument: str, row: dict[str, str],
             source: str) -> HotspotValue:
    lat = _float(path, line, "latitude", row["latitude"], -90, 90)
    lon = _float(path, line, "longitude", row["longitude"], -180, 180)
    bright = INSTRUMENT_COLUMNS[instrument][0]
    daynight = row["daynight"].strip().upper()
    if daynight not in ("D", "N", ""):
        raise f.FirmsBadValue(path, line, "daynight", row["daynight"])
    assert lat is not None and lon is not None
    return HotspotValue(
        instrument=instrument, lat=lat, lon=lon,
        acquired_at=_acquired(path, line, row["acq_date"], row["acq_time"]),
        satellite=row["satellite"].strip()[:32],
        confidence=_confidence(path, line, instrument, row["confidence"]),
        frp_mw=_float(path, line, "frp", row["frp"], 0, 1e6, optional=True),
        brightness_k=_float(path, line, bright, row[bright], 0, 2000, optional=True),
        daynight=daynight, source_file=source, raw=dict(row),
    )


def read_firms_csv(path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                   progress: ProgressCallback | None = None,
                   cancel: CancelCallback | None = None) -> FirmsFile:
    """Read and check every row of a FIRMS CSV; raises a typed error for the first problem."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLarge(str(path), size, max_bytes)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise MalformedFile(str(path), "csv", f"not UTF-8: {e}") from None
    if "\x00" in text:
        raise MalformedFile(str(path), "csv", "binary data")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise f.FirmsNoRows(str(path))
        columns = [h.strip().lower() for h in header]
        if len(set(columns)) != len(columns):
            dupes = tuple(sorted({c for c in columns if columns.count(c) > 1}))
            raise f.FirmsUnknownColumns(str(path), dupes)
        instrument = detect_instrument(str(path), columns)
        lines = text.count("\n") or 1
        hotspots: list[HotspotValue] = []
        for row in reader:
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise MalformedFile(str(path), "csv",
                                    f"line {line}: {len(row)} fields, {len(columns)} expected")
            hotspots.append(_hotspot(str(path), line, instrument, dict(zip(columns, row,
                                                                           strict=True)),
                                     path.name))
            if len(hotspots) % _CHUNK == 0:
                if cancel is not None and cancel():
                    raise ImportCancelled()
                if progress is not None:
                    progress(line, lines)
    except csv.Error as e:
        raise MalformedFile(str(path), "csv", str(e)) from None
    if not hotspots:
        raise f.FirmsNoRows(str(path))
    return FirmsFile(str(path), instrument, tuple(hotspots))


# --- importing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FirmsImportResult:
    path: str
    instrument: str
    rows: int  # hotspots in the file
    added: int  # new ones written (a file imported twice adds none)
    matched: int  # of the new ones, matched to a fire report
    unmatched: tuple[str, ...] = field(default=())  # uuids of the new unmatched ones
    already_known: int = 0


def match_all(hotspots: tuple[HotspotValue, ...] | list[HotspotValue], db: Database,
              now: datetime | None = None) -> None:
    """Set `matched_fire_uuid` of each hotspot from the fires in the database."""
    grid = FireGrid(fire_windows(db))
    now = now or datetime.now(UTC)
    for h in hotspots:
        h.matched_fire_uuid = match_hotspot(h, grid.near(h.lat, h.lon), now)


def import_firms(db: Database, path: Path, progress: ProgressCallback | None = None,
                 cancel: CancelCallback | None = None, now: datetime | None = None,
                 user: str | None = None) -> FirmsImportResult:
    """Read, check, match and store a FIRMS CSV in one transaction; nothing on any error."""
    total_steps = 100

    def read_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(int(80 * done / max(total, 1)), total_steps)

    parsed = read_firms_csv(path, progress=read_progress, cancel=cancel)
    known = known_hotspots(db, parsed.hotspots)
    seen: set[tuple[object, ...]] = set()
    fresh = []
    for h in parsed.hotspots:
        key = hotspot_key(h)
        if key in known or key in seen:
            continue
        seen.add(key)
        fresh.append(h)
    match_all(fresh, db, now)
    if cancel is not None and cancel():
        raise ImportCancelled()
    if progress is not None:
        progress(90, total_steps)
    save_hotspots(db, fresh, user)
    if progress is not None:
        progress(total_steps, total_steps)
    unmatched = tuple(h.uuid or "" for h in fresh if h.matched_fire_uuid is None)
    return FirmsImportResult(parsed.path, parsed.instrument, len(parsed.hotspots), len(fresh),
                             len(fresh) - len(unmatched), unmatched,
                             len(parsed.hotspots) - len(fresh))


# --- messages -------------------------------------------------------------------------------------

def _ha(value: float) -> str:
    return fmt.hectares(value)


def _when(iso: str, tz: str) -> str:
    """An ISO time from an error as the station's local time, in the user's format."""
    try:
        return fmt.datetime_short(datetime.fromisoformat(iso), tz)
    except (ValueError, KeyError):
        return iso


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _field_name(name: str) -> str:
    names = {
        "area_total_ha": _("total area"), "area_forest_ha": _("forest area"),
        "area_nonforest_ha": _("non-forest area"), "area_at_detection_ha":
            _("area at detection"), "perimeter_area_ha": _("perimeter area"),
        "step": _("area at a status step"), "people": _("people"), "vehicles": _("vehicles"),
        "aircraft": _("aircraft"), "pumps": _("pumps"), "wind_ms": _("wind speed"),
        "wind_dir_deg": _("wind direction"), "temp_c": _("temperature"),
        "humidity_pct": _("humidity"),
    }
    return names.get(name, name)


def _status(code: str) -> str:
    return fmt.term("fire_statuses", code)


FIRE_MESSAGES: dict[type, Callable[..., str]] = {
    f.NegativeArea: lambda x: _(
        "The {field} is {value} ha: an area cannot be negative. Correct it."
    ).format(field=_field_name(x.field), value=x.value),
    f.AreaPartsExceedTotal: lambda x: _(
        "Forest area ({forest}) plus non-forest area ({nonforest}) is more than the total "
        "area ({total}). Correct the areas so that the parts add up to the total."
    ).format(forest=_ha(x.forest), nonforest=_ha(x.nonforest), total=_ha(x.total)),
    f.ValueOutOfRange: lambda x: _(
        "The {field} {value} is outside the possible range {low}…{high}. Correct it."
    ).format(field=_field_name(x.field), value=x.value, low=x.low, high=x.high),
    f.StartAfterDetection: lambda x: _(
        "The estimated start ({start}) is after the fire was detected ({detected}). "
        "Correct the times."
    ).format(start=_when(x.start, x.tz), detected=_when(x.detected, x.tz)),
    f.StepBeforeDetection: lambda x: _(
        "Status step {step} ({status}, {at}) is before the fire was detected ({detected}). "
        "Correct its time."
    ).format(step=x.step, status=_status(x.status), at=_when(x.at, x.tz),
             detected=_when(x.detected, x.tz)),
    f.StepsOutOfOrder: lambda x: _(
        "Status step {step} ({status}, {at}) is earlier than the step before it "
        "({previous_status}, {previous_at}). Correct the times."
    ).format(step=x.step, status=_status(x.status), at=_when(x.at, x.tz),
             previous_status=_status(x.previous_status),
             previous_at=_when(x.previous_at, x.tz)),
    f.PerimeterTooFewPoints: lambda x: ngettext(
        "The perimeter has only {n} point; a walk around a fire needs at least four.",
        "The perimeter has only {n} points; a walk around a fire needs at least four.",
        x.points).format(n=x.points),
    f.PerimeterNotClosed: lambda x: _(
        "The walk in {path} ends {gap} m from where it started (at most {limit} m is "
        "allowed for a {length} m walk), so it does not go round the fire. Choose the file "
        "of a walk that returns to its start."
    ).format(path=x.path, gap=round(x.gap_m), limit=round(x.limit_m), length=round(x.length_m)),
    f.FirmsMissingColumns: lambda x: _(
        "The file {path} is not a NASA FIRMS hotspot file: it lacks the columns {columns}. "
        "Download the CSV again from FIRMS (MODIS or VIIRS) without changing it."
    ).format(path=x.path, columns=_columns(x.columns)),
    f.FirmsUnknownColumns: lambda x: _(
        "The file {path} has columns a NASA FIRMS file does not have: {columns}. "
        "Use the CSV as downloaded from FIRMS, without added or renamed columns."
    ).format(path=x.path, columns=_columns(x.columns)),
    f.FirmsBadValue: lambda x: _(
        "Line {line} of {path} has an impossible {column}: “{value}”. Nothing was imported; "
        "download the file again."
    ).format(line=x.line, path=x.path, column=x.column, value=x.value),
    f.FirmsNoRows: lambda x: _("The file {path} holds no hotspots.").format(path=x.path),
}


def register_fire_messages() -> None:
    """Let `i18n.messages.describe` word every fire-report error (idempotent)."""
    _DESCRIBE.update(FIRE_MESSAGES)


def describe_fire_error(error: BaseException) -> str | None:
    for cls in type(error).__mro__:
        if cls in FIRE_MESSAGES:
            return FIRE_MESSAGES[cls](error)
    return None


register_fire_messages()
