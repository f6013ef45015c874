"""Read-only looks at sync state for the screens: what an export would carry, what waits.

The export wizard shows "what will go" before anything is written, so a ranger notices a
missing patrol (or 4 GB of photos for a 2 GB stick) while still at the laptop. The numbers
come from the same rule as `writer.export_bundle` — every change-log row the peer's last
reported version vector does not cover, and the originals those rows reference that are
held here — computed with aggregate queries instead of building the zip. Nothing here
writes: no keys are made, no staging folder, no log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, func, or_, select

from ranger_app.store.db import Database
from ranger_app.store.models import BLOB_FIELDS, Change
from ranger_app.store.sync_tables import SyncBundle
from ranger_app.store.types import json_field
from ranger_app.sync import trust, workspace
from ranger_app.sync.bundle_format import SUFFIX
from ranger_app.sync.vectors import VersionVector, local_vector

_CHANGE_BYTES = 400  # a change line, compressed, with headroom: for the free-space warning
_ORIGIN_BATCH = 200  # (device, epoch) ranges per query: SQLite's expression depth limit


@dataclass(frozen=True)
class EntityCount:
    entity: str
    records: int  # distinct records touched
    changes: int


@dataclass(frozen=True)
class ExportPlan:
    peer: str  # station code
    peer_name: str
    kind: str  # data | ack | snapshot | partner
    changes: int = 0
    entities: tuple[EntityCount, ...] = ()
    files: int = 0  # photo and track originals held here
    file_bytes: int = 0
    files_missing: int = 0  # referenced but never received here: the rows go, the bytes not

    @property
    def estimated_bytes(self) -> int:
        """About what the bundle will need on the stick (photos do not compress)."""
        return self.file_bytes + self.changes * _CHANGE_BYTES + (64 << 10)


def _kind(db: Database, peer: trust.Peer, snapshot: bool) -> str:
    if peer.role == "partner":
        return "partner"
    if snapshot:
        return "snapshot"
    return "ack" if db.installation().role == "hq" and peer.role == "station" else "data"


def _missing_filter(have: VersionVector, acked: VersionVector) -> list[object]:
    """One `(device, epoch, seq > known)` condition per origin the peer lacks changes of."""
    return [and_(Change.device == device, Change.epoch == epoch,
                 Change.seq > acked.get(device, epoch))
            for (device, epoch), top in have if acked.get(device, epoch) < top]


def export_plan(db: Database, code: str, *, snapshot: bool = False) -> ExportPlan:
    """What `export_bundle(db, code, …, snapshot=…)` would put in the bundle now.

    A partner bundle is the current state of whitelisted records, decided by the partner
    profile while the zip is built; its plan names only the kind (the wizard explains it).
    """
    peer = trust.peer_by_code(db, code)
    kind = _kind(db, peer, snapshot)
    if kind == "partner":
        return ExportPlan(peer.station_code, peer.station_name, kind)
    acked = VersionVector() if snapshot else peer.acked
    per_entity: dict[str, list[int]] = {}
    shas: set[str] = set()
    with db.session() as s:
        conditions = _missing_filter(local_vector(s), acked)
        for i in range(0, len(conditions), _ORIGIN_BATCH):
            missing = or_(*conditions[i:i + _ORIGIN_BATCH])  # type: ignore[arg-type]
            for entity, n_changes, n_records in s.execute(
                    select(Change.entity, func.count(), func.count(Change.entity_uuid.distinct()))
                    .where(missing).group_by(Change.entity)):
                got = per_entity.setdefault(entity, [0, 0])
                got[0] += n_records  # a record in two origins counts twice: rare, harmless
                got[1] += n_changes
            for entity, path in BLOB_FIELDS.items():
                shas.update(sha for sha in s.scalars(
                    select(json_field(Change.payload, path)).distinct()
                    .where(missing, Change.entity == entity)) if sha)
    files = file_bytes = absent = 0
    for sha in shas:
        try:
            size = db.media.path_for(sha).stat().st_size
        except (OSError, ValueError):  # not held here, or not a digest at all
            absent += 1
            continue
        files += 1
        file_bytes += size
    entities = tuple(EntityCount(e, r, c) for e, (r, c) in sorted(per_entity.items()))
    return ExportPlan(peer.station_code, peer.station_name, kind,
                      sum(c.changes for c in entities), entities, files, file_bytes, absent)


# --- bundles waiting here ------------------------------------------------------------------

@dataclass(frozen=True)
class WaitingBundle:
    """A bundle kept on this laptop: from an unknown key, or before earlier ones arrived."""

    path: Path
    status: str  # quarantined | pending
    fingerprint: str
    station_code: str
    received_at: datetime | None = None


def waiting_bundles(db: Database) -> list[WaitingBundle]:
    """The bundle files in quarantine and pending, with what the bundle log says of them."""
    files = {p.stem: (p, status) for status, folder in (
        ("quarantined", workspace.quarantine_dir(db)), ("pending", workspace.pending_dir(db)))
        if folder.exists() for p in sorted(folder.glob("*" + SUFFIX))}
    if not files:
        return []
    codes = {p.fingerprint: p.station_code for p in trust.peers(db)}
    logged: dict[str, tuple[str, datetime | None]] = {}
    with db.session() as s:
        for sha, fpr, at in s.execute(
                select(SyncBundle.cipher_sha256, SyncBundle.peer_fingerprint,
                       SyncBundle.recorded_at)
                .where(SyncBundle.direction == "in",
                       SyncBundle.cipher_sha256.in_(list(files)))):
            logged[sha] = (fpr, at)
    out = []
    for sha, (path, status) in files.items():
        fpr, at = logged.get(sha, ("", None))
        out.append(WaitingBundle(path, status, fpr, codes.get(fpr, ""), at))
    return sorted(out, key=lambda w: (w.status, w.station_code, str(w.path)))


@dataclass(frozen=True)
class PeerWaiting:
    peer: trust.Peer
    waiting: int = 0


def peers_with_waiting(db: Database) -> list[PeerWaiting]:
    """Every known key, with how many of its bundles wait in quarantine or pending."""
    counts: dict[str, int] = {}
    for w in waiting_bundles(db):
        counts[w.fingerprint] = counts.get(w.fingerprint, 0) + 1
    return [PeerWaiting(p, counts.get(p.fingerprint, 0)) for p in trust.peers(db)]


def inbox_folders(db: Database) -> dict[str, Path]:
    """Station code → the inbox folder set for that trusted peer (folder transport)."""
    return {p.station_code: Path(p.inbox_dir) for p in trust.peers(db)
            if p.trusted and p.inbox_dir}
