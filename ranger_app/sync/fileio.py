"""Writing files that must survive a pulled stick or a power cut, and knowing when disk is full.

Every byte the sync layer writes goes through `HashingWriter` (so what was written is also
hashed, and a full disk surfaces in one place), is fsynced, and reaches its final name by
`os.replace` followed by an fsync of the folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from ranger_app.sync.errors import NotEnoughSpace

CHUNK = 1 << 20


class HashingWriter:
    """A write-only file object that hashes and counts what passes through it.

    pyrage turns an exception raised by `write` into its own Encrypt/DecryptError, which
    would hide a full disk; the original is kept in `error` so callers can re-raise it.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._digest = hashlib.sha256()
        self.size = 0
        self.error: BaseException | None = None

    def write(self, data: bytes) -> int:
        try:
            self._put(data)
        except BaseException as exc:
            self.error = exc
            raise
        self._digest.update(data)
        self.size += len(data)
        return len(data)

    def _put(self, data: bytes) -> None:
        self._fh.write(data)

    def flush(self) -> None:
        self._fh.flush()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def fsync_file(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder for fsync; NTFS journals the rename
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_stream(src: BinaryIO, dst: BinaryIO) -> None:
    while chunk := src.read(CHUNK):
        dst.write(chunk)


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def require_space(where: Path, needed: int) -> None:
    free = free_bytes(where)
    if free < needed:
        raise NotEnoughSpace(str(where), needed, free)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def remove_quietly(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
