"""Opening an untrusted zip: the whitelist and the caps, checked before any byte is used.

Python's `zipfile` accepts duplicate names (the last one wins), symlink entries, and sizes
that lie; `extractall` is never used. Every entry must be a regular file whose name matches
the bundle whitelist exactly; counts, total size and per-entry ratio are capped; members
are read through `read_member`, which stops at the declared size and lets zipfile's CRC
check catch a stream longer or shorter than declared.
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ranger_app.i18n import N_
from ranger_app.sync.bundle_format import Limits, member_kind
from ranger_app.sync.errors import BundleUnreadable, UnsafeArchive

CHUNK = 1 << 20
_ALLOWED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


def check_entries(zf: zipfile.ZipFile, path: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """Every rule about names and sizes; returns the entries in archive order."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeArchive(path, f"{len(infos)} entries", N_("exceeds the entry limit"))
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        raw_name = getattr(info, "orig_filename", name)
        if name in seen or raw_name in seen:
            raise UnsafeArchive(path, name, N_("appears twice"))
        seen.add(name)
        if member_kind(raw_name) is None or raw_name != name:
            raise UnsafeArchive(path, raw_name, N_("is not an allowed name"))
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no type recorded, a plain file
        if info.is_dir() or kind not in (0, stat.S_IFREG):
            raise UnsafeArchive(path, name, N_("is a link, a folder or a device, not a file"))
        if info.flag_bits & 0x1:
            raise UnsafeArchive(path, name, N_("is encrypted inside the archive"))
        if info.compress_type not in _ALLOWED_METHODS:
            raise UnsafeArchive(path, name, N_("uses an unsupported compression"))
        if info.file_size > limits.ratio_floor and (
            info.file_size > limits.max_ratio * max(info.compress_size, 1)
        ):
            raise UnsafeArchive(path, name, N_("expands too much (a zip bomb)"))
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeArchive(path, name, N_("makes the bundle too large when unpacked"))
    return infos


@contextmanager
def open_zip(path: Path, shown: str, limits: Limits) -> Iterator[zipfile.ZipFile]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleUnreadable(shown, f"inner archive: {exc}") from None
    try:
        check_entries(zf, shown, limits)
        yield zf
    finally:
        zf.close()


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str,
                sink: BinaryIO | None = None, limit: int | None = None) -> tuple[str, int, bytes]:
    """Stream one member: (sha256, size, bytes if no sink). Never more than declared."""
    cap = info.file_size if limit is None else min(info.file_size, limit)
    if info.file_size > cap:
        raise UnsafeArchive(shown, info.filename, N_("is larger than allowed"))
    digest = hashlib.sha256()
    kept: list[bytes] = []
    size = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise UnsafeArchive(shown, info.filename, N_("is longer than declared"))
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
                else:
                    kept.append(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # a local disk error (ENOSPC) is not the bundle's fault
        raise BundleUnreadable(shown, f"{info.filename}: {exc}") from None
    return digest.hexdigest(), size, b"".join(kept)
