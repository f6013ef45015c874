"""Photos: EXIF time and position, originals into the media store, cached thumbnails.

Every photo is untrusted (SD cards, phones, other stations' bundles). So each open reads
only the header first, checks the pixel count itself and treats Pillow's
`DecompressionBombWarning` as an error (Pillow itself raises only above twice its limit).
Nothing is decoded or stored before that check passes. Pillow's global `MAX_IMAGE_PIXELS`
is never modified, because other threads may be opening images at the same time.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import ExifTags, Image, ImageFile, ImageOps

from ranger_app.domain.errors import ImageTooLarge, InvalidValue, NotAnImage
from ranger_app.domain.records import PhotoValue
from ranger_app.store.media import MediaStore

MAX_PIXELS = 80_000_000
THUMB_QUALITY = 85

# Only the formats a camera or phone produces. Opening anything else (EPS would run
# Ghostscript on load) is refused up front. "JPEG" also opens MPO (multi-picture) files.
FORMATS: tuple[str, ...] = ("JPEG", "PNG", "TIFF", "WEBP")
_JPEG_LIKE = frozenset({"JPEG", "MPO"})
_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",  # a JPEG with extra frames (phones, some cameras); still a .jpg
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}

# What Pillow raises on a file it cannot parse or decode. OSError includes "truncated"
# and UnidentifiedImageError; the file itself is opened by us, so a missing or unreadable
# file surfaces as its own OSError before Pillow sees it.
_BROKEN: tuple[type[BaseException], ...] = (
    OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError,
    KeyError, ZeroDivisionError,
)

# `warnings.catch_warnings()` swaps a process-wide filter list and is not thread-safe
# (Python < 3.14); this lock keeps our own workers from undoing each other's filter.
# The explicit pixel check below does not depend on the filter, so a foreign thread
# racing on the warning filters can never let a bomb through.
_WARNINGS_LOCK = threading.Lock()

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")

_T = ExifTags.Base
_G = ExifTags.GPS
_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class PhotoInfo:
    """What the header says. Width and height are as displayed (EXIF rotation applied)."""

    width: int
    height: int
    mime: str
    taken_at: datetime | None  # aware, UTC
    lat: float | None
    lon: float | None


# -- opening ---------------------------------------------------------------------------


def _limit(max_pixels: int) -> int:
    """The limit actually enforced: Pillow's warning (an error here) caps ours."""
    pillow = Image.MAX_IMAGE_PIXELS
    return max_pixels if pillow is None else min(max_pixels, int(pillow))


@contextlib.contextmanager
def _open_image(path: Path, max_pixels: int) -> Iterator[ImageFile.ImageFile]:
    """Open `path` header-only and yield it once its pixel count is known to be allowed."""
    limit = _limit(max_pixels)
    with path.open("rb") as fh:
        try:
            with _WARNINGS_LOCK, warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(fh, formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            found = _BOMB_PIXELS.search(str(exc))
            # 0 = count unknown (Pillow changed its message); the refusal stands either way.
            raise ImageTooLarge(str(path), int(found.group(1)) if found else 0, limit) from None
        except _BROKEN as exc:
            raise NotAnImage(str(path)) from exc
        with im:
            width, height = im.size
            if width <= 0 or height <= 0:
                raise NotAnImage(str(path))
            if width * height > limit:
                raise ImageTooLarge(str(path), width * height, limit)
            yield im


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidValue("tz", str(tz)) from None


# -- EXIF ------------------------------------------------------------------------------


def _exif(im: Image.Image) -> Image.Exif:
    """The EXIF block, or an empty one: bad metadata must not cost the photo itself."""
    if im.format == "PNG" and "exif" not in im.info:
        return Image.Exif()  # Pillow would decode the whole PNG to look for a late eXIf chunk
    try:
        return im.getexif()
    except _BROKEN:
        return Image.Exif()


def _ifd(exif: Image.Exif, which: ExifTags.IFD) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(which))
    except _BROKEN:
        return {}


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return value.strip("\x00 \t\r\n") if isinstance(value, str) else ""


