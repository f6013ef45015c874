"""Camtrap DP 1.0.2 exports, validated offline with frictionless against the real profile.

The profile and the three table schemas of the 1.0.2 tag are served from a loopback HTTP
server under a path that keeps `1.0.2` in their URLs (the profile's version pattern checks
it). The two documents the profile itself refers to (the Data Package schema and GeoJSON) are
minimal local copies in tests/data/camtrapdp/. The package's own descriptor keeps the
canonical URLs; a patched copy of it is what frictionless reads (the recipe of
tdwg/camtrap-dp's tests).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ranger_app.domain.camtraps import (
    CameraValue,
    LocationValue,
    NothingToExport,
    OutputNotEmpty,
    ServiceVisitValue,
)
from ranger_app.io.camtrapdp import PROFILE_URL, SCHEMA_URLS, build_package, export_camtrapdp
from ranger_app.io.sd_import import read_sd_folder
from ranger_app.store import camtraps as store
from ranger_app.store.camtraps import camtrap_data
from ranger_app.store.db import Database
from ranger_app.store.models import Station
from tests.conftest import CAMTRAP_SPEC
from tests.test_camtrap_sd_import import make_card

frictionless = pytest.importorskip("frictionless")

SPEC = CAMTRAP_SPEC
LOCAL = Path(__file__).parent / "data" / "camtrapdp"
CANONICAL = "https://raw.githubusercontent.com/"
Validate = Callable[[Path], Any]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def validate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Validate]:
    root = tmp_path_factory.mktemp("camtrapdp-spec")
    spec = root / "tdwg" / "camtrap-dp" / "1.0.2"
    spec.mkdir(parents=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet,
                                                                     directory=str(root)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("deployments", "media", "observations"):
        shutil.copy(SPEC / f"{name}-table-schema.json", spec)
    profile = (SPEC / "camtrap-dp-profile.json").read_text(encoding="utf-8")
    for remote, local in (("https://specs.frictionlessdata.io/schemas/data-package.json",
                           "data-package.json"),
                          ("http://json.schemastore.org/geojson.json", "geojson.json")):
        assert remote in profile
        profile = profile.replace(remote, f"{base}/{local}")
        shutil.copy(LOCAL / local, root / local)
    (spec / "camtrap-dp-profile.json").write_text(profile, encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def run(package: Path) -> Any:
        text = (package / "datapackage.json").read_text(encoding="utf-8")
        descriptor = json.loads(text.replace(CANONICAL, f"{base}/"))
        assert "https://" not in json.dumps([descriptor["profile"], [
            r.get("schema") for r in descriptor["resources"] if isinstance(r.get("schema"),
                                                                           str)]])
        cwd = os.getcwd()
        os.chdir(package)  # frictionless-py#956: data paths resolve against the CWD
        try:
            return frictionless.validate(descriptor)
        finally:
            os.chdir(cwd)

    yield run
    server.shutdown()
    thread.join()


def errors(report: Any) -> list[Any]:
    return report.flatten(["type", "note", "message"])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the validator itself ---------------------------------------------------------------------

def test_the_real_example_package_passes(validate: Validate) -> None:
    report = validate(SPEC / "example")
    assert report.valid, errors(report)


def test_the_validator_catches_a_broken_package(validate: Validate, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(SPEC / "example", broken, ignore=shutil.ignore_patterns("media"))
    rows = (broken / "deployments.csv").read_text(encoding="utf-8").replace(
        "2020-05-30T04:57:37+02:00", "30.05.2020 04:57")
    (broken / "deployments.csv").write_text(rows, encoding="utf-8")
    found = errors(validate(broken))
    assert [e[0] for e in found] == ["type-error"]  # the table schema is applied
    descriptor = json.loads((broken / "datapackage.json").read_text(encoding="utf-8"))
    del descriptor["project"]
    (broken / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert any("'project' is a required property" in str(e) for e in errors(validate(broken)))


# --- our exports ------------------------------------------------------------------------------

T0 = datetime(2021, 3, 1, 3, 0, tzinfo=UTC)


def station_with_images(db: Database, tmp_path: Path) -> dict[str, Any]:
    """Two locations; one has a leopard on camera. A deployment split by a card swap."""
    station = db.installation().station_uuid
    leo = store.save_location(db, LocationValue(
        code="KED-C01", name="Медвежий ключ", station_uuid=station, lat=43.061234,
        lon=131.298765, uncertainty_m=8, habitat="OAK_FOREST", feature="TRAIL_GAME"))
    quiet = store.save_location(db, LocationValue(
        code="KED-C02", name="Солонец", station_uuid=station, lat=43.2, lon=131.5,
        feature="SALT_LICK"))
    a = store.save_camera(db, CameraValue(serial="BN1", make="Bushnell", model="Core DS-4K"))
    b = store.save_camera(db, CameraValue(serial="RX2", make="Reconyx", model="HyperFire 2"))
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=leo.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0,
        sd_inserted="SD-1", settings={"delay_s": 30, "height_m": 0.7, "tilt_deg": -5}))
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=quiet.uuid, camera_uuid=b.uuid, visit_type="DEPLOY", visited_at=T0))
    card = read_sd_folder(db.media, make_card(tmp_path), "Asia/Vladivostok", 0)
    card.images[3].caption = "LEOPARD"
    card.images[4].caption = "LEOPARD"
    card.images[0].caption = "PEOPLE_MET"
    swap = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=leo.uuid, visit_type="SERVICE", visited_at=T0 + timedelta(days=50),
        sd_removed="SD-1", sd_inserted="SD-2", battery_pct=40, images=card.images,
        first_image_at=card.first_at, last_image_at=card.last_at, image_count=card.count))
    return {"leo": leo, "quiet": quiet, "swap": swap}


def test_export_validates_and_keeps_its_promises(db: Database, tmp_path: Path,
                                                 validate: Validate) -> None:
    made = station_with_images(db, tmp_path)
    out = tmp_path / "export"
    summary = export_camtrapdp(db, out, now=datetime(2021, 5, 1, tzinfo=UTC))
    report = validate(out)
    assert report.valid, errors(report)
    assert (summary.deployments, summary.running_deployments, summary.media,
            summary.service_visits, summary.rounded_locations) == (3, 2, 10, 3, 1)

    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["profile"] == PROFILE_URL
    assert {r["name"]: r["schema"] for r in descriptor["resources"][:3]} == SCHEMA_URLS
    visits_res = descriptor["resources"][3]
    assert visits_res["name"] == "service-visits"
    assert visits_res["schema"]["foreignKeys"] == [{"fields": "deploymentID", "reference": {
        "resource": "deployments", "fields": "deploymentID"}}]
    assert descriptor["temporal"] == {"start": "2021-03-01", "end": "2021-04-20"}
    assert [t["scientificName"] for t in descriptor["taxonomic"]] == [
        "Homo sapiens", "Panthera pardus orientalis"]

    deps = {r["deploymentID"]: r for r in read_csv(out / "deployments.csv")}
    split = [r for r in deps.values() if r["locationID"] == "KED-C01"]
    assert sorted((r["deploymentStart"], r["deploymentEnd"]) for r in split) == [
        ("2021-03-01T13:00:00+10:00", "2021-04-20T13:00:00+10:00"),
        ("2021-04-20T13:00:00+10:00", "2021-04-20T13:00:00+10:00")]  # still running
    leo_row = split[0]
    assert (leo_row["latitude"], leo_row["longitude"]) == ("43.06", "131.3")
    assert 600 < int(leo_row["coordinateUncertainty"]) < 800
    assert "43.061234" not in (out / "deployments.csv").read_text(encoding="utf-8")
    quiet = next(r for r in deps.values() if r["locationID"] == "KED-C02")
    assert (quiet["latitude"], quiet["baitUse"]) == ("43.2", "true")
    assert "feature:SALT_LICK" in quiet["deploymentTags"]
    first = next(r for r in split if r["deploymentEnd"] != r["deploymentStart"])
    assert (first["cameraDelay"], first["cameraHeight"], first["cameraTilt"]) == (
        "30", "0.7", "-5")
    assert first["featureType"] == "trailGame" and first["cameraModel"] == "Bushnell-Core DS-4K"

    media = read_csv(out / "media.csv")
    assert len(media) == 10 and {m["deploymentID"] for m in media} == {first["deploymentID"]}
    for m in media:
        assert (out / m["filePath"]).read_bytes() == db.media.read_bytes(
            m["filePath"].split("/")[1].split(".")[0])
    assert {m["filePublic"] for m in media} == {"false"}  # people, leopards, unclassified
    assert media[0]["timestamp"].endswith("+10:00")

    obs = read_csv(out / "observations.csv")
    assert {o["observationLevel"] for o in obs} == {"event"}
    kinds = sorted((o["observationType"], o["scientificName"]) for o in obs)
    assert kinds == [("animal", "Panthera pardus orientalis"), ("human", "Homo sapiens")]

    visits = read_csv(out / "service-visits.csv")
    swap = next(v for v in visits if v["visitID"] == made["swap"].uuid)
    assert (swap["deploymentID"], swap["openedDeploymentID"]) == (
        made["swap"].deployment_uuid, made["swap"].opened_deployment_uuid)
    assert (swap["sdCardRemoved"], swap["batteryPercent"], swap["imageCount"]) == (
        "SD-1", "40", "10")


def test_rounding_can_be_turned_off(db: Database, tmp_path: Path) -> None:
    station_with_images(db, tmp_path)
    summary = export_camtrapdp(db, tmp_path / "exact", round_sensitive=False)
    assert summary.rounded_locations == 0
    assert "43.061234" in (tmp_path / "exact" / "deployments.csv").read_text(encoding="utf-8")


def test_bad_targets_write_nothing(db: Database, tmp_path: Path) -> None:
    with pytest.raises(NothingToExport):
        export_camtrapdp(db, tmp_path / "empty")
    assert not (tmp_path / "empty").exists()
    station_with_images(db, tmp_path)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    with pytest.raises(OutputNotEmpty):
        export_camtrapdp(db, busy)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    summary = export_camtrapdp(db, tmp_path / "stop", cancel=lambda: True)
    assert summary.cancelled and not (tmp_path / "stop").exists()
    assert [p.name for p in tmp_path.iterdir() if ".part-" in p.name] == []


def test_demo_database_exports_valid_with_split_deployments(db: Database, tmp_path: Path,
                                                            validate: Validate) -> None:
    from ranger_app.demo import generate

    generate(db, "small")
    out = tmp_path / "demo"
    summary = export_camtrapdp(db, out)
    report = validate(out)
    assert report.valid, errors(report)
    deps = {r["deploymentID"]: r for r in read_csv(out / "deployments.csv")}
    visits = read_csv(out / "service-visits.csv")
    assert summary.deployments == len(deps) > 3 and summary.service_visits == len(visits)
    splits = [v for v in visits if v["visitType"] == "SERVICE" and v["openedDeploymentID"]
              and v["openedDeploymentID"] != v["deploymentID"]]
    assert splits
    for v in splits:
        before, after = deps[v["deploymentID"]], deps[v["openedDeploymentID"]]
        assert before["locationID"] == after["locationID"] == v["locationID"]
        assert after["deploymentStart"] == v["visitTimestamp"]
        if v["arrivalStatus"] == "ACTIVE":
            assert before["deploymentEnd"] == v["visitTimestamp"]
        else:
            assert before["deploymentEnd"] <= v["visitTimestamp"]
    dead = [v for v in splits if v["arrivalStatus"] == "BATTERY_DEAD"]
    assert dead and all(deps[v["deploymentID"]]["deploymentEnd"] == v["lastImageTimestamp"]
                        for v in dead)


# --- issue 10.7: misdated media, licences, packages of several stations -------------------------

def test_media_outside_their_deployment_flag_it_and_still_validate(
        db: Database, tmp_path: Path, validate: Validate) -> None:
    made = station_with_images(db, tmp_path)
    swap = store.load_service_visit(db, made["swap"].uuid)
    late = sorted(swap.images, key=lambda i: i.filename)[-2:]  # a clock a year fast
    for image in late:
        assert image.taken_at is not None
        image.taken_at += timedelta(days=365, hours=3)
    store.save_service_visit(db, swap)
    out = tmp_path / "flagged"
    summary = export_camtrapdp(db, out)
    report = validate(out)
    assert report.valid, errors(report)
    assert (summary.media, summary.media_outside_deployment) == (10, 2)

    deps = {r["deploymentID"]: r for r in read_csv(out / "deployments.csv")}
    closed = deps[swap.deployment_uuid or ""]
    assert closed["timestampIssues"] == "true"
    assert closed["deploymentComments"].startswith("2 media files dated outside the deployment")
    assert {r["timestampIssues"] for k, r in deps.items() if k != swap.deployment_uuid} == {
        "false"}
    media = read_csv(out / "media.csv")
    flagged = {m["mediaID"] for m in media if m["mediaComments"]}
    assert flagged == {image.uuid for image in late}
    assert all(m["deploymentID"] == swap.deployment_uuid for m in media)  # still linked
    note = next(m["mediaComments"] for m in media if m["mediaComments"])
    assert note == ("timestamp outside the deployment (2021-03-01T13:00:00+10:00 - "
                    "2021-04-20T13:00:00+10:00): camera clock suspect")
    obs = read_csv(out / "observations.csv")
    assert [o["eventID"] for o in obs if o["observationComments"]] == [
        min(late, key=lambda i: i.taken_at or T0).uuid]


def test_licenses_default_and_per_database(db: Database, tmp_path: Path) -> None:
    station_with_images(db, tmp_path)
    assert build_package(camtrap_data(db)).descriptor["licenses"] == [
        {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
         "title": "Creative Commons Attribution 4.0 International", "scope": "data"},
        {"name": "CC-BY-NC-4.0", "path": "https://creativecommons.org/licenses/by-nc/4.0/",
         "title": "Creative Commons Attribution-NonCommercial 4.0 International",
         "scope": "media"}]
    db.set_meta({"camtrapdp.license.data": "CC0-1.0",
                 "camtrapdp.license.media": " LicenseRef-KED-media "})
    licenses = build_package(camtrap_data(db)).descriptor["licenses"]
    assert licenses == [
        {"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/",
         "title": "Creative Commons Zero 1.0 Universal", "scope": "data"},
        {"name": "LicenseRef-KED-media", "scope": "media"}]  # unknown: its name only


def test_one_station_is_named_after_it_several_after_the_park(
        db: Database, tmp_path: Path, validate: Validate) -> None:
    station_with_images(db, tmp_path)
    one = build_package(camtrap_data(db)).descriptor
    assert (one["name"], one["title"]) == ("ranger-field-log-camera-traps-ked",
                                           "Camera traps: Кедровая падь")
    assert one["contributors"] == [{"title": "Кедровая падь", "role": "rightsHolder"}]

    with db.writer() as s:
        other = Station(code="ZEM", name="Земляничный")
        s.add(other)
        s.flush()
        other_uuid = other.uuid
    far = store.save_location(db, LocationValue(code="ZEM-C01", station_uuid=other_uuid,
                                                lat=43.4, lon=131.9))
    cam = store.save_camera(db, CameraValue(serial="ZX3", make="Reconyx"))
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=far.uuid, camera_uuid=cam.uuid, visit_type="DEPLOY",
        visited_at=T0 + timedelta(days=2)))
    out = tmp_path / "park"
    export_camtrapdp(db, out)
    report = validate(out)
    assert report.valid, errors(report)
    both = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert both["name"] == "ranger-field-log-camera-traps-land-of-big-cats"
    end = both["temporal"]["end"]
    assert both["title"] == f"Camera traps: Land of Big Cats, 2021-03-01 to {end}"
    assert both["contributors"][0]["title"] == "Land of Big Cats"
    assert {c["title"] for c in both["contributors"][1:]} == {"Кедровая падь", "Земляничный"}

    db.set_meta({"camtrapdp.park": "Земля леопарда / Leopard Land"})
    named = build_package(camtrap_data(db)).descriptor
    assert named["name"] == "ranger-field-log-camera-traps-leopard-land"
    assert named["title"].startswith("Camera traps: Земля леопарда / Leopard Land, ")
