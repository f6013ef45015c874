"""Bad GPX gets a typed error and writes nothing: not a row, not a change, not a media file."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ranger_app.domain.errors import (
    CoordinateOutOfRange,
    FileTooLarge,
    MalformedFile,
    NoTrackPoints,
    RecordLocked,
    RecordNotFound,
    TimeInFuture,
)
from ranger_app.domain.records import PatrolValue
from ranger_app.io.gpx import parse_gpx
from ranger_app.io.gpx_import import import_gpx_file
from ranger_app.store.db import Database
from ranger_app.store.models import Change, Station
from ranger_app.store.patrols import save_patrol
from ranger_app.store.queries import record_counts

T0 = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
GPX_OPEN = '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
GOOD_POINTS = ('<trkpt lat="43.1" lon="131.2"><time>2025-03-14T01:00:00Z</time></trkpt>'
               '<trkpt lat="43.2" lon="131.2"><time>2025-03-14T03:00:00Z</time></trkpt>')
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <Document><Placemark><name>Кормушка</name>
    <Point><coordinates>131.2,43.1,0</coordinates></Point>
  </Placemark></Document>
</kml>
"""


def gpx(body: str) -> str:
    return f"{HEADER}{GPX_OPEN}{body}</gpx>\n"


def track(points: str) -> str:
    return f"<trk><trkseg>{points}</trkseg></trk>"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "t.db", create=True)
    database.ensure_identity()
    with database.writer() as s:
        station = Station(code="KED", name="Кедровая падь")
        s.add(station)
    database.set_meta({"station_uuid": station.uuid})
    yield database
    database.close()


def snapshot(db: Database) -> tuple[dict[str, Any], int, list[Path]]:
    """Everything an import could have written."""
    with db.session() as s:
        changes = int(s.scalar(select(func.count()).select_from(Change)) or 0)
    media = sorted(db.media.root.rglob("*")) if db.media.root.exists() else []
    return record_counts(db), changes, media


def refused(db: Database, path: Path, error: type[Exception], **kwargs: Any) -> Any:
    """Import `path`; the error must be `error` and nothing may have changed."""
    before = snapshot(db)
    with pytest.raises(error) as info:
        import_gpx_file(db, path, **kwargs)
    assert snapshot(db) == before
    return info.value


def write(tmp_path: Path, text: str, name: str = "bad.gpx") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_xml(db: Database, tmp_path: Path) -> None:
    text = gpx(track(GOOD_POINTS))
    path = write(tmp_path, text[: len(text) // 2])  # a copy cut off when the stick was pulled
    err = refused(db, path, MalformedFile)
    assert (err.path, err.kind) == (str(path), "gpx")
    assert "XML" in err.detail
    assert err.exit_code == 3


def test_a_kml_file_is_not_a_gpx(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, KML, "feeders.gpx")
    err = refused(db, path, MalformedFile)
    assert "kml" in err.detail


def test_a_coordinate_that_is_not_a_number(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, gpx(track('<trkpt lat="north" lon="131.2"/>')))
    assert "north" in refused(db, path, MalformedFile).detail


def test_bytes_that_are_not_utf8(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "latin.gpx"
    path.write_bytes(gpx(track(GOOD_POINTS)).replace("test", "Ко").encode("cp1251"))
    assert "utf-8" in refused(db, path, MalformedFile).detail.lower()


def test_over_the_size_limit_is_refused_before_reading(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, gpx(track(GOOD_POINTS)))
    size = path.stat().st_size

    def no_reading(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("the file was read before its size was checked")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(Path, "read_text", no_reading)
    err = refused(db, path, FileTooLarge, max_bytes=size - 1)
    assert (err.path, err.size, err.limit) == (str(path), size, size - 1)
    monkeypatch.undo()
    assert import_gpx_file(db, path, max_bytes=size).points == 2  # exactly at the limit: fine


@pytest.mark.parametrize("body", [
    "",
    "<trk><name>empty</name></trk>",
    "<trk><trkseg></trkseg><trkseg/></trk><rte><name>no points</name></rte>",
    "<metadata><name>only metadata</name></metadata>",
])
def test_a_gpx_without_points_or_waypoints(db: Database, tmp_path: Path, body: str) -> None:
    path = write(tmp_path, gpx(body))
    assert refused(db, path, NoTrackPoints).path == str(path)


@pytest.mark.parametrize(("point", "lat", "lon"), [
    ('<trkpt lat="95" lon="131.2"/>', 95.0, 131.2),
    ('<trkpt lat="43.1" lon="-181"/>', 43.1, -181.0),
    ('<trkpt lat="NaN" lon="131.2"/>', math.nan, 131.2),
    ('<trkpt lat="43.1" lon="inf"/>', 43.1, math.inf),
])
def test_impossible_coordinates(db: Database, tmp_path: Path, point: str, lat: float,
                                lon: float) -> None:
    path = write(tmp_path, gpx(track(GOOD_POINTS + point)))
    err = refused(db, path, CoordinateOutOfRange)
    assert math.isclose(err.lat, lat) or (math.isnan(err.lat) and math.isnan(lat))
    assert err.lon == lon
    assert err.where.endswith("track 1, segment 1, point 3")


def test_a_waypoint_at_latitude_95(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, gpx('<wpt lat="95.0" lon="131.0"><name>X</name></wpt>'
                               + track(GOOD_POINTS)))
    err = refused(db, path, CoordinateOutOfRange)
    assert (err.lat, err.where) == (95.0, "bad.gpx: waypoint 1")


def test_a_track_from_the_future(db: Database, tmp_path: Path) -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = write(tmp_path, gpx(track(
        f'<trkpt lat="43.1" lon="131.2"><time>{future}</time></trkpt>')))
    refused(db, path, TimeInFuture)


def test_an_unknown_patrol(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, gpx(track(GOOD_POINTS)))
    refused(db, path, RecordNotFound, patrol_uuid="01900000-0000-7000-8000-000000000000")


def test_an_approved_patrol_is_locked(db: Database, tmp_path: Path) -> None:
    patrol = save_patrol(db, PatrolValue(station_uuid=db.installation().station_uuid,
                                         start_at=T0, status="APPROVED"))
    path = write(tmp_path, gpx(track(GOOD_POINTS)))
    err = refused(db, path, RecordLocked, patrol_uuid=patrol.uuid)
    assert err.exit_code == 4


def test_parse_refuses_a_missing_root(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "<!-- nothing here -->\n")
    with pytest.raises(MalformedFile):
        parse_gpx(path)