def _parse_exif_time(raw: object, subsec: object) -> datetime | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' (naive); cameras write zeros or blanks when unset."""
    found = _EXIF_TIME.fullmatch(_text(raw))
    if not found:
        return None
    try:
        value = datetime(*(int(part) for part in found.groups()))
    except ValueError:
        return None
    digits = _text(subsec)
    if digits.isdigit():
        value += timedelta(microseconds=int(digits[:6].ljust(6, "0")))
    return value


def _parse_offset(raw: object) -> timezone | None:
    found = _EXIF_OFFSET.fullmatch(_text(raw))
    if not found:
        return None
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _taken_at(exif: Image.Exif, zone: tzinfo) -> datetime | None:
    """Camera clock time in UTC: the EXIF offset tag if written, else the given zone."""
    sub = _ifd(exif, ExifTags.IFD.Exif)
    candidates = (
        (_T.DateTimeOriginal, _T.OffsetTimeOriginal, _T.SubsecTimeOriginal),
        (_T.DateTime, _T.OffsetTime, _T.SubsecTime),
    )
    for when_tag, offset_tag, subsec_tag in candidates:
        local = _parse_exif_time(sub.get(when_tag) or exif.get(when_tag), sub.get(subsec_tag))
        if local is None:
            continue
        offset = _parse_offset(sub.get(offset_tag))
        return local.replace(tzinfo=zone if offset is None else offset).astimezone(UTC)
    return None


def _degrees(value: object, ref: str, positive: str, negative: str, limit: float) -> float | None:
    """Degrees/minutes/seconds rationals plus a hemisphere letter -> signed decimal degrees."""
    if ref not in (positive, negative) or not isinstance(value, tuple | list):
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3:
        return None
    parts += [0.0] * (3 - len(parts))
    deg, minutes, seconds = parts
    if not all(math.isfinite(p) and p >= 0 for p in parts) or minutes >= 60 or seconds >= 60:
        return None
    result = deg + minutes / 60 + seconds / 3600
    if result > limit:
        return None
    return round(-result if ref == negative else result, 7)


def _position(exif: Image.Exif) -> tuple[float | None, float | None]:
    """GPS position, or (None, None) when absent, void or impossible.

    A bad GPS tag drops the position only; the photo is still evidence. (0, 0) is what
    phones write without a fix, and is never a place in this park.
    """
    gps = _ifd(exif, ExifTags.IFD.GPSInfo)
    if not gps or _text(gps.get(_G.GPSStatus)).upper() == "V":
        return None, None
    lat = _degrees(gps.get(_G.GPSLatitude), _text(gps.get(_G.GPSLatitudeRef)).upper(),
                   "N", "S", 90.0)
    lon = _degrees(gps.get(_G.GPSLongitude), _text(gps.get(_G.GPSLongitudeRef)).upper(),
                   "E", "W", 180.0)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None, None
    return lat, lon


# -- public API ------------------------------------------------------------------------


def read_photo_info(path: Path, tz: str = "Asia/Vladivostok",
                    max_pixels: int = MAX_PIXELS) -> PhotoInfo:
    """Size, type, time and position from the header alone; no pixel is decoded.

    `tz` is the zone the camera clock was set to: EXIF times carry no zone unless the
    camera wrote OffsetTimeOriginal. Raises NotAnImage or ImageTooLarge.
    """
    zone = _zone(tz)
    with _open_image(path, max_pixels) as im:
        exif = _exif(im)
        width, height = im.size
        if exif.get(_T.Orientation) in _ROTATED:
            width, height = height, width
        lat, lon = _position(exif)
        return PhotoInfo(width, height, _MIME[im.format or ""], _taken_at(exif, zone), lat, lon)


