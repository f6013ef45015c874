"""Feeding sites and visits: load and save whole records, the register, seasons, kill alerts.

`save_visit` writes a visit with its feed items, ungulate and predator signs and photos as
children, as `store.patrols.save_patrol` does for a patrol: edited children are updated, new
ones inserted, removed ones tombstoned, unchanged ones left alone (no change-log row); all in
one transaction, after validation, so bad input writes nothing.

Seasons run from 1 November to 30 April on the station's calendar (`domain.feeding`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.domain.errors import RecordNotFound
from ranger_app.domain.feeding import (
    KILL,
    KILL_ALERT_RADIUS_M,
    DuplicateSiteCode,
    FeedingSiteValue,
    FeedingVisitValue,
    FeedItemValue,
    PredatorSignValue,
    UngulateSignValue,
    season_bounds,
    season_of,
    validate_site,
    validate_visit,
)
from ranger_app.domain.geo import haversine_m
from ranger_app.domain.ids import new_id
from ranger_app.store.db import Database
from ranger_app.store.models import (
    Attachment,
    CameraLocation,
    FeedingSite,
    FeedingVisit,
    FeedItem,
    Person,
    PredatorSign,
    Station,
    Synced,
    UngulateSign,
)
from ranger_app.store.rows import (
    assign_changed,
    live_rows,
    photo_value,
    save_attachments,
    tombstone_missing,
)

# Local days of a season are at most 14 hours away from UTC days (UTC+14 .. UTC-12).
_ZONE_SLACK = timedelta(hours=14)
M = TypeVar("M", bound=Synced)


# =========================================================================================
# rows the workspace shows
# =========================================================================================

@dataclass(frozen=True)
class SiteRow:
    """One line of the register, with figures for the chosen season."""

    uuid: str
    code: str
    name: str
    site_type: str
    condition: str
    lat: float | None
    lon: float | None
    capacity: int | None
    target_species: tuple[str, ...]
    camera_code: str
    visits: int
    kg: float
    last_visit_at: datetime | None
    last_visit_tz: str
    kill_alerts: int


@dataclass(frozen=True)
class VisitRow:
    """One visit in a site's history."""

    uuid: str
    site_uuid: str
    visited_at: datetime | None
    tz: str
    transport: str
    crew_names: tuple[str, ...]
    feed: tuple[tuple[str, float], ...]  # (feed type, kg) in entry order
    kg: float
    remaining_pct: int | None
    snow_depth_cm: int | None
    temp_c: float | None
    ungulate_signs: int
    predator_species: tuple[str, ...]
    kill_alert: bool


@dataclass(frozen=True)
class KillAlert:
    """A predator kill within `KILL_ALERT_RADIUS_M` of a site."""

    site_uuid: str
    site_code: str
    sign_uuid: str
    visit_uuid: str
    visited_at: datetime | None
    tz: str
    species: str
    prey_species: str
    distance_m: float
    measured_by: str  # "position" (the kill's own fix) or "distance" (distance_m as noted)
    note: str
    lat: float | None  # the kill's own position, when it was noted
    lon: float | None


@dataclass(frozen=True)
class CameraChoice:
    uuid: str
    code: str
    name: str
    lat: float
    lon: float


# =========================================================================================
# sites
# =========================================================================================

def _site_value(row: FeedingSite) -> FeedingSiteValue:
    return FeedingSiteValue(
        code=row.code, name=row.name, site_type=row.site_type, station_uuid=row.station_uuid,
        lat=row.lat, lon=row.lon, capacity=row.capacity,
        target_species=[c for c in row.target_species.split("|") if c],
        condition=row.condition, camera_location_uuid=row.camera_location_uuid,
        notes=row.notes, uuid=row.uuid, rev=row.rev,
        forest_district=row.forest_district, quarter=row.quarter,
    )


def load_site(db: Database, uuid: str) -> FeedingSiteValue:
    with db.session() as s:
        row = s.get(FeedingSite, uuid)
        if row is None or row.deleted:
            raise RecordNotFound("feeding_site", uuid)
        return _site_value(row)


