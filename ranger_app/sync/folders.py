"""Folder transport: the same bundles, written to an outbox and read from an inbox folder.

For stations that sometimes see a network share or a synced folder instead of a stick.
Each peer may have an outbox (where bundles for it are written) and an inbox (where its
bundles arrive). Reading the inbox imports every bundle in it, oldest first, and moves each
file to `done/` (applied, already imported, or waiting for earlier ones) or `rejected/`
(with a `.txt` note saying why), so a folder never feeds the same file twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ranger_app.domain.errors import RangerError
from ranger_app.i18n.messages import describe
from ranger_app.store.db import Database
from ranger_app.sync import trust
from ranger_app.sync.bundle_format import EXTERNAL_SUFFIX, SUFFIX
from ranger_app.sync.errors import UnknownPeer
from ranger_app.sync.importer import import_bundle
from ranger_app.sync.writer import ExportResult, export_bundle


@dataclass(frozen=True)
class FolderImport:
    name: str
    status: str  # applied | already | pending | rejected
    message: str = ""


def configure(db: Database, code: str, outbox: Path | None, inbox: Path | None) -> None:
    peer = trust.peer_by_code(db, code)
    trust.set_folders(db, peer.fingerprint, str(outbox or ""), str(inbox or ""))


def send(db: Database, code: str) -> ExportResult:
    peer = trust.peer_by_code(db, code)
    if not peer.outbox_dir:
        raise UnknownPeer(code)
    return export_bundle(db, code, Path(peer.outbox_dir))


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    os.replace(path, target)
    return target


def receive(db: Database, code: str) -> list[FolderImport]:
    peer = trust.peer_by_code(db, code)
    if not peer.inbox_dir:
        raise UnknownPeer(code)
    inbox = Path(peer.inbox_dir)
    if not inbox.exists():
        return []
    files = sorted(inbox.glob("*" + SUFFIX), key=lambda p: (p.stat().st_mtime, p.name))
    results = []
    for path in files:
        try:
            report = import_bundle(db, path)
        except RangerError as err:
            moved = _move(path, inbox / "rejected")
            message = describe(err)
            moved.with_name(moved.name + ".txt").write_text(message + "\n", encoding="utf-8")
            results.append(FolderImport(path.name, "rejected", message))
            continue
        _move(path, inbox / "done")
        results.append(FolderImport(path.name, report.status))
    if files and not any(inbox.glob("*" + SUFFIX)):
        # large blobs beside the bundles (docs/sync.md): applied, or parked with theirs
        for blob in inbox.glob("*" + EXTERNAL_SUFFIX):
            _move(blob, inbox / "done")
    return results
