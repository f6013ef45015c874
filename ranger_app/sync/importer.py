"""Importing a bundle: all or nothing, idempotent, in any order.

After `reader` has checked the file (staging, decryption, zip rules, signature and trust,
member hashes, photos), one `BEGIN IMMEDIATE` transaction:

1. checks every change against its origin's range in the manifest, its chain link and, for
   a change already held, its chain hash (another hash for the same device/epoch/seq is
   equivocation: the whole bundle is refused);
2. inserts the new change rows verbatim — they keep their own device, epoch, seq and hash,
   so `audit verify` walks the sender's chain here too — and the rows of records that are
   new and have only their insert (the bulk of any bundle) straight from the payload;
3. refolds every other touched record from its full change history (`merge.resolve`) and
   writes the result, a `merge` change when the result is not the latest change's payload,
   and the record's open conflicts;
4. moves the blobs into the media folder (journaled, so a crash leaves no orphan), logs
   the bundle and what the sender has (its version vector), then commits.

Remote changes are applied through Core statements, which the ORM's `before_flush` hook
never sees: applying someone else's change writes no local change row (only merges do).
A bundle whose prerequisites are missing waits in `pending/` and is applied when they
arrive; one from an unknown key waits in `quarantine/` until an admin trusts the key.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ranger_app.domain.errors import RangerError
from ranger_app.domain.hlc import Timestamp
from ranger_app.store import held
from ranger_app.store.changes import GENESIS, writer_for
from ranger_app.store.db import Database
from ranger_app.store.models import BLOB_FIELDS, SYNCED_MODELS, Base, Change
from ranger_app.store.sync_tables import SyncBundle, SyncConflict, SyncHeldChange
from ranger_app.sync import (
    anchors,
    approvals_check,
    certificates,
    partner,
    reader,
    trust,
    workspace,
    zipsafe,
)
from ranger_app.sync.bundle_format import (
    DEFAULT_LIMITS,
    SIGNATURE,
    SUFFIX,
    Limits,
    Manifest,
    OriginRange,
    RemoteChange,
)
from ranger_app.sync.errors import (
    ApplyFailed,
    BundleMalformed,
    BundleTampered,
    ChainRewritten,
    Equivocation,
    ForeignOrigin,
    NotAddressedHere,
    NotEnoughSpace,
    RevokedSigner,
    UnknownSigner,
)
from ranger_app.sync.fileio import free_bytes, fsync_dir, is_disk_full
from ranger_app.sync.identity import LocalKeys, load_keys, verify_signature
from ranger_app.sync.merge import Resolution, Rev, resolve
from ranger_app.sync.rows import raw_insert, raw_row, row_values
from ranger_app.sync.vectors import local_vector

Hook = Callable[[str], None]
BATCH = 2000
FUTURE_SLACK_MS = 24 * 3600 * 1000
_ORDER = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
_CHANGE_INSERT = (
    'INSERT INTO change_log ("device", "epoch", "seq", "hlc", "entity", "entity_uuid", "op", '
    '"base_rev", "new_rev", "payload", "user", "prev_hash", "chain_hash") '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _server_sql(sql: str) -> str:
    """The bulk INSERTs with psycopg's placeholders (no `?` occurs in a quoted name)."""
    return sql.replace("?", "%s")


@cache
def _bool_positions(entity: str) -> frozenset[int]:
    """Which values of `raw_insert(entity)` are flags (SQLite takes 0/1, PostgreSQL not)."""
    table = SYNCED_MODELS[entity].__table__  # type: ignore[attr-defined]
    return frozenset(i for i, (key, _fn) in enumerate(raw_insert(entity)[1])
                     if isinstance(table.c[key].type, Boolean))


@dataclass(frozen=True)
class ImportReport:
    path: str
    status: str  # applied | already | pending | dry-run
    bundle_id: str = ""
    kind: str = ""
    source: str = ""
    fingerprint: str = ""
    changes_new: int = 0
    changes_known: int = 0
    records_new: int = 0
    records_updated: int = 0
    conflicts: int = 0
    merges: int = 0
    blobs: int = 0
    partner_records: int = 0
    future_hlc: int = 0
    missing: tuple[tuple[str, int, int], ...] = ()
    also_applied: tuple[str, ...] = ()  # waiting bundles this one unblocked
    held: tuple[approvals_check.HeldApproval, ...] = ()  # approvals kept back (issue 13)
    released: tuple[str, ...] = ()  # patrols whose held approval now applied
    at_hq: bool = False  # what to do about a held approval depends on where we are


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _noop(step: str) -> None:
    return None


