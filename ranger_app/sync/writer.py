"""Exporting a bundle for one trusted peer: what it lacks, signed, encrypted, verified.

What goes in: every change-log row the peer is not known to have (its last reported
version vector), from every origin — so HQ relays stations to each other — and the blobs
those rows reference (attachment originals, GPX sources). `--snapshot` sends everything.

How it is written, so that a stick pulled at any moment leaves either nothing or a good
file: the zip is built in local staging (plaintext never touches the stick), encrypted
streaming into `<random>.rangerbundle.part` on the stick, fsynced, renamed, the folder
fsynced; then the final file is read back from the stick and its hash and age header
checked. Only then is the export recorded.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyrage
from sqlalchemy import select

from ranger_app.store.db import Database
from ranger_app.store.models import BLOB_FIELDS, Change
from ranger_app.store.sync_tables import SyncBundle
from ranger_app.sync import partner, trust, workspace
from ranger_app.sync.bundle_format import (
    CHANGES_FILE_BYTES,
    CHANGES_PER_FILE,
    EXTERNAL_SUFFIX,
    PART_SUFFIX,
    SUFFIX,
    ExternalBlob,
    OriginRange,
    blob_name,
    changes_name,
)
from ranger_app.sync.errors import BundleUnreadable, FileTooLargeForStick, NotEnoughSpace
from ranger_app.sync.fileio import (
    HashingWriter,
    free_bytes,
    fsync_dir,
    fsync_file,
    is_disk_full,
    remove_quietly,
    sha256_file,
)
from ranger_app.sync.identity import LocalKeys, load_keys
from ranger_app.sync.packing import Built, ZipOut, make_manifest, seal
from ranger_app.sync.reader import AGE_MAGIC
from ranger_app.sync.vectors import VersionVector, local_vector

Hook = Callable[[str], None]
# a blob above this (a basemap) travels as its own file beside the bundle (docs/sync.md)
LARGE_BLOB_BYTES = 256 << 20


@dataclass(frozen=True)
class ExportResult:
    path: Path
    bundle_id: str
    kind: str
    peer: str
    changes: int
    blobs: int
    blob_bytes: int
    size: int
    cipher_sha256: str


def opaque_name(suffix: str = SUFFIX) -> str:
    """No station, person, date or place: 120 random bits, base32."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower() + suffix


def _noop(step: str) -> None:
    return None


def export_bundle(db: Database, to: str, out_dir: Path | str, *, snapshot: bool = False,
                  hook: Hook | None = None) -> ExportResult:
    """Write a bundle for the trusted peer with station code `to` into `out_dir`."""
    hook = hook or _noop
    keys = load_keys(db)
    peer = trust.peer_by_code(db, to)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(out)
    workspace.recover(db)
    with workspace.staging(db) as work:
        try:
            if peer.role == "partner":
                built = partner.build_partner_zip(db, keys, peer, work)
                recipients = [peer]
            else:
                built = _build_zip(db, keys, peer, work, snapshot)
                recipients = [peer, *trust.backup_recipients(db)]
            hook("zipped")
            return _encrypt_and_record(db, built, peer, recipients, out, hook)
        except OSError as exc:
            if exc.errno == errno.EFBIG:  # FAT32 holds no file of 4 GiB or more
                raise FileTooLargeForStick(str(out), _estimate(work)) from None
            if not is_disk_full(exc):
                raise
            raise NotEnoughSpace(str(out), _estimate(work), free_bytes(out)) from None


def _estimate(work: Path) -> int:
    zipped = work / "bundle.zip"
    return zipped.stat().st_size + (1 << 20) if zipped.exists() else 0


def _remove_stale_parts(out: Path) -> None:
    """A `.part` left by a pulled stick or a killed export is never a bundle: remove it."""
    for pattern in (SUFFIX, EXTERNAL_SUFFIX):
        for part in out.glob("*" + pattern + PART_SUFFIX):
            remove_quietly(part)


def _kind(keys: LocalKeys, peer: trust.Peer, snapshot: bool) -> str:
    if snapshot:
        return "snapshot"
    return "ack" if keys.role == "hq" and peer.role == "station" else "data"


