"""Two stations and HQ exchange real bundle files and end up with the same records."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sync_support import (
    Site,
    carry,
    content,
    edit,
    fire,
    introduce,
    make_site,
    patrol,
    run_cli,
    send,
    state,
)

from ranger_app.io.gpx_import import import_gpx_file
from ranger_app.io.photos import attach_photo
from ranger_app.store.audit import verify
from ranger_app.store.models import FeedingSite, FireReport
from ranger_app.store.patrols import load_patrol, save_patrol
from ranger_app.sync.importer import import_bundle
from ranger_app.sync.retention import acknowledged_blobs
from ranger_app.sync.writer import export_bundle
from tests.conftest import CAMTRAP_MEDIA

REPO = Path(__file__).resolve().parents[1]
GPX = REPO / "tests" / "data" / "gpx" / "garmin_gpsmap66.gpx"
PHOTO = CAMTRAP_MEDIA / "20210531082538-RCNX0031.JPG"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Site, Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Инспектор", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    b = make_site(tmp_path, "BAR", "Барсовый", "Пётр Сидоров")
    introduce(hq, a)
    introduce(hq, b)
    yield hq, a, b
    for site in (hq, a, b):
        site.db.close()


def test_stations_and_hq_converge_through_bundles(world: tuple[Site, Site, Site],
                                                 tmp_path: Path) -> None:
    hq, a, b = world
    # Station A, offline: a patrol with a photo, a GPX track, a fire report.
    p = patrol(a, "KED-001", notes="Снег глубокий")
    photo = attach_photo(a.db.media, PHOTO)
    p.observations[0].photos.append(photo)
    save_patrol(a.db, p)
    gpx = import_gpx_file(a.db, GPX)
    fire(a, area_total_ha=1.5)
    # Station B, offline: two patrols, a feeding site, an edit.
    patrol(b, "BAR-001", lat=42.9, lon=131.0, category="TIGER_TRACK")
    q = patrol(b, "BAR-002")
    q.notes = "Вторая попытка"
    save_patrol(b.db, q)
    with b.db.writer() as s:
        s.add(FeedingSite(code="FS-1", name="Солонец у ключа", lat=42.95, lon=131.05))

    assert photo.sha256 not in acknowledged_blobs(a.db)
    stick = tmp_path / "stick"
    ra = carry(a, hq, stick)
    rb = carry(b, hq, stick)
    assert ra.status == rb.status == "applied" and ra.blobs == 2  # photo + GPX original
    carry(hq, a, stick)
    carry(hq, b, stick)

    assert content(a.db) == content(b.db) == content(hq.db)
    for site in (hq, a, b):
        report = verify(site.db)
        assert report.ok, (site.code, report.first_break)
        assert site.db.media.has(photo.sha256)  # relayed with its original bytes
        assert site.db.integrity_check() == "ok"
    assert load_patrol(b.db, gpx.patrol_uuid).tracks  # A's track, at B through HQ
    assert photo.sha256 in acknowledged_blobs(a.db)  # HQ's ack: A may now let it go

    # A second round moves only what is new, in both directions.
    edit(b, FireReport, _one_fire(hq), notes="Локализован к вечеру")
    carry(b, hq, stick)
    r = carry(hq, a, stick)
    assert (r.changes_new, r.records_updated) == (1, 1)
    assert import_bundle(hq.db, send(a, hq, stick)).changes_new == 0
    assert content(a.db) == content(hq.db)
    assert verify(a.db).ok and verify(hq.db).ok


def _one_fire(site: Site) -> str:
    from sqlalchemy import select

    with site.db.session() as s:
        return s.scalars(select(FireReport.uuid)).one()


def test_a_new_installation_bootstraps_from_a_snapshot(world: tuple[Site, Site, Site],
                                                       tmp_path: Path) -> None:
    hq, a, b = world
    patrol(a, "KED-001")
    patrol(b, "BAR-001")
    stick = tmp_path / "stick"
    carry(a, hq, stick)
    carry(b, hq, stick)
    new = make_site(tmp_path, "NAR", "Нарвинский", "Олег Новиков")
    introduce(hq, new)
    result = export_bundle(hq.db, "NAR", stick, snapshot=True)
    assert result.kind == "snapshot"
    assert import_bundle(new.db, result.path).status == "applied"
    carry(new, hq, stick)
    carry(hq, a, stick)
    assert content(new.db) == content(hq.db) == content(a.db)
    assert verify(new.db).ok
    new.db.close()


def test_a_constraint_the_bundle_breaks_leaves_everything_as_it_was(
        world: tuple[Site, Site, Site], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A second installation made with `init` for an existing station code (a replacement
    laptop) collides with that station's row: refused whole, with the reason."""
    hq, a, _b = world
    carry(a, hq, tmp_path / "s0")
    twin = make_site(tmp_path / "twin", "KED", "Кедровая падь", "Иван Петров")
    introduce(hq, twin)
    before = state(twin.db)
    code, message = run_cli(capsys, twin, "import-bundle", str(send(hq, twin, tmp_path / "s")))
    assert code == 3 and "could not be applied" in message and "UNIQUE" in message
    assert state(twin.db) == before
    twin.db.close()
