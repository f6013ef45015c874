"""Patrol review: draft → submitted → returned | approved, and amendments of approved patrols.

Every step is one transaction that changes the patrol's status (a new revision in the change
log) and adds a `PatrolReview` row naming the action, the person, the time and the patrol
revision it produced. An approval is signed with the inspector's own key
(`store.approvals`); the approved patrol is locked, and a later change is an amendment
request (`request_amendment`): a new revision in status SUBMITTED with an `amend` row that
names the approved revision, reviewed again like any submission.

Who may do what comes from `domain.roles`; each refusal is a typed error with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.domain.errors import RecordNotFound
from ranger_app.domain.records import PatrolValue
from ranger_app.domain.roles import (
    Action,
    Actor,
    ApprovedPatrolLocked,
    CommentRequired,
    NotTheAuthor,
    OtherStation,
    OwnPatrol,
    StaleRevision,
    WrongStatus,
    require,
)
from ranger_app.store import approvals
from ranger_app.store.accounts import SignedIn, SigningKeyUnavailable
from ranger_app.store.changes import payload_of
from ranger_app.store.db import Database
from ranger_app.store.models import Patrol, PatrolReview, Person, Station, Track
from ranger_app.store.patrols import save_patrol

DRAFT, SUBMITTED, RETURNED, APPROVED = "DRAFT", "SUBMITTED", "RETURNED", "APPROVED"
SUBMIT, RETURN, APPROVE, AMEND = "submit", "return", "approve", "amend"
EDITABLE = frozenset({DRAFT, RETURNED})


@dataclass(frozen=True)
class ReviewStep:
    """One review action as the UI shows it."""

    uuid: str
    action: str  # submit | return | approve | amend
    patrol_rev: int
    by_person: str
    by_name: str
    at: datetime | None
    comment: str
    signature: str  # valid | unsigned | broken (approvals only), "" otherwise


# --- reading -------------------------------------------------------------------------------

def _patrol(session: Session, uuid: str) -> Patrol:
    row = session.get(Patrol, uuid)
    if row is None or row.deleted:
        raise RecordNotFound("patrol", uuid)
    return row


def _steps(session: Session, patrol_uuid: str) -> list[PatrolReview]:
    return list(session.scalars(select(PatrolReview).where(
        PatrolReview.patrol_uuid == patrol_uuid, PatrolReview.deleted.is_(False))
        .order_by(PatrolReview.at, PatrolReview.uuid)))


def _name(session: Session, person_uuid: str) -> str:
    person = session.get(Person, person_uuid) if person_uuid else None
    return person.name if person else person_uuid


def author_of(session: Session, patrol: Patrol) -> str:
    """Who answers for the patrol now: whoever last submitted or amended it, else its creator."""
    for step in reversed(_steps(session, patrol.uuid)):
        if step.action in (SUBMIT, AMEND):
            return step.by_person
    return patrol.created_by


def review_steps(db: Database, patrol_uuid: str) -> list[ReviewStep]:
    """The patrol's review actions, oldest first, approvals with their signature checked."""
    with db.session() as s:
        out = []
        for r in _steps(s, patrol_uuid):
            state = ""
            if r.action == APPROVE:
                check = approvals.check_approval(s, r)
                state = "valid" if check.ok else (
                    "unsigned" if check.reason == "unsigned" else "broken")
            out.append(ReviewStep(r.uuid, r.action, r.patrol_rev, r.by_person,
                                  _name(s, r.by_person), r.at, r.comment, state))
        return out


def patrol_status(db: Database, patrol_uuid: str | None) -> tuple[str, int] | None:
    """(status, rev) of a saved patrol; None for one never saved."""
    if not patrol_uuid:
        return None
    with db.session() as s:
        row = s.get(Patrol, patrol_uuid)
        return (row.status, row.rev) if row is not None and not row.deleted else None


@dataclass(frozen=True)
class QueueRow:
    uuid: str
    number: str
    station_code: str
    leader_name: str
    start_at: datetime | None
    end_at: datetime | None
    tz: str
    distance_km: float
    observation_count: int
    submitted_at: datetime | None
    submitted_by: str  # a name
    amendment: bool
    rev: int


