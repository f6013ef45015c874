"""Camera-trap photos made by the tests, so the suite needs nothing beside the repository.

They stand in for the ten RECONYX images of the Camtrap DP example that the tests once read
from `../shared`: the same names, size (2048 × 1440) and EXIF fields a RECONYX HyperFire 2
writes (Make, Model, DateTime, DateTimeOriginal in the camera's local clock), so EXIF
reading, SD-card import, thumbnails and photo blobs in bundles are tested on files shaped
like the ones rangers bring in. Each image differs (an "animal" moves across it), so no two
share bytes.
"""

from __future__ import annotations

import functools
import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = (2048, 1440)
CAMERA_ZONE = timezone(timedelta(hours=1))  # a camera clock that ignores summer time
FIRST_SHOT = datetime(2021, 4, 11, 20, 43, 9, tzinfo=CAMERA_ZONE)
# (file name, seconds after the first shot): a burst of ten, as the camera names them
SHOTS: tuple[tuple[str, int], ...] = (
    ("20210531082538-RCNX0031.JPG", 0), ("20210531082538-RCNX0032.JPG", 1),
    ("20210531082539-RCNX0033.JPG", 1), ("20210531082539-RCNX0034.JPG", 2),
    ("20210531082539-RCNX0035.JPG", 3), ("20210531082540-RCNX0036.JPG", 3),
    ("20210531082540-RCNX0037.JPG", 4), ("20210531082540-RCNX0038.JPG", 4),
    ("20210531082540-RCNX0039.JPG", 5), ("20210531082541-RCNX0040.JPG", 6),
)
TAKEN_AT: dict[str, datetime] = {
    name: FIRST_SHOT + timedelta(seconds=offset) for name, offset in SHOTS}

_MAKE, _MODEL = 0x010F, 0x0110
_DATETIME, _EXIF_IFD = 0x0132, 0x8769
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004


def _scene(index: int) -> Image.Image:
    """A night-vision grey forest floor with a bright blob moving left to right."""
    rng = random.Random(index)
    small = Image.effect_noise((SIZE[0] // 8, SIZE[1] // 8), 40).filter(
        ImageFilter.GaussianBlur(2))
    image = Image.merge("RGB", (small, small, small)).resize(SIZE)
    draw = ImageDraw.Draw(image)
    for _ in range(12):  # trunks
        x = rng.randrange(SIZE[0])
        draw.rectangle((x, 0, x + rng.randrange(30, 90), SIZE[1]), fill=(60, 60, 60))
    x = 200 + index * 160
    draw.ellipse((x, 800, x + 420, 1100), fill=(210, 205, 200))
    return image


def write_photo(path: Path, index: int, taken_at: datetime) -> Path:
    """One JPEG with the EXIF a RECONYX camera writes (local time, no zone)."""
    exif = Image.Exif()
    stamp = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    exif[_MAKE] = "RECONYX"
    exif[_MODEL] = "HYPERFIRE 2 COVERT"
    exif[_DATETIME] = stamp
    sub = exif.get_ifd(_EXIF_IFD)
    sub[_DATETIME_ORIGINAL] = stamp
    sub[_DATETIME_DIGITIZED] = stamp
    _scene(index).save(path, "JPEG", quality=80, exif=exif)
    return path


@functools.cache
def camtrap_media() -> Path:
    """The folder of ten example photos, written once per test run."""
    folder = Path(tempfile.mkdtemp(prefix="ranger-camtrap-media-"))
    for index, (name, _offset) in enumerate(SHOTS):
        write_photo(folder / name, index, TAKEN_AT[name])
    return folder
