"""kill -9 of the importer or the exporter at any point (sync.md §6 #18, #19).

A child process imports (or exports) and is killed at a named step (through the hook) or
after a random delay. Afterwards the database passes `integrity_check`, holds the bundle
wholly or not at all, the re-import succeeds, and no orphan blob is left after recovery.
The fast default runs one kill per step; `RANGER_SLOW=1` runs 200 random kills.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from test_sync_support import T0, Site, introduce, make_site, patrol, send, state

from ranger_app import paths
from ranger_app.io.photos import attach_photo
from ranger_app.store.audit import verify
from ranger_app.store.db import Database
from ranger_app.store.models import Attachment, FireReport
from ranger_app.store.patrols import save_patrol
from ranger_app.store.sync_tables import SyncBundle
from ranger_app.sync import workspace
from ranger_app.sync.importer import import_bundle
from tests.conftest import CAMTRAP_MEDIA

REPO = Path(__file__).resolve().parents[1]
MEDIA = CAMTRAP_MEDIA
IMPORT_STEPS = ["staged", "decrypted", "verified", "changes-inserted", "folded", "journaled",
                "blobs-moved", "committed"]
EXPORT_STEPS = ["zipped", "encrypted", "part-written", "renamed", "verified", "recorded"]

CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from ranger_app.store.db import Database
    from ranger_app.sync.importer import import_bundle
    from ranger_app.sync.writer import export_bundle

    mode, db_path, target, step = sys.argv[1:5]
    db = Database.open(Path(db_path))
    print("ready", flush=True)

    def hook(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    if mode == "import":
        import_bundle(db, Path(target), hook=hook)
    else:
        export_bundle(db, "HQ", Path(target), hook=hook)
    print("done", flush=True)
""")


@pytest.fixture
def shared_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The child must find the same key files: one XDG data home for both processes."""
    xdg = tmp_path / "xdg"
    monkeypatch.setattr(paths, "user_data_dir", lambda: xdg / paths.APP_NAME)
    return dict(os.environ, XDG_DATA_HOME=str(xdg), PYTHONPATH=str(REPO))


def _run(env: dict[str, str], script: Path, *args: str, delay: float | None) -> str:
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    if delay is not None:
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    return out


def _station_with_data(tmp_path: Path) -> tuple[Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван")
    introduce(hq, a)
    p = patrol(a, "KED-1")
    for photo in sorted(MEDIA.glob("*.JPG"))[:3]:
        p.observations[0].photos.append(attach_photo(a.db.media, photo))
    save_patrol(a.db, p)
    with a.db.writer() as s:
        a.db.bulk_writer(s).insert_rows(FireReport, [
            {"detected_at": T0 + timedelta(hours=i), "lat": 43.0, "lon": 131.0,
             "notes": "x" * 200} for i in range(800)])
    return hq, a


def _media_ok(db: Database) -> None:
    """Every file in the media folder is referenced by a row: no orphans."""
    root = db.media.root
    files = {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    with db.session() as s:
        referenced = set(s.scalars(select(Attachment.sha256)))
    assert files <= referenced


def _import_runs(tmp_path: Path, env: dict[str, str], plan: list[tuple[str, float | None]]
                 ) -> None:
    hq, a = _station_with_data(tmp_path)
    bundle = send(a, hq, tmp_path / "stick")
    hq.db.close()
    a.db.close()
    pristine = tmp_path / "pristine.db"
    shutil.copy(hq.db.path, pristine)
    untouched = Database.open(shutil.copy(pristine, tmp_path / "untouched.db"))
    before = state(untouched)
    untouched.close()
    reference = Database.open(shutil.copy(pristine, tmp_path / "reference.db"))
    import_bundle(reference, bundle)
    after = state(reference)
    reference.close()
    assert before != after
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    def one_run(i: int, step: str, delay: float | None) -> None:
        run = tmp_path / f"run{i}.db"
        shutil.copy(pristine, run)
        _run(env, script, "import", str(run), str(bundle), step, delay=delay)
        db = Database.open(run)
        try:
            assert db.integrity_check() == "ok"
            assert state(db) in (before, after), (step, delay)  # all or nothing
            assert verify(db).ok
            workspace.recover(db)  # what the next import does first
            _media_ok(db)
            assert import_bundle(db, bundle).status in ("applied", "already")
            assert state(db) == after
            assert verify(db).ok
        finally:
            db.close()
            run.unlink()

    # Each run has its own copy of the database: two at a time keep both CPUs busy.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        for future in [pool.submit(one_run, i, step, delay)
                       for i, (step, delay) in enumerate(plan)]:
            future.result()


def test_sigkill_of_the_importer_at_every_step(tmp_path: Path,
                                               shared_home: dict[str, str]) -> None:
    plan: list[tuple[str, float | None]] = [(step, None) for step in IMPORT_STEPS]
    plan += [("none", 0.25)]
    _import_runs(tmp_path, shared_home, plan)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("RANGER_SLOW"), reason="set RANGER_SLOW=1 (200 runs)")
def test_sigkill_of_the_importer_200_random_runs(tmp_path: Path,
                                                 shared_home: dict[str, str]) -> None:
    rnd = random.Random(int(os.environ.get("RANGER_SLOW_SEED", "18")))
    runs = int(os.environ.get("RANGER_SLOW_RUNS", "200"))
    plan: list[tuple[str, float | None]] = [
        (rnd.choice(IMPORT_STEPS), None) if rnd.random() < 0.3 else ("none",
                                                                      rnd.uniform(0.0, 0.7))
        for _ in range(runs)]
    _import_runs(tmp_path, shared_home, plan)


def _exports(db: Database) -> int:
    with db.session() as s:
        return len(s.scalars(select(SyncBundle.id).where(SyncBundle.direction == "out")).all())


def test_sigkill_during_export_leaves_nothing_half_done(tmp_path: Path,
                                                        shared_home: dict[str, str]) -> None:
    from ranger_app.sync.writer import export_bundle

    hq, a = _station_with_data(tmp_path)
    a.db.close()
    hq.db.close()  # copied below: its keys must be in the main file, not only in the WAL
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    for i, (step, delay) in enumerate([(s, None) for s in EXPORT_STEPS] + [("none", 0.3)]):
        stick = tmp_path / f"stick{i}"
        db = Database.open(a.db.path)
        recorded_before = _exports(db)
        db.close()
        _run(shared_home, script, "export", str(a.db.path), str(stick), step, delay=delay)
        finals = list(stick.glob("*.rangerbundle")) if stick.exists() else []
        db = Database.open(a.db.path)
        try:
            if step in EXPORT_STEPS[:2]:  # died before the rename: no final file
                assert finals == []
            for final in finals:  # whatever has the final name is a whole, good bundle
                copy = Database.open(shutil.copy(hq.db.path, tmp_path / f"hq{i}.db"))
                assert import_bundle(copy, final).status == "applied"
                copy.close()
            if step in EXPORT_STEPS[:-1]:  # died before recording: not marked exported
                assert _exports(db) == recorded_before
            export_bundle(db, "HQ", stick)  # the next export cleans any .part and succeeds
            assert not list(stick.glob("*.part"))
        finally:
            db.close()