def _reviews_every_station(session: Session, actor: Actor) -> bool:
    station = session.get(Station, actor.station_uuid) if actor.station_uuid else None
    return station is None or station.is_hq


def review_queue(db: Database, actor: Actor | None) -> list[QueueRow]:
    """Submitted patrols of the inspector's station (all stations at HQ), oldest first."""
    with db.session() as s:
        q = select(Patrol, Station.code).outerjoin(Station, Station.uuid == Patrol.station_uuid) \
            .where(Patrol.status == SUBMITTED, Patrol.deleted.is_(False))
        if actor is not None and not _reviews_every_station(s, actor):
            q = q.where(Patrol.station_uuid == actor.station_uuid)
        rows = []
        for p, code in s.execute(q).all():
            last = next((r for r in reversed(_steps(s, p.uuid)) if r.action in (SUBMIT, AMEND)),
                        None)
            rows.append(QueueRow(
                p.uuid, p.number, code or "", p.leader_name, p.start_at, p.end_at, p.tz,
                p.distance_m / 1000, p.observation_count,
                last.at if last else p.updated_at,
                _name(s, last.by_person if last else p.created_by),
                bool(last and last.action == AMEND), p.rev))
        far = datetime.max.replace(tzinfo=UTC)
        rows.sort(key=lambda r: (r.submitted_at or far, r.uuid))
        return rows


def patrols_sharing_gpx(db: Database, patrol_uuid: str) -> list[tuple[str, str]]:
    """Other live patrols with a track from the same GPX file: (uuid, number)."""
    with db.session() as s:
        mine = {t for t in s.scalars(select(Track.source_sha256).where(
            Track.patrol_uuid == patrol_uuid, Track.deleted.is_(False))) if t}
        if not mine:
            return []
        found = s.execute(
            select(Patrol.uuid, Patrol.number).join(Track, Track.patrol_uuid == Patrol.uuid)
            .where(Track.source_sha256.in_(mine), Track.deleted.is_(False),
                   Patrol.deleted.is_(False), Patrol.uuid != patrol_uuid)
            .distinct().order_by(Patrol.number)).all()
        return [(u, n) for u, n in found]


# --- checks --------------------------------------------------------------------------------

def _check_author(session: Session, actor: Actor, patrol: Patrol) -> None:
    author = author_of(session, patrol)
    if author and author != actor.person_uuid:
        raise NotTheAuthor(patrol.uuid, _name(session, author))


def _check_reviewer(session: Session, actor: Actor, patrol: Patrol, action: Action) -> None:
    require(actor, action)
    if patrol.status != SUBMITTED:
        raise WrongStatus(patrol.uuid, patrol.status, str(action))
    if not _reviews_every_station(session, actor) and patrol.station_uuid != actor.station_uuid:
        raise OtherStation(patrol.uuid)
    if author_of(session, patrol) == actor.person_uuid:
        raise OwnPatrol(patrol.uuid)


def check_edit(db: Database, actor: Actor, patrol_uuid: str | None) -> None:
    """Raise why `actor` may not save this patrol (a new one, or a saved one)."""
    with db.session() as s:
        row = s.get(Patrol, patrol_uuid) if patrol_uuid else None
        if row is not None and row.status == APPROVED:
            raise ApprovedPatrolLocked(row.uuid)
        require(actor, Action.EDIT_PATROL)
        if row is None:
            return
        if row.status not in EDITABLE:
            raise WrongStatus(row.uuid, row.status, str(Action.EDIT_PATROL))
        _check_author(s, actor, row)


def save_as(db: Database, actor: Actor, patrol: PatrolValue) -> PatrolValue:
    """Save a draft or returned patrol as `actor` (its author), keeping its status."""
    check_edit(db, actor, patrol.uuid)
    current = patrol_status(db, patrol.uuid)
    if current is not None:
        patrol.status = current[0]  # an editor or a restored draft never moves the status
    return save_patrol(db, patrol, user=actor.person_uuid)


# --- the steps -----------------------------------------------------------------------------