def _check_decodes(path: Path, max_pixels: int) -> None:
    """Decode once (JPEG at 1/8 scale, a few ms) so a file cut short is refused, not stored.

    The header of a JPEG truncated by a pulled card parses fine; only decoding notices.
    """
    with _open_image(path, max_pixels) as im:
        try:
            if im.format in _JPEG_LIKE:
                im.draft("RGB", (1, 1))
            im.load()
        except _BROKEN as exc:
            raise NotAnImage(str(path)) from exc


def attach_photo(media: MediaStore, path: Path, tz: str = "Asia/Vladivostok",
                 max_pixels: int = MAX_PIXELS) -> PhotoValue:
    """Check the photo, then store its original bytes (never re-encoded) by SHA-256.

    Every check runs before anything is written, so a refused file leaves no trace.
    """
    info = read_photo_info(path, tz, max_pixels)
    _check_decodes(path, max_pixels)
    sha256, size = media.put_file(path)
    return PhotoValue(
        sha256=sha256, filename=path.name, mime=info.mime, size=size,
        taken_at=info.taken_at, lat=info.lat, lon=info.lon,
        width=info.width, height=info.height,
    )


def _flatten_rgb(im: Image.Image) -> Image.Image:
    """JPEG has no alpha: lay transparent images on white rather than on black."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


def _save_jpeg_atomically(im: Image.Image, target: Path) -> None:
    """Temp name in the same folder, fsync, rename: readers never see half a thumbnail,
    and a cached file that survived a power cut is whole (the cache is trusted on sight)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".thumb-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            im.save(out, "JPEG", quality=THUMB_QUALITY)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.replace(tmp_name, target)
        except PermissionError:
            # Windows refuses to replace a file another thread has open: that thread
            # already made this very thumbnail.
            if not target.exists():
                raise
            os.unlink(tmp_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _render_thumbnail(im: ImageFile.ImageFile, size: int) -> Image.Image:
    if im.format in _JPEG_LIKE:
        im.draft("RGB", (size, size))  # libjpeg scales while decoding: 1/2, 1/4 or 1/8
    upright = ImageOps.exif_transpose(im)
    upright.thumbnail((size, size))
    return _flatten_rgb(upright)


def make_thumbnail(media: MediaStore, sha256: str, size: int = 256,
                   max_pixels: int = MAX_PIXELS) -> Path:
    """A JPEG no larger than `size` on its long side, made once and cached.

    Safe from worker threads: two threads making the same thumbnail each write their own
    temporary file and the atomic rename leaves one whole file. The original is re-checked
    because blobs also arrive by sync, not only through `attach_photo`.
    """
    if not _SHA256.fullmatch(sha256):
        raise InvalidValue("sha256", sha256)  # it becomes a path: no '..' or separators
    if size < 1:
        raise InvalidValue("size", str(size))
    target = media.thumbnail_path(sha256, size)
    if target.exists():
        return target
    source = media.path_for(sha256)
    with _open_image(source, max_pixels) as im:
        try:
            thumb = _render_thumbnail(im, size)
        except _BROKEN as exc:
            raise NotAnImage(str(source)) from exc
    _save_jpeg_atomically(thumb, target)
    return target


def thumbnails(media: MediaStore, shas: Iterable[str], size: int = 256,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None,
               max_pixels: int = MAX_PIXELS) -> list[Path]:
    """Thumbnails for a worker thread: reports (done, total) after each, stops on cancel().

    Returns the paths made before a cancel, in order. A bad original raises (its typed
    error names it); thumbnails already made stay cached, so a rerun only redoes the rest.
    """
    todo = list(shas)
    made: list[Path] = []
    for done, sha256 in enumerate(todo, start=1):
        if cancel is not None and cancel():
            break
        made.append(make_thumbnail(media, sha256, size, max_pixels))
        if progress is not None:
            progress(done, len(todo))
    return made
