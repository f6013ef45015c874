"""Verifying the change log: every chain intact, and every row equal to its last change.

SQLite's `integrity_check` does not notice a value changed inside a row with a hex editor;
the chain hash does, and so does comparing a row with the payload of its latest change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from ranger_app.store.changes import (
    GENESIS,
    canonical_json,
    chain_hash,
    change_document,
    payload_of,
)
from ranger_app.store.db import Database
from ranger_app.store.models import SYNCED_MODELS, Change


@dataclass(frozen=True)
class AuditBreak:
    kind: str  # chain | gap | row
    device: str
    epoch: int
    seq: int
    entity: str
    entity_uuid: str


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

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify(db: Database, check_rows: bool = True) -> AuditReport:
    checked = 0
    chains = 0
    latest: dict[tuple[str, str], _Latest] = {}
    with db.session() as s:
        keys = s.execute(select(Change.device, Change.epoch).distinct()).all()
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
                if check_rows:
                    old = latest.get(key)
                    if old is None or (c.hlc, c.new_rev) >= (old.hlc, old.new_rev):
                        latest[key] = _Latest(c.hlc, c.new_rev, device, epoch, c.seq,
                                              _digest(c.payload))
                s.expunge(c)
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
        return AuditReport(checked, chains, rows, None)
