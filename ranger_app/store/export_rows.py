"""Records as plain rows for the open-format exports (GeoJSON, CSV, KML).

Each function yields one dict per live record: its own columns (codes, not words) plus the
few joined values a spreadsheet or GIS user needs beside them (station code, patrol
number, site code, positions). The writers in `io.open_formats` choose columns and labels.
Rows are read in batches, so a season of tracks never sits in memory at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ranger_app.domain.fires import FireFilter
from ranger_app.domain.records import PatrolFilter
from ranger_app.domain.track import unpack_latlon
from ranger_app.store.db import Database
from ranger_app.store.models import (
    CameraLocation,
    FeedingSite,
    FeedingVisit,
    FeedItem,
    FireReport,
    Observation,
    Patrol,
    PatrolLeg,
    ServiceVisit,
    Station,
    Synced,
    Track,
)
from ranger_app.store.queries import filtered_patrols

Row = dict[str, Any]
_BATCH = 200


@dataclass(frozen=True)
class ExportScope:
    """What to export: the list filters the user has set in each workspace."""

    patrols: PatrolFilter = field(default_factory=PatrolFilter)
    fires: FireFilter = field(default_factory=FireFilter)
    tz: str = "Asia/Vladivostok"


def _columns(row: Synced) -> Row:
    return {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs}


def _station_codes(s: Session) -> dict[str, str]:
    return dict(s.execute(select(Station.uuid, Station.code)).all())


def _batches(ids: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), _BATCH):
        yield ids[i:i + _BATCH]


def patrol_uuids(db: Database, f: PatrolFilter) -> list[str]:
    with db.session() as s:
        q = filtered_patrols(select(Patrol.uuid), f).order_by(Patrol.start_at, Patrol.uuid)
        return list(s.scalars(q))


def patrols(db: Database, scope: ExportScope) -> Iterator[Row]:
    """Each patrol with its legs, and each leg's track as (lat, lon) positions."""
    ids = patrol_uuids(db, scope.patrols)
    for batch in _batches(ids):
        with db.session() as s:
            codes = _station_codes(s)
            legs: dict[str, list[PatrolLeg]] = {}
            for leg in s.scalars(select(PatrolLeg).where(
                    PatrolLeg.patrol_uuid.in_(batch), PatrolLeg.deleted.is_(False))
                    .order_by(PatrolLeg.ordinal)):
                legs.setdefault(leg.patrol_uuid, []).append(leg)
            tracks: dict[str, list[Track]] = {}
            for track in s.scalars(select(Track).where(
                    Track.patrol_uuid.in_(batch), Track.deleted.is_(False))
                    .order_by(Track.start_at, Track.uuid)):
                tracks.setdefault(track.patrol_uuid, []).append(track)
            rows = {p.uuid: p for p in s.scalars(select(Patrol).where(Patrol.uuid.in_(batch)))}
            for uuid in batch:
                p = rows[uuid]
                row = _columns(p)
                row["station_code"] = codes.get(p.station_uuid or "", "")
                transport = {leg.uuid: leg.transport for leg in legs.get(uuid, [])}
                row["transports"] = "|".join(dict.fromkeys(transport.values()))
                row["legs"] = len(legs.get(uuid, []))
                row["tracks"] = [
                    {"leg_uuid": t.leg_uuid, "transport": transport.get(t.leg_uuid or "", ""),
                     "length_m": t.length_m, "positions": unpack_latlon(t.points)}
                    for t in tracks.get(uuid, []) if t.point_count]
                yield row