def save_site(db: Database, site: FeedingSiteValue, user: str | None = None) -> FeedingSiteValue:
    """Validate and write a site; fills in its id and revision and returns it."""
    validate_site(site)
    with db.writer(user) as s, s.no_autoflush:
        code = site.code.strip()
        clash = s.scalar(select(FeedingSite.uuid).where(
            FeedingSite.code == code, FeedingSite.deleted.is_(False),
            FeedingSite.uuid != (site.uuid or "")))
        if clash is not None:
            raise DuplicateSiteCode(code)
        if site.camera_location_uuid:
            camera = s.get(CameraLocation, site.camera_location_uuid)
            if camera is None or camera.deleted:
                raise RecordNotFound("camera_location", site.camera_location_uuid)
        row = s.get(FeedingSite, site.uuid) if site.uuid else None
        if row is not None and row.deleted:
            raise RecordNotFound("feeding_site", row.uuid)
        if row is None:
            row = FeedingSite(uuid=site.uuid or new_id())
            s.add(row)
        assign_changed(row, dict(
            code=code, name=site.name.strip(), site_type=site.site_type,
            station_uuid=site.station_uuid, lat=site.lat, lon=site.lon,
            capacity=site.capacity, target_species="|".join(site.target_species),
            condition=site.condition, camera_location_uuid=site.camera_location_uuid,
            notes=site.notes, forest_district=site.forest_district.strip(),
            quarter=site.quarter.strip(),
        ))
        s.flush()
        site.code = code
        site.uuid = row.uuid
        site.rev = row.rev
    return site


def new_site(db: Database) -> FeedingSiteValue:
    """A blank site for this installation's station."""
    return FeedingSiteValue(station_uuid=db.installation().station_uuid)


def camera_locations(db: Database) -> list[CameraChoice]:
    with db.session() as s:
        return [CameraChoice(c.uuid, c.code, c.name, c.lat, c.lon) for c in s.scalars(
            select(CameraLocation).where(CameraLocation.deleted.is_(False))
            .order_by(CameraLocation.code))]


# =========================================================================================
# visits
# =========================================================================================

def load_visit(db: Database, uuid: str) -> FeedingVisitValue:
    with db.session() as s:
        v = s.get(FeedingVisit, uuid)
        if v is None or v.deleted:
            raise RecordNotFound("feeding_visit", uuid)
        # children in the order they were entered: ids are UUIDv7, minted in order
        def ordered(rows: list[M]) -> list[M]:
            return sorted(rows, key=lambda r: r.uuid)

        items = ordered(live_rows(s, FeedItem, FeedItem.visit_uuid == uuid))
        ungulates = ordered(live_rows(s, UngulateSign, UngulateSign.visit_uuid == uuid))
        predators = ordered(live_rows(s, PredatorSign, PredatorSign.visit_uuid == uuid))
        photos = sorted(live_rows(s, Attachment, Attachment.owner_uuid == uuid),
                        key=lambda a: a.uuid)
        return FeedingVisitValue(
            site_uuid=v.site_uuid, visited_at=v.visited_at, tz=v.tz,
            crew=[c for c in v.crew.split("|") if c], transport=v.transport,
            items=[FeedItemValue(i.feed_type, i.kg, i.uuid) for i in items],
            remaining_pct=v.remaining_pct, snow_depth_cm=v.snow_depth_cm, temp_c=v.temp_c,
            ungulate_signs=[UngulateSignValue(u.species, u.sign_type, u.count, u.freshness,
                                              u.uuid) for u in ungulates],
            predator_signs=[PredatorSignValue(p.species, p.sign_type, p.distance_m,
                                              p.pad_width_cm, p.lat, p.lon, p.prey_species,
                                              p.note, p.uuid) for p in predators],
            photos=[photo_value(a) for a in photos],
            notes=v.notes, notes_lang=v.notes_lang, uuid=v.uuid, rev=v.rev,
        )


