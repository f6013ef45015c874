"""Photos: EXIF time and GPS, originals kept byte for byte, cached thumbnails, and refusal
of everything that is not a safe image (with nothing written to the media folder)."""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageFile, JpegImagePlugin
from PIL.TiffImagePlugin import IFDRational

from ranger_app.domain.errors import ImageTooLarge, InvalidValue, NotAnImage
from ranger_app.io import photos
from ranger_app.io.photos import attach_photo, make_thumbnail, read_photo_info, thumbnails
from ranger_app.store.media import MediaStore
from tests.camtrap_photos import TAKEN_AT
from tests.conftest import CAMTRAP_MEDIA

FIRST = "20210531082538-RCNX0031.JPG"


@pytest.fixture
def camtrap() -> Path:
    return CAMTRAP_MEDIA


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "station.db.media")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _jpeg(path: Path, size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None,
          color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    Image.new("RGB", size, color).save(path, "JPEG", exif=exif or Image.Exif())
    return path


def _exif(*, gps: dict[int, object] | None = None, sub: dict[int, object] | None = None,
          orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    if sub is not None:
        exif[ExifTags.IFD.Exif] = sub
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    return exif


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(path: Path, side: int) -> Path:
    """A genuine decompression bomb: a valid all-black 1-bit PNG, a few KB on disk."""
    row = b"\x00" + bytes((side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
                     + _chunk(b"IEND", b""))
    return path


def _bomb_jpeg(path: Path, width: int, height: int) -> Path:
    """A tiny JPEG whose frame header claims width × height."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


# -- EXIF time ----------------------------------------------------------------------------


def test_exif_time_of_every_example_photo_matches_the_camtrap_package(camtrap: Path) -> None:
    # The name's 20210531082538 is when the files were processed, not taken: EXIF says
    # 2021-04-11 20:43:09 in the camera's clock, a fixed +01:00 (camera clocks ignore
    # summer time), as in the Camtrap DP example these photos stand in for.
    expected = TAKEN_AT
    photos_here = sorted(camtrap.glob("*.JPG"))
    assert len(photos_here) == 10
    for path in photos_here:
        info = read_photo_info(path, tz="Etc/GMT-1")  # POSIX sign: Etc/GMT-1 is UTC+01:00
        assert info.taken_at == expected[path.name], path.name
        assert info.taken_at is not None and info.taken_at.tzinfo is UTC


@pytest.mark.parametrize(("tz", "utc"), [
    ("Europe/Brussels", datetime(2021, 4, 11, 18, 43, 9, tzinfo=UTC)),  # CEST, +02:00
    ("Asia/Vladivostok", datetime(2021, 4, 11, 10, 43, 9, tzinfo=UTC)),  # +10:00, default
    ("Asia/Shanghai", datetime(2021, 4, 11, 12, 43, 9, tzinfo=UTC)),
])
def test_exif_local_time_is_read_in_the_camera_zone(camtrap: Path, tz: str,
                                                    utc: datetime) -> None:
    info = read_photo_info(camtrap / FIRST, tz=tz)
    assert info.taken_at == utc
    assert (info.width, info.height, info.mime) == (2048, 1440, "image/jpeg")
    assert (info.lat, info.lon) == (None, None)


def test_default_zone_is_vladivostok(camtrap: Path) -> None:
    assert read_photo_info(camtrap / FIRST).taken_at == datetime(2021, 4, 11, 10, 43, 9,
                                                                 tzinfo=UTC)


def test_offset_written_by_the_camera_wins_over_the_zone(tmp_path: Path) -> None:
    sub = {ExifTags.Base.DateTimeOriginal: "2024:07:01 12:00:00",
           ExifTags.Base.SubsecTimeOriginal: "25",
           ExifTags.Base.OffsetTimeOriginal: "+08:00"}
    path = _jpeg(tmp_path / "phone.jpg", exif=_exif(sub=sub))
    info = read_photo_info(path, tz="Asia/Vladivostok")
    assert info.taken_at == datetime(2024, 7, 1, 4, 0, 0, 250000, tzinfo=UTC)


def test_datetime_is_the_fallback_and_unset_times_are_none(tmp_path: Path) -> None:
    exif = _exif(sub={ExifTags.Base.DateTimeOriginal: "0000:00:00 00:00:00"})
    exif[ExifTags.Base.DateTime] = "2024:01:15 08:30:00"
    info = read_photo_info(_jpeg(tmp_path / "a.jpg", exif=exif), tz="Asia/Vladivostok")
    assert info.taken_at == datetime(2024, 1, 14, 22, 30, tzinfo=UTC)
    assert read_photo_info(_jpeg(tmp_path / "b.jpg")).taken_at is None


def test_unknown_zone_is_a_typed_error(camtrap: Path) -> None:
    with pytest.raises(InvalidValue):
        read_photo_info(camtrap / FIRST, tz="Mars/Olympus_Mons")


# -- GPS and orientation -------------------------------------------------------------------


@pytest.mark.parametrize(("lat_ref", "lon_ref", "sign_lat", "sign_lon"),
                         [("N", "E", 1, 1), ("S", "W", -1, -1)])
def test_gps_tags_read_back_as_decimal_degrees(tmp_path: Path, lat_ref: str, lon_ref: str,
                                               sign_lat: int, sign_lon: int) -> None:
    gps = {ExifTags.GPS.GPSLatitudeRef: lat_ref,
           ExifTags.GPS.GPSLatitude: (IFDRational(43), IFDRational(7), IFDRational(61, 2)),
           ExifTags.GPS.GPSLongitudeRef: lon_ref,
           ExifTags.GPS.GPSLongitude: (IFDRational(131), IFDRational(54), IFDRational(49, 4))}
    info = read_photo_info(_jpeg(tmp_path / "gps.jpg", exif=_exif(gps=gps)))
    assert info.lat == pytest.approx(sign_lat * (43 + 7 / 60 + 30.5 / 3600), abs=1e-7)
    assert info.lon == pytest.approx(sign_lon * (131 + 54 / 60 + 12.25 / 3600), abs=1e-7)


@pytest.mark.parametrize("gps", [
    {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (131.0, 0.0, 0.0)},  # latitude 95
    {1: "N", 2: (43.0, 75.0, 0.0), 3: "E", 4: (131.0, 0.0, 0.0)},  # 75 minutes
    {1: "N", 2: (43.0, 0.0, 0.0), 3: "E", 4: (181.0, 0.0, 0.0)},  # longitude 181
    {1: "X", 2: (43.0, 0.0, 0.0), 3: "E", 4: (131.0, 0.0, 0.0)},  # no hemisphere
    {2: (43.0, 0.0, 0.0), 4: (131.0, 0.0, 0.0)},  # refs missing
    {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # no fix
    {1: "N", 2: (43.0, 0.0, 0.0), 3: "E", 4: (131.0, 0.0, 0.0), 9: "V"},  # void
])
def test_impossible_gps_gives_no_position_but_keeps_the_photo(tmp_path: Path,
                                                             gps: dict[int, object]) -> None:
    info = read_photo_info(_jpeg(tmp_path / "bad-gps.jpg", exif=_exif(gps=gps)))
    assert (info.lat, info.lon) == (None, None)
    assert (info.width, info.height) == (64, 48)


def test_rotated_photo_reports_and_thumbnails_upright(tmp_path: Path,
                                                      media: MediaStore) -> None:
    path = _jpeg(tmp_path / "side.jpg", size=(300, 100), exif=_exif(orientation=6))
    value = attach_photo(media, path)
    assert (value.width, value.height) == (100, 300)
    with Image.open(make_thumbnail(media, value.sha256, 128)) as thumb:
        assert thumb.size[0] < thumb.size[1] == 128


# -- storing originals ----------------------------------------------------------------------


def test_attach_keeps_the_original_bytes(camtrap: Path, media: MediaStore) -> None:
    source = camtrap / FIRST
    original = source.read_bytes()
    value = attach_photo(media, source, tz="Europe/Brussels")
    assert value.sha256 == hashlib.sha256(original).hexdigest()
    assert media.read_bytes(value.sha256) == original
    assert (value.filename, value.mime, value.size) == (FIRST, "image/jpeg", len(original))
    assert (value.width, value.height) == (2048, 1440)
    assert value.taken_at == datetime(2021, 4, 11, 18, 43, 9, tzinfo=UTC)


def test_storing_twice_keeps_one_file(camtrap: Path, media: MediaStore,
                                      tmp_path: Path) -> None:
    renamed = tmp_path / "copy.jpg"
    renamed.write_bytes((camtrap / FIRST).read_bytes())
    first = attach_photo(media, camtrap / FIRST)
    second = attach_photo(media, camtrap / FIRST)
    third = attach_photo(media, renamed)
    assert first.sha256 == second.sha256 == third.sha256
    assert third.filename == "copy.jpg"
    assert _files(media.root) == [media.path_for(first.sha256)]


# -- thumbnails -----------------------------------------------------------------------------


def test_thumbnail_is_a_small_jpeg_made_once(camtrap: Path, media: MediaStore) -> None:
    sha = attach_photo(media, camtrap / FIRST).sha256
    thumb = make_thumbnail(media, sha)
    assert thumb == media.thumbnail_path(sha, 256)
    with Image.open(thumb) as im:
        assert im.format == "JPEG"
        assert max(im.size) == 256 and im.size == (256, 180)
    before = thumb.stat()
    assert make_thumbnail(media, sha) == thumb
    after = thumb.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert not [p for p in thumb.parent.iterdir() if p.name.startswith(".")]


def test_jpeg_thumbnail_decodes_at_reduced_size(camtrap: Path, media: MediaStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sha = attach_photo(media, camtrap / FIRST).sha256
    sizes: list[tuple[int, int]] = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy(self: JpegImagePlugin.JpegImageFile) -> object:
        sizes.append(self.size)
        return real_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    make_thumbnail(media, sha)
    # draft keeps both sides >= 256, so libjpeg decodes at 1/4 scale, not 2048 × 1440.
    assert sizes and set(sizes) == {(512, 360)}


def test_multi_picture_jpeg_is_a_jpeg(tmp_path: Path, media: MediaStore) -> None:
    path = tmp_path / "stereo.jpg"
    Image.new("RGB", (40, 30)).save(path, "MPO", save_all=True,
                                    append_images=[Image.new("RGB", (40, 30))])
    value = attach_photo(media, path)
    assert (value.mime, value.width) == ("image/jpeg", 40)
    assert make_thumbnail(media, value.sha256, 16).exists()


def test_transparent_png_thumbnail_is_laid_on_white(tmp_path: Path, media: MediaStore) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(path)
    sha = attach_photo(media, path).sha256
    with Image.open(make_thumbnail(media, sha, 16)) as im:
        assert im.mode == "RGB"
        assert min(im.getpixel((8, 8))) > 245


def test_threads_making_the_same_thumbnail_leave_one_whole_file(camtrap: Path,
                                                                media: MediaStore) -> None:
    shas = [attach_photo(media, p).sha256 for p in sorted(camtrap.glob("*.JPG"))[:3]]
    start = threading.Barrier(12)

    def work(i: int) -> Path:
        start.wait()
        return make_thumbnail(media, shas[i % len(shas)], 200)

    with ThreadPoolExecutor(12) as pool:
        made = list(pool.map(work, range(12)))
    assert {made[i] for i in range(len(shas))} == {media.thumbnail_path(s, 200) for s in shas}
    for sha in shas:
        with Image.open(media.thumbnail_path(sha, 200)) as im:
            im.load()  # a torn file raises here
            assert max(im.size) == 200
    leftovers = [p for p in (media.root / "thumbs").rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_batch_reports_progress_and_stops_on_cancel(camtrap: Path, media: MediaStore) -> None:
    shas = [attach_photo(media, p).sha256 for p in sorted(camtrap.glob("*.JPG"))[:4]]
    seen: list[tuple[int, int]] = []
    made = thumbnails(media, iter(shas), 64, progress=lambda d, t: seen.append((d, t)),
                      cancel=lambda: len(seen) >= 2)
    assert made == [media.thumbnail_path(s, 64) for s in shas[:2]]
    assert seen == [(1, 4), (2, 4)]
    assert not media.thumbnail_path(shas[2], 64).exists()
    seen.clear()
    assert len(thumbnails(media, shas, 64, progress=lambda d, t: seen.append((d, t)))) == 4
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_thumbnail_refuses_a_name_that_is_not_a_hash(media: MediaStore) -> None:
    with pytest.raises(InvalidValue):
        make_thumbnail(media, "../../etc/passwd")


def test_reading_info_decodes_no_pixels(camtrap: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    png = tmp_path / "plain.png"
    Image.new("RGB", (30, 20)).save(png)

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", refuse)
    assert read_photo_info(camtrap / FIRST).width == 2048
    assert read_photo_info(png).mime == "image/png"


# -- bad input: typed error, nothing written -------------------------------------------------


def test_text_file_named_jpg_is_not_an_image(tmp_path: Path, media: MediaStore) -> None:
    fake = tmp_path / "IMG_0001.jpg"
    fake.write_text("Patrol notes, not a photo\n", encoding="utf-8")
    with pytest.raises(NotAnImage):
        attach_photo(media, fake)
    assert _files(media.root) == []


@pytest.mark.parametrize("keep", [200, 0.5, -10])
def test_truncated_jpeg_is_refused(camtrap: Path, tmp_path: Path, media: MediaStore,
                                   keep: float) -> None:
    data = (camtrap / FIRST).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[:int(len(data) * keep)] if isinstance(keep, float) else data[:keep])
    with pytest.raises(NotAnImage):
        attach_photo(media, cut)
    assert _files(media.root) == []


def test_formats_we_do_not_take_are_refused(tmp_path: Path, media: MediaStore) -> None:
    bmp = tmp_path / "scan.bmp"
    Image.new("RGB", (10, 10)).save(bmp)
    with pytest.raises(NotAnImage):
        attach_photo(media, bmp)
    assert _files(media.root) == []


@pytest.mark.parametrize("max_pixels", [4_000_000, 6_000_000])  # 2.25× and 1.5× over
def test_more_pixels_than_our_limit_is_refused(tmp_path: Path, media: MediaStore,
                                               max_pixels: int) -> None:
    bomb = _bomb_png(tmp_path / "bomb.png", 3000)
    assert bomb.stat().st_size < 20_000
    with pytest.raises(ImageTooLarge) as caught:
        attach_photo(media, bomb, max_pixels=max_pixels)
    assert (caught.value.pixels, caught.value.limit) == (9_000_000, max_pixels)
    assert _files(media.root) == []


@pytest.mark.parametrize(("make", "pixels"), [
    (lambda p: _bomb_png(p / "b.png", 10_000), 100_000_000),  # 1×–2× Pillow's: only a warning
    (lambda p: _bomb_png(p / "b.png", 14_000), 196_000_000),  # over 2×: Pillow raises
    (lambda p: _bomb_jpeg(p / "b.jpg", 10_000, 10_000), 100_000_000),
    (lambda p: _bomb_jpeg(p / "b.jpg", 60_000, 60_000), 3_600_000_000),
])
def test_decompression_bombs_are_refused_in_both_pillow_zones(
        tmp_path: Path, media: MediaStore, make: object, pixels: int) -> None:
    bomb = make(tmp_path)  # type: ignore[operator]
    pillow_limit = Image.MAX_IMAGE_PIXELS
    filters_before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        # A caller's limit above Pillow's must not let Pillow's warning zone through.
        with pytest.raises(ImageTooLarge) as caught:
            attach_photo(media, bomb, max_pixels=10**12)
        with pytest.raises(ImageTooLarge):
            read_photo_info(bomb)
    assert (caught.value.pixels, caught.value.limit) == (pixels, pillow_limit)
    assert not [w for w in leaked if issubclass(w.category, Image.DecompressionBombWarning)]
    assert pillow_limit == Image.MAX_IMAGE_PIXELS
    assert warnings.filters == filters_before
    assert _files(media.root) == []


def test_thumbnail_of_a_bomb_that_arrived_by_sync_is_refused(tmp_path: Path,
                                                             media: MediaStore) -> None:
    sha, _ = media.put_bytes(_bomb_png(tmp_path / "b.png", 3000).read_bytes())
    with pytest.raises(ImageTooLarge):
        make_thumbnail(media, sha, max_pixels=4_000_000)
    assert not (media.root / "thumbs").exists() or _files(media.root / "thumbs") == []
    assert photos.MAX_PIXELS == 80_000_000