def _iter_missing(db: Database, acked: VersionVector) -> Iterator[dict[str, Any]]:
    """Change rows the peer lacks, per origin in seq order (streamed, never all in memory)."""
    table = Change.__table__  # type: ignore[attr-defined]
    with db.session() as s:
        have = local_vector(s)
        for (device, epoch), top in have:
            start = acked.get(device, epoch)
            if start >= top:
                continue
            q = (select(table).where(table.c.device == device, table.c.epoch == epoch,
                                     table.c.seq > start).order_by(table.c.seq)
                 .execution_options(yield_per=2000))
            for row in s.execute(q).mappings():
                yield dict(row)


def _line(row: dict[str, Any]) -> bytes:
    """One change as a canonical JSON line; the stored payload text is already canonical."""
    doc = {k: row[k] for k in ("base_rev", "chain_hash", "device", "entity", "epoch", "hlc",
                               "new_rev", "op", "prev_hash", "seq", "user")}
    doc["uuid"] = row["entity_uuid"]
    doc["payload"] = 0
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Keys are sorted, and a quote inside a string value is escaped, so the first
    # `"payload":0` is the key itself.
    return text.replace('"payload":0', '"payload":' + row["payload"], 1).encode("utf-8") + b"\n"


def _build_zip(db: Database, keys: LocalKeys, peer: trust.Peer, work: Path,
               snapshot: bool) -> Built:
    acked = VersionVector() if snapshot else peer.acked
    z = ZipOut(work / "bundle.zip")
    origins: list[OriginRange] = []
    blobs: set[str] = set()
    counts: dict[str, int] = {}
    lines: list[bytes] = []
    n_files = n_changes = n_bytes = 0
    current: list[Any] = []  # [device, epoch, first, last, head]

    def flush() -> None:
        nonlocal n_files, lines, n_bytes
        if lines:
            n_files += 1
            z.add_bytes(changes_name(n_files), b"".join(lines))
            lines, n_bytes = [], 0

    for row in _iter_missing(db, acked):
        if current and (current[0], current[1]) == (row["device"], row["epoch"]):
            current[3], current[4] = row["seq"], row["chain_hash"]
        else:
            if current:
                origins.append(OriginRange(*current))
            current = [row["device"], row["epoch"], row["seq"], row["seq"], row["chain_hash"]]
        lines.append(_line(row))
        n_bytes += len(lines[-1])
        n_changes += 1
        counts[row["entity"]] = counts.get(row["entity"], 0) + 1
        field = BLOB_FIELDS.get(row["entity"])
        if field:
            sha = json.loads(row["payload"]).get(field)
            if sha:
                blobs.add(sha)
        if len(lines) >= CHANGES_PER_FILE or n_bytes >= CHANGES_FILE_BYTES:
            flush()
    if current:
        origins.append(OriginRange(*current))
    flush()
    n_blobs = blob_bytes = 0
    large: list[tuple[Path, ExternalBlob]] = []
    for sha in sorted(blobs):
        path = db.media.path_for(sha)
        if not path.exists():
            continue  # not held here (never received); the row still syncs
        size = path.stat().st_size
        if size > LARGE_BLOB_BYTES:  # a basemap: its own file beside the bundle
            large.append((path, ExternalBlob(sha, size, opaque_name(EXTERNAL_SUFFIX))))
            n_blobs += 1
            blob_bytes += size
            continue
        got, size = z.add_file(blob_name(sha), path)
        if got != sha:
            raise BundleUnreadable(str(path), "a stored original no longer matches its hash")
        n_blobs += 1
        blob_bytes += size
    with db.session() as s:
        vector = local_vector(s)
    manifest = make_manifest(db, keys, peer, _kind(keys, peer, snapshot), "full", tuple(origins),
                         vector, {"changes": n_changes, "blobs": n_blobs,
                                  "blob_bytes": blob_bytes, "records": counts}, z.files)
    if large:
        manifest = replace(manifest, external={e.sha256: e for _p, e in large})
    seal(z, keys, manifest)
    return Built(manifest, z.path, n_changes, n_blobs, blob_bytes, tuple(large))


