"""The sync folder beside the database: staging, pending and quarantined bundles, journals.

`<db>.sync/` lives on the laptop's disk, never on the stick, so decrypted plaintext never
touches removable media. A staging folder belongs to one process (its pid is in the name);
whatever a killed process left is removed by `recover`, which also deletes blobs that an
interrupted import moved into the media folder but never committed a row for (each import
journals the blobs it adds before moving them).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from ranger_app.store.db import Database
from ranger_app.store.models import BLOB_FIELDS, SYNCED_MODELS
from ranger_app.sync.fileio import fsync_dir, remove_quietly


def sync_dir(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".sync")


def pending_dir(db: Database) -> Path:
    return sync_dir(db) / "pending"


def quarantine_dir(db: Database) -> Path:
    return sync_dir(db) / "quarantine"


def _staging_root(db: Database) -> Path:
    return sync_dir(db) / "staging"


def _journal_root(db: Database) -> Path:
    return sync_dir(db) / "journal"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _owner(path: Path) -> int:
    try:
        return int(path.name.split("-", 1)[0])
    except ValueError:
        return 0


@contextmanager
def staging(db: Database) -> Iterator[Path]:
    """A private folder for one import or export, removed afterwards whatever happens."""
    root = _staging_root(db)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{os.getpid()}-{secrets.token_hex(6)}"
    path.mkdir()
    try:
        yield path
    finally:
        remove_quietly(path)


class BlobJournal:
    """Names the blobs an import is about to add, so a crash before commit leaves no orphan."""

    def __init__(self, db: Database) -> None:
        root = _journal_root(db)
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"{os.getpid()}-{secrets.token_hex(6)}.json"

    def write(self, shas: list[str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(shas, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def referenced_blobs(db: Database, shas: list[str]) -> set[str]:
    """Which of `shas` a row still names (store.models.BLOB_FIELDS)."""
    found: set[str] = set()
    columns = [getattr(SYNCED_MODELS[entity], field) for entity, field in BLOB_FIELDS.items()]
    with db.session() as s:
        for i in range(0, len(shas), 500):
            part = shas[i:i + 500]
            for column in columns:
                found.update(s.scalars(select(column).where(column.in_(part))))
    return found


def recover(db: Database) -> int:
    """Clean up after killed imports and exports; returns how many orphan blobs went."""
    removed = 0
    for path in sorted(_journal_root(db).glob("*.json")) if _journal_root(db).exists() else []:
        if _alive(_owner(path)):
            continue
        try:
            shas = [s for s in json.loads(path.read_text(encoding="utf-8")) if isinstance(s, str)]
        except (OSError, ValueError):
            shas = []
        keep = referenced_blobs(db, shas)
        for sha in shas:
            if sha not in keep:
                try:
                    target = db.media.path_for(sha)
                except ValueError:
                    continue
                if target.exists():
                    target.unlink()
                    removed += 1
        path.unlink(missing_ok=True)
    root = _staging_root(db)
    if root.exists():
        for path in root.iterdir():
            if not _alive(_owner(path)):
                remove_quietly(path)
    return removed
