"""Which photo originals HQ has acknowledged, and so may leave this station's laptop.

A station keeps every original until HQ's ack bundle reports (in its version vector) that
HQ holds the change that brought the original in; only then does `acknowledged_blobs`
list it. Nothing here deletes anything: the decision stays with the user.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from ranger_app.store.db import Database
from ranger_app.store.models import BLOB_FIELDS, Change
from ranger_app.store.sync_tables import SyncPeer
from ranger_app.sync.vectors import VersionVector


def hq_vector(db: Database) -> VersionVector:
    """What every trusted HQ has acknowledged (the element-wise maximum)."""
    vector = VersionVector()
    with db.session() as s:
        for text in s.scalars(select(SyncPeer.acked_vector).where(
                SyncPeer.role == "hq", SyncPeer.status == "trusted")):
            vector = vector.merged(VersionVector.from_json(text))
    return vector


def acknowledged_blobs(db: Database) -> set[str]:
    """Originals referenced by a change that HQ has acknowledged holding."""
    acked = hq_vector(db)
    found: set[str] = set()
    with db.session() as s:
        q = select(Change.device, Change.epoch, Change.seq, Change.entity, Change.payload).where(
            Change.entity.in_(list(BLOB_FIELDS)))
        for device, epoch, seq, entity, payload in s.execute(q):
            if acked.covers(device, epoch, seq):
                sha = json.loads(payload).get(BLOB_FIELDS[entity])
                if sha:
                    found.add(sha)
    return found


def original_may_be_removed(db: Database, sha256: str) -> bool:
    return sha256 in acknowledged_blobs(db)
