"""What a SMART round trip costs beyond lxml itself.

Run: `.venv/bin/python bench/smart_roundtrip.py [--patrols 1000] [--points 300]`

Fills a station with patrols (two legs, one across local midnight, a track of `--points`
fixes and four observations with attributes each), then times in the same run:
(a) `export_smart` of every patrol (load, map, split days, encode, write, fsync) against
lxml alone serialising the very same documents; (b) `import_smart` of the files into a
fresh station (secure parse, convert, validate, one transaction through the change log)
against lxml alone parsing them; (c) the same import again (every patrol already there).
Prints seconds, patrols per second and the ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import ranger_app  # noqa: F401 - only to see whether the package is importable
except ModuleNotFoundError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree

from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    TrackValue,
)
from ranger_app.domain.track import TrackPoint, pack_points, track_stats
from ranger_app.io.smart.export import export_smart
from ranger_app.io.smart.importer import import_smart
from ranger_app.store.db import Database
from ranger_app.store.patrols import save_patrol
from ranger_app.store.queries import people
from ranger_app.store.setup import StationSetup, init_station

T0 = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)  # 17:00 in Vladivostok


def station(path: Path, code: str) -> Database:
    db = Database.open(path, create=True)
    init_station(db, StationSetup(code, "Кедровая падь", "Иван Петров", "ru"))
    return db


def fill(db: Database, patrols: int, points: int) -> None:
    me = people(db)[0]
    for k in range(patrols):
        t0 = T0 + timedelta(days=k % 300, minutes=k)
        a = [TrackPoint(43.0 + i * 1e-3, 131.0 + (i % 7) * 4e-4, None,
                        t0 + timedelta(minutes=3 * i)) for i in range(points)]
        t1 = a[-1].time + timedelta(minutes=30)
        b = [TrackPoint(43.2 + i * 1e-3, 131.2, None, t1 + timedelta(minutes=i))
             for i in range(points // 3)]
        save_patrol(db, PatrolValue(
            station_uuid=me.station_uuid, number=f"B-{k}", start_at=t0, end_at=b[-1].time,
            legs=[LegValue("FOOT", t0, a[-1].time, [MemberValue(me.uuid, True)]),
                  LegValue("SKI", t1, b[-1].time, [MemberValue(me.uuid, True)])],
            tracks=[TrackValue(pack_points(a), track_stats(a), leg_ordinal=1),
                    TrackValue(pack_points(b), track_stats(b), leg_ordinal=2)],
            observations=[
                ObservationValue("SNARE", t0 + timedelta(hours=1), 43.01, 131.0,
                                 attributes={"material": "WIRE", "snare_count": 2}),
                ObservationValue("CAMP", t0 + timedelta(hours=2), 43.02, 131.0,
                                 attributes={"occupied": False, "people_count": 3}),
                ObservationValue("VEHICLE", t0 + timedelta(hours=3), 43.03, 131.0,
                                 attributes={"plate_number": "А123ВС"}),
                ObservationValue("TIGER_TRACK", t1, 43.2, 131.2,
                                 attributes={"pad_width_cm": 10.5}, count=2),
            ]))


def timed(what: str, fn, best_of: int = 1):  # type: ignore[no-untyped-def]
    """Seconds of `fn` (the best of `best_of` runs: the baselines are short and the
    machine is shared) and its result."""
    runs = []
    for _ in range(best_of):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    dt = min(runs)
    print(f"  {what:50} {dt:8.2f} s")
    return dt, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patrols", type=int, default=1000)
    ap.add_argument("--points", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = station(root / "src.db", "KED")
        print(f"{args.patrols} patrols, {args.points + args.points // 3} track points each")
        timed("filling the station (not compared)", lambda: fill(src, args.patrols, args.points))
        out = root / "smart"
        t_export, result = timed("export_smart", lambda: export_smart(src, None, out))
        files = list(result.files)
        trees = [etree.parse(str(f)) for f in files]
        base = root / "lxml"
        base.mkdir()

        def lxml_write() -> None:
            for i, tree in enumerate(trees):
                with (base / f"{i}.xml").open("wb") as fh:
                    tree.write(fh, xml_declaration=True, encoding="UTF-8")

        t_write, _ = timed("lxml alone: write the same documents (best of 3)", lxml_write, 3)
        t_parse, _ = timed("lxml alone: parse them (best of 3)",
                           lambda: [etree.parse(str(f)) for f in files], 3)
        dst = station(root / "dst.db", "HQ")
        t_import, r = timed("import_smart into a fresh station", lambda: import_smart(dst, files))
        t_again, r2 = timed("import_smart again (all already there)",
                            lambda: import_smart(dst, files))
        assert len(r.imported) == args.patrols and len(r2.already_present) == args.patrols
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"  {size:.1f} MB of XML")
        print(f"export: {args.patrols / t_export:7.0f} patrols/s, "
              f"{t_export / t_write:5.1f}x lxml's write")
        print(f"import: {args.patrols / t_import:7.0f} patrols/s, "
              f"{t_import / t_parse:5.1f}x lxml's parse "
              f"(again: {t_again / t_parse:.1f}x)")
        src.close()
        dst.close()


if __name__ == "__main__":
    main()