def new_visit(db: Database, site_uuid: str | None = None) -> FeedingVisitValue:
    """A fresh visit, now, by the signed-in person, in the site's station's time zone."""
    inst = db.installation()
    with db.session() as s:
        station_uuid = inst.station_uuid
        if site_uuid:
            site = s.get(FeedingSite, site_uuid)
            if site is not None and site.station_uuid:
                station_uuid = site.station_uuid
        station = s.get(Station, station_uuid) if station_uuid else None
        tz = station.tz if station is not None else "Asia/Vladivostok"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return FeedingVisitValue(site_uuid=site_uuid, visited_at=now, tz=tz,
                             crew=[inst.user_uuid] if inst.user_uuid else [])


def _save_children(session: Session, model: type[M], visit_uuid: str,
                   values: Sequence[Any], columns: Callable[[Any], dict[str, Any]]) -> None:
    """Diff one kind of child against its live rows: insert, update or tombstone."""
    existing = live_rows(session, model, model.visit_uuid == visit_uuid)  # type: ignore[attr-defined]
    live = tombstone_missing(existing, {v.uuid for v in values if v.uuid})
    for value in values:
        wanted = {"visit_uuid": visit_uuid, **columns(value)}
        row = live.get(value.uuid or "")
        if row is None:
            row = model(uuid=value.uuid or new_id(), **wanted)
            session.add(row)
            value.uuid = row.uuid
        else:
            assign_changed(row, wanted)


def save_visit(db: Database, visit: FeedingVisitValue,
               user: str | None = None) -> FeedingVisitValue:
    """Validate and write a visit with its items, signs and photos; returns it with ids."""
    validate_visit(visit)
    with db.writer(user) as s, s.no_autoflush:
        site = s.get(FeedingSite, visit.site_uuid)
        if site is None or site.deleted:
            raise RecordNotFound("feeding_site", visit.site_uuid or "")
        for person in visit.crew:
            found = s.get(Person, person)
            if found is None or found.deleted:
                raise RecordNotFound("person", person)
        row = s.get(FeedingVisit, visit.uuid) if visit.uuid else None
        if row is not None and row.deleted:
            raise RecordNotFound("feeding_visit", row.uuid)
        if row is None:
            row = FeedingVisit(uuid=visit.uuid or new_id())
            s.add(row)
        assign_changed(row, dict(
            site_uuid=site.uuid, visited_at=visit.visited_at, tz=visit.tz,
            crew="|".join(dict.fromkeys(visit.crew)), transport=visit.transport,
            remaining_pct=visit.remaining_pct, snow_depth_cm=visit.snow_depth_cm,
            temp_c=visit.temp_c, notes=visit.notes, notes_lang=visit.notes_lang,
        ))
        s.flush()
        visit.uuid = row.uuid

        _save_children(s, FeedItem, row.uuid, visit.items, lambda i: {
            "feed_type": i.feed_type, "kg": float(i.kg)})
        _save_children(s, UngulateSign, row.uuid, visit.ungulate_signs, lambda u: {
            "species": u.species, "sign_type": u.sign_type, "count": u.count,
            "freshness": u.freshness})
        _save_children(s, PredatorSign, row.uuid, visit.predator_signs, lambda p: {
            "species": p.species, "sign_type": p.sign_type, "distance_m": _float(p.distance_m),
            "pad_width_cm": _float(p.pad_width_cm), "lat": p.lat, "lon": p.lon,
            "prey_species": p.prey_species, "note": p.note})
        save_attachments(s, "feeding_visit", row.uuid, visit.photos)
        s.flush()
        visit.rev = row.rev
    return visit


# =========================================================================================
# seasons: visits, totals, history
# =========================================================================================

