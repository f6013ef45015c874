"""Signed approvals: what an inspector's signature covers, and how it is checked.

The signed document is canonical JSON of: the format tag, the patrol's uuid, the approved
revision, the patrol's change-log payload at that revision, the inspector's person uuid, the
time, and `parts` — every live leg, team member, track, observation and photo of the patrol
as `"<entity>:<uuid>" → "<rev>:<SHA-256 of its payload>"`. So the signature covers the
figures a bonus is paid on (distance from the tracks, observations), not only the header.

`PatrolReview.signature` holds JSON: `{"format", "key" (the public key, base64), "sig"
(Ed25519, base64), "parts"}`, so any installation can check an approval from the change log
alone. Checking (`check_approval`): the signature verifies over the document rebuilt from
the change log; each part's digest equals a change of that record at that revision; the
approved payload says APPROVED; and when this installation knows the inspector's keys
(`store.accounts.public_keys`) the key is one of them. See docs/review.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.store.changes import canonical_json, encode_value, payload_of
from ranger_app.store.models import (
    Attachment,
    Change,
    LegMember,
    Meta,
    Observation,
    Patrol,
    PatrolLeg,
    PatrolReview,
    Synced,
    Track,
)

FORMAT = "ranger-approval/1"
APPROVED = "APPROVED"
_PERSON_KEY = "review.person_key."  # as store.accounts writes it


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def collect_parts(session: Session, patrol_uuid: str) -> dict[str, str]:
    """Every live child of the patrol as `entity:uuid -> rev:sha256(payload)`."""
    rows: list[Synced] = []
    legs = list(session.scalars(select(PatrolLeg).where(
        PatrolLeg.patrol_uuid == patrol_uuid, PatrolLeg.deleted.is_(False))))
    rows += legs
    if legs:
        rows += session.scalars(select(LegMember).where(
            LegMember.leg_uuid.in_([leg.uuid for leg in legs]), LegMember.deleted.is_(False)))
    rows += session.scalars(select(Track).where(
        Track.patrol_uuid == patrol_uuid, Track.deleted.is_(False)))
    observations = list(session.scalars(select(Observation).where(
        Observation.patrol_uuid == patrol_uuid, Observation.deleted.is_(False))))
    rows += observations
    rows += session.scalars(select(Attachment).where(
        Attachment.owner_uuid.in_([patrol_uuid, *(o.uuid for o in observations)]),
        Attachment.deleted.is_(False)))
    return {f"{type(r).__tablename__}:{r.uuid}": f"{r.rev}:{digest(payload_of(r))}"
            for r in rows}


def document(patrol_uuid: str, rev: int, payload: dict[str, Any], parts: dict[str, str],
             by_person: str, at: datetime | None) -> bytes:
    """The bytes an inspector signs."""
    return canonical_json({
        "format": FORMAT, "patrol": patrol_uuid, "rev": rev, "payload": payload,
        "parts": parts, "by": by_person, "at": encode_value(at),
    }).encode("utf-8")


def sign(key: Ed25519PrivateKey, patrol_uuid: str, rev: int, payload: dict[str, Any],
         parts: dict[str, str], by_person: str, at: datetime) -> str:
    """The value of `PatrolReview.signature` for an approval."""
    sig = key.sign(document(patrol_uuid, rev, payload, parts, by_person, at))
    return canonical_json({
        "format": FORMAT,
        "key": base64.b64encode(key.public_key().public_bytes_raw()).decode("ascii"),
        "sig": base64.b64encode(sig).decode("ascii"),
        "parts": parts,
    })


@dataclass(frozen=True)
class ApprovalCheck:
    ok: bool
    reason: str  # "" when ok; unsigned | malformed | no-revision | signature | not-approved
    #              | part | key
    key: bytes = b""


def _payloads(session: Session, entity: str, uuid: str, rev: int) -> Iterable[dict[str, Any]]:
    for text in session.scalars(select(Change.payload).where(
            Change.entity == entity, Change.entity_uuid == uuid, Change.new_rev == rev)):
        yield json.loads(text)


def _parts_hold(session: Session, parts: dict[str, str]) -> bool:
    """Each part's digest equals the payload of a change of that record at that revision."""
    wanted: dict[tuple[str, str, int], str] = {}
    for name, value in parts.items():
        entity, _sep, uuid = name.partition(":")
        rev_text, _sep, want = value.partition(":")
        try:
            wanted[(entity, uuid, int(rev_text))] = want
        except ValueError:
            return False
    uuids = sorted({uuid for _e, uuid, _r in wanted})
    held: set[tuple[str, str, int]] = set()
    for i in range(0, len(uuids), 500):
        for entity, uuid, rev, text in session.execute(
                select(Change.entity, Change.entity_uuid, Change.new_rev, Change.payload)
                .where(Change.entity_uuid.in_(uuids[i:i + 500]))):
            k = (entity, uuid, rev)
            if k in wanted and k not in held and digest(json.loads(text)) == wanted[k]:
                held.add(k)
    return len(held) == len(wanted)


