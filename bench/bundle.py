"""Bundle export and import at scale: changes per second, photo MB/s, peak memory.

    .venv/bin/python bench/bundle.py [--changes 200000] [--photo-mb 2048] [--dir DIR]

Station KED logs `--changes` observations (bulk, each with its chained change row) and
`--photo-mb` of photos (4 MB each; valid JPEG headers, incompressible bodies). Two bundles
go to HQ: the changes alone, then the photos with their attachment rows, so each figure
measures one thing. Every export and import runs in a fresh child process, whose peak RSS
is reported (target: flat, under 300 MB). The import rate is compared with a plain
`sqlite3.executemany` of the same rows (change rows plus record rows) into an empty
database of the same schema, in the same run (target: within 5×).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PHOTO_MB = 4


def _private_keys_folder(work: Path) -> None:
    """Keep the bench's key files out of the user's real data folder."""
    from ranger_app import paths

    paths.user_data_dir = lambda: work / "userdata"  # type: ignore[assignment]


def _peak_rss_mb() -> float:
    """This process's peak resident memory. `ru_maxrss` would include the parent's peak
    (Linux carries it across fork and exec), so VmHWM of this image is read when present."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --- child phases --------------------------------------------------------------------------

def phase(name: str, work: Path, arg: str) -> None:
    _private_keys_folder(work)
    from ranger_app.store.db import Database
    from ranger_app.sync.importer import import_bundle
    from ranger_app.sync.writer import export_bundle

    start = time.perf_counter()
    if name == "export":
        db = Database.open(work / "KED.db")
        result = export_bundle(db, "HQ", work / arg)
        out = {"path": str(result.path), "changes": result.changes, "blobs": result.blobs,
               "blob_bytes": result.blob_bytes, "size": result.size}
    elif name == "import":
        db = Database.open(work / "HQ.db")
        report = import_bundle(db, Path(arg))
        out = {"status": report.status, "changes": report.changes_new, "blobs": report.blobs}
    else:  # "ack": HQ answers, so the next station bundle holds only what is new
        hq = Database.open(work / "HQ.db")
        path = export_bundle(hq, "KED", work / "ack").path
        hq.close()
        db = Database.open(work / "KED.db")
        out = {"status": import_bundle(db, path).status}
    db.close()
    out |= {"seconds": time.perf_counter() - start, "peak_rss_mb": _peak_rss_mb()}
    print(json.dumps(out))


