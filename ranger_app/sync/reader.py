"""Reading a bundle, stage by stage, trusting nothing until it has been checked.

copy to staging (size cap, free space ≥ 3× the bundle) → age header caps → decrypt,
streamed, to staging → zip rules (`zipsafe`) → manifest and signature against the trust
registry → every member's size and SHA-256, blobs extracted to staging, photos opened
header-only with a pixel limit (`images`). Only then may `importer` open a transaction.
Change lines are decoded lazily (`iter_changes`), so memory stays flat for any bundle size.
"""

from __future__ import annotations

import base64
import binascii
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyrage

from ranger_app.domain.errors import NotAnImage
from ranger_app.store.db import head_revision, migrations_dir
from ranger_app.sync import zipsafe
from ranger_app.sync.bundle_format import (
    MANIFEST,
    SIGNATURE,
    Limits,
    Manifest,
    RemoteChange,
    blob_sha,
    decode_change_line,
    member_kind,
    parse_manifest,
)
from ranger_app.sync.errors import (
    BundleMalformed,
    BundleTampered,
    BundleTooLarge,
    BundleTooNew,
    BundleUnreadable,
    ExternalBlobMissing,
    NotAddressedHere,
)
from ranger_app.sync.fileio import (
    HashingWriter,
    copy_stream,
    fsync_file,
    require_space,
)
from ranger_app.sync.identity import LocalKeys, PublicKeys
from ranger_app.sync.images import check_image

AGE_MAGIC = b"age-encryption.org/v1\n"
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"RIFF")


@dataclass(frozen=True)
class Staged:
    shown: str  # the name the user gave, for messages
    cipher: Path  # the staged copy
    cipher_sha256: str
    size: int


def stage_copy(src: Path, workdir: Path, limits: Limits) -> Staged:
    """Copy off the stick first: a stick pulled mid-import then cannot half-feed us."""
    shown = str(src)
    size = src.stat().st_size
    if size > limits.max_bundle_bytes:
        raise BundleTooLarge(shown, size, limits.max_bundle_bytes)
    require_space(workdir, size * limits.free_space_factor)
    target = workdir / "bundle.age"
    with src.open("rb") as fin, target.open("wb") as fout:
        out = HashingWriter(fout)
        copy_stream(fin, out)
        fsync_file(fout)
    if out.size != size:
        raise BundleUnreadable(shown, "the file changed while it was copied")
    return Staged(shown, target, out.hexdigest(), size)


def check_age_header(staged: Staged, limits: Limits) -> None:
    """age itself puts no cap on the header; thousands of stanzas would cost time."""
    with staged.cipher.open("rb") as fh:
        head = fh.read(limits.max_header_bytes)
    if not head.startswith(AGE_MAGIC):
        raise BundleUnreadable(staged.shown, "not an encrypted bundle")
    end = head.find(b"\n---")
    if end < 0:
        raise BundleUnreadable(staged.shown, "the encryption header is cut short or too long")
    if head[:end].count(b"\n-> ") > limits.max_stanzas:
        raise BundleUnreadable(staged.shown, "too many recipients in the header")


def decrypt(staged: Staged, workdir: Path, keys: LocalKeys, limits: Limits) -> Path:
    """Streamed age decryption; a truncated or altered file fails here, wholly."""
    check_age_header(staged, limits)
    plain = workdir / "bundle.zip"
    try:
        with staged.cipher.open("rb") as fin, plain.open("wb") as fout:
            out = HashingWriter(fout)
            try:
                pyrage.decrypt_io(fin, out, [keys.age_identity])
            except pyrage.DecryptError:
                if out.error is not None:
                    raise out.error from None  # our disk is full: not the bundle's fault
                raise
            fsync_file(fout)
    except pyrage.DecryptError as exc:
        if "no matching keys" in str(exc).lower():
            raise NotAddressedHere(staged.shown) from None
        raise BundleUnreadable(staged.shown, str(exc)) from None
    except OSError as exc:
        if exc.errno is not None:
            raise  # our own disk (ENOSPC): not the bundle's fault
        raise BundleUnreadable(staged.shown, "damaged or cut short") from None
    return plain


@dataclass(frozen=True)
class Opened:
    manifest: Manifest
    manifest_bytes: bytes
    signature: bytes


def read_manifest(zf: zipfile.ZipFile, shown: str, limits: Limits) -> Opened:
    try:
        m_info, s_info = zf.getinfo(MANIFEST), zf.getinfo(SIGNATURE)
    except KeyError:
        raise BundleMalformed(shown, "no manifest or no signature") from None
    _sha, _n, data = zipsafe.read_member(zf, m_info, shown, limit=limits.max_manifest_bytes)
    _sha, _n, sig = zipsafe.read_member(zf, s_info, shown, limit=64)
    return Opened(parse_manifest(data, shown), data, sig)


def signer_keys(manifest: Manifest, shown: str) -> PublicKeys:
    """The keys the manifest claims; they must hash to the fingerprint it names."""
    try:
        public = PublicKeys(base64.b64decode(manifest.source.signing_key, validate=True),
                            manifest.source.age_recipient)
    except (binascii.Error, ValueError):
        raise BundleMalformed(shown, "source keys") from None
    if public.fingerprint != manifest.source.key_fpr:
        raise BundleTampered(shown, MANIFEST)
    return public


