"""The partner park gets only whitelisted records and fields; folders carry bundles too."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from test_sync_support import (
    Site,
    decrypt_for,
    fire,
    introduce,
    make_site,
    patrol,
    run_cli,
    send,
    state,
)

from ranger_app.store.models import CameraLocation
from ranger_app.sync import folders, trust
from ranger_app.sync.importer import import_bundle
from ranger_app.sync.partner import border_distance_km, partner_records


@pytest.fixture
def parks(tmp_path: Path) -> tuple[Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция «Земля леопарда»", "Анна Инспектор", hq=True)
    cn = make_site(tmp_path, "HUN", "珲春东北虎国家级自然保护区", "王伟", hq=True, country="CN")
    introduce(hq, cn)
    yield hq, cn
    hq.db.close()
    cn.db.close()


def test_partner_roles_follow_the_country(parks: tuple[Site, Site]) -> None:
    hq, cn = parks
    assert trust.peer_by_code(hq.db, "HUN").role == "partner"
    assert trust.peer_by_code(cn.db, "HQ").role == "partner"


def test_partner_bundle_holds_only_whitelisted_records_and_fields(
        parks: tuple[Site, Site], tmp_path: Path) -> None:
    hq, cn = parks
    near = fire(hq, lat=42.75, lon=130.70, notes="у границы", area_total_ha=3.0)
    fire(hq, lat=43.30, lon=131.90, notes="далеко")
    tiger = patrol(hq, "HQ-1", lat=43.05, lon=131.30, category="TIGER_TRACK",
                   notes="маршрут секретный")
    patrol(hq, "HQ-2", category="SNARE")
    with hq.db.writer() as s:
        s.add(CameraLocation(code="CAM-7", lat=42.81234, lon=130.98765))
    assert border_distance_km(42.75, 130.70, trust_border()) < 20

    path = send(hq, cn, tmp_path / "stick")
    inner = zipfile.ZipFile(io.BytesIO(decrypt_for(cn, path)))
    assert sorted(inner.namelist()) == ["changes/000001.jsonl", "manifest.json",
                                        "manifest.sig"]
    text = inner.read("changes/000001.jsonl").decode()
    records = [json.loads(line) for line in text.splitlines()]
    assert sorted((r["entity"], r["uuid"]) for r in records) == sorted(
        [("fire_report", near), ("observation", tiger.observations[0].uuid)])
    obs = next(r for r in records if r["entity"] == "observation")["fields"]
    assert set(obs) == {"uuid", "observed_at", "category", "count", "deleted"}  # no position
    for secret in ("CAM-7", "42.81234", "130.98765", "Анна", "маршрут", "далеко", "HQ-1"):
        assert secret not in text
    manifest = json.loads(inner.read("manifest.json"))
    assert manifest["profile"] == "partner" and manifest["vector"] == {}

    report = import_bundle(cn.db, path)
    assert report.partner_records == 2
    got = {r["uuid"]: r for r in partner_records(cn.db)}
    assert got[near]["area_total_ha"] == 3.0
    assert import_bundle(cn.db, path).status == "already"


def trust_border() -> tuple[tuple[float, float], ...]:
    from ranger_app.sync.partner import BORDER

    return BORDER


def test_partner_import_enforces_its_own_whitelist(parks: tuple[Site, Site], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    hq, cn = parks
    patrol(hq, "HQ-1", category="LEOPARD_SCAT")
    path = send(hq, cn, tmp_path / "stick")
    stricter = {"entities": {"fire_report": {"fields": ["uuid", "detected_at", "lat", "lon"],
                                             "near_border_km": 20}}}
    trust.set_profile(cn.db, trust.peer_by_code(cn.db, "HQ").fingerprint, json.dumps(stricter))
    before = state(cn.db)
    code, message = run_cli(capsys, cn, "import-bundle", str(path))
    assert code == 4 and "not in the agreed list" in message
    assert state(cn.db) == before and partner_records(cn.db) == []


def test_folder_transport_moves_the_same_bundles(tmp_path: Path) -> None:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван")
    introduce(hq, a)
    share = tmp_path / "share"
    folders.configure(a.db, "HQ", outbox=share / "to-hq", inbox=share / "to-ked")
    folders.configure(hq.db, "KED", outbox=share / "to-ked", inbox=share / "to-hq")
    patrol(a, "KED-1")
    folders.send(a.db, "HQ")
    (share / "to-hq" / "junk.rangerbundle").write_bytes(b"not a bundle")
    results = {r.name: r.status for r in folders.receive(hq.db, "KED")}
    assert sorted(results.values()) == ["applied", "rejected"]
    assert (share / "to-hq" / "rejected" / "junk.rangerbundle.txt").read_text().startswith(
        "The bundle")
    assert len(list((share / "to-hq" / "done").iterdir())) == 1
    assert folders.receive(hq.db, "KED") == []  # nothing is fed twice
    folders.send(hq.db, "KED")
    assert [r.status for r in folders.receive(a.db, "HQ")] == ["applied"]
    hq.db.close()
    a.db.close()
