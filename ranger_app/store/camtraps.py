"""Camera locations, cameras, deployments and service visits in the database.

`save_service_visit` applies the deployment rule (`domain.camtraps.plan_visit`) in the same
transaction as the visit itself: the running deployment is closed, the next one opened, the
cameras' states follow (STOLEN on a theft, IN_STOCK or REPAIR when taken down, DEPLOYED when put
up) and the visit's images and photos are written, all or nothing. The change log records each
row through the session hook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ranger_app.domain.camtraps import (
    GONE,
    SENSITIVE_PREDATORS,
    UNAVAILABLE_STATES,
    CameraAlreadyDeployed,
    CameraRow,
    CameraUnavailable,
    CameraValue,
    DeploymentPlan,
    DeploymentRow,
    DeploymentValue,
    LocationRow,
    LocationValue,
    OpenDeployment,
    ServiceVisitValue,
    VisitHasLaterVisits,
    VisitRow,
    days_overdue,
    deployment_setup,
    is_sensitive,
    local_today,
    next_visit_due,
    plan_visit,
    validate_camera,
    validate_location,
    validate_visit,
)
from ranger_app.domain.errors import MissingValue, RecordNotFound
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import PhotoValue
from ranger_app.store.db import Database
from ranger_app.store.models import (
    Attachment,
    Camera,
    CameraLocation,
    Deployment,
    FeedingSite,
    FeedingVisit,
    Person,
    PredatorSign,
    ServiceVisit,
    Station,
)
from ranger_app.store.rows import assign_changed, photo_value

OWNER = "service_visit"
IMAGE_KIND = "camtrap"
# Fields of a visit that decide what it does to the deployments: changing any of them on a
# saved visit re-plans it, which is allowed only while no later visit depends on it.
_STRUCTURE = ("location_uuid", "camera_uuid", "visit_type", "visited_at", "arrival_status",
              "last_image_at", "replacement_camera_uuid")


# --- small helpers ----------------------------------------------------------------------------

def _live_get(session: Session, model: Any, uuid: str | None, entity: str) -> Any:
    row = session.get(model, uuid) if uuid else None
    if row is None or row.deleted:
        raise RecordNotFound(entity, uuid or "")
    return row


def _pipe(values: list[str]) -> str:
    return "|".join(v for v in values if v)


def _split(text: str) -> list[str]:
    return [v for v in (text or "").split("|") if v]


def _settings(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _location_value(r: CameraLocation) -> LocationValue:
    return LocationValue(r.code, r.name, r.station_uuid, r.lat, r.lon, r.uncertainty_m,
                         r.habitat, r.feature, r.country, r.tz, r.visit_interval_days, r.uuid)


def _camera_value(r: Camera) -> CameraValue:
    return CameraValue(r.serial, r.make, r.model, r.state, r.station_uuid, r.year_purchased,
                       r.notes, r.uuid)


def _deployment_value(d: Deployment) -> DeploymentValue:
    return DeploymentValue(
        d.location_uuid, d.camera_uuid, d.start_at, d.end_at, d.opened_by_visit,
        d.closed_by_visit, d.bait_use, d.height_m, d.heading_deg, d.tilt_deg,
        d.detection_distance_m, d.delay_s, d.timestamp_issues, d.uuid)


def _visit_value(v: ServiceVisit, opened: Deployment | None,
                 attachments: list[Attachment]) -> ServiceVisitValue:
    replacement = (opened.camera_uuid if opened is not None and opened.camera_uuid
                   != v.camera_uuid else None)
    ordered = sorted(attachments, key=lambda a: (a.taken_at is None, a.taken_at, a.filename,
                                                 a.uuid))
    return ServiceVisitValue(
        location_uuid=v.location_uuid, camera_uuid=v.camera_uuid, visit_type=v.visit_type,
        visited_at=v.visited_at, tz=v.tz, crew=_split(v.crew),
        arrival_status=v.arrival_status, battery_pct=v.battery_pct,
        battery_type=v.battery_type, batteries_replaced=v.batteries_replaced,
        sd_removed=v.sd_removed, sd_inserted=v.sd_inserted, image_count=v.image_count,
        first_image_at=v.first_image_at, last_image_at=v.last_image_at,
        clock_offset_s=v.clock_offset_s, clock_reset=v.clock_reset,
        settings=_settings(v.settings_json), actions=_split(v.actions), walk_test=v.walk_test,
        theft_note=v.theft_note, police_report=v.police_report, notes=v.notes,
        notes_lang=v.notes_lang, replacement_camera_uuid=replacement,
        images=[photo_value(a) for a in ordered if a.kind == IMAGE_KIND],
        photos=[photo_value(a) for a in ordered if a.kind != IMAGE_KIND],
        deployment_uuid=v.deployment_uuid,
        opened_deployment_uuid=opened.uuid if opened is not None else None,
        uuid=v.uuid, rev=v.rev,
    )


def _opened_by(session: Session, visit_uuid: str) -> Deployment | None:
    return session.scalars(select(Deployment).where(
        Deployment.opened_by_visit == visit_uuid, Deployment.deleted.is_(False))).first()


def _closed_by(session: Session, visit_uuid: str) -> Deployment | None:
    return session.scalars(select(Deployment).where(
        Deployment.closed_by_visit == visit_uuid, Deployment.deleted.is_(False))).first()


def _running(session: Session, location_uuid: str, camera_uuid: str | None) -> list[Deployment]:
    q = select(Deployment).where(Deployment.location_uuid == location_uuid,
                                 Deployment.end_at.is_(None), Deployment.deleted.is_(False))
    if camera_uuid:
        q = q.where(Deployment.camera_uuid == camera_uuid)
    return list(session.scalars(q.order_by(Deployment.start_at.desc())))


def _running_elsewhere(session: Session, camera_uuid: str, but: str | None) -> Deployment | None:
    q = select(Deployment).where(Deployment.camera_uuid == camera_uuid,
                                 Deployment.end_at.is_(None), Deployment.deleted.is_(False))
    if but:
        q = q.where(Deployment.uuid != but)
    return session.scalars(q).first()


def _code(session: Session, location_uuid: str | None) -> str:
    row = session.get(CameraLocation, location_uuid) if location_uuid else None
    return row.code if row is not None else ""


def _serial(session: Session, camera_uuid: str | None) -> str:
    row = session.get(Camera, camera_uuid) if camera_uuid else None
    return row.serial if row is not None else ""


# --- loading ----------------------------------------------------------------------------------

def load_service_visit(db: Database, uuid: str) -> ServiceVisitValue:
    with db.session() as s:
        v = _live_get(s, ServiceVisit, uuid, "service visit")
        atts = list(s.scalars(select(Attachment).where(
            Attachment.owner_uuid == uuid, Attachment.deleted.is_(False))))
        return _visit_value(v, _opened_by(s, uuid), atts)


def last_visit(db: Database, location_uuid: str) -> ServiceVisitValue | None:
    """The latest visit at a location that recorded settings (without its images)."""
    with db.session() as s:
        row = s.scalars(select(ServiceVisit).where(
            ServiceVisit.location_uuid == location_uuid, ServiceVisit.deleted.is_(False),
            ServiceVisit.settings_json != "")
            .order_by(ServiceVisit.visited_at.desc()).limit(1)).first()
        return _visit_value(row, None, []) if row is not None else None


def load_location(db: Database, uuid: str) -> LocationValue:
    with db.session() as s:
        return _location_value(_live_get(s, CameraLocation, uuid, "camera location"))


def load_camera(db: Database, uuid: str) -> CameraValue:
    with db.session() as s:
        return _camera_value(_live_get(s, Camera, uuid, "camera"))


def running_deployment(db: Database, location_uuid: str,
                       camera_uuid: str | None = None) -> DeploymentValue | None:
    with db.session() as s:
        found = _running(s, location_uuid, camera_uuid)
        return _deployment_value(found[0]) if found else None


def _running_for(session: Session, visit: ServiceVisitValue,
                 loc: CameraLocation) -> OpenDeployment | None:
    """The deployment a new visit finds running (and the camera it is about, if unnamed)."""
    found = _running(session, loc.uuid, visit.camera_uuid)
    if not visit.camera_uuid and len(found) > 1:
        raise MissingValue("camera")
    if not found:
        return None
    if not visit.camera_uuid and visit.visit_type != "DEPLOY":
        visit.camera_uuid = found[0].camera_uuid
    d = found[0]
    assert d.start_at is not None
    return OpenDeployment(d.uuid, d.camera_uuid, d.start_at)


def _running_for_saved(session: Session, row: ServiceVisit) -> OpenDeployment | None:
    """The deployment a saved visit found: the one it closed, or the one it checked."""
    closed = _closed_by(session, row.uuid)
    if closed is not None and closed.start_at is not None:
        return OpenDeployment(closed.uuid, closed.camera_uuid, closed.start_at)
    dep = session.get(Deployment, row.deployment_uuid) if row.deployment_uuid else None
    if dep is None or dep.deleted or dep.start_at is None or dep.opened_by_visit == row.uuid:
        return None
    return OpenDeployment(dep.uuid, dep.camera_uuid, dep.start_at)


def preview_visit(db: Database, visit: ServiceVisitValue) -> DeploymentPlan:
    """What saving this (new or edited) visit would do; raises what saving would raise."""
    with db.session() as s:
        loc = _live_get(s, CameraLocation, visit.location_uuid, "camera location")
        probe = replace(visit, images=[], photos=[])
        row = s.get(ServiceVisit, visit.uuid) if visit.uuid else None
        if row is not None and not row.deleted:
            running = _running_for_saved(s, row)
        else:
            running = _running_for(s, probe, loc)
        cam = s.get(Camera, probe.camera_uuid) if probe.camera_uuid else None
        return plan_visit(probe, running, camera_state=cam.state if cam else "",
                          location=loc.code, camera=cam.serial if cam else "")


# --- saving a visit ---------------------------------------------------------------------------

def _save_attachments(session: Session, owner_uuid: str, wanted: list[PhotoValue]) -> None:
    """Tombstone what is gone, update what changed, bulk-insert what is new."""
    existing = list(session.scalars(select(Attachment).where(
        Attachment.owner_uuid == owner_uuid, Attachment.deleted.is_(False))))
    wanted_ids = {p.uuid for p in wanted if p.uuid}
    live = {}
    for a in existing:
        if a.uuid in wanted_ids:
            live[a.uuid] = a
        else:
            a.deleted = True
    new_rows: list[dict[str, Any]] = []
    for photo in wanted:
        values = dict(
            sha256=photo.sha256, kind=photo.kind, owner_entity=OWNER, owner_uuid=owner_uuid,
            filename=photo.filename, mime=photo.mime, size=photo.size, taken_at=photo.taken_at,
            lat=photo.lat, lon=photo.lon, width=photo.width, height=photo.height,
            caption=photo.caption,
        )
        row = live.get(photo.uuid or "")
        if row is None:
            photo.uuid = photo.uuid or new_id()
            new_rows.append({"uuid": photo.uuid, **values})
        else:
            assign_changed(row, values)
    session.flush()
    if new_rows:
        from ranger_app.store.changes import writer_for

        writer_for(session).insert_rows(Attachment, new_rows)


def _later_visits(session: Session, location_uuid: str, after: datetime | None,
                  but: str) -> bool:
    q = select(func.count()).select_from(ServiceVisit).where(
        ServiceVisit.location_uuid == location_uuid, ServiceVisit.deleted.is_(False),
        ServiceVisit.uuid != but)
    if after is not None:
        q = q.where(ServiceVisit.visited_at > after)
    return bool(session.scalar(q))


def _undo(session: Session, row: ServiceVisit) -> None:
    """Take back what a saved visit did to the deployments and cameras (before re-planning)."""
    opened = _opened_by(session, row.uuid)
    closed = _closed_by(session, row.uuid)
    if opened is not None:
        opened.deleted = True
        cam = session.get(Camera, opened.camera_uuid)
        if cam is not None and (closed is None or closed.camera_uuid != cam.uuid):
            cam.state = "IN_STOCK"
    if closed is not None:
        closed.end_at = None
        closed.closed_by_visit = None
        cam = session.get(Camera, closed.camera_uuid)
        if cam is not None:
            cam.state = "DEPLOYED"
    session.flush()


def _effect(session: Session, visit_uuid: str) -> tuple[Any, ...]:
    opened = _opened_by(session, visit_uuid)
    closed = _closed_by(session, visit_uuid)
    return (closed.uuid if closed else None, closed.end_at if closed else None,
            opened.camera_uuid if opened else None, opened.start_at if opened else None)


def save_service_visit(db: Database, visit: ServiceVisitValue,
                       user: str | None = None) -> ServiceVisitValue:
    """Validate, apply the deployment rule and write the visit with its images; one transaction.

    Fills in the ids (visit, deployments, attachments) and returns the visit.
    """
    validate_visit(visit)
    with db.writer(user) as s, s.no_autoflush:
        loc = _live_get(s, CameraLocation, visit.location_uuid, "camera location")
        visit.tz = loc.tz
        for cam_uuid in (visit.camera_uuid, visit.replacement_camera_uuid):
            if cam_uuid:
                _live_get(s, Camera, cam_uuid, "camera")
        row = s.get(ServiceVisit, visit.uuid) if visit.uuid else None
        if row is not None and row.deleted:
            raise RecordNotFound("service visit", row.uuid)

        running: OpenDeployment | None
        camera_state = ""
        if row is not None:
            old = _visit_value(row, _opened_by(s, row.uuid), [])
            structural = any(getattr(old, k) != getattr(visit, k) for k in _STRUCTURE)
            if structural:
                for where in {row.location_uuid, loc.uuid}:
                    if _later_visits(s, where, row.visited_at, row.uuid):
                        raise VisitHasLaterVisits(_code(s, where), _serial(s, row.camera_uuid))
                _undo(s, row)
                running = _running_for(s, visit, loc)
            else:
                running = _running_for_saved(s, row)
            if row.arrival_status not in GONE:
                cam = s.get(Camera, visit.camera_uuid) if visit.camera_uuid else None
                camera_state = cam.state if cam is not None else ""
        else:
            structural = True
            running = _running_for(s, visit, loc)
            cam = s.get(Camera, visit.camera_uuid) if visit.camera_uuid else None
            camera_state = cam.state if cam is not None else ""

        plan = plan_visit(visit, running, camera_state=camera_state, location=loc.code,
                          camera=_serial(s, visit.camera_uuid))
        if structural and plan.open_camera_uuid:
            _check_can_deploy(s, plan, running, visit, loc)

        if row is None:
            row = ServiceVisit(uuid=visit.uuid or new_id(), location_uuid=loc.uuid)
            s.add(row)
        visit.uuid = row.uuid
        assign_changed(row, dict(
            location_uuid=loc.uuid, camera_uuid=visit.camera_uuid, visit_type=visit.visit_type,
            visited_at=visit.visited_at, tz=loc.tz, crew=_pipe(visit.crew),
            arrival_status=visit.arrival_status, battery_pct=visit.battery_pct,
            battery_type=visit.battery_type, batteries_replaced=visit.batteries_replaced,
            sd_removed=visit.sd_removed.strip(), sd_inserted=visit.sd_inserted.strip(),
            image_count=visit.image_count, first_image_at=visit.first_image_at,
            last_image_at=visit.last_image_at, clock_offset_s=visit.clock_offset_s,
            clock_reset=visit.clock_reset,
            settings_json=json.dumps(visit.settings, sort_keys=True, ensure_ascii=False)
            if visit.settings else "",
            actions=_pipe(visit.actions), walk_test=visit.walk_test,
            theft_note=visit.theft_note, police_report=visit.police_report.strip(),
            notes=visit.notes, notes_lang=visit.notes_lang,
        ))
        s.flush()

        opened = _opened_by(s, row.uuid) if not structural else None
        if plan.close_uuid:
            closed_row = s.get(Deployment, plan.close_uuid)
            assert closed_row is not None
            assign_changed(closed_row, dict(end_at=plan.close_at, closed_by_visit=row.uuid))
        setup = deployment_setup(visit, loc.feature)
        if plan.open_camera_uuid:
            values = dict(location_uuid=loc.uuid, camera_uuid=plan.open_camera_uuid,
                          start_at=plan.open_at, opened_by_visit=row.uuid, **setup)
            if opened is None:
                opened = Deployment(uuid=new_id(), **values)
                s.add(opened)
            else:
                assign_changed(opened, values)
        for cam_uuid, state in plan.camera_states.items():
            cam_row = s.get(Camera, cam_uuid)
            if cam_row is not None:
                assign_changed(cam_row, {"state": state})
                if state == "DEPLOYED" and loc.station_uuid:
                    assign_changed(cam_row, {"station_uuid": loc.station_uuid})
        s.flush()
        belongs = plan.belongs_to or (opened.uuid if opened is not None else None)
        assign_changed(row, {"deployment_uuid": belongs})
        visit.deployment_uuid = belongs
        visit.opened_deployment_uuid = opened.uuid if opened is not None else None
        for image in visit.images:
            image.kind = IMAGE_KIND
        for photo in visit.photos:
            if photo.kind == IMAGE_KIND:
                photo.kind = "photo"
        _save_attachments(s, row.uuid, visit.photos + visit.images)
        s.flush()
        visit.rev = row.rev
    return visit


def _check_can_deploy(session: Session, plan: DeploymentPlan, running: OpenDeployment | None,
                      visit: ServiceVisitValue, loc: CameraLocation) -> None:
    cam_uuid = plan.open_camera_uuid
    assert cam_uuid is not None
    cam = session.get(Camera, cam_uuid)
    assert cam is not None
    continuing = running is not None and running.camera_uuid == cam_uuid
    elsewhere = _running_elsewhere(session, cam_uuid, plan.close_uuid)
    if elsewhere is not None:
        raise CameraAlreadyDeployed(cam.serial, _code(session, elsewhere.location_uuid))
    if not continuing and cam.state in UNAVAILABLE_STATES:
        raise CameraUnavailable(cam.serial, cam.state)


def delete_service_visit(db: Database, uuid: str, user: str | None = None) -> None:
    """Tombstone the latest visit at a location and take back what it did."""
    with db.writer(user) as s, s.no_autoflush:
        row = _live_get(s, ServiceVisit, uuid, "service visit")
        if _later_visits(s, row.location_uuid, row.visited_at, row.uuid):
            raise VisitHasLaterVisits(_code(s, row.location_uuid), _serial(s, row.camera_uuid))
        _undo(s, row)
        for a in s.scalars(select(Attachment).where(Attachment.owner_uuid == uuid,
                                                    Attachment.deleted.is_(False))):
            a.deleted = True
        row.deleted = True
        s.flush()


def add_visit_images(session: Session, visit_uuid: str, images: list[PhotoValue]) -> None:
    """Attach imported camera-trap images to a saved visit; its image count and first and
    last image times then describe every image it holds.

    Runs inside the caller's write transaction (the SD import writes all rows at once).
    """
    row = _live_get(session, ServiceVisit, visit_uuid, "service visit")
    rows = []
    for image in images:
        image.kind = IMAGE_KIND
        image.uuid = image.uuid or new_id()
        rows.append(dict(
            uuid=image.uuid, sha256=image.sha256, kind=IMAGE_KIND, owner_entity=OWNER,
            owner_uuid=visit_uuid, filename=image.filename, mime=image.mime, size=image.size,
            taken_at=image.taken_at, lat=image.lat, lon=image.lon, width=image.width,
            height=image.height, caption=image.caption))
    held = session.execute(
        select(func.count(), func.min(Attachment.taken_at), func.max(Attachment.taken_at))
        .where(Attachment.owner_uuid == visit_uuid, Attachment.kind == IMAGE_KIND,
               Attachment.deleted.is_(False))).one()
    times = [t for t in (held[1], held[2], *(i.taken_at for i in images)) if t is not None]
    assign_changed(row, dict(first_image_at=min(times) if times else None,
                      last_image_at=max(times) if times else None,
                      image_count=int(held[0] or 0) + len(images)))
    session.flush()
    if rows:
        from ranger_app.store.changes import writer_for

        writer_for(session).insert_rows(Attachment, rows)


def visit_image_shas(db: Database, visit_uuid: str) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(Attachment.sha256).where(
            Attachment.owner_uuid == visit_uuid, Attachment.kind == IMAGE_KIND,
            Attachment.deleted.is_(False))))


# --- locations and cameras --------------------------------------------------------------------

def save_location(db: Database, loc: LocationValue, user: str | None = None) -> LocationValue:
    validate_location(loc)
    with db.writer(user) as s:
        row = s.get(CameraLocation, loc.uuid) if loc.uuid else None
        if row is None:
            row = CameraLocation(uuid=loc.uuid or new_id(), lat=loc.lat, lon=loc.lon)
            s.add(row)
        assign_changed(row, dict(code=loc.code.strip(), name=loc.name.strip(),
                          station_uuid=loc.station_uuid, lat=loc.lat, lon=loc.lon,
                          uncertainty_m=loc.uncertainty_m, habitat=loc.habitat,
                          feature=loc.feature, country=loc.country, tz=loc.tz,
                          visit_interval_days=loc.visit_interval_days))
        s.flush()
        loc.uuid = row.uuid
    return loc


def save_camera(db: Database, cam: CameraValue, user: str | None = None) -> CameraValue:
    validate_camera(cam)
    with db.writer(user) as s:
        row = s.get(Camera, cam.uuid) if cam.uuid else None
        if row is None:
            row = Camera(uuid=cam.uuid or new_id(), serial=cam.serial)
            s.add(row)
        assign_changed(row, dict(serial=cam.serial.strip(), make=cam.make.strip(),
                          model=cam.model.strip(), state=cam.state,
                          station_uuid=cam.station_uuid, year_purchased=cam.year_purchased,
                          notes=cam.notes))
        s.flush()
        cam.uuid = row.uuid
    return cam


# --- lists ------------------------------------------------------------------------------------

def _last_visits(session: Session) -> dict[str, datetime]:
    return {loc: at for loc, at in session.execute(
        select(ServiceVisit.location_uuid, func.max(ServiceVisit.visited_at))
        .where(ServiceVisit.deleted.is_(False)).group_by(ServiceVisit.location_uuid)).all()
        if at is not None}


def location_rows(db: Database, now: datetime | None = None) -> list[LocationRow]:
    """Every camera location with what is deployed there and when the next visit is due."""
    with db.session() as s:
        stations = dict(s.execute(select(Station.uuid, Station.code)).all())
        serials = dict(s.execute(select(Camera.uuid, Camera.serial)).all())
        running: dict[str, list[str]] = {}
        for loc_uuid, cam_uuid in s.execute(
                select(Deployment.location_uuid, Deployment.camera_uuid)
                .where(Deployment.end_at.is_(None), Deployment.deleted.is_(False))
                .order_by(Deployment.start_at)).all():
            running.setdefault(loc_uuid, []).append(serials.get(cam_uuid, ""))
        last = _last_visits(s)
        rows = []
        for r in s.scalars(select(CameraLocation).where(CameraLocation.deleted.is_(False))
                           .order_by(CameraLocation.code)):
            cams = tuple(running.get(r.uuid, ()))
            last_at = last.get(r.uuid)
            due = (next_visit_due(last_at, r.visit_interval_days, r.tz)
                   if last_at is not None and cams else None)
            rows.append(LocationRow(
                r.uuid, r.code, r.name, r.lat, r.lon, stations.get(r.station_uuid, ""),
                r.feature, r.habitat, r.tz, r.visit_interval_days, cams, last_at, due,
                days_overdue(due, local_today(r.tz, now))))
        return rows


def overdue_visits(db: Database, now: datetime | None = None) -> list[LocationRow]:
    """Locations with a camera out whose last visit + interval is before today, worst first."""
    rows = [r for r in location_rows(db, now) if r.days_overdue > 0]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.code))


def camera_rows(db: Database, states: set[str] | None = None) -> list[CameraRow]:
    with db.session() as s:
        codes = dict(s.execute(select(CameraLocation.uuid, CameraLocation.code)).all())
        tzs = dict(s.execute(select(CameraLocation.uuid, CameraLocation.tz)).all())
        where = {cam: loc for cam, loc in s.execute(
            select(Deployment.camera_uuid, Deployment.location_uuid)
            .where(Deployment.end_at.is_(None), Deployment.deleted.is_(False))).all()}
        seen: dict[str, tuple[datetime, str]] = {}
        for cam, loc, at in s.execute(
                select(ServiceVisit.camera_uuid, ServiceVisit.location_uuid,
                       ServiceVisit.visited_at)
                .where(ServiceVisit.deleted.is_(False), ServiceVisit.camera_uuid.is_not(None))
                .order_by(ServiceVisit.visited_at)).all():
            if at is not None:
                seen[cam] = (at, loc)
        q = select(Camera).where(Camera.deleted.is_(False))
        if states:
            q = q.where(Camera.state.in_(sorted(states)))
        rows = []
        for c in s.scalars(q.order_by(Camera.serial)):
            last = seen.get(c.uuid)
            loc = where.get(c.uuid)
            tz_of = tzs.get(loc or (last[1] if last else ""), "Asia/Vladivostok")
            rows.append(CameraRow(c.uuid, c.serial, c.make, c.model, c.state,
                                  codes.get(loc, "") if loc else "",
                                  last[0] if last else None, tz_of, c.notes))
        return rows


def visit_rows(db: Database, location_uuid: str | None = None,
               limit: int = 5000) -> list[VisitRow]:
    """Service visits, newest first, of one location or all."""
    with db.session() as s:
        q = (select(ServiceVisit, CameraLocation.code, Camera.serial)
             .join(CameraLocation, CameraLocation.uuid == ServiceVisit.location_uuid)
             .outerjoin(Camera, Camera.uuid == ServiceVisit.camera_uuid)
             .where(ServiceVisit.deleted.is_(False)))
        if location_uuid:
            q = q.where(ServiceVisit.location_uuid == location_uuid)
        q = q.order_by(ServiceVisit.visited_at.desc(), ServiceVisit.uuid.desc()).limit(limit)
        return [VisitRow(v.uuid, v.location_uuid, code, serial or "", v.visited_at, v.tz,
                         v.visit_type, v.arrival_status, v.image_count, v.battery_pct)
                for v, code, serial in s.execute(q).all()]


def deployment_rows(db: Database, location_uuid: str | None = None) -> list[DeploymentRow]:
    with db.session() as s:
        q = (select(Deployment, CameraLocation.code, CameraLocation.tz, Camera.serial)
             .join(CameraLocation, CameraLocation.uuid == Deployment.location_uuid)
             .outerjoin(Camera, Camera.uuid == Deployment.camera_uuid)
             .where(Deployment.deleted.is_(False)))
        if location_uuid:
            q = q.where(Deployment.location_uuid == location_uuid)
        q = q.order_by(Deployment.start_at.desc(), Deployment.uuid)
        return [DeploymentRow(d.uuid, code, serial or "", d.start_at, d.end_at, tz)
                for d, code, tz, serial in s.execute(q).all()]


def location_values(db: Database) -> list[LocationValue]:
    with db.session() as s:
        return [_location_value(r) for r in s.scalars(
            select(CameraLocation).where(CameraLocation.deleted.is_(False))
            .order_by(CameraLocation.code))]


def camera_values(db: Database) -> list[CameraValue]:
    with db.session() as s:
        return [_camera_value(r) for r in s.scalars(
            select(Camera).where(Camera.deleted.is_(False)).order_by(Camera.serial))]


# --- everything an export needs ---------------------------------------------------------------

@dataclass(frozen=True)
class CamtrapData:
    """The camera-trap records of a database as plain values (for Camtrap DP)."""

    station_code: str
    station_name: str
    locations: dict[str, LocationValue]
    cameras: dict[str, CameraValue]
    deployments: list[DeploymentValue]
    visits: list[ServiceVisitValue]  # without images and photos
    images: list[tuple[str, PhotoValue]]  # (visit uuid, camera-trap image)
    people: dict[str, str]  # person uuid -> name
    stations: dict[str, str]  # station uuid -> code
    sensitive_locations: frozenset[str] = field(default_factory=frozenset)
    station_names: dict[str, str] = field(default_factory=dict)  # station uuid -> name
    settings: dict[str, str] = field(default_factory=dict)  # the `camtrapdp.*` meta keys set


# What HQ may set per database for the export (docs/decisions.md): the park the package is
# named after when it spans stations, and the SPDX ids of the data and media licences.
EXPORT_META_KEYS = ("camtrapdp.park", "camtrapdp.license.data", "camtrapdp.license.media")


def camtrap_data(db: Database) -> CamtrapData:
    """Read every live camera-trap record in one read transaction."""
    station_uuid = db.meta("station_uuid")
    settings = {key: value.strip() for key in EXPORT_META_KEYS
                if (value := db.meta(key)) is not None and value.strip()}
    with db.session() as s:
        station = s.get(Station, station_uuid) if station_uuid else None
        locations = {r.uuid: _location_value(r) for r in s.scalars(
            select(CameraLocation).where(CameraLocation.deleted.is_(False)))}
        cameras = {r.uuid: _camera_value(r) for r in s.scalars(
            select(Camera).where(Camera.deleted.is_(False)))}
        deployments = [_deployment_value(d) for d in s.scalars(
            select(Deployment).where(Deployment.deleted.is_(False))
            .order_by(Deployment.start_at, Deployment.uuid))]
        opened = {d.opened_by_visit: d for d in s.scalars(select(Deployment).where(
            Deployment.deleted.is_(False), Deployment.opened_by_visit.is_not(None)))}
        visits = [_visit_value(v, opened.get(v.uuid), []) for v in s.scalars(
            select(ServiceVisit).where(ServiceVisit.deleted.is_(False))
            .order_by(ServiceVisit.visited_at, ServiceVisit.uuid))]
        location_of = {v.uuid: v.location_uuid for v in visits}
        images = [(a.owner_uuid, photo_value(a)) for a in s.scalars(
            select(Attachment).where(Attachment.owner_entity == OWNER,
                                     Attachment.kind == IMAGE_KIND,
                                     Attachment.deleted.is_(False))
            .order_by(Attachment.taken_at, Attachment.uuid))
            if a.owner_uuid in location_of]
        people = dict(s.execute(select(Person.uuid, Person.name)).all())
        sensitive = {location_of[owner] for owner, image in images if is_sensitive(image.caption)}
        sensitive |= set(s.scalars(
            select(FeedingSite.camera_location_uuid)
            .join(FeedingVisit, FeedingVisit.site_uuid == FeedingSite.uuid)
            .join(PredatorSign, PredatorSign.visit_uuid == FeedingVisit.uuid)
            .where(PredatorSign.species.in_(sorted(SENSITIVE_PREDATORS)),
                   PredatorSign.deleted.is_(False), FeedingVisit.deleted.is_(False),
                   FeedingSite.camera_location_uuid.is_not(None)).distinct()))
        return CamtrapData(
            station_code=station.code if station else "",
            station_name=station.name if station else "",
            locations=locations, cameras=cameras, deployments=deployments, visits=visits,
            images=images, people=people,
            stations=dict(s.execute(select(Station.uuid, Station.code)).all()),
            sensitive_locations=frozenset(x for x in sensitive if x in locations),
            station_names=dict(s.execute(select(Station.uuid, Station.name)).all()),
            settings=settings)