def _visits_in(session: Session, season: int | None, site_uuid: str | None = None,
               ) -> list[FeedingVisit]:
    """Live visits of a season (all seasons for None), by the station's local calendar."""
    q = select(FeedingVisit).where(FeedingVisit.deleted.is_(False))
    if site_uuid is not None:
        q = q.where(FeedingVisit.site_uuid == site_uuid)
    if season is not None:
        first, last = season_bounds(season)
        q = q.where(
            FeedingVisit.visited_at >= datetime(first.year, first.month, first.day,
                                                tzinfo=UTC) - _ZONE_SLACK,
            FeedingVisit.visited_at < datetime(last.year, last.month, last.day, tzinfo=UTC)
            + timedelta(days=1) + _ZONE_SLACK)
    visits = list(session.scalars(q))
    if season is not None:
        visits = [v for v in visits
                  if v.visited_at is not None and season_of(v.visited_at, v.tz) == season]
    return visits


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _items_by_visit(session: Session, visit_uuids: list[str]) -> dict[str, list[FeedItem]]:
    out: dict[str, list[FeedItem]] = defaultdict(list)
    for chunk in _chunks(visit_uuids):
        for item in sorted(live_rows(session, FeedItem, FeedItem.visit_uuid.in_(chunk)),
                           key=lambda i: i.uuid):
            out[item.visit_uuid].append(item)
    return out


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def seasons(db: Database) -> list[int]:
    """Every season that has a visit, newest first."""
    with db.session() as s:
        found = {season_of(at, tz) for at, tz in s.execute(
            select(FeedingVisit.visited_at, FeedingVisit.tz).where(
                FeedingVisit.deleted.is_(False), FeedingVisit.visited_at.is_not(None)))}
    return sorted((x for x in found if x is not None), reverse=True)


def season_totals(db: Database, season: int | None,
                  site_uuid: str | None = None) -> dict[str, float]:
    """Kilograms put out per feed type in a season (every site, or one), largest first."""
    with db.session() as s:
        visits = _visits_in(s, season, site_uuid)
        totals: dict[str, float] = defaultdict(float)
        for items in _items_by_visit(s, [v.uuid for v in visits]).values():
            for item in items:
                totals[item.feed_type] += item.kg
    return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def visit_history(db: Database, site_uuid: str, season: int | None = None) -> list[VisitRow]:
    """A site's visits, newest first (one season, or all for None)."""
    alerts = {a.visit_uuid for a in sites_with_kill_alerts(db, season).get(site_uuid, [])}
    with db.session() as s:
        visits = _visits_in(s, season, site_uuid)
        ids = [v.uuid for v in visits]
        items = _items_by_visit(s, ids)
        ungulates: dict[str, int] = defaultdict(int)
        predators: dict[str, list[str]] = defaultdict(list)
        for chunk in _chunks(ids):
            for u in live_rows(s, UngulateSign, UngulateSign.visit_uuid.in_(chunk)):
                ungulates[u.visit_uuid] += 1
            for p in live_rows(s, PredatorSign, PredatorSign.visit_uuid.in_(chunk)):
                predators[p.visit_uuid].append(p.species)
        names = dict(s.execute(select(Person.uuid, Person.name)).all())
        visits.sort(key=lambda v: (v.visited_at is not None, v.visited_at, v.uuid), reverse=True)
        return [
            VisitRow(
                uuid=v.uuid, site_uuid=v.site_uuid, visited_at=v.visited_at, tz=v.tz,
                transport=v.transport,
                crew_names=tuple(names.get(p, p) for p in v.crew.split("|") if p),
                feed=tuple((i.feed_type, i.kg) for i in items.get(v.uuid, [])),
                kg=sum(i.kg for i in items.get(v.uuid, [])),
                remaining_pct=v.remaining_pct, snow_depth_cm=v.snow_depth_cm, temp_c=v.temp_c,
                ungulate_signs=ungulates.get(v.uuid, 0),
                predator_species=tuple(sorted(set(predators.get(v.uuid, [])))),
                kill_alert=v.uuid in alerts,
            )
            for v in visits
        ]


