"""Photos arriving in a bundle are opened header-only, with a pixel limit, before import.

The layers contract keeps `sync` and `io` independent, so this module cannot call
`io.photos.read_photo_info`; it applies the same rule with the same numbers: only the
formats a camera writes, Pillow's `DecompressionBombWarning` promoted to an error (Pillow
itself raises only above twice its limit), and an explicit width × height check. Nothing
is decoded. Pillow's global `MAX_IMAGE_PIXELS` is never changed.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

from PIL import Image

from ranger_app.domain.errors import ImageTooLarge, NotAnImage

MAX_PIXELS = 80_000_000  # the same limit as io.photos
FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
_LOCK = threading.Lock()  # catch_warnings swaps process-wide state


def check_image(path: Path, shown: str, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of a photo, or NotAnImage / ImageTooLarge."""
    pillow = Image.MAX_IMAGE_PIXELS
    limit = max_pixels if pillow is None else min(max_pixels, int(pillow))
    with path.open("rb") as fh:
        try:
            with _LOCK, warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(fh, formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageTooLarge(shown, 0, limit) from None
        except Exception as exc:  # Pillow raises many types on a broken header
            raise NotAnImage(shown) from exc
        with im:
            width, height = im.size
    if width <= 0 or height <= 0:
        raise NotAnImage(shown)
    if width * height > limit:
        raise ImageTooLarge(shown, width * height, limit)
    return width, height
