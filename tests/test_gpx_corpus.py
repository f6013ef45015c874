"""Every GPX dialect of the corpus through `import-gpx`, as a ranger runs it (issue 10).

`tests/data/gpx/corpus/expected.csv` (written with the files by `make_corpus.py`, from the
geometry it drew) says per file and options: the exit code, points, waypoints, planned-route
points, the recorded km and the km used for effort. A refused file must leave the
database and the media folder exactly as they were, with one line that says what to do.
"""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

import pytest

from ranger_app.cli import main
from ranger_app.store.db import Database
from ranger_app.store.models import Patrol
from ranger_app.store.patrols import load_patrol
from ranger_app.store.queries import record_counts
from ranger_app.store.setup import StationSetup, init_station

CORPUS = Path(__file__).parent / "data" / "gpx" / "corpus"
ROWS = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
NUMBER = r"(\d+(?:[.,]\d+)?)"


def _station(path: Path) -> Database:
    db = Database.open(path, create=True)
    init_station(db, StationSetup("KED", "Кедровая падь", "Иван Петров", "ru"))
    return db


def _snapshot(db: Database) -> tuple[object, list[Path]]:
    media = sorted(db.media.root.rglob("*")) if db.media.root.exists() else []
    return record_counts(db), media


def test_the_corpus_covers_every_dialect() -> None:
    assert len({r["file"] for r in ROWS}) >= 20
    assert sum(r["exit"] == "3" for r in ROWS) >= 5  # and bad files, each with a reason


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_import(row: dict[str, str], tmp_path: Path,
                capsys: pytest.CaptureFixture[str]) -> None:
    db = _station(tmp_path / "station.db")
    before = _snapshot(db)
    argv = ["--db", str(tmp_path / "station.db"), "--lang", "ru", "import-gpx",
            str(CORPUS / row["file"]), *shlex.split(row["args"])]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == int(row["exit"]), (out, err)
    if code != 0:
        assert _snapshot(db) == before  # nothing written
        (line,) = err.strip().splitlines()
        assert re.search("[а-яА-Я]", line), line  # in the user's language
        if "--start" in row["what"]:
            assert "--start" in line and "--patrol" in line  # and it says what to do
        db.close()
        return
    uuid = re.search(r"([0-9a-f-]{36})", out).group(1)  # type: ignore[union-attr]
    patrol = load_patrol(db, uuid)
    walked = [t for t in patrol.tracks if not t.is_route]
    routes = [t for t in patrol.tracks if t.is_route]
    assert sum(t.stats.points for t in walked) == int(row["points"])
    assert sum(t.stats.points for t in routes) == int(row["route_points"])
    assert len(patrol.observations) == int(row["waypoints"])
    assert sum(t.stats.flagged for t in walked) == int(row["flagged"])
    # the effort length is what the patrol carries (and the report sums), to the metre
    with db.session() as session:
        distance_m = session.get(Patrol, uuid).distance_m  # type: ignore[union-attr]
    assert abs(distance_m / 1000 - float(row["effort_km"])) < 0.001
    printed = re.search(NUMBER + r"[^\d]+" + NUMBER, out.splitlines()[1])
    assert printed is not None, out
    recorded, effort = (float(v.replace(",", ".")) for v in printed.groups())
    assert abs(recorded - float(row["recorded_km"])) <= 0.006, out
    assert abs(effort - float(row["effort_km"])) <= 0.006, out
    assert patrol.start_at is not None and patrol.start_at.year >= 2024  # never 1989
    db.close()


def test_the_rangers_own_export_comes_back_with_its_legs(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    db = _station(tmp_path / "station.db")
    assert main(["--db", str(tmp_path / "station.db"), "import-gpx",
                 str(CORPUS / "ranger_export_legs.gpx")]) == 0
    uuid = re.search(r"([0-9a-f-]{36})", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    patrol = load_patrol(db, uuid)
    assert [leg.transport for leg in patrol.legs] == ["VEHICLE", "FOOT"]
    (obs,) = patrol.observations
    assert obs.category == "SNARE" and obs.notes == "стальная петля"
    leader = [m for m in patrol.legs[0].members if m.is_leader]
    assert len(leader) == 1  # "Иван Петров" is this station's person: back in the team
    db.close()


def test_export_and_import_again_keeps_legs_team_and_observations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A demo patrol of several legs goes out as GPX and comes back the same (issue 10.5)."""
    from ranger_app.demo import generate

    db = _station(tmp_path / "station.db")
    generate(db, scale="small", seed=2)
    with db.session() as s:
        candidates = [p.uuid for p in s.query(Patrol).all()]
    original = next(p for p in (load_patrol(db, u) for u in candidates)
                    if len(p.legs) > 1 and len({leg.transport for leg in p.legs}) > 1
                    and len(p.tracks) == len(p.legs) and p.observations)
    out = tmp_path / "patrol.gpx"
    base = ["--db", str(tmp_path / "station.db")]
    assert main([*base, "export-gpx", original.uuid or "", str(out)]) == 0
    capsys.readouterr()
    assert main([*base, "import-gpx", str(out)]) == 0
    uuid = re.search(r"([0-9a-f-]{36})", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    again = load_patrol(db, uuid)
    assert [leg.transport for leg in again.legs] == [leg.transport for leg in original.legs]
    assert [sorted(m.person_uuid for m in leg.members) for leg in again.legs] == [
        sorted(m.person_uuid for m in leg.members) for leg in original.legs]
    assert sorted(o.category for o in again.observations) == sorted(
        o.category for o in original.observations if o.lat is not None)
    with db.session() as s:
        km = [s.get(Patrol, u).distance_m for u in (original.uuid, uuid)]  # type: ignore[union-attr]
    assert abs(km[0] - km[1]) <= max(1.0, km[0] * 0.001)
    db.close()