def _encrypt_and_record(db: Database, built: Built, peer: trust.Peer,
                        recipients: list[trust.Peer], out: Path, hook: Hook) -> ExportResult:
    """Large blobs first, each its own file; then the bundle. A failure removes them all."""
    age_recipients = [pyrage.x25519.Recipient.from_str(p.age_recipient) for p in recipients]
    written: list[Path] = []
    try:
        for source, external in built.large:
            written.append(_write_external(source, external, out, age_recipients))
        return _encrypt_bundle_and_record(db, built, peer, age_recipients, out, hook)
    except BaseException:
        for path in written:
            remove_quietly(path)
        raise


class _HashingReader:
    """Hashes what pyrage reads, so a stored original that changed is not sent."""

    def __init__(self, fh: Any) -> None:
        self._fh, self._digest, self.size = fh, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._digest.update(data)
        self.size += len(data)
        return data

    def readinto(self, buf: Any) -> int:
        data = self.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _write_external(source: Path, external: ExternalBlob, out: Path,
                    age_recipients: list[Any]) -> Path:
    """One large blob, age-encrypted to the bundle's recipients, written as the bundle is."""
    final = out / external.file
    part = final.with_name(final.name + PART_SUFFIX)
    try:
        with source.open("rb") as raw, part.open("wb") as fout:
            fin = _HashingReader(raw)
            writer = HashingWriter(fout)
            try:
                pyrage.encrypt_io(fin, writer, age_recipients)
            except pyrage.EncryptError:
                if writer.error is not None:
                    raise writer.error from None
                raise
            fsync_file(fout)
        if fin.hexdigest() != external.sha256 or fin.size != external.size:
            raise BundleUnreadable(str(source), "a stored original no longer matches its hash")
        os.replace(part, final)
        fsync_dir(out)
    except BaseException:
        remove_quietly(part)
        raise
    _verify_written(final, writer.hexdigest(), writer.size, len(age_recipients))
    return final


def _encrypt_bundle_and_record(db: Database, built: Built, peer: trust.Peer,
                               age_recipients: list[Any], out: Path,
                               hook: Hook) -> ExportResult:
    final = out / opaque_name()
    part = final.with_name(final.name + PART_SUFFIX)
    try:
        with built.zip_path.open("rb") as fin, part.open("wb") as fout:
            writer = HashingWriter(fout)
            try:
                pyrage.encrypt_io(fin, writer, age_recipients)
            except pyrage.EncryptError:
                if writer.error is not None:
                    raise writer.error from None  # a full or pulled stick, not a bug
                raise
            hook("encrypted")
            fsync_file(fout)
        hook("part-written")
        os.replace(part, final)
        fsync_dir(out)
        hook("renamed")
    except BaseException:
        remove_quietly(part)
        raise
    _verify_written(final, writer.hexdigest(), writer.size, len(age_recipients))
    hook("verified")
    m = built.manifest
    with db.writer() as s:
        s.add(SyncBundle(direction="out", bundle_id=m.bundle_id,
                         cipher_sha256=writer.hexdigest(), peer_fingerprint=peer.fingerprint,
                         kind=m.kind, status="exported", file_name=final.name,
                         created_hlc=m.created_hlc, recorded_at=datetime.now(UTC),
                         counts=json.dumps(dict(m.counts), sort_keys=True), detail=""))
        if m.profile == "full":
            trust.record_sent(s, peer.fingerprint, m.vector)
    hook("recorded")
    return ExportResult(final, m.bundle_id, m.kind, peer.station_code, built.changes,
                        built.blobs, built.blob_bytes, writer.size, writer.hexdigest())


def _verify_written(final: Path, sha256: str, size: int, recipients: int) -> None:
    """Read the file back from the stick: a fake-capacity or failing stick shows up here."""
    got, got_size = sha256_file(final)
    with final.open("rb") as fh:
        head = fh.read(64 << 10)
    stanzas = head[:max(head.find(b"\n---"), 0)].count(b"\n-> X25519 ")
    if got != sha256 or got_size != size or not head.startswith(AGE_MAGIC) or (
            stanzas < recipients):
        remove_quietly(final)
        raise BundleUnreadable(str(final), "the copy on the stick does not read back intact")