@lru_cache(maxsize=1)
def known_schemas() -> frozenset[str]:
    """Every schema revision this version knows (the migration files, `0003_sync.py` is
    "0003"); a bundle naming another one was made by a newer version."""
    folder = migrations_dir() / "versions"
    return frozenset(p.name.split("_", 1)[0] for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def check_schema(manifest: Manifest, shown: str) -> None:
    """Refuse a bundle from a newer schema whole; never apply part of it."""
    if manifest.schema not in known_schemas():
        raise BundleTooNew(shown, manifest.schema, head_revision())


def verify_members(zf: zipfile.ZipFile, manifest: Manifest, shown: str,
                   workdir: Path) -> dict[str, Path]:
    """Every member must be listed with its size and hash; returns extracted blob files.

    Blobs that look like images (by their magic bytes) are opened header-only with the
    pixel limit here, before any transaction; `image_checked` tells the importer which.
    """
    names = {i.filename for i in zf.infolist()} - {MANIFEST, SIGNATURE}
    if names != set(manifest.files):
        missing = sorted(set(manifest.files) ^ names)
        raise BundleTampered(shown, missing[0] if missing else "?")
    blob_dir = workdir / "blobs"
    blob_dir.mkdir(exist_ok=True)
    blobs: dict[str, Path] = {}
    for info in zf.infolist():
        kind = member_kind(info.filename)
        if kind in ("manifest", "signature"):
            continue
        entry = manifest.files[info.filename]
        if info.file_size != entry.size:
            raise BundleTampered(shown, info.filename)
        if kind == "blob":
            sha = blob_sha(info.filename)
            target = blob_dir / sha
            with target.open("wb") as fh:
                got, size, _ = zipsafe.read_member(zf, info, shown, sink=fh)
                fsync_file(fh)
            if got != entry.sha256 or got != sha or size != entry.size:
                raise BundleTampered(shown, info.filename)
            blobs[sha] = target
        else:
            got, size, _ = zipsafe.read_member(zf, info, shown, sink=_Null())
            if got != entry.sha256 or size != entry.size:
                raise BundleTampered(shown, info.filename)
    return blobs


def fetch_external(manifest: Manifest, folder: Path, workdir: Path, keys: LocalKeys,
                   shown: str) -> dict[str, Path]:
    """Decrypt each large blob from its own file beside the bundle, hashed like a member.

    The manifest (signed) names each file with its plaintext SHA-256 and size; the file is
    age-encrypted to us like the bundle, so a swapped or cut-short file fails here, before
    any transaction.
    """
    blob_dir = workdir / "blobs"
    blob_dir.mkdir(exist_ok=True)
    out: dict[str, Path] = {}
    for sha, ext in sorted(manifest.external.items()):
        src = folder / ext.file
        if not src.is_file():
            raise ExternalBlobMissing(shown, ext.file)
        # age adds 16 bytes to every 64 KiB chunk and a header of a few hundred bytes
        if src.stat().st_size > ext.size + (ext.size >> 12) + (1 << 20):
            raise BundleTampered(shown, ext.file)
        require_space(workdir, ext.size)
        target = blob_dir / sha
        try:
            with src.open("rb") as fin, target.open("wb") as fout:
                writer = HashingWriter(fout)
                try:
                    pyrage.decrypt_io(fin, writer, [keys.age_identity])
                except pyrage.DecryptError:
                    if writer.error is not None:
                        raise writer.error from None  # our disk is full
                    raise
                fsync_file(fout)
        except pyrage.DecryptError:
            raise BundleTampered(shown, ext.file) from None
        except OSError as exc:
            if exc.errno is not None:
                raise  # our own disk, or the stick pulled: not the file's fault
            raise BundleTampered(shown, ext.file) from None  # age's stream failed its MAC
        if writer.hexdigest() != sha or writer.size != ext.size:
            raise BundleTampered(shown, ext.file)
        out[sha] = target
    return out


def looks_like_image(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(16)
    return any(head.startswith(m) for m in _IMAGE_MAGIC)


def check_images(blobs: dict[str, Path], shown: str) -> set[str]:
    """Open every image-looking blob with the pixel limit; returns the checked hashes."""
    checked = set()
    for sha, path in sorted(blobs.items()):
        if looks_like_image(path):
            check_image(path, f"{shown}:{sha[:12]}")
            checked.add(sha)
    return checked


def require_photo_checked(sha: str, blobs: dict[str, Path], checked: set[str],
                          shown: str) -> None:
    """A blob a photo attachment points to must have passed the image check."""
    if sha in blobs and sha not in checked:
        raise NotAnImage(f"{shown}:{sha[:12]}")


class _Null:
    def write(self, data: bytes) -> int:
        return len(data)


def iter_lines(zf: zipfile.ZipFile, manifest: Manifest, shown: str,
               limits: Limits) -> Iterator[tuple[str, bytes]]:
    """(member, line) of every change file, in name order, each line capped in length."""
    for name in sorted(n for n in manifest.files if member_kind(n) == "changes"):
        with zf.open(name) as fh:
            tail = b""
            while chunk := fh.read(4 << 20):  # big reads: readline() is slow in zipfile
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                if len(tail) > limits.max_line_bytes:
                    raise BundleMalformed(shown, f"{name}: line too long")
                for line in lines:
                    if len(line) > limits.max_line_bytes:
                        raise BundleMalformed(shown, f"{name}: line too long")
                    yield name, line + b"\n"
            if tail:
                raise BundleMalformed(shown, f"{name}: last line unterminated")


def iter_changes(zf: zipfile.ZipFile, manifest: Manifest, shown: str,
                 limits: Limits) -> Iterator[RemoteChange]:
    """Decoded, individually hash-checked changes; ranges are checked by the importer."""
    for name, line in iter_lines(zf, manifest, shown, limits):
        yield decode_change_line(line, shown, name)

