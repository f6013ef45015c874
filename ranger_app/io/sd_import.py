"""Importing a camera trap's memory card: every image checked, stored, timed and thumbnailed.

A card holds thousands of JPEGs and, often, settings files, videos and the odd image cut short
when the card was pulled while the camera was writing. Each file is checked before anything of
it is stored: not an image, damaged (the header reads but the data does not decode), a
decompression bomb, unreadable or a duplicate are skipped with their reason. Good originals go
into the content-addressed media store byte for byte (never re-encoded). Their EXIF time is
read in the location's zone and corrected by the visit's clock offset (camera clock minus true
time).

Each JPEG is decoded once, in JPEG draft mode at the smallest scale that still covers the
thumbnail (1/8 for a 2048-pixel image and 192-pixel thumbnails): that one decode is both the
integrity check and the thumbnail, so a card imports faster than Pillow can fully decode it
(`bench/sd_import.py`). `io.photos.thumbnails` then makes any thumbnail still missing (a PNG
or TIFF on the card) with progress and cancel.

`read_sd_folder` writes no database row: the editor adds the images to the visit it is
editing and saving the visit writes them. `import_sd_folder` attaches them to a saved visit in
one transaction at the end; a cancelled import writes no row at all.

A camera whose clock was wrong gives image times outside the deployment the card belongs to
(from the deployment's start to the visit that took the card out). `clock_fix` counts those
and works out the clock offset that moves every image inside; the visit editor offers it,
and `import_sd_folder(..., fix_clock=True)` applies it.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageOps

from ranger_app.domain.camtraps import (
    SETUP_WINDOW_S,
    DamagedImage,
    DuplicateImage,
    NotAFolder,
    ServiceVisitValue,
    image_span,
    shift_images,
    true_time,
)
from ranger_app.domain.errors import (
    FileUnreadable,
    ImageTooLarge,
    NotAnImage,
    RangerError,
)
from ranger_app.domain.records import PhotoValue
from ranger_app.io.photos import (
    MAX_PIXELS,
    THUMB_QUALITY,
    attach_photo,
    read_photo_info,
    thumbnails,
)
from ranger_app.store.camtraps import (
    add_visit_images,
    deployment_rows,
    load_service_visit,
    preview_visit,
    save_service_visit,
)
from ranger_app.store.db import Database
from ranger_app.store.media import MediaStore

THUMB_SIZE = 192  # the editors show 96 px icons, sharp on a high-density screen
Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class SkippedFile:
    """A file left out, with why (`reason` is a code; `error` describes it to the user)."""

    name: str  # relative to the card folder
    reason: str  # not_image | damaged | too_large | unreadable | duplicate
    error: RangerError


@dataclass
class SdImport:
    folder: str
    files: int = 0
    images: list[PhotoValue] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    without_time: int = 0
    cancelled: bool = False
    clock: ClockFix | None = None  # images outside the deployment (set by import_sd_folder)

    @property
    def count(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class ClockFix:
    """Images dated outside their deployment, and the clock offset that would put them inside.

    `offset_s` is the visit's new clock offset (camera clock minus true time): with it the
    first image falls at the deployment's start when images were early (the setup photo), or
    the last one at the visit when they were late (the pick-up photo). None when no single
    offset fits (the images span more than the deployment): then the times stay as they are
    and the export flags them (`timestampIssues`).
    """

    start: datetime  # the deployment's start
    end: datetime  # the visit that took the card out
    first_at: datetime
    last_at: datetime
    before: int  # images earlier than the start
    after: int  # images later than the end
    current_offset_s: int | None
    offset_s: int | None

    @property
    def outside(self) -> int:
        return self.before + self.after

    @property
    def shift(self) -> timedelta | None:
        """How far the image times move with `offset_s`."""
        if self.offset_s is None:
            return None
        return timedelta(seconds=(self.current_offset_s or 0) - self.offset_s)


def clock_fix(images: list[PhotoValue], start: datetime, end: datetime,
              current_offset_s: int | None, slack_s: int = SETUP_WINDOW_S) -> ClockFix | None:
    """None when every timed image lies in `start .. end` (± the setup window)."""
    times = [image.taken_at for image in images if image.taken_at is not None]
    if not times:
        return None
    slack = timedelta(seconds=slack_s)
    low, high = start - slack, end + slack
    before = sum(1 for t in times if t < low)
    after = sum(1 for t in times if t > high)
    if not before and not after:
        return None
    first, last = min(times), max(times)
    shift = start - first if before else end - last
    fits = first + shift >= low and last + shift <= high
    offset = (current_offset_s or 0) - round(shift.total_seconds()) if fits else None
    return ClockFix(start, end, first, last, before, after, current_offset_s, offset)


def card_window(db: Database, visit: ServiceVisitValue) -> tuple[datetime, datetime] | None:
    """The deployment a visit's card belongs to: its start, and the visit's time.

    The deployment is the one the visit closes (a service or a retrieval) or checks; None for
    a first deployment, an undated visit, or a visit the rule refuses.
    """
    if visit.visited_at is None or not visit.location_uuid:
        return None
    try:
        plan = preview_visit(db, visit)
    except RangerError:
        return None
    uuid = plan.close_uuid or plan.belongs_to
    if not uuid:
        return None
    start = next((d.start_at for d in deployment_rows(db, visit.location_uuid)
                  if d.uuid == uuid), None)
    if start is None or start > visit.visited_at:
        return None
    return start, visit.visited_at


def card_files(folder: Path) -> list[Path]:
    """Every file under the card folder, sorted; hidden files and folders are left out."""
    if not folder.is_dir():
        raise NotAFolder(str(folder))
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
    return found


# What Pillow raises on data it cannot decode (the same list io.photos refuses files on).
_BROKEN: tuple[type[BaseException], ...] = (
    OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError,
    KeyError, ZeroDivisionError,
)


def _jpeg_thumbnail(path: Path, size: int, max_pixels: int) -> Image.Image:
    """Decode once, at the smallest JPEG scale that still covers the thumbnail.

    This decode is also the integrity check: a file cut short fails here. The header was
    already checked by `read_photo_info` (pixel limit, format); the limit is checked again in
    case the file changed on the card in between.
    """
    with path.open("rb") as fh, Image.open(fh, formats=("JPEG",)) as im:
        width, height = im.size
        if width * height > max_pixels:
            raise ImageTooLarge(str(path), width * height, max_pixels)
        scale = size / max(width, height)
        if scale < 1:  # libjpeg scales by 1/2, 1/4 or 1/8 while decoding
            im.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        im.load()
        upright = ImageOps.exif_transpose(im)
        upright.thumbnail((size, size))
        return upright if upright.mode in ("RGB", "L") else upright.convert("RGB")


def _save_thumbnail(im: Image.Image, target: Path) -> None:
    """Temp name, fsync, rename: the thumbnail cache is trusted on sight."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".thumb-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            im.save(out, "JPEG", quality=THUMB_QUALITY)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.replace(tmp_name, target)
        except PermissionError:  # Windows: another thread made the same thumbnail
            if not target.exists():
                raise
            os.unlink(tmp_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _one_file(media: MediaStore, path: Path, name: str, tz: str, size: int,
              max_pixels: int) -> PhotoValue | SkippedFile:
    """Check one file, then store it and its thumbnail; a refused file leaves no trace."""
    try:
        info = read_photo_info(path, tz, max_pixels)
    except ImageTooLarge as err:
        return SkippedFile(name, "too_large", ImageTooLarge(name, err.pixels, err.limit))
    except NotAnImage:
        return SkippedFile(name, "not_image", NotAnImage(name))
    except OSError as err:
        return SkippedFile(name, "unreadable", FileUnreadable(name, err.strerror or str(err)))
    if info.mime != "image/jpeg":  # rare on a camera trap: the general path
        try:
            photo = attach_photo(media, path, tz, max_pixels)
        except NotAnImage:
            return SkippedFile(name, "damaged", DamagedImage(name))
        photo.filename = name
        return photo
    try:
        thumb = _jpeg_thumbnail(path, size, max_pixels)
    except ImageTooLarge as err:
        return SkippedFile(name, "too_large", ImageTooLarge(name, err.pixels, err.limit))
    except _BROKEN:
        return SkippedFile(name, "damaged", DamagedImage(name))
    sha256, nbytes = media.put_file(path)
    target = media.thumbnail_path(sha256, size)
    if not target.exists():
        _save_thumbnail(thumb, target)
    return PhotoValue(sha256=sha256, filename=name, mime=info.mime, size=nbytes,
                      taken_at=info.taken_at, lat=info.lat, lon=info.lon, width=info.width,
                      height=info.height)


def read_sd_folder(media: MediaStore, folder: Path, tz: str, clock_offset_s: int | None = None,
                   *, known: frozenset[str] | set[str] = frozenset(),
                   progress: Progress | None = None, cancel: Cancel | None = None,
                   thumb_size: int = THUMB_SIZE, max_pixels: int = MAX_PIXELS,
                   workers: int | None = None) -> SdImport:
    """Check, store and thumbnail every image of a card folder; no database row is written.

    `known` holds the SHA-256 of images the visit already has (a card imported twice adds
    nothing). Files are processed by a few threads (Pillow decodes without the GIL) and
    collected in card order. Progress runs over two passes (files, then the thumbnail check
    of `io.photos.thumbnails`) as (done, total); `cancel()` stops between files.
    """
    folder = Path(folder)
    files = card_files(folder)
    result = SdImport(str(folder), files=len(files))
    total = 2 * len(files)
    seen: dict[str, str] = {}
    workers = workers or max(1, min(4, os.cpu_count() or 1))

    def collect(name: str, got: PhotoValue | SkippedFile) -> None:
        if isinstance(got, SkippedFile):
            result.skipped.append(got)
        elif got.sha256 in seen or got.sha256 in known:
            result.skipped.append(SkippedFile(name, "duplicate", DuplicateImage(
                name, seen.get(got.sha256, ""))))
        else:
            seen[got.sha256] = name
            got.kind = "camtrap"
            got.taken_at = true_time(got.taken_at, clock_offset_s)
            result.images.append(got)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sd-import") as pool:
        in_flight: deque[tuple[str, Future[PhotoValue | SkippedFile]]] = deque()
        done = 0
        for path in files:
            if cancel is not None and cancel():
                result.cancelled = True
                break
            name = path.relative_to(folder).as_posix()
            in_flight.append((name, pool.submit(_one_file, media, path, name, tz, thumb_size,
                                                max_pixels)))
            while len(in_flight) >= 2 * workers or (in_flight and in_flight[0][1].done()):
                name, future = in_flight.popleft()
                collect(name, future.result())
                done += 1
                if progress is not None:
                    progress(done, total)
        for name, future in in_flight:  # what is already running finishes either way
            collect(name, future.result())
            done += 1
            if progress is not None and not result.cancelled:
                progress(done, total)
    if result.cancelled:
        return result

    # Every image has its thumbnail by now except the odd non-JPEG; `thumbnails` makes
    # those and confirms the rest from the cache.
    shas = [image.sha256 for image in result.images]
    base = len(files)
    span = max(len(shas), 1)

    def thumb_progress(done: int, _total: int) -> None:
        if progress is not None:
            progress(base + round(done * base / span), total)

    made = thumbnails(media, shas, thumb_size, progress=thumb_progress, cancel=cancel,
                      max_pixels=max_pixels)
    if len(made) < len(shas):
        result.cancelled = True
        return result
    result.first_at, result.last_at, _count = image_span(result.images)
    result.without_time = sum(1 for image in result.images if image.taken_at is None)
    if progress is not None:
        progress(total, total)
    return result


def import_sd_folder(db: Database, visit_uuid: str, folder: Path,
                     progress: Progress | None = None,
                     cancel: Cancel | None = None, *, clock_offset_s: int | None = None,
                     fix_clock: bool = False) -> SdImport:
    """Import a card folder into a saved visit; the rows go in one transaction at the end.

    `clock_offset_s` (typed by the user) replaces the visit's clock offset; `fix_clock`
    applies the offset `clock_fix` finds when images fall outside the deployment. Either one
    is saved on the visit with the images, and moves the times of images it already holds.
    `result.clock` says what was found (before any fix).
    """
    visit = load_service_visit(db, visit_uuid)
    offset = visit.clock_offset_s if clock_offset_s is None else clock_offset_s
    result = read_sd_folder(db.media, Path(folder), visit.tz, offset,
                            known={image.sha256 for image in visit.images},
                            progress=progress, cancel=cancel)
    if result.cancelled or not result.images:
        return result
    window = card_window(db, visit)
    if window is not None:
        result.clock = clock_fix(visit.images + result.images, *window, offset)
    if fix_clock and result.clock is not None and result.clock.offset_s is not None:
        offset = result.clock.offset_s
        shift = result.clock.shift
        assert shift is not None
        for image in result.images:
            if image.taken_at is not None:
                image.taken_at += shift
        result.first_at, result.last_at, _count = image_span(result.images)
    if offset == visit.clock_offset_s:
        with db.writer() as session:
            add_visit_images(session, visit_uuid, result.images)
        return result
    # a new offset: the visit is saved whole (its earlier images move with the offset)
    shift_images(visit, visit.clock_offset_s, offset)
    visit.clock_offset_s = offset
    visit.images.extend(result.images)
    visit.first_image_at, visit.last_image_at, visit.image_count = image_span(visit.images)
    save_service_visit(db, visit)
    return result