def _add_step(session: Session, patrol: Patrol, action: str, actor: Actor, comment: str,
              *, rev: int | None = None, at: datetime | None = None,
              signature: str = "") -> PatrolReview:
    step = PatrolReview(patrol_uuid=patrol.uuid, action=action,
                        patrol_rev=patrol.rev if rev is None else rev,
                        by_person=actor.person_uuid, at=at or datetime.now(UTC),
                        comment=comment, signature=signature)
    session.add(step)
    return step


def _expect(patrol: Patrol, expected_rev: int | None) -> None:
    if expected_rev is not None and patrol.rev != expected_rev:
        raise StaleRevision(patrol.uuid, expected_rev, patrol.rev)


def submit(db: Database, actor: Actor, patrol_uuid: str, comment: str = "") -> int:
    """A ranger hands their draft (or a returned patrol, fixed) to the inspector."""
    require(actor, Action.SUBMIT)
    with db.writer(actor.person_uuid) as s:
        patrol = _patrol(s, patrol_uuid)
        if patrol.status not in EDITABLE:
            raise WrongStatus(patrol.uuid, patrol.status, str(Action.SUBMIT))
        _check_author(s, actor, patrol)
        patrol.status = SUBMITTED
        s.flush()
        _add_step(s, patrol, SUBMIT, actor, comment.strip())
        return patrol.rev


def return_patrol(db: Database, actor: Actor, patrol_uuid: str, comment: str,
                  expected_rev: int | None = None) -> int:
    """The inspector sends a submitted patrol back with what to fix."""
    require(actor, Action.RETURN)
    if not comment.strip():
        raise CommentRequired("return")
    with db.writer(actor.person_uuid) as s:
        patrol = _patrol(s, patrol_uuid)
        _check_reviewer(s, actor, patrol, Action.RETURN)
        _expect(patrol, expected_rev)
        patrol.status = RETURNED
        s.flush()
        _add_step(s, patrol, RETURN, actor, comment.strip())
        return patrol.rev


def approve(db: Database, session: SignedIn, patrol_uuid: str,
            expected_rev: int | None = None, comment: str = "",
            at: datetime | None = None) -> int:
    """The inspector approves what they saw: signs and locks that revision.

    `at` is the time of the approval, now unless given (the demo season approves in the past).
    """
    actor = session.actor
    require(actor, Action.APPROVE)
    if session.signing_key is None:
        raise SigningKeyUnavailable()
    with db.writer(actor.person_uuid) as s:
        patrol = _patrol(s, patrol_uuid)
        _check_reviewer(s, actor, patrol, Action.APPROVE)
        _expect(patrol, expected_rev)
        patrol.status = APPROVED
        s.flush()
        at = at or datetime.now(UTC)
        parts = approvals.collect_parts(s, patrol.uuid)
        signature = approvals.sign(session.signing_key, patrol.uuid, patrol.rev,
                                   payload_of(patrol), parts, actor.person_uuid, at)
        _add_step(s, patrol, APPROVE, actor, comment.strip(), at=at, signature=signature)
        return patrol.rev


def request_amendment(db: Database, actor: Actor, patrol: PatrolValue,
                      reason: str) -> PatrolValue:
    """Change an approved patrol: saved as a new revision in review, never over the approval.

    `patrol` is the edited value, loaded at the approved revision (`patrol.rev`); a value
    based on an older revision is refused as stale.
    """
    require(actor, Action.REQUEST_AMENDMENT)
    if not reason.strip():
        raise CommentRequired("amend")
    current = patrol_status(db, patrol.uuid)
    if current is None:
        raise RecordNotFound("patrol", patrol.uuid or "")
    status, rev = current
    if status != APPROVED:
        raise WrongStatus(patrol.uuid or "", status, str(Action.REQUEST_AMENDMENT))
    if patrol.rev != rev:
        raise StaleRevision(patrol.uuid or "", patrol.rev, rev)

    def add_request(s: Session, row: Patrol) -> None:
        if row.rev != rev + 1:  # someone else wrote in between: this value is stale
            raise StaleRevision(row.uuid, rev, row.rev - 1)
        _add_step(s, row, AMEND, actor, reason.strip(), rev=rev)

    patrol.status = SUBMITTED
    try:
        return save_patrol(db, patrol, user=actor.person_uuid, amendment=add_request)
    except BaseException:
        patrol.status = status
        raise
