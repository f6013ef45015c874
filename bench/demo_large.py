"""Time `generate(scale="large")`: 20,000 patrols, 200,000 observations, 5 M track points.

Usage: python bench/demo_large.py [DB_PATH]   (a temporary database when no path is given)
Prints elapsed seconds, rows per second (records; each also writes one change-log row),
patrols, observations, track points and the database size.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from ranger_app.demo import generate
from ranger_app.store.db import Database


def _size_mb(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


def _progress(started: float) -> object:
    shown = [-1]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // total
        if tenth != shown[0]:
            shown[0] = tenth
            print(f"  {done}/{total} after {time.perf_counter() - started:.1f} s",
                  file=sys.stderr, flush=True)

    return report


def run(path: Path) -> None:
    db = Database.open(path, create=True)
    started = time.perf_counter()
    summary = generate(db, scale="large", seed=1, progress=_progress(started))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    db.close()
    rows = sum(summary["records"].values())
    print(f"elapsed_s      {elapsed:.1f}")
    print(f"records        {rows}  (+ {rows} change-log rows)")
    print(f"records_per_s  {rows / elapsed:.0f}")
    print(f"patrols        {summary['patrols']}")
    print(f"observations   {summary['observations']}")
    print(f"track_points   {summary['track_points']}")
    print(f"db_size_mb     {_size_mb(path):.1f}")


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        run(Path(argv[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="demo-large-") as tmp:
        run(Path(tmp) / "large.db")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