def observations(db: Database, scope: ExportScope) -> Iterator[Row]:
    ids = patrol_uuids(db, scope.patrols)
    for batch in _batches(ids):
        with db.session() as s:
            numbers = dict(s.execute(select(Patrol.uuid, Patrol.number)
                                     .where(Patrol.uuid.in_(batch))).all())
            tz = dict(s.execute(select(Patrol.uuid, Patrol.tz)
                                .where(Patrol.uuid.in_(batch))).all())
            for o in s.scalars(select(Observation).where(
                    Observation.patrol_uuid.in_(batch), Observation.deleted.is_(False))
                    .order_by(Observation.observed_at, Observation.uuid)):
                row = _columns(o)
                row["patrol_number"] = numbers.get(o.patrol_uuid, "")
                row["tz"] = tz.get(o.patrol_uuid, scope.tz)
                try:
                    row["attributes"] = json.loads(o.attributes or "{}")
                except ValueError:
                    row["attributes"] = {}
                yield row


def fires(db: Database, scope: ExportScope) -> Iterator[Row]:
    with db.session() as s:
        codes = _station_codes(s)
        q = select(FireReport).where(FireReport.deleted.is_(False))
        if scope.fires.season is not None:
            start, end = scope.fires.season.bounds(scope.tz)
            q = q.where(FireReport.detected_at >= start, FireReport.detected_at < end)
        if scope.fires.status:
            q = q.where(FireReport.fire_status == scope.fires.status)
        for r in s.scalars(q.order_by(FireReport.detected_at, FireReport.uuid)):
            row = _columns(r)
            row["station_code"] = codes.get(r.station_uuid or "", "")
            try:
                ring = [(float(lat), float(lon)) for lat, lon in json.loads(r.perimeter or "[]")]
            except (ValueError, TypeError):
                ring = []
            row["perimeter"] = ring
            yield row


def feeding_sites(db: Database, scope: ExportScope) -> Iterator[Row]:
    with db.session() as s:
        codes = _station_codes(s)
        for r in s.scalars(select(FeedingSite).where(FeedingSite.deleted.is_(False))
                           .order_by(FeedingSite.code, FeedingSite.uuid)):
            row = _columns(r)
            row["station_code"] = codes.get(r.station_uuid or "", "")
            yield row


def feeding_visits(db: Database, scope: ExportScope) -> Iterator[Row]:
    """Each visit with its site and the feed delivered, kg per feed type."""
    with db.session() as s:
        sites = {r.uuid: r for r in s.scalars(select(FeedingSite))}
        feed: dict[str, dict[str, float]] = {}
        for item in s.scalars(select(FeedItem).where(FeedItem.deleted.is_(False))):
            per = feed.setdefault(item.visit_uuid, {})
            per[item.feed_type] = per.get(item.feed_type, 0.0) + item.kg
        for r in s.scalars(select(FeedingVisit).where(FeedingVisit.deleted.is_(False))
                           .order_by(FeedingVisit.visited_at, FeedingVisit.uuid)):
            row = _columns(r)
            site = sites.get(r.site_uuid)
            row["site_code"] = site.code if site else ""
            row["lat"], row["lon"] = (site.lat, site.lon) if site else (None, None)
            row["feed_kg"] = feed.get(r.uuid, {})
            yield row


def camera_locations(db: Database, scope: ExportScope) -> Iterator[Row]:
    with db.session() as s:
        codes = _station_codes(s)
        for r in s.scalars(select(CameraLocation).where(CameraLocation.deleted.is_(False))
                           .order_by(CameraLocation.code, CameraLocation.uuid)):
            row = _columns(r)
            row["station_code"] = codes.get(r.station_uuid or "", "")
            yield row


def camera_visits(db: Database, scope: ExportScope) -> Iterator[Row]:
    """Each camera-trap service visit with the code of the location it was at."""
    with db.session() as s:
        locations = {r.uuid: r for r in s.scalars(select(CameraLocation))}
        for r in s.scalars(select(ServiceVisit).where(ServiceVisit.deleted.is_(False))
                           .order_by(ServiceVisit.visited_at, ServiceVisit.uuid)):
            row = _columns(r)
            loc = locations.get(r.location_uuid)
            row["location_code"] = loc.code if loc else ""
            row["lat"], row["lon"] = (loc.lat, loc.lon) if loc else (None, None)
            yield row
