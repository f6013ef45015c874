"""A few tiny generated JPEGs in the media folder, so attachments point at real bytes.

Three pictures cover every attachment the demo makes; the store is content-addressed, so a
picture used fifty times is stored once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageDraw

from ranger_app.store.db import Database

SIZE = (96, 64)


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    size: int
    width: int
    height: int


def _jpeg(kind: str) -> bytes:
    """A small picture that at least looks like its subject in a thumbnail."""
    if kind == "snow":  # a track in snow
        img = Image.new("RGB", SIZE, (236, 240, 246))
        draw = ImageDraw.Draw(img)
        draw.ellipse((36, 24, 60, 48), fill=(150, 160, 175))
        for x in (30, 40, 52, 62):
            draw.ellipse((x - 4, 12, x + 4, 22), fill=(150, 160, 175))
    elif kind == "fire":  # smoke over a burnt slope
        img = Image.new("RGB", SIZE, (120, 150, 190))
        draw = ImageDraw.Draw(img)
        draw.polygon([(0, 64), (0, 40), (50, 28), (96, 44), (96, 64)], fill=(60, 45, 35))
        draw.ellipse((30, 4, 80, 34), fill=(170, 165, 160))
        draw.line((10, 50, 90, 46), fill=(230, 110, 20), width=3)
    else:  # forest floor with a wire loop
        img = Image.new("RGB", SIZE, (92, 84, 60))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, 96, 20), fill=(60, 90, 50))
        draw.ellipse((30, 24, 66, 56), outline=(190, 190, 195), width=2)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


class PhotoShelf:
    """Stores each picture on first use and makes attachment rows that point at it."""

    KINDS = ("snow", "fire", "snare")

    def __init__(self, db: Database) -> None:
        self.db = db
        self._stored: dict[str, StoredPhoto] = {}
        self._n = 0

    def photo(self, kind: str) -> StoredPhoto:
        if kind not in self._stored:
            data = _jpeg(kind)
            sha, size = self.db.media.put_bytes(data)
            self._stored[kind] = StoredPhoto(sha, size, *SIZE)
        return self._stored[kind]

    def attachment(self, kind: str, owner_entity: str, owner_uuid: str,
                   taken_at: datetime | None, lat: float | None, lon: float | None,
                   caption: str = "") -> dict[str, Any]:
        p = self.photo(kind)
        self._n += 1
        return {
            "sha256": p.sha256, "kind": "photo", "owner_entity": owner_entity,
            "owner_uuid": owner_uuid, "filename": f"IMG_{self._n:04d}.JPG",
            "mime": "image/jpeg", "size": p.size, "taken_at": taken_at, "lat": lat, "lon": lon,
            "width": p.width, "height": p.height, "caption": caption,
        }
