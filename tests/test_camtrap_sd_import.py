"""A memory card folder with real camera-trap JPEGs and the junk cards also hold."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ranger_app.domain.camtraps import (
    CameraValue,
    DamagedImage,
    LocationValue,
    NotAFolder,
    ServiceVisitValue,
)
from ranger_app.domain.errors import ImageTooLarge, NotAnImage
from ranger_app.i18n.messages import describe
from ranger_app.io.photos import read_photo_info
from ranger_app.io.sd_import import THUMB_SIZE, import_sd_folder, read_sd_folder
from ranger_app.store import camtraps as store
from ranger_app.store.db import Database
from ranger_app.store.media import MediaStore
from ranger_app.store.queries import record_counts
from tests.conftest import CAMTRAP_MEDIA

TZ = "Asia/Vladivostok"
EXAMPLES = sorted(CAMTRAP_MEDIA.glob("*.JPG"))
pytestmark = pytest.mark.skipif(not EXAMPLES, reason="Camtrap DP example photos missing")


def bomb_from(jpeg: bytes, side: int = 60_000) -> bytes:
    """The same JPEG whose frame header claims side x side pixels (3.6 gigapixels)."""
    data = bytearray(jpeg)
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = side.to_bytes(2, "big") + side.to_bytes(2, "big")
    return bytes(data)


def make_card(root: Path) -> Path:
    """DCIM/100RECNX with the ten example images, plus a text file, a JPEG cut short,
    a decompression bomb and a duplicate."""
    card = root / "card"
    images = card / "DCIM" / "100RECNX"
    images.mkdir(parents=True)
    for path in EXAMPLES:
        shutil.copy(path, images / path.name)
    (card / "MISC").mkdir()
    (card / "MISC" / "settings.txt").write_text("SENSITIVITY=HIGH\nBURST=3\n")
    (card / ".Trashes").mkdir()  # hidden folders are not looked into
    (card / ".Trashes" / "junk.JPG").write_bytes(b"junk")
    whole = EXAMPLES[0].read_bytes()
    (images / "RCNX0099.JPG").write_bytes(whole[: len(whole) // 2])  # card pulled mid-write
    (images / "RCNX0100.JPG").write_bytes(bomb_from(whole))
    shutil.copy(EXAMPLES[1], images / "RCNX0101.JPG")  # the same bytes twice
    return card


def test_card_folder_with_junk(tmp_path: Path) -> None:
    card = make_card(tmp_path)
    media = MediaStore(tmp_path / "media")
    steps: list[tuple[int, int]] = []
    result = read_sd_folder(media, card, TZ, clock_offset_s=3600,
                            progress=lambda d, t: steps.append((d, t)))
    assert result.files == 14 and not result.cancelled
    assert result.count == 10
    reasons = {s.name: s.reason for s in result.skipped}
    assert reasons == {
        "MISC/settings.txt": "not_image",
        "DCIM/100RECNX/RCNX0099.JPG": "damaged",
        "DCIM/100RECNX/RCNX0100.JPG": "too_large",
        "DCIM/100RECNX/RCNX0101.JPG": "duplicate",
    }
    errors = {s.name: s.error for s in result.skipped}
    assert isinstance(errors["MISC/settings.txt"], NotAnImage)
    assert isinstance(errors["DCIM/100RECNX/RCNX0099.JPG"], DamagedImage)
    assert isinstance(errors["DCIM/100RECNX/RCNX0100.JPG"], ImageTooLarge)
    assert "RCNX0099.JPG" in describe(errors["DCIM/100RECNX/RCNX0099.JPG"])
    assert "20210531082538-RCNX0032.JPG" in describe(errors["DCIM/100RECNX/RCNX0101.JPG"])

    # times: EXIF wall clock in the location's zone, minus the camera's hour ahead
    exif = read_photo_info(EXAMPLES[0], TZ).taken_at
    assert exif is not None
    assert result.images[0].taken_at == exif - timedelta(hours=1)
    assert result.first_at == min(i.taken_at for i in result.images)  # type: ignore[type-var]
    assert result.last_at == exif - timedelta(hours=1) + timedelta(seconds=6)
    assert all(i.kind == "camtrap" for i in result.images)
    assert result.images[0].filename == "DCIM/100RECNX/" + EXAMPLES[0].name

    # nothing of the bad files stored; the good originals byte for byte, with thumbnails
    stored = {p.name for p in (tmp_path / "media" / "sha256").rglob("*") if p.is_file()}
    assert stored == {i.sha256 for i in result.images}
    for image, source in zip(result.images, EXAMPLES, strict=True):
        assert media.read_bytes(image.sha256) == source.read_bytes()
        assert media.thumbnail_path(image.sha256, THUMB_SIZE).exists()
    assert steps[-1] == (28, 28) and [d for d, _t in steps] == sorted(d for d, _t in steps)


def test_pixel_limit_is_honoured(tmp_path: Path) -> None:
    card = make_card(tmp_path)
    result = read_sd_folder(MediaStore(tmp_path / "m"), card, TZ, max_pixels=1_000_000)
    assert result.count == 0
    assert {s.reason for s in result.skipped} == {"too_large", "not_image"}
    assert not (tmp_path / "m" / "sha256").exists()


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(NotAFolder):
        read_sd_folder(MediaStore(tmp_path / "m"), tmp_path / "nowhere", TZ)


def saved_visit(db: Database) -> ServiceVisitValue:
    loc = store.save_location(db, LocationValue(code="KED-C03", lat=43.1, lon=131.4))
    cam = store.save_camera(db, CameraValue(serial="RX1"))
    t0 = datetime(2021, 3, 1, 3, 0, tzinfo=UTC)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=cam.uuid, visit_type="DEPLOY", visited_at=t0))
    return store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=t0 + timedelta(days=42),
        sd_removed="SD-7", clock_offset_s=-120, image_count=999))  # typed before the import


def test_import_into_a_saved_visit(db: Database, tmp_path: Path) -> None:
    visit = saved_visit(db)
    card = make_card(tmp_path)
    before = record_counts(db)["records"]["attachment"]
    result = import_sd_folder(db, visit.uuid or "", card)
    assert result.count == 10
    again = store.load_service_visit(db, visit.uuid or "")
    assert len(again.images) == 10 and again.image_count == 10  # what the visit holds
    assert again.first_image_at == result.first_at
    assert again.last_image_at == result.last_at
    exif = read_photo_info(EXAMPLES[0], again.tz).taken_at
    assert exif is not None and again.first_image_at == exif + timedelta(seconds=120)
    assert record_counts(db)["records"]["attachment"] == before + 10
    # the same card again adds nothing
    twice = import_sd_folder(db, visit.uuid or "", card)
    assert twice.count == 0 and len([s for s in twice.skipped if s.reason == "duplicate"]) == 11
    assert store.load_service_visit(db, visit.uuid or "").image_count == 10


def test_cancel_writes_no_rows(db: Database, tmp_path: Path) -> None:
    visit = saved_visit(db)
    card = make_card(tmp_path)
    before = record_counts(db)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 12  # during the thumbnails

    result = import_sd_folder(db, visit.uuid or "", card, cancel=cancel)
    assert result.cancelled
    assert record_counts(db) == before
    assert store.load_service_visit(db, visit.uuid or "").images == []