def _run_phase(name: str, work: Path, arg: str = "") -> dict[str, object]:
    proc = subprocess.run([sys.executable, __file__, "_phase", name, str(work), arg],
                          check=True, capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- making the data -----------------------------------------------------------------------

def _setup(work: Path, n_changes: int) -> tuple[str, list[str]]:
    from ranger_app.domain.records import PatrolValue
    from ranger_app.store.db import Database
    from ranger_app.store.models import Observation
    from ranger_app.store.patrols import save_patrol
    from ranger_app.store.setup import StationSetup, init_station
    from ranger_app.sync import trust
    from ranger_app.sync.identity import ensure_keys

    sites = {}
    for code, hq in (("KED", False), ("HQ", True)):
        db = Database.open(work / f"{code}.db", create=True)
        init_station(db, StationSetup(code, code, f"Ranger {code}", "ru", hq=hq))
        ensure_keys(db)
        trust.export_key_file(db, work / f"{code}.keys")
        sites[code] = db
    trust.trust_key_file(sites["KED"], work / "HQ.keys")
    trust.trust_key_file(sites["HQ"], work / "KED.keys")
    ked = sites["KED"]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    per_patrol = 1000
    patrols = []
    for i in range(math.ceil(n_changes / (per_patrol + 1))):
        start = t0 + timedelta(days=i)
        p = save_patrol(ked, PatrolValue(station_uuid=ked.installation().station_uuid,
                                         number=f"KED-{i:05d}", start_at=start,
                                         end_at=start + timedelta(hours=8)))
        patrols.append(p.uuid or "")
    made = len(patrols)
    batch = 20_000
    while made < n_changes:
        rows = []
        for j in range(min(batch, n_changes - made)):
            k = made + j
            rows.append({"patrol_uuid": patrols[k % len(patrols)],
                         "observed_at": t0 + timedelta(minutes=k), "lat": 43.0 + k * 1e-6,
                         "lon": 131.0, "category": "TIGER_TRACK", "attributes": "{}",
                         "notes": f"Следы у ключа №{k}", "count": 1})
        with ked.writer() as s:
            made += ked.bulk_writer(s).insert_rows(Observation, rows)
    for db in sites.values():
        db.close()
    return patrols[0], patrols


def _jpeg_header() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(buf, "JPEG")
    return buf.getvalue()


def _add_photos(work: Path, megabytes: int, patrol: str) -> int:
    from ranger_app.store.db import Database
    from ranger_app.store.models import Attachment

    db = Database.open(work / "KED.db")
    head = _jpeg_header()
    count = math.ceil(megabytes / PHOTO_MB) if megabytes else 0
    rows = []
    for i in range(count):
        body = head + os.urandom(PHOTO_MB * 1024 * 1024 - len(head))
        sha, size = db.media.put_bytes(body)
        rows.append({"sha256": sha, "kind": "photo", "owner_entity": "patrol",
                     "owner_uuid": patrol, "filename": f"IMG_{i:04d}.JPG",
                     "mime": "image/jpeg", "size": size, "width": 64, "height": 48})
        if len(rows) == 50 or i == count - 1:
            with db.writer() as s:
                db.bulk_writer(s).insert_rows(Attachment, rows)
            rows = []
    db.close()
    return count


# --- the baseline ----------------------------------------------------------------------------

def _baseline(work: Path) -> tuple[int, float]:
    """The same rows HQ received, written with a bare executemany into an empty schema."""
    from ranger_app.store.db import Database

    empty = work / "empty.db"
    Database.open(empty, create=True).close()
    src = sqlite3.connect(work / "HQ.db")
    device = src.execute("SELECT value FROM meta WHERE key='device_id'").fetchone()[0]
    tables = {"change_log": f"SELECT * FROM change_log WHERE device != '{device}'",
              "patrol": "SELECT * FROM patrol", "observation": "SELECT * FROM observation"}
    data = {t: src.execute(q).fetchall() for t, q in tables.items()}
    cols = {t: len(src.execute(f"SELECT * FROM {t} LIMIT 0").description) for t in tables}
    src.close()
    dst = sqlite3.connect(empty, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=FULL")
    dst.execute("PRAGMA foreign_keys=OFF")
    dst.execute("DELETE FROM change_log")
    start = time.perf_counter()
    dst.execute("BEGIN IMMEDIATE")
    for t in ("change_log", "patrol", "observation"):
        dst.executemany(f"INSERT OR REPLACE INTO {t} VALUES ({','.join('?' * cols[t])})",
                        data[t])
    dst.execute("COMMIT")
    elapsed = time.perf_counter() - start
    dst.close()
    return len(data["change_log"]), elapsed


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_phase":
        phase(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=200_000)
    ap.add_argument("--photo-mb", type=int, default=2048)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp one)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    work.mkdir(parents=True, exist_ok=True)
    _private_keys_folder(work)
    try:
        t = time.perf_counter()
        first_patrol, _ = _setup(work, args.changes)
        print(f"setup: {args.changes} observations in {time.perf_counter() - t:.1f} s")

        exp = _run_phase("export", work, "stick1")
        imp = _run_phase("import", work, str(exp["path"]))
        n = int(imp["changes"])  # type: ignore[call-overload]
        base_rows, base_s = _baseline(work)
        imp_rate = n / float(imp["seconds"])  # type: ignore[arg-type]
        base_rate = base_rows / base_s
        print(f"changes export: {exp['changes']} changes, {float(exp['size']) / 1e6:.1f} MB "
              f"bundle in {float(exp['seconds']):.1f} s "
              f"({int(exp['changes']) / float(exp['seconds']):,.0f} changes/s), "
              f"peak RSS {float(exp['peak_rss_mb']):.0f} MB")
        print(f"changes import: {n} changes in {float(imp['seconds']):.1f} s "
              f"({imp_rate:,.0f} changes/s), peak RSS {float(imp['peak_rss_mb']):.0f} MB")
        print(f"plain sqlite3 executemany of the same rows: {base_rows} change rows + records "
              f"in {base_s:.2f} s ({base_rate:,.0f} changes/s); import is "
              f"{base_rate / imp_rate:.1f}x slower (target <= 5x)")

        if args.photo_mb:
            _run_phase("ack", work)
            t = time.perf_counter()
            photos = _add_photos(work, args.photo_mb, first_patrol)
            print(f"setup: {photos} photos of {PHOTO_MB} MB in {time.perf_counter() - t:.1f} s")
            exp = _run_phase("export", work, "stick2")
            shutil.rmtree(work / "stick1", ignore_errors=True)
            imp = _run_phase("import", work, str(exp["path"]))
            mb = float(exp["blob_bytes"]) / 1e6  # type: ignore[arg-type]
            print(f"photos export: {exp['blobs']} files, {mb:.0f} MB in "
                  f"{float(exp['seconds']):.1f} s ({mb / float(exp['seconds']):.0f} MB/s), "
                  f"peak RSS {float(exp['peak_rss_mb']):.0f} MB")
            print(f"photos import: {imp['blobs']} files in {float(imp['seconds']):.1f} s "
                  f"({mb / float(imp['seconds']):.0f} MB/s), "
                  f"peak RSS {float(imp['peak_rss_mb']):.0f} MB")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