def site_rows(db: Database, season: int | None = None) -> list[SiteRow]:
    """The register, by code, with each site's visits, kg and kill alerts in the season."""
    alerts = sites_with_kill_alerts(db, season)
    with db.session() as s:
        visits = _visits_in(s, season)
        items = _items_by_visit(s, [v.uuid for v in visits])
        count: dict[str, int] = defaultdict(int)
        kg: dict[str, float] = defaultdict(float)
        last: dict[str, FeedingVisit] = {}
        for v in visits:
            count[v.site_uuid] += 1
            kg[v.site_uuid] += sum(i.kg for i in items.get(v.uuid, []))
            seen = last.get(v.site_uuid)
            if v.visited_at is not None and (seen is None or seen.visited_at is None
                                             or v.visited_at > seen.visited_at):
                last[v.site_uuid] = v
        cameras = dict(s.execute(select(CameraLocation.uuid, CameraLocation.code)).all())
        rows = []
        for site in live_rows(s, FeedingSite):
            lv = last.get(site.uuid)
            rows.append(SiteRow(
                uuid=site.uuid, code=site.code, name=site.name, site_type=site.site_type,
                condition=site.condition, lat=site.lat, lon=site.lon, capacity=site.capacity,
                target_species=tuple(c for c in site.target_species.split("|") if c),
                camera_code=cameras.get(site.camera_location_uuid or "", ""),
                visits=count.get(site.uuid, 0), kg=kg.get(site.uuid, 0.0),
                last_visit_at=lv.visited_at if lv else None,
                last_visit_tz=lv.tz if lv else "",
                kill_alerts=len(alerts.get(site.uuid, [])),
            ))
        rows.sort(key=lambda r: (r.code, r.uuid))
        return rows


# =========================================================================================
# the kill alert
# =========================================================================================

def sites_with_kill_alerts(db: Database, season: int | None) -> dict[str, list[KillAlert]]:
    """Sites with a predator kill within 500 m in the season (all seasons for None).

    A kill noted with its own position is measured from that position to every site with a
    position (a kill found on the way to one site may lie beside another); a kill noted
    without a position counts against the visited site by its `distance_m`. The result maps
    each flagged site's id to its alerts (nearest first), sites in code order.
    """
    with db.session() as s:
        visits = {v.uuid: v for v in _visits_in(s, season)}
        kills: list[PredatorSign] = []
        for chunk in _chunks(list(visits)):
            kills += live_rows(s, PredatorSign, PredatorSign.visit_uuid.in_(chunk),
                           PredatorSign.sign_type == KILL)
        if not kills:
            return {}
        sites = {site.uuid: site for site in live_rows(s, FeedingSite)}
    placed = [site for site in sites.values() if site.lat is not None and site.lon is not None]
    found: dict[str, list[KillAlert]] = defaultdict(list)

    def alert(site: FeedingSite, sign: PredatorSign, distance: float, how: str) -> None:
        visit = visits[sign.visit_uuid]
        found[site.uuid].append(KillAlert(
            site.uuid, site.code, sign.uuid, visit.uuid, visit.visited_at, visit.tz,
            sign.species, sign.prey_species, distance, how, sign.note, sign.lat, sign.lon))

    for sign in kills:
        own = sites.get(visits[sign.visit_uuid].site_uuid)
        if sign.lat is not None and sign.lon is not None:
            for site in placed:
                d = haversine_m(sign.lat, sign.lon, site.lat, site.lon)  # type: ignore[arg-type]
                if d <= KILL_ALERT_RADIUS_M:
                    alert(site, sign, d, "position")
            if own is None or own in placed:
                continue  # measured by position; distance_m is not asked again
        if own is not None and sign.distance_m is not None \
                and sign.distance_m <= KILL_ALERT_RADIUS_M:
            alert(own, sign, sign.distance_m, "distance")
    order = {uuid: (site.code, uuid) for uuid, site in sites.items()}
    return {uuid: sorted(found[uuid], key=lambda a: (a.distance_m, a.sign_uuid))
            for uuid in sorted(found, key=lambda u: order[u])}
