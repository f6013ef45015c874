"""Bundle import into an HQ on PostgreSQL vs a bare `COPY` of the same rows, in one run.

    eval "$(.ci/start_postgres.sh)"
    .venv/bin/python bench/pg_import.py [--changes 200000] [--url postgresql://…]

Station KED (SQLite) logs `--changes` observations (bulk, each with its chained change row)
and exports one bundle to HQ, whose database is a fresh PostgreSQL database on the server
(`--url`, default RANGER_TEST_PG_URL; the role needs CREATEDB). The import (decrypt, verify,
insert, fold, audit-chain checks, commit) is timed in this process. The baseline takes the
rows the import wrote (change rows plus record rows) and loads them with psycopg's
`cursor.copy()` (`COPY … FROM STDIN`) into a second fresh database of the same schema, in one
transaction: the fastest way PostgreSQL takes rows. Both databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _database(admin: str, name: str, drop: bool = False) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin.replace("postgresql+psycopg://", "postgresql://", 1))
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _setup(work: Path, hq_url: str, n_changes: int) -> None:
    from ranger_app.domain.records import PatrolValue
    from ranger_app.store.db import Database
    from ranger_app.store.models import Observation
    from ranger_app.store.patrols import save_patrol
    from ranger_app.store.setup import StationSetup, init_station
    from ranger_app.sync import trust
    from ranger_app.sync.identity import ensure_keys

    sites = {}
    for code, where, hq in (("KED", work / "KED.db", False), ("HQ", hq_url, True)):
        db = Database.open(where, create=True)
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
    while made < n_changes:
        rows = []
        for j in range(min(20_000, n_changes - made)):
            k = made + j
            rows.append({"patrol_uuid": patrols[k % len(patrols)],
                         "observed_at": t0 + timedelta(minutes=k), "lat": 43.0 + k * 1e-6,
                         "lon": 131.0, "category": "TIGER_TRACK", "attributes": "{}",
                         "notes": f"Следы у ключа №{k}", "count": 1})
        with ked.writer() as s:
            made += ked.bulk_writer(s).insert_rows(Observation, rows)
    for db in sites.values():
        db.close()


def _copy_baseline(hq_url: str, empty_url: str) -> tuple[int, float]:
    """The rows the import wrote, loaded into an empty schema with `COPY … FROM STDIN`."""
    import psycopg

    from ranger_app.store.db import Database
    from ranger_app.store.models import SYNCED_MODELS, Base

    Database.open(empty_url, create=True).close()  # same schema, by the same migrations
    with psycopg.connect(hq_url) as src:
        device = src.execute("SELECT value FROM meta WHERE key='device_id'").fetchone()[0]
        queries = {"change_log": ("SELECT * FROM change_log WHERE device != %s", (device,))}
        for table in Base.metadata.sorted_tables:  # parents first; HQ's own two rows too
            if table.name in SYNCED_MODELS:
                queries[table.name] = (f'SELECT * FROM "{table.name}"', ())
        data, cols = {}, {}
        for table, (sql, params) in queries.items():
            cur = src.execute(sql, params)
            cols[table] = [d.name for d in cur.description]
            data[table] = cur.fetchall()
    with psycopg.connect(empty_url) as dst:
        dst.execute("DELETE FROM change_log")
        dst.commit()
        start = time.perf_counter()
        with dst.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in queries:
                names = ", ".join(f'"{c}"' for c in cols[table])
                with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in data[table]:
                        copy.write_row(row)
        dst.commit()
        elapsed = time.perf_counter() - start
    return len(data["change_log"]), elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=200_000)
    ap.add_argument("--url", default=os.environ.get("RANGER_TEST_PG_URL"),
                    help="a server URL whose role may CREATE DATABASE")
    args = ap.parse_args()
    if not args.url:
        sys.exit("no server: pass --url or run `eval \"$(.ci/start_postgres.sh)\"` first")
    work = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    from ranger_app import paths

    paths.user_data_dir = lambda: work / "userdata"  # type: ignore[assignment]
    os.environ["RANGER_HQ_FILES"] = str(work / "hq-files")
    tag = secrets.token_hex(4)
    hq_name, empty_name = f"bench_hq_{tag}", f"bench_copy_{tag}"
    hq_url = _database(args.url, hq_name)
    empty_url = _database(args.url, empty_name)
    try:
        from ranger_app.store.db import Database
        from ranger_app.sync.importer import import_bundle
        from ranger_app.sync.writer import export_bundle

        t = time.perf_counter()
        _setup(work, hq_url, args.changes)
        print(f"setup: {args.changes} observations at KED in {time.perf_counter() - t:.1f} s")
        ked = Database.open(work / "KED.db")
        bundle = export_bundle(ked, "HQ", work / "stick").path
        ked.close()
        hq = Database.open(hq_url)
        start = time.perf_counter()
        report = import_bundle(hq, bundle)
        imp_s = time.perf_counter() - start
        hq.close()
        assert report.status == "applied", report.status
        n = report.changes_new
        rows, copy_s = _copy_baseline(hq_url, empty_url)
        imp_rate, copy_rate = n / imp_s, rows / copy_s
        print(f"bundle import into PostgreSQL: {n} changes in {imp_s:.1f} s "
              f"({imp_rate:,.0f} changes/s)")
        print(f"COPY of the same rows ({rows} change rows + their records): {copy_s:.2f} s "
              f"({copy_rate:,.0f} changes/s)")
        print(f"ratio: bundle import is {copy_rate / imp_rate:.1f}x slower than COPY")
    finally:
        for name in (hq_name, empty_name):
            _database(args.url, name, drop=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
