"""What each exported record type carries: its columns, their vocabularies, its geometry.

Values are codes, as records store them; every coded column is followed by a `_label`
column in the language chosen for the export. Times are local to the record's own time
zone, ISO 8601 with the offset, so a spreadsheet shows the hour the ranger saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import N_
from ranger_app.store import export_rows
from ranger_app.store.db import Database
from ranger_app.store.export_rows import ExportScope, Row

Geometry = dict[str, Any]
Value = str | int | float | bool | None


@dataclass(frozen=True)
class Column:
    key: str
    vocab: str = ""  # a vocabulary name: the code is followed by its label
    kind: str = "value"  # value | time | list (pipe list of codes) | json


@dataclass(frozen=True)
class Table:
    """One record type: a CSV file, a GeoJSON layer, a KML folder."""

    name: str
    title: str  # N_() text, translated when shown
    columns: tuple[Column, ...]
    rows: Callable[[Database, ExportScope], Iterator[Row]]
    geometry: Callable[[Row], Geometry | None] | None = None  # None: not a map layer

    def headers(self) -> list[str]:
        out: list[str] = []
        for c in self.columns:
            out.append(c.key)
            if c.vocab:
                out.append(f"{c.key}_label")
        return out

    def cells(self, row: Row, lang: str) -> list[Value]:
        out: list[Value] = []
        tz = str(row.get("tz") or "Asia/Vladivostok")
        for c in self.columns:
            value = row.get(c.key)
            if c.kind == "time":
                out.append(_local_iso(value, tz))
            elif c.kind == "list":
                codes = [v for v in str(value or "").split("|") if v]
                out.append("|".join(codes))
                if c.vocab:
                    words = vocabulary(c.vocab)
                    out.append("; ".join(words.label(code, lang) for code in codes))
                continue
            elif c.kind == "json":
                out.append(_json_text(value))
            elif isinstance(value, float) and c.key in ("lat", "lon"):
                out.append(round(value, 7))  # about 1 cm; more digits only look precise
            else:
                out.append(value if isinstance(value, int | float | bool) or value is None
                           else str(value))
            if c.vocab:
                out.append(vocabulary(c.vocab).label(str(value or ""), lang))
        return out


def _local_iso(value: Any, tz: str) -> str:
    if not isinstance(value, datetime):
        return ""
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).isoformat(timespec="seconds")


def _json_text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


# --- geometry (RFC 7946: longitude first, WGS 84, 7 decimals ≈ 1 cm) ----------------------

def _xy(lat: float, lon: float) -> list[float]:
    return [round(lon, 7), round(lat, 7)]


def point(row: Row) -> Geometry | None:
    lat, lon = row.get("lat"), row.get("lon")
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": _xy(lat, lon)}


def track_lines(row: Row) -> Geometry | None:
    lines = [[_xy(lat, lon) for lat, lon in t["positions"]] for t in row.get("tracks", [])]
    lines = [line for line in lines if len(line) >= 2]
    if not lines:
        return None
    return {"type": "MultiLineString", "coordinates": lines}


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))


def perimeter_polygon(row: Row) -> Geometry | None:
    ring = [_xy(lat, lon) for lat, lon in row.get("perimeter", [])]
    if len(ring) < 3:
        return None
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    if _signed_area(ring) < 0:  # exterior rings counterclockwise (RFC 7946 §3.1.6)
        ring.reverse()
    return {"type": "Polygon", "coordinates": [ring]}


# --- the record types -----------------------------------------------------------------------

_PATROL = (
    Column("uuid"), Column("number"), Column("station_code"),
    Column("patrol_type", "patrol_types"), Column("mandate", "mandates"), Column("armed"),
    Column("start_at", kind="time"), Column("end_at", kind="time"),
    Column("status", "record_statuses"), Column("transports", "transports", "list"),
    Column("legs"), Column("distance_km"), Column("observation_count"),
    Column("leader_name"), Column("notes"),
)
_OBSERVATION = (
    Column("uuid"), Column("patrol_number"), Column("patrol_uuid"),
    Column("observed_at", kind="time"), Column("lat"), Column("lon"), Column("ele"),
    Column("category", "observation_categories"), Column("count"),
    Column("attributes", kind="json"), Column("waypoint_name"), Column("notes"),
)
_FIRE = (
    Column("uuid"), Column("number"), Column("official_number"), Column("station_code"),
    Column("report_kind", "fire_report_kinds"), Column("detected_at", kind="time"),
    Column("start_est_at", kind="time"), Column("lat"), Column("lon"), Column("locality"),
    Column("forest_district"), Column("quarter"), Column("land_category", "land_categories"),
    Column("fire_type", "fire_types"), Column("intensity", "fire_intensities"),
    Column("cause", "fire_causes"), Column("detection_source", "fire_detection_sources"),
    Column("fire_status", "fire_statuses"), Column("area_total_ha"),
    Column("area_forest_ha"), Column("area_nonforest_ha"), Column("perimeter_area_ha"),
    Column("people"), Column("vehicles"), Column("aircraft"), Column("pumps"),
    Column("fuel_type", "fuel_types"), Column("notes"),
)
_FEEDING_SITE = (
    Column("uuid"), Column("code"), Column("name"), Column("station_code"),
    Column("site_type", "feeding_site_types"), Column("lat"), Column("lon"),
    Column("forest_district"), Column("quarter"), Column("capacity"),
    Column("target_species", "ungulate_species", "list"),
    Column("condition", "site_conditions"), Column("notes"),
)
_FEEDING_VISIT = (
    Column("uuid"), Column("site_code"), Column("visited_at", kind="time"),
    Column("lat"), Column("lon"), Column("transport", "transports"),
    Column("remaining_pct"), Column("snow_depth_cm"), Column("temp_c"),
    Column("feed_kg", kind="json"), Column("feed_total_kg"), Column("notes"),
)
_CAMERA_LOCATION = (
    Column("uuid"), Column("code"), Column("name"), Column("station_code"),
    Column("lat"), Column("lon"), Column("uncertainty_m"), Column("habitat", "habitats"),
    Column("feature", "camera_features"), Column("country", "countries"),
    Column("visit_interval_days"),
)
_CAMERA_VISIT = (
    Column("uuid"), Column("location_code"), Column("visited_at", kind="time"),
    Column("lat"), Column("lon"), Column("visit_type", "service_visit_types"),
    Column("arrival_status", "camera_arrival_status"), Column("battery_pct"),
    Column("battery_type", "battery_types"), Column("batteries_replaced"),
    Column("sd_removed"), Column("sd_inserted"), Column("image_count"),
    Column("first_image_at", kind="time"), Column("last_image_at", kind="time"),
    Column("actions", "camera_actions", "list"), Column("theft_note"), Column("notes"),
)


def _patrols(db: Database, scope: ExportScope) -> Iterator[Row]:
    for row in export_rows.patrols(db, scope):
        row["distance_km"] = round(float(row.get("distance_m") or 0.0) / 1000.0, 3)
        yield row


def _visits(db: Database, scope: ExportScope) -> Iterator[Row]:
    for row in export_rows.feeding_visits(db, scope):
        row["feed_total_kg"] = round(sum(row["feed_kg"].values()), 1)
        yield row


def _with_perimeter(db: Database, scope: ExportScope) -> Iterator[Row]:
    return (row for row in export_rows.fires(db, scope) if len(row["perimeter"]) >= 3)


TABLES: dict[str, Table] = {t.name: t for t in (
    Table("patrols", N_("Patrols"), _PATROL, _patrols, track_lines),
    Table("observations", N_("Observations"), _OBSERVATION, export_rows.observations, point),
    Table("fires", N_("Fire reports"), _FIRE, export_rows.fires, point),
    Table("fire_perimeters", N_("Fire perimeters"), _FIRE, _with_perimeter,
          perimeter_polygon),
    Table("feeding_sites", N_("Feeding sites"), _FEEDING_SITE, export_rows.feeding_sites,
          point),
    Table("feeding_visits", N_("Feeding-site visits"), _FEEDING_VISIT, _visits, point),
    Table("camera_locations", N_("Camera-trap locations"), _CAMERA_LOCATION,
          export_rows.camera_locations, point),
    Table("camera_visits", N_("Camera-trap visits"), _CAMERA_VISIT,
          export_rows.camera_visits, point),
)}
# what each format writes by default: spreadsheets get every record type, maps the places
CSV_TABLES = ("patrols", "observations", "fires", "feeding_sites", "feeding_visits",
              "camera_locations", "camera_visits")
MAP_TABLES = ("patrols", "observations", "fires", "fire_perimeters", "feeding_sites",
              "camera_locations")


def pick(names: Iterable[str] | None, default: tuple[str, ...]) -> list[Table]:
    """The tables asked for (or the format's default ones); an unknown name raises KeyError."""
    wanted = list(dict.fromkeys(names or default))
    for name in wanted:
        if name not in TABLES:
            raise KeyError(name)
    return [TABLES[n] for n in wanted]
