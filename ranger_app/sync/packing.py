"""Packing the inner zip of a bundle: members with their hashes, the manifest, the signature.

Shared by the full export (`writer`) and the partner export (`partner`). Member timestamps
are fixed (1980-01-01) so a zip reveals nothing about when it was made beyond the signed
manifest, which is encrypted.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ranger_app import __version__
from ranger_app.domain.ids import new_id
from ranger_app.store.db import Database, head_revision
from ranger_app.sync import anchors, certificates, trust
from ranger_app.sync.bundle_format import (
    MANIFEST,
    SIGNATURE,
    ExternalBlob,
    FileEntry,
    Manifest,
    OriginRange,
    Source,
)
from ranger_app.sync.fileio import CHUNK, HashingWriter, fsync_file
from ranger_app.sync.identity import LocalKeys
from ranger_app.sync.vectors import VersionVector


@dataclass(frozen=True)
class Built:
    manifest: Manifest
    zip_path: Path
    changes: int
    blobs: int
    blob_bytes: int
    large: tuple[tuple[Path, ExternalBlob], ...] = ()  # written beside the bundle


class ZipOut:
    """The inner zip, with the size and SHA-256 of every member for the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zf = zipfile.ZipFile(path, "w", allowZip64=True)
        self.files: dict[str, FileEntry] = {}

    def add_bytes(self, name: str, data: bytes, compress: bool = True) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o100644 << 16
        self.zf.writestr(info, data)
        if name not in (MANIFEST, SIGNATURE):
            self.files[name] = FileEntry(hashlib.sha256(data).hexdigest(), len(data))

    def add_file(self, name: str, source: Path) -> tuple[str, int]:
        """Stream a blob in stored form (photos do not compress), hashing what is read."""
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o100644 << 16
        info.file_size = source.stat().st_size
        with source.open("rb") as fin, self.zf.open(info, "w", force_zip64=True) as fout:
            out = HashingWriter(fout)  # type: ignore[arg-type]
            while chunk := fin.read(CHUNK):
                out.write(chunk)
        self.files[name] = FileEntry(out.hexdigest(), out.size)
        return out.hexdigest(), out.size

    def close(self) -> None:
        self.zf.close()
        with self.path.open("rb+") as fh:
            fsync_file(fh)


def make_manifest(db: Database, keys: LocalKeys, peer: trust.Peer, kind: str, profile: str,
                  origins: tuple[OriginRange, ...], vector: VersionVector,
                  counts: dict[str, Any], files: dict[str, FileEntry]) -> Manifest:
    """The manifest of a bundle for `peer`; HQ's manifests also list the revoked keys."""
    here = trust.local_station(db)
    revoked = tuple(trust.revoked_fingerprints(db)) if here.role == "hq" else ()
    recipients = [peer.fingerprint]
    statements: dict[str, Any] = {}
    if profile == "full":
        recipients += [b.fingerprint for b in trust.backup_recipients(db)]
        certs, revocations = certificates.manifest_entries(db)
        statements = {"certificates": tuple(certs),
                      "certificate_revocations": tuple(revocations),
                      "anchors": tuple(anchors.own_anchors(db, keys)),
                      "anchors_held": tuple(anchors.held_for(db, peer.device)
                                            if here.role == "hq" and peer.device else ())}
    return Manifest(
        bundle_id=new_id(), kind=kind, profile=profile,
        source=Source(keys.device, keys.epoch, keys.fingerprint,
                      base64.b64encode(keys.public.signing_key).decode("ascii"),
                      keys.public.age_recipient, here.code, here.role),
        to_fpr=peer.fingerprint, to_device=peer.device, origins=origins,
        vector=vector if profile == "full" else VersionVector(), revoked=revoked,
        schema=head_revision(), app_version=__version__,
        created_hlc=db.clock().now().encode(), recipients=tuple(recipients),
        counts=counts, files=dict(files), **statements)


def seal(z: ZipOut, keys: LocalKeys, manifest: Manifest) -> None:
    """Write the manifest and its Ed25519 signature last, then close and fsync the zip."""
    data = manifest.to_bytes()
    z.add_bytes(MANIFEST, data)
    z.add_bytes(SIGNATURE, keys.sign(data), compress=False)
    z.close()
