"""Loading and saving a whole patrol (legs, members, tracks, observations, photos) at once.

`save_patrol` diffs the edited value against the rows: new items are inserted, changed ones
updated, removed ones tombstoned; the change log records each. One transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from ranger_app.domain.errors import RecordLocked, RecordNotFound
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    PhotoValue,
    TrackValue,
)
from ranger_app.domain.track import TrackStats, unpack_points
from ranger_app.domain.validation import validate_patrol
from ranger_app.store.db import Database
from ranger_app.store.models import (
    Attachment,
    LegMember,
    Observation,
    Patrol,
    PatrolLeg,
    Person,
    Synced,
    Track,
)
from ranger_app.store.rows import (
    assign_changed,
    live_rows,
    photo_value,
    save_attachments,
    tombstone_missing,
)

LOCKED_STATUSES = frozenset({"APPROVED"})
M = TypeVar("M", bound=Synced)


def load_patrol(db: Database, uuid: str) -> PatrolValue:
    with db.session() as s:
        p = s.get(Patrol, uuid)
        if p is None or p.deleted:
            raise RecordNotFound("patrol", uuid)
        legs = sorted(live_rows(s, PatrolLeg, PatrolLeg.patrol_uuid == uuid),
                      key=lambda x: x.ordinal)
        members: dict[str, list[MemberValue]] = {}
        if legs:
            for m in live_rows(s, LegMember, LegMember.leg_uuid.in_([leg.uuid for leg in legs])):
                members.setdefault(m.leg_uuid, []).append(
                    MemberValue(m.person_uuid, m.is_leader, m.uuid))
        obs = live_rows(s, Observation, Observation.patrol_uuid == uuid)
        obs.sort(key=lambda o: (o.observed_at is None, o.observed_at, o.uuid))
        atts = live_rows(s, Attachment, Attachment.owner_uuid.in_([uuid] + [o.uuid for o in obs]))
        photos: dict[str, list[PhotoValue]] = {}
        for a in sorted(atts, key=lambda a: a.uuid):
            photos.setdefault(a.owner_uuid, []).append(photo_value(a))
        ordinal_of = {leg.uuid: leg.ordinal for leg in legs}
        tracks = [
            TrackValue(
                points=t.points,
                stats=TrackStats(t.point_count, t.length_m, t.duration_s, t.moving_s,
                                 t.flagged_count, t.start_at, t.end_at),
                name=t.name, leg_uuid=t.leg_uuid, leg_ordinal=ordinal_of.get(t.leg_uuid or ""),
                source_sha256=t.source_sha256, uuid=t.uuid, kind=t.kind,
            )
            for t in sorted(live_rows(s, Track, Track.patrol_uuid == uuid),
                            key=lambda t: (t.start_at is None, t.start_at, t.uuid))
        ]
        return PatrolValue(
            station_uuid=p.station_uuid, number=p.number, patrol_type=p.patrol_type,
            mandate=p.mandate, armed=p.armed, start_at=p.start_at, end_at=p.end_at, tz=p.tz,
            notes=p.notes, notes_lang=p.notes_lang, status=p.status,
            legs=[
                LegValue(leg.transport, leg.start_at, leg.end_at, members.get(leg.uuid, []),
                         leg.ordinal, leg.uuid)
                for leg in legs
            ],
            observations=[
                ObservationValue(
                    category=o.category, observed_at=o.observed_at, lat=o.lat, lon=o.lon,
                    ele=o.ele, attributes=json.loads(o.attributes or "{}"), count=o.count,
                    observer_uuid=o.observer_uuid, notes=o.notes, notes_lang=o.notes_lang,
                    source=o.source, waypoint_name=o.waypoint_name, leg_uuid=o.leg_uuid,
                    photos=photos.get(o.uuid, []), uuid=o.uuid,
                )
                for o in obs
            ],
            tracks=tracks,
            attachments=photos.get(uuid, []),
            uuid=p.uuid,
            rev=p.rev,
        )


def save_patrol(db: Database, patrol: PatrolValue, user: str | None = None, *,
                amendment: Callable[[Session, Patrol], None] | None = None) -> PatrolValue:
    """Validate and write the whole patrol; fills in the ids of new parts and returns it.

    An approved patrol is written only as an amendment (`store.review.request_amendment`):
    `amendment` adds its review row in this same transaction.
    """
    validate_patrol(patrol)
    with db.writer(user) as s, s.no_autoflush:  # one flush at the end: one change per row
        write_patrol(s, patrol, amendment=amendment)
    return patrol


def write_patrol(s: Session, patrol: PatrolValue, *,
                 amendment: Callable[[Session, Patrol], None] | None = None) -> PatrolValue:
    """`save_patrol` inside a write session the caller holds: an import of many patrols
    (SMART XML) writes them all in one transaction, through the same code as any edit."""
    row = s.get(Patrol, patrol.uuid) if patrol.uuid else None
    if row is not None and row.status in LOCKED_STATUSES and (
            amendment is None or patrol.status == row.status):
        raise RecordLocked("patrol", row.uuid, row.status)
    if row is None:
        row = Patrol(uuid=patrol.uuid or new_id())
        s.add(row)
    leader = _leader_name(s, patrol)
    assign_changed(row, dict(
        station_uuid=patrol.station_uuid, number=patrol.number,
        patrol_type=patrol.patrol_type, mandate=patrol.mandate, armed=patrol.armed,
        start_at=patrol.start_at, end_at=patrol.end_at, tz=patrol.tz, notes=patrol.notes,
        notes_lang=patrol.notes_lang, status=patrol.status,
        distance_m=sum(t.stats.length_m for t in patrol.tracks if not t.is_route),
        observation_count=len(patrol.observations), leader_name=leader,
    ))
    s.flush()
    patrol.uuid = row.uuid

    legs_live = tombstone_missing(live_rows(s, PatrolLeg, PatrolLeg.patrol_uuid == row.uuid),
        {leg.uuid for leg in patrol.legs if leg.uuid})
    leg_id_by_ordinal: dict[int, str] = {}
    for i, leg in enumerate(patrol.legs, start=1):
        leg.ordinal = i
        leg_row = legs_live.get(leg.uuid or "")
        values = dict(patrol_uuid=row.uuid, ordinal=i, transport=leg.transport,
                      start_at=leg.start_at, end_at=leg.end_at)
        if leg_row is None:
            leg_row = PatrolLeg(uuid=leg.uuid or new_id(), **values)
            s.add(leg_row)
            leg.uuid = leg_row.uuid
        else:
            assign_changed(leg_row, values)
        leg_id_by_ordinal[i] = leg_row.uuid
        s.flush()
        members_live = tombstone_missing(
            live_rows(s, LegMember, LegMember.leg_uuid == leg_row.uuid),
            {m.uuid for m in leg.members if m.uuid})
        for member in leg.members:
            mvalues = dict(leg_uuid=leg_row.uuid, person_uuid=member.person_uuid,
                           is_leader=member.is_leader)
            mrow = members_live.get(member.uuid or "")
            if mrow is None:
                mrow = LegMember(uuid=member.uuid or new_id(), **mvalues)
                s.add(mrow)
                member.uuid = mrow.uuid
            else:
                assign_changed(mrow, mvalues)

    s.flush()
    tracks_live = tombstone_missing(live_rows(s, Track, Track.patrol_uuid == row.uuid),
        {t.uuid for t in patrol.tracks if t.uuid})
    for track in patrol.tracks:
        if track.leg_ordinal is not None and track.leg_ordinal in leg_id_by_ordinal:
            track.leg_uuid = leg_id_by_ordinal[track.leg_ordinal]
        st = track.stats
        tvalues = dict(
            patrol_uuid=row.uuid, leg_uuid=track.leg_uuid, name=track.name,
            points=track.points, point_count=st.points, flagged_count=st.flagged,
            length_m=st.length_m, duration_s=st.duration_s, moving_s=st.moving_s,
            start_at=st.start, end_at=st.end, source_sha256=track.source_sha256,
            kind=track.kind,
        )
        trow = tracks_live.get(track.uuid or "")
        if trow is None:
            trow = Track(uuid=track.uuid or new_id(), **tvalues)
            s.add(trow)
            track.uuid = trow.uuid
        else:
            assign_changed(trow, tvalues)

    obs_live = tombstone_missing(live_rows(s, Observation, Observation.patrol_uuid == row.uuid),
        {o.uuid for o in patrol.observations if o.uuid})
    for obs in patrol.observations:
        ovalues = dict(
            patrol_uuid=row.uuid, leg_uuid=obs.leg_uuid, observed_at=obs.observed_at,
            lat=obs.lat, lon=obs.lon, ele=obs.ele, category=obs.category,
            attributes=json.dumps(obs.attributes, sort_keys=True, ensure_ascii=False),
            count=obs.count, observer_uuid=obs.observer_uuid, notes=obs.notes,
            notes_lang=obs.notes_lang, source=obs.source, waypoint_name=obs.waypoint_name,
        )
        orow = obs_live.get(obs.uuid or "")
        if orow is None:
            orow = Observation(uuid=obs.uuid or new_id(), **ovalues)
            s.add(orow)
            obs.uuid = orow.uuid
        else:
            assign_changed(orow, ovalues)
        s.flush()
        save_attachments(s, "observation", orow.uuid, obs.photos)
    save_attachments(s, "patrol", row.uuid, patrol.attachments)
    s.flush()
    if amendment is not None:
        amendment(s, row)
    patrol.rev = row.rev
    return patrol


def _leader_name(session: Session, patrol: PatrolValue) -> str:
    for leg in patrol.legs:
        for m in leg.members:
            if m.is_leader:
                person = session.get(Person, m.person_uuid)
                return person.name if person else ""
    return ""


def track_points(value: TrackValue) -> list:
    return unpack_points(value.points)
