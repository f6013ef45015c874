"""GeoJSON, CSV and KML exports, read back by the tools HQ analysts use (issue 10.6).

Counts are checked against the database with plain SQL, not against the exporter's own
report, and the files are opened with GDAL's `ogrinfo` (Debian's gdal-bin) and `xmllint`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from ranger_app.demo import generate
from ranger_app.domain.vocab import vocabulary
from ranger_app.io.open_formats.service import export
from ranger_app.io.open_formats.writers import ExportCancelled
from ranger_app.store.db import Database

REPO = Path(__file__).resolve().parents[1]
REQUIRE_TOOLS = os.environ.get("RANGER_REQUIRE_TOOLS") == "1"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRE_TOOLS:
            pytest.fail(f"{name} is required here (RANGER_REQUIRE_TOOLS=1)")
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "demo.db"
    db = Database.open(path, create=True)
    generate(db, scale="small", seed=5)
    db.close()
    return path


def _sql(path: Path, query: str) -> int:
    with sqlite3.connect(path) as con:
        return int(con.execute(query).fetchone()[0])


def expected_counts(path: Path) -> dict[str, int]:
    live = "deleted = 0"
    return {
        "patrols": _sql(path, f"SELECT count(*) FROM patrol WHERE {live} AND uuid IN "
                              f"(SELECT patrol_uuid FROM track WHERE {live} AND point_count >= 2)"),
        "observations": _sql(path, f"SELECT count(*) FROM observation WHERE {live} "
                                   "AND lat IS NOT NULL AND lon IS NOT NULL"),
        "fires": _sql(path, f"SELECT count(*) FROM fire_report WHERE {live} "
                            "AND lat IS NOT NULL"),
        "fire_perimeters": _sql(path, f"SELECT count(*) FROM fire_report WHERE {live} "
                                      "AND json_array_length(perimeter) >= 3"),
        "feeding_sites": _sql(path, f"SELECT count(*) FROM feeding_site WHERE {live}"),
        "camera_locations": _sql(path, f"SELECT count(*) FROM camera_location WHERE {live}"),
    }


def ogr_layers(path: Path) -> dict[str, tuple[int, str]]:
    """Layer name → (feature count, geometry type) as GDAL reads the file."""
    out = subprocess.run([_tool("ogrinfo"), "-ro", "-so", "-al", str(path)],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    layers: dict[str, tuple[int, str]] = {}
    for block in out.split("Layer name: ")[1:]:
        name = block.splitlines()[0].strip()
        count = int(re.search(r"Feature Count: (\d+)", block).group(1))  # type: ignore[union-attr]
        geometry = re.search(r"Geometry: (.+)", block)
        layers[name] = (count, geometry.group(1).strip() if geometry else "")
    return layers


# --- GeoJSON ------------------------------------------------------------------------------

def test_geojson_opens_in_gdal_with_the_right_counts_and_geometry(demo_db: Path,
                                                                  tmp_path: Path) -> None:
    db = Database.open(demo_db)
    written = export(db, "geojson", tmp_path / "gis", lang="ru")
    db.close()
    expected = expected_counts(demo_db)
    assert {w.table: w.count for w in written} == expected
    geometry = {"patrols": "Multi Line String", "fire_perimeters": "Polygon"}
    for name, count in expected.items():
        assert count > 0, name  # the demo has every kind, so the test means something
        layers = ogr_layers(tmp_path / "gis" / f"{name}.geojson")
        assert list(layers.values()) == [(count, geometry.get(name, "Point"))], name


def test_geojson_follows_rfc_7946(demo_db: Path, tmp_path: Path) -> None:
    db = Database.open(demo_db)
    export(db, "geojson", tmp_path, names=["observations", "fire_perimeters"], lang="zh")
    db.close()
    obs = json.loads((tmp_path / "observations.geojson").read_text(encoding="utf-8"))
    assert "crs" not in obs and obs["type"] == "FeatureCollection"
    lon, lat = obs["features"][0]["geometry"]["coordinates"]
    assert 129 < lon < 134 and 41 < lat < 45  # longitude first, in the park
    props = obs["features"][0]["properties"]
    assert props["category_label"] == vocabulary("observation_categories").label(
        props["category"], "zh")
    ring = json.loads((tmp_path / "fire_perimeters.geojson").read_text(encoding="utf-8"))[
        "features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 4
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))
    assert area2 > 0  # exterior ring counterclockwise (right-hand rule)


# --- CSV ----------------------------------------------------------------------------------

def test_csv_is_what_excel_and_gdal_read(demo_db: Path, tmp_path: Path) -> None:
    db = Database.open(demo_db)
    export(db, "csv", tmp_path, lang="ru")
    db.close()
    tables = {"patrols": "patrol", "observations": "observation", "fires": "fire_report",
              "feeding_sites": "feeding_site", "feeding_visits": "feeding_visit",
              "camera_locations": "camera_location", "camera_visits": "service_visit"}
    for name, table in tables.items():
        path = tmp_path / f"{name}.csv"
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # the BOM Excel needs for UTF-8
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        want = _sql(demo_db, f"SELECT count(*) FROM {table} WHERE deleted = 0")
        assert want > 0 and len(rows) == want + 1, name  # a header row, one row per record
        assert len({len(r) for r in rows}) == 1, name  # every row as wide as the header
        (count, _geometry), = ogr_layers(path).values()
        assert count == want, name
    with (tmp_path / "observations.csv").open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh))
    label = vocabulary("observation_categories").label(first["category"], "ru")
    assert first["category_label"] == label and re.search("[а-яА-Я]", label)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+10:00", first["observed_at"])


# --- KML ----------------------------------------------------------------------------------

def test_kml_is_well_formed_and_gdal_counts_each_folder(demo_db: Path, tmp_path: Path) -> None:
    db = Database.open(demo_db)
    path = tmp_path / "earth" / "park.kml"
    export(db, "kml", path, lang="en")
    db.close()
    subprocess.run([_tool("xmllint"), "--noout", str(path)], check=True, timeout=120)
    assert 'xmlns="http://www.opengis.net/kml/2.2"' in path.read_text(encoding="utf-8")[:300]
    counts = {name: count for name, (count, _g) in ogr_layers(path).items()}
    expected = expected_counts(demo_db)
    assert counts == {"Patrols": expected["patrols"], "Observations": expected["observations"],
                      "Fire reports": expected["fires"],
                      "Fire perimeters": expected["fire_perimeters"],
                      "Feeding sites": expected["feeding_sites"],
                      "Camera-trap locations": expected["camera_locations"]}


# --- the command line and bad targets -----------------------------------------------------

def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    return subprocess.run([sys.executable, "-m", "ranger_app", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300)


def test_cli_exports_with_the_patrol_filter(demo_db: Path, tmp_path: Path) -> None:
    run = _cli(tmp_path, "--db", str(demo_db), "export-csv", str(tmp_path / "out"),
               "--station", "KED", "--type", "patrols")
    assert run.returncode == 0, run.stderr
    with (tmp_path / "out" / "patrols.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ked = _sql(demo_db, "SELECT count(*) FROM patrol p JOIN station s ON s.uuid = "
                        "p.station_uuid WHERE s.code = 'KED' AND p.deleted = 0")
    assert len(rows) == ked > 0 and {r["station_code"] for r in rows} == {"KED"}
    assert f"patrols: {ked}" in run.stdout


@pytest.mark.parametrize("args", [
    ("export-csv", "{file}"),  # a file where the folder should be
    ("export-geojson", "{dir}", "--station", "NOPE"),
    ("export-kml", "{dir}/x.kml", "--from", "2024-02-30"),
])
def test_bad_targets_and_options_get_exit_3_and_write_nothing(
        demo_db: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    target = tmp_path / "target"
    target.mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    argv = [a.format(file=blocker, dir=target) for a in args]
    run = _cli(tmp_path, "--db", str(demo_db), "--lang", "ru", *argv)
    assert run.returncode == 3, (run.stdout, run.stderr)
    assert len(run.stderr.strip().splitlines()) == 1 and re.search("[а-яА-Я]", run.stderr)
    assert list(target.iterdir()) == [] and blocker.read_text() == "keep me"


def test_cancel_leaves_no_file_under_a_real_name(demo_db: Path, tmp_path: Path) -> None:
    db = Database.open(demo_db)
    with pytest.raises(ExportCancelled):
        export(db, "geojson", tmp_path, names=["observations"], cancelled=lambda: True)
    db.close()
    assert list(tmp_path.iterdir()) == []