# --- entry points --------------------------------------------------------------------------

def import_bundle(db: Database, path: Path | str, *, dry_run: bool = False,
                  limits: Limits = DEFAULT_LIMITS, hook: Hook | None = None,
                  retry: bool = True) -> ImportReport:
    """Import one bundle file (or only report what it would change, with `dry_run`)."""
    keys = load_keys(db)
    workspace.recover(db)
    src = Path(path)
    with workspace.staging(db) as work:
        try:
            report = _Import(db, keys, src, work, limits, hook or _noop, dry_run).run()
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            size = src.stat().st_size if src.exists() else 0
            raise NotEnoughSpace(str(work.parent), size * limits.free_space_factor,
                                 free_bytes(work.parent)) from None
    if retry and report.status == "applied" and not dry_run:
        report = replace(report, also_applied=tuple(retry_waiting(db, limits)))
    return report


def retry_waiting(db: Database, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Apply pending and quarantined bundles that can go in now; returns their paths."""
    applied: list[str] = []
    progress = True
    while progress:
        progress = False
        for folder in (workspace.pending_dir(db), workspace.quarantine_dir(db)):
            if not folder.exists():
                continue
            for path in sorted(folder.glob("*" + SUFFIX)):
                try:
                    report = import_bundle(db, path, limits=limits, retry=False)
                except (UnknownSigner, NotEnoughSpace):
                    continue
                except RangerError as err:
                    _set_waiting_status(db, path, "rejected", str(err))
                    path.unlink(missing_ok=True)
                    continue
                if report.status in ("applied", "already"):
                    path.unlink(missing_ok=True)
                    applied.append(str(path))
                    progress = True
    return applied


def _set_waiting_status(db: Database, path: Path, status: str, detail: str) -> None:
    with db.writer() as s:
        s.execute(update(SyncBundle).where(SyncBundle.cipher_sha256 == path.stem,
                                           SyncBundle.direction == "in")
                  .values(status=status, detail=detail))


# --- one import ----------------------------------------------------------------------------

class _Import:
    def __init__(self, db: Database, keys: LocalKeys, src: Path, work: Path, limits: Limits,
                 hook: Hook, dry_run: bool) -> None:
        self.db, self.keys, self.src, self.work = db, keys, src, work
        self.limits, self.hook, self.dry_run = limits, hook, dry_run
        self.shown = str(src)
        self.holds: list[approvals_check.Hold] = []

    def run(self) -> ImportReport:
        staged = reader.stage_copy(self.src, self.work, self.limits)
        self.hook("staged")
        if _logged_status(self.db, staged.cipher_sha256) == "applied":
            return ImportReport(self.shown, "already")
        plain = reader.decrypt(staged, self.work, self.keys, self.limits)
        self.hook("decrypted")
        with zipsafe.open_zip(plain, self.shown, self.limits) as zf:
            opened = reader.read_manifest(zf, self.shown, self.limits)
            m = opened.manifest
            signer = self._authenticate(staged, opened)
            if _bundle_applied(self.db, m.bundle_id):
                return ImportReport(self.shown, "already", m.bundle_id, m.kind)
            reader.check_schema(m, self.shown)
            blobs = reader.verify_members(zf, m, self.shown, self.work)
            checked = reader.check_images(blobs, self.shown)
            self.hook("verified")
            if m.profile == "partner":
                count = partner.import_partner_bundle(
                    self.db, zf, m, signer, self.shown, self.limits, self.dry_run,
                    lambda s: _log_in(s, staged, m, signer, "applied", {}))
                return ImportReport(self.shown, "dry-run" if self.dry_run else "applied",
                                    m.bundle_id, m.kind, m.source.station_code,
                                    signer.fingerprint, partner_records=count)
            missing = _missing_prerequisites(self.db, m)
            if missing:
                if not self.dry_run:
                    self._park(staged, m, signer, workspace.pending_dir(self.db), "pending",
                               {"missing": [list(x) for x in missing]})
                return ImportReport(self.shown, "pending", m.bundle_id, m.kind,
                                    m.source.station_code, signer.fingerprint,
                                    missing=tuple(missing))
            # large blobs (basemaps) come as their own files beside the bundle
            blobs.update(reader.fetch_external(m, self.src.parent, self.work, self.keys,
                                               self.shown))
            self.holds = approvals_check.check(self.db, self.keys, zf, m, self.shown,
                                               self.limits)
            try:
                return self._apply(zf, staged, m, signer, blobs, checked)
            except _DryRun as done:
                return done.report

    def _authenticate(self, staged: reader.Staged, opened: reader.Opened) -> trust.Peer:
        """Signature and trust: no trust on first use; revoked keys refused for good."""
        m = opened.manifest
        public = reader.signer_keys(m, self.shown)
        with self.db.session() as s:
            peer = trust.peer_by_fingerprint(s, m.source.key_fpr)
        if peer is not None and peer.status == trust.REVOKED:
            raise RevokedSigner(self.shown, m.source.key_fpr)
        if peer is None or peer.status != trust.TRUSTED:
            if not self.dry_run:
                trust.record_quarantined(self.db, public, m.source.device,
                                         m.source.station_code, m.source.role)
                self._park(staged, m, None, workspace.quarantine_dir(self.db), "quarantined",
                           {})
            raise UnknownSigner(self.shown, m.source.key_fpr, m.source.station_code)
        if peer.signing_key != public.signing_key or not verify_signature(
                peer.signing_key, opened.signature, opened.manifest_bytes):
            raise BundleTampered(self.shown, SIGNATURE)
        if m.to_device != self.keys.device or m.to_fpr != self.keys.fingerprint:
            raise NotAddressedHere(self.shown)
        return peer

    def _park(self, staged: reader.Staged, m: Manifest, signer: trust.Peer | None,
              folder: Path, status: str, detail: dict[str, Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{staged.cipher_sha256}{SUFFIX}"
        if not target.exists():
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(staged.cipher, tmp)
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            fsync_dir(folder)
        for ext in m.external.values():  # its large blobs wait beside it, still encrypted
            src, kept = self.src.parent / ext.file, folder / ext.file
            if src.is_file() and not kept.exists():
                shutil.copyfile(src, kept.with_name(kept.name + ".part"))
                os.replace(kept.with_name(kept.name + ".part"), kept)
        with self.db.writer() as s:
            _log_in(s, staged, m, signer, status, detail, fpr=m.source.key_fpr)

    def _apply(self, zf: Any, staged: reader.Staged, m: Manifest, signer: trust.Peer,
               blobs: dict[str, Path], checked: set[str]) -> ImportReport:
        journal: workspace.BlobJournal | None = None
        try:
            with self.db.writer() as s:
                if self.db.on_server:
                    s.execute(text("SET CONSTRAINTS ALL DEFERRED"))
                else:
                    s.execute(text("PRAGMA defer_foreign_keys = ON"))
                now = datetime.now(UTC)
                for h in self.holds:  # before the changes: folding skips what is held
                    if s.get(SyncHeldChange, h.key) is None:
                        s.add(h.row(now))
                s.flush()
                applier = _Applier(s, self.db, m, signer, self.shown, blobs, checked,
                                   self.keys.device,
                                   {(h.entity, h.entity_uuid) for h in self.holds})
                applier.feed(reader.iter_changes(zf, m, self.shown, self.limits))
                self.hook("changes-inserted")
                applier.finish(self.dry_run)
                released = self._trust_statements(s, m, signer, applier)
                self.hook("folded")
                report = replace(applier.report(self.shown, self.dry_run),
                                 held=approvals_check.summarise(self.holds),
                                 released=tuple(released),
                                 at_hq=self.keys.role == "hq")
                if self.dry_run:
                    raise _DryRun(report)
                _log_in(s, staged, m, signer, "applied", applier.counts())
                if m.vector.entries:
                    trust.record_acked(s, signer.fingerprint, m.vector, m.created_hlc)
                if signer.role == "hq" and m.revoked:
                    trust.mark_revoked(s, [f for f in m.revoked if f != self.keys.fingerprint])
                journal = self._move_blobs(blobs, applier.referenced)
                self.hook("blobs-moved")
                s.flush()
            self.hook("committed")
        except (IntegrityError, OperationalError, sqlite3.Error) as exc:
            if journal is not None:
                _forget_blobs(self.db, journal)
            detail = str(getattr(exc, "orig", None) or exc)
            if "disk is full" in detail:
                where = self.db.path.parent
                raise NotEnoughSpace(str(where), 0, free_bytes(where)) from None
            raise ApplyFailed(self.shown, detail) from None
        except BaseException:
            if journal is not None:
                _forget_blobs(self.db, journal)
            raise
        if journal is not None:
            journal.close()
        return report

    def _trust_statements(self, s: Session, m: Manifest, signer: trust.Peer,
                          applier: _Applier) -> list[str]:
        """Certificates, held approvals they release, anchored heads (issue 13)."""
        certificates.store_entries(s, self.keys, m.certificates, m.certificate_revocations)
        refold, released = approvals_check.recheck(s, self.keys)
        applier.refold_now(refold)
        if self.keys.role == "hq":
            anchors.receive(s, m.anchors, m.source.device, signer.signing_key,
                            signer.fingerprint, m.source.station_code, self.shown)
        if signer.role == "hq":
            anchors.receive_held(s, m.anchors_held, self.keys)
        return released

    def _move_blobs(self, blobs: dict[str, Path],
                    referenced: set[str]) -> workspace.BlobJournal:
        """Journal, then move; the journal lets `recover` undo a move whose commit died."""
        new = sorted(sha for sha in blobs if sha in referenced and not self.db.media.has(sha))
        journal = workspace.BlobJournal(self.db)
        journal.write(new)
        self.hook("journaled")
        for sha in new:
            target = self.db.media.path_for(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(blobs[sha], target)
            except OSError:  # another file system: copy (fsynced) instead
                with blobs[sha].open("rb") as fh:
                    self.db.media.put_stream(fh)
                continue
            fsync_dir(target.parent)
        return journal


def _forget_blobs(db: Database, journal: workspace.BlobJournal) -> None:
    """Undo the blob moves of an import whose transaction did not commit."""
    try:
        shas = json.loads(journal.path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        shas = []
    keep = workspace.referenced_blobs(db, shas)
    for sha in shas:
        if sha not in keep:
            db.media.path_for(sha).unlink(missing_ok=True)
    journal.close()


# --- the bundle log ------------------------------------------------------------------------

def _logged_status(db: Database, cipher_sha256: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(SyncBundle.status).where(
            SyncBundle.cipher_sha256 == cipher_sha256, SyncBundle.direction == "in")
            .order_by(SyncBundle.id.desc()).limit(1))


def _bundle_applied(db: Database, bundle_id: str) -> bool:
    with db.session() as s:
        return s.scalar(select(SyncBundle.id).where(
            SyncBundle.bundle_id == bundle_id, SyncBundle.direction == "in",
            SyncBundle.status == "applied").limit(1)) is not None


def _log_in(session: Session, staged: reader.Staged, m: Manifest, signer: trust.Peer | None,
            status: str, counts: dict[str, Any], fpr: str = "") -> None:
    row = session.scalars(select(SyncBundle).where(
        SyncBundle.cipher_sha256 == staged.cipher_sha256, SyncBundle.direction == "in")
        .limit(1)).first()
    if row is None:
        row = SyncBundle(direction="in", cipher_sha256=staged.cipher_sha256)
        session.add(row)
    row.bundle_id = m.bundle_id
    row.peer_fingerprint = signer.fingerprint if signer else fpr
    row.kind = m.kind
    row.status = status
    row.file_name = Path(staged.shown).name
    row.created_hlc = m.created_hlc
    row.recorded_at = datetime.now(UTC)
    row.counts = json.dumps(counts, sort_keys=True)
    row.detail = ""


def _missing_prerequisites(db: Database, m: Manifest) -> list[tuple[str, int, int]]:
    with db.session() as s:
        have = local_vector(s)
    return [(d, e, seq) for d, e, seq in m.prerequisites if have.get(d, e) < seq]


# --- applying changes ----------------------------------------------------------------------

@dataclass
class _OriginState:
    rng: OriginRange
    next_seq: int
    prev_hash: str
    local_max: int
    local_hashes: dict[int, str] = field(default_factory=dict)


class _Applier:
    """Streams a verified bundle's changes into one open transaction."""

    def __init__(self, session: Session, db: Database, m: Manifest, signer: trust.Peer,
                 shown: str, blobs: dict[str, Path], checked: set[str],
                 local_device: str, held_records: set[tuple[str, str]] | None = None) -> None:
        self.s, self.db, self.m, self.shown = session, db, m, shown
        self.held_records = held_records or set()
        self.blobs, self.checked = blobs, checked
        self.local = local_vector(session)
        self.allowed: set[str] | None = None
        if signer.role != "hq":  # HQ relays every station; a station speaks for itself
            self.allowed = {signer.device, m.source.device, local_device}
            self.allowed |= trust.trusted_devices(session)
        self.origins: dict[tuple[str, int], _OriginState] = {}
        for rng in m.origins:
            if self.allowed is not None and rng.device not in self.allowed:
                raise ForeignOrigin(shown, rng.device)
            self.origins[(rng.device, rng.epoch)] = self._origin_state(rng)
        # Change rows with a larger id arrived with this bundle: a record all of whose
        # changes did is new here (counted as new, not updated), with no per-record memory.
        self.first_new_id = session.scalar(select(func.max(Change.id))) or 0
        self.refold: set[tuple[str, str]] = set()
        self.referenced: set[str] = set()
        self.n_new = self.n_known = self.n_records_new = self.n_updated = 0
        self.n_conflicts = self.n_merges = 0
        self.max_hlc = ""
        self.future = 0

    def _origin_state(self, rng: OriginRange) -> _OriginState:
        local_max = self.local.get(rng.device, rng.epoch)
        prev = GENESIS
        if rng.first > 1:
            prev = self.s.scalar(select(Change.chain_hash).where(
                Change.device == rng.device, Change.epoch == rng.epoch,
                Change.seq == rng.first - 1)) or ""
        state = _OriginState(rng, rng.first, prev, local_max)
        if rng.first <= local_max:
            state.local_hashes = dict(self.s.execute(
                select(Change.seq, Change.chain_hash).where(
                    Change.device == rng.device, Change.epoch == rng.epoch,
                    Change.seq >= rng.first, Change.seq <= min(rng.last, local_max))).all())
        return state

    def _check(self, c: RemoteChange) -> bool:
        """Range, link and equivocation; True when the change is new here."""
        st = self.origins.get(c.origin)
        if st is None or c.seq != st.next_seq or c.seq > st.rng.last:
            raise BundleMalformed(self.shown, f"change {c.device}:{c.epoch}:{c.seq} out of "
                                              "its declared range")
        if c.prev_hash != st.prev_hash:
            if c.seq == st.local_max + 1 and st.next_seq == st.rng.first and st.local_max:
                # a continuation of what we hold, linked to another hash: the history we
                # hold was rewritten there (a restored backup would overlap instead)
                raise ChainRewritten(self.shown, self.m.source.station_code, c.device,
                                     c.epoch, c.seq - 1)
            if c.seq <= st.local_max + 1 and st.next_seq == st.rng.first:
                raise Equivocation(self.shown, c.device, c.epoch, c.seq - 1)
            raise BundleTampered(self.shown, f"{c.device}:{c.epoch}:{c.seq}")
        st.next_seq += 1
        st.prev_hash = c.chain_hash
        if c.seq <= st.local_max:
            if st.local_hashes.get(c.seq) != c.chain_hash:
                raise Equivocation(self.shown, c.device, c.epoch, c.seq)
            return False
        return True

    def feed(self, changes: Iterable[RemoteChange]) -> None:
        for batch in _batches(changes, BATCH):
            new = [c for c in batch if self._check(c)]
            self.n_known += len(batch) - len(new)
            for c in batch:
                blob = BLOB_FIELDS.get(c.entity)
                if blob and c.payload.get(blob):
                    self.referenced.add(str(c.payload[blob]))
                    if (c.entity == "attachment" and c.payload.get("kind") == "photo"):
                        reader.require_photo_checked(str(c.payload[blob]), self.blobs,
                                                     self.checked, self.shown)
            if new:
                self._insert(new)

    def _cursor(self) -> Any:
        """The DB-API cursor of this very transaction, for the two bulk inserts."""
        return self.s.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]

    def _insert(self, new: list[RemoteChange]) -> None:
        cursor = self._cursor()
        server = self.db.on_server
        cursor.executemany(_server_sql(_CHANGE_INSERT) if server else _CHANGE_INSERT, [
            (c.device, c.epoch, c.seq, c.hlc, c.entity, c.uuid, c.op, c.base_rev, c.new_rev,
             c.payload_text, c.user, c.prev_hash, c.chain_hash) for c in new])
        self.n_new += len(new)
        top = max(c.hlc for c in new)
        self.max_hlc = max(self.max_hlc, top)
        limit = int(time.time() * 1000) + FUTURE_SLACK_MS
        self.future += sum(1 for c in new if int(c.hlc[:13]) > limit)
        by_table: dict[str, list[RemoteChange]] = defaultdict(list)
        for c in new:
            by_table[c.entity].append(c)
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for entity, items in by_table.items():
            model = SYNCED_MODELS[entity]
            uuids = list({c.uuid for c in items})
            existing: set[str] = set()
            for i in range(0, len(uuids), 500):
                existing.update(self.s.scalars(select(model.uuid).where(  # type: ignore[attr-defined]
                    model.uuid.in_(uuids[i:i + 500]))))  # type: ignore[attr-defined]
            batch_new: set[str] = set()
            for c in items:  # rows inserted by earlier batches are in `existing` already
                key = (entity, c.uuid)
                if (c.uuid in batch_new or key in self.refold or c.uuid in existing
                        or key in self.held_records):
                    self.refold.add(key)
                elif c.base_rev == 0 and c.op == "insert":
                    batch_new.add(c.uuid)
                    rows[entity].append(self._raw(entity, c.payload, c.new_rev, c.hlc))
                else:
                    self.refold.add(key)
        for entity in sorted(rows, key=_ORDER.__getitem__):
            if server:  # psycopg: %s placeholders, and booleans as booleans
                flags = _bool_positions(entity)
                cursor.executemany(_server_sql(raw_insert(entity)[0]), [
                    tuple(bool(v) if i in flags and v is not None else v
                          for i, v in enumerate(row)) for row in rows[entity]])
            else:
                cursor.executemany(raw_insert(entity)[0], rows[entity])
            self.n_records_new += len(rows[entity])

    def _raw(self, entity: str, payload: Any, rev: int, hlc: str) -> tuple[Any, ...]:
        try:
            return raw_row(entity, payload, rev, hlc)
        except (ValueError, KeyError) as exc:
            raise BundleMalformed(self.shown, f"{entity} {payload.get('uuid')}: {exc}") from None

    def _values(self, entity: str, payload: Any, rev: int, hlc: str) -> dict[str, Any]:
        try:
            return row_values(entity, payload, rev, hlc)
        except (ValueError, KeyError) as exc:
            raise BundleMalformed(self.shown, f"{entity} {payload.get('uuid')}: {exc}") from None

    def finish(self, dry_run: bool) -> None:
        for st in self.origins.values():
            if st.next_seq != st.rng.last + 1 or st.prev_hash != st.rng.head:
                raise BundleTampered(self.shown, f"changes of {st.rng.device}")
        if self.max_hlc:
            self.db.clock().observe(Timestamp.decode(self.max_hlc))
        keys = sorted(self.refold)
        for entity in sorted({e for e, _u in keys}, key=_ORDER.__getitem__):
            uuids = [u for e, u in keys if e == entity]
            for i in range(0, len(uuids), 200):
                self._refold(entity, uuids[i:i + 200])

    def refold_now(self, records: set[tuple[str, str]]) -> None:
        """Fold these records again (their held approval was released)."""
        for entity in sorted({e for e, _u in records}, key=_ORDER.__getitem__):
            uuids = sorted(u for e, u in records if e == entity)
            for i in range(0, len(uuids), 200):
                self._refold(entity, uuids[i:i + 200])

    def _refold(self, entity: str, uuids: list[str]) -> None:
        model = SYNCED_MODELS[entity]
        table = model.__table__  # type: ignore[attr-defined]
        history: dict[str, list[Rev]] = defaultdict(list)
        older: set[str] = set()  # records that had changes before this bundle
        skip = held.excluded(self.s, entity, uuids)  # received, not applied (issue 13)
        for c in self.s.execute(select(Change.id, Change.device, Change.epoch, Change.seq,
                                       Change.hlc, Change.op, Change.base_rev, Change.new_rev,
                                       Change.payload, Change.entity_uuid)
                                .where(Change.entity == entity,
                                       Change.entity_uuid.in_(uuids))):
            if (c.device, c.epoch, c.seq) in skip:
                continue
            if c.id <= self.first_new_id:
                older.add(c.entity_uuid)
            history[c.entity_uuid].append(Rev(c.device, c.epoch, c.seq, c.hlc, c.op,
                                              c.base_rev, c.new_rev, json.loads(c.payload)))
        current = {r.uuid: (r.rev, r.hlc) for r in self.s.execute(
            select(table.c.uuid, table.c.rev, table.c.hlc).where(table.c.uuid.in_(uuids)))}
        old_conflicts = dict(self.s.execute(
            select(SyncConflict.id, SyncConflict.status).where(
                SyncConflict.entity == entity, SyncConflict.entity_uuid.in_(uuids))).all())
        self.s.execute(delete(SyncConflict).where(
            SyncConflict.entity == entity, SyncConflict.entity_uuid.in_(uuids),
            SyncConflict.status == "open"))
        inserts, updates, conflicts = [], [], []
        now = datetime.now(UTC)
        for uuid in uuids:
            if not history[uuid]:
                continue  # every change of it is held: the record waits
            res = resolve(entity, uuid, history[uuid])
            rev, hlc = res.latest.new_rev, res.latest.hlc
            if res.needs_merge_change:
                rev, hlc = self._merge_change(entity, uuid, res)
            values = self._values(entity, res.state, rev, hlc)
            if uuid not in current:
                inserts.append(values)
                self.n_records_new += 1
            elif current[uuid] != (rev, hlc):
                updates.append({**values, "b_uuid": uuid})
                if uuid in older:
                    self.n_updated += 1
            for c in res.conflicts:
                if old_conflicts.get(c.id) == "resolved":
                    continue
                if c.id not in old_conflicts:
                    self.n_conflicts += 1
                conflicts.append({
                    "id": c.id, "entity": c.entity, "entity_uuid": c.uuid, "field": c.field,
                    "kind": c.kind, "base_value": _j(c.base_value), "value_a": _j(c.value_a),
                    "change_a": c.change_a, "value_b": _j(c.value_b), "change_b": c.change_b,
                    "winner": c.winner, "status": "open", "detected_at": now})
        if inserts:
            self.s.execute(insert(table), inserts)
        if updates:
            cols = {k: bindparam(k) for k in updates[0] if k not in ("uuid", "b_uuid")}
            self.s.execute(update(table).where(table.c.uuid == bindparam("b_uuid"))
                           .values(cols).execution_options(synchronize_session=False),
                           updates)
        if conflicts:
            self.s.execute(insert(SyncConflict.__table__), conflicts)  # type: ignore[arg-type]

    def _merge_change(self, entity: str, uuid: str, res: Resolution) -> tuple[int, str]:
        """Record the fold result as this device's change, so the row equals its latest."""
        stamp = self.db.clock().now().encode()
        row = writer_for(self.s).make_change(entity, uuid, "merge", res.max_rev,
                                              dict(res.state), stamp)
        self.s.execute(insert(Change.__table__), [row])  # type: ignore[arg-type]
        self.n_merges += 1
        return row["new_rev"], stamp

    def counts(self) -> dict[str, int]:
        return {"changes_new": self.n_new, "changes_known": self.n_known,
                "records_new": self.n_records_new, "records_updated": self.n_updated,
                "conflicts": self.n_conflicts, "merges": self.n_merges,
                "blobs": len(self.referenced & set(self.blobs))}

    def report(self, shown: str, dry_run: bool) -> ImportReport:
        m = self.m
        return ImportReport(
            shown, "dry-run" if dry_run else "applied", m.bundle_id, m.kind,
            m.source.station_code, m.source.key_fpr, changes_new=self.n_new,
            changes_known=self.n_known, records_new=self.n_records_new,
            records_updated=self.n_updated, conflicts=self.n_conflicts, merges=self.n_merges,
            blobs=len(self.referenced & set(self.blobs)), future_hlc=self.future)


def refold_records(session: Session, db: Database, records: set[tuple[str, str]]) -> None:
    """Fold records again outside an import (a held approval released by `keys certify`)."""
    if not records:
        return
    applier = _Applier.__new__(_Applier)
    applier.s, applier.db, applier.shown = session, db, ""
    applier.first_new_id = session.scalar(select(func.max(Change.id))) or 0
    applier.n_records_new = applier.n_updated = applier.n_conflicts = applier.n_merges = 0
    applier.refold_now(records)


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _batches(items: Iterable[RemoteChange], size: int) -> Iterator[list[RemoteChange]]:
    batch: list[RemoteChange] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch

