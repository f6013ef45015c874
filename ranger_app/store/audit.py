"""Verifying the change log: every chain intact, and every row equal to its last change.

SQLite's `integrity_check` does not notice a value changed inside a row with a hex editor;
the chain hash does, and so does comparing a row with the payload of its latest change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.store import approvals, held
from ranger_app.store.changes import (
    GENESIS,
    canonical_json,
    chain_hash,
    change_document,
    payload_of,
)
from ranger_app.store.db import Database
from ranger_app.store.models import SYNCED_MODELS, Change, PatrolReview


@dataclass(frozen=True)
class AuditBreak:
    kind: str  # chain | gap | row | approval
    device: str
    epoch: int
    seq: int
    entity: str
    entity_uuid: str
    detail: str = ""  # approvals: why (store.approvals.ApprovalCheck.reason)


class _Latest(NamedTuple):
    hlc: str
    new_rev: int
    device: str
    epoch: int
    seq: int
    digest: bytes


def _digest(payload: str) -> bytes:
    return hashlib.sha256(payload.encode("utf-8")).digest()


@dataclass(frozen=True)
class AuditReport:
    changes: int
    chains: int
    rows: int
    first_break: AuditBreak | None
    unsigned_approvals: int = 0  # approvals made before signing existed (demo data)

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify(db: Database, check_rows: bool = True) -> AuditReport:
    checked = 0
    chains = 0
    latest: dict[tuple[str, str], _Latest] = {}
    with db.session() as s:
        keys = s.execute(select(Change.device, Change.epoch).distinct()).all()
        skip = held.excluded(s) if check_rows else set()  # received but not applied
        for device, epoch in keys:
            chains += 1
            prev, expected_seq = GENESIS, 1
            q = (select(Change).where(Change.device == device, Change.epoch == epoch)
                 .order_by(Change.seq).execution_options(yield_per=2000))
            for c in s.scalars(q):
                checked += 1
                brk = None
                if c.seq != expected_seq:
                    brk = "gap"
                elif c.prev_hash != prev or chain_hash(prev, change_document(c)) != c.chain_hash:
                    brk = "chain"
                if brk:
                    return AuditReport(checked, chains, 0,
                                       AuditBreak(brk, device, epoch, c.seq, c.entity,
                                                  c.entity_uuid))
                prev, expected_seq = c.chain_hash, c.seq + 1
                key = (c.entity, c.entity_uuid)
                if check_rows and (device, epoch, c.seq) not in skip:
                    old = latest.get(key)
                    if old is None or (c.hlc, c.new_rev) >= (old.hlc, old.new_rev):
                        latest[key] = _Latest(c.hlc, c.new_rev, device, epoch, c.seq,
                                              _digest(c.payload))
                s.expunge(c)
        approval_break, unsigned = _check_approvals(s)
        if approval_break is not None:
            return AuditReport(checked, chains, 0, approval_break, unsigned)
        rows = 0
        if check_rows:
            for name, model in SYNCED_MODELS.items():
                for row in s.scalars(select(model).execution_options(yield_per=2000)):
                    rows += 1
                    change = latest.get((name, row.uuid))
                    if change is None or row.rev != change.new_rev or change.digest != _digest(
                        canonical_json(payload_of(row))
                    ):
                        c = change
                        return AuditReport(
                            checked, chains, rows,
                            AuditBreak("row", c.device if c else "", c.epoch if c else 0,
                                       c.seq if c else 0, name, row.uuid))
                    s.expunge(row)
        lock_break = _check_locks(s)
        return AuditReport(checked, chains, rows, lock_break, unsigned)


# --- approvals: each signed by its inspector (store.approvals, docs/review.md) --------------
# Signatures are checked before the rows (a signature altered in its row is an approval
# break, not merely a row break); locks after them (rows then equal their changes).

def _approval_break(session: Session, review: PatrolReview, reason: str) -> AuditBreak:
    c = session.scalars(select(Change).where(
        Change.entity == "patrol_review", Change.entity_uuid == review.uuid)
        .order_by(Change.hlc.desc()).limit(1)).first()
    return AuditBreak("approval", c.device if c else "", c.epoch if c else 0,
                      c.seq if c else 0, "patrol", review.patrol_uuid, reason)


def _check_approvals(session: Session) -> tuple[AuditBreak | None, int]:
    """The first approval whose signature does not verify, and how many are unsigned."""
    unsigned = 0
    for review in approvals.approvals(session):
        check = approvals.check_approval(session, review)
        if check.reason == "unsigned":
            unsigned += 1
        elif not check.ok:
            return _approval_break(session, review, check.reason), unsigned
    return None, unsigned


def _check_locks(session: Session) -> AuditBreak | None:
    """The first approved patrol whose parts changed without an amendment."""
    for review in approvals.approvals(session):
        if review.signature and approvals.changed_since_approval(session, review):
            return _approval_break(session, review, "changed")
    return None
