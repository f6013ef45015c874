"""Content-addressed files beside the database: `<db>.media/sha256/ab/abcdef…`.

Originals are stored byte for byte (never re-encoded) under their SHA-256; storing the same
photo twice costs nothing. Writes go to a temporary name, are fsynced, then renamed.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BadDigest(ValueError):
    """A name that is not a SHA-256 would let a crafted bundle escape the media folder."""


def check_digest(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise BadDigest(sha256)
    return sha256


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def put_file(self, source: Path) -> tuple[str, int]:
        with source.open("rb") as fh:
            return self.put_stream(fh)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        from io import BytesIO

        return self.put_stream(BytesIO(data))

    def put_stream(self, stream: BinaryIO) -> tuple[str, int]:
        """Copy a stream in, returning (sha256, size)."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.exists():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp_name, 0o644)
                os.replace(tmp_name, final)
                _fsync_dir(final.parent)  # the rename itself must survive a power cut
            return sha, size
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def thumbnail_path(self, sha256: str, size: int) -> Path:
        check_digest(sha256)
        return self.root / "thumbs" / str(size) / sha256[:2] / f"{sha256}.jpg"


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
