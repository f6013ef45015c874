"""`ranger-app import-firms FILE`: the window's FIRMS import from the command line."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tests.test_cli import ranger

DATA = Path(__file__).parent / "data" / "firms"


def _hotspots(db: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM firms_hotspot").fetchone()[0]


def test_import_firms_prints_counts_and_refuses_bad_files(tmp_path: Path) -> None:
    db = str(tmp_path / "ked.db")
    assert ranger("--db", db, "init", "--station", "KED", home=tmp_path).returncode == 0

    modis = DATA / "MODIS_C6_1_Russia_Asia_7d.csv"
    rows = len(modis.read_text(encoding="utf-8").strip().splitlines()) - 1
    done = ranger("--db", db, "import-firms", str(modis), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{rows} MODIS hotspots, {rows} new" in done.stdout
    assert _hotspots(db) == rows

    again = ranger("--db", db, "import-firms", str(modis), home=tmp_path)
    assert again.returncode == 0 and ", 0 new" in again.stdout
    assert f"{rows} already known" in again.stdout

    before = hashlib.sha256(Path(db).read_bytes()).hexdigest()
    for bad in ("not_firms.csv", "VIIRS_bad_latitude.csv", "VIIRS_extra_columns.csv"):
        done = ranger("--db", db, "import-firms", str(DATA / bad), home=tmp_path)
        assert done.returncode == 3, (bad, done.stdout, done.stderr)
        assert bad in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert done.stdout == ""
    assert _hotspots(db) == rows
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == before

    ru = ranger("--db", db, "--lang", "ru", "import-firms", str(DATA / "not_firms.csv"),
                home=tmp_path)
    assert ru.returncode == 3 and "FIRMS" in ru.stderr
    assert any("а" <= ch <= "я" for ch in ru.stderr.lower())