def _known_keys(session: Session, person_uuid: str) -> set[bytes] | None:
    raw = session.get(Meta, _PERSON_KEY + person_uuid)
    if raw is None:
        return None
    record = json.loads(raw.value)
    return {base64.b64decode(k) for k in [record["public"], *record.get("past", [])]}


def check_approval(session: Session, review: PatrolReview) -> ApprovalCheck:
    """Does this approval's signature hold, against the change log as it is now?"""
    if not review.signature:
        return ApprovalCheck(False, "unsigned")
    try:
        sig = json.loads(review.signature)
        key = base64.b64decode(sig["key"])
        signature = base64.b64decode(sig["sig"])
        parts = dict(sig["parts"])
        public = Ed25519PublicKey.from_public_bytes(key)
    except (ValueError, KeyError, TypeError):
        return ApprovalCheck(False, "malformed")
    if sig.get("format") != FORMAT:
        return ApprovalCheck(False, "malformed")
    found = False
    verified: dict[str, Any] | None = None
    for payload in _payloads(session, "patrol", review.patrol_uuid, review.patrol_rev):
        found = True
        data = document(review.patrol_uuid, review.patrol_rev, payload, parts,
                        review.by_person, review.at)
        try:
            public.verify(signature, data)
        except InvalidSignature:
            continue
        verified = payload
        break
    if not found:
        return ApprovalCheck(False, "no-revision", key)
    if verified is None:
        return ApprovalCheck(False, "signature", key)
    if verified.get("status") != APPROVED:
        return ApprovalCheck(False, "not-approved", key)
    if not _parts_hold(session, parts):
        return ApprovalCheck(False, "part", key)
    known = _known_keys(session, review.by_person)
    if known is not None and key not in known:
        return ApprovalCheck(False, "key", key)
    return ApprovalCheck(True, "", key)


def changed_since_approval(session: Session, review: PatrolReview) -> bool:
    """True when the patrol still stands at the approved revision but its parts moved.

    Every legitimate change to an approved patrol goes through an amendment, which raises
    the patrol's revision; parts that differ while the revision has not moved were changed
    behind the lock.
    """
    patrol = session.get(Patrol, review.patrol_uuid)
    if patrol is None or patrol.rev != review.patrol_rev or patrol.status != APPROVED:
        return False
    try:
        parts = dict(json.loads(review.signature)["parts"])
    except (ValueError, KeyError, TypeError):
        return False
    return collect_parts(session, review.patrol_uuid) != parts


def approvals(session: Session) -> list[PatrolReview]:
    """Every live approval, oldest first."""
    return list(session.scalars(select(PatrolReview).where(
        PatrolReview.action == "approve", PatrolReview.deleted.is_(False))
        .order_by(PatrolReview.at, PatrolReview.uuid)))
