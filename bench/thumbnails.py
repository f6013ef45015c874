"""Thumbnail speed: JPEG draft mode (as `make_thumbnail` does) against a full decode.

Why: a camera-trap card holds thousands of photos and the gallery thumbnails them in a
worker; this shows what reduced-size decoding buys. Both paths write the same JPEG the
same way (temp file, fsync, rename), so only decoding differs.

    cd /work/main && PYTHONPATH=. .venv/bin/python bench/thumbnails.py [--count 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps

from ranger_app.io.photos import _flatten_rgb, _save_jpeg_atomically, make_thumbnail
from ranger_app.store.media import MediaStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.camtrap_photos import camtrap_media  # photos shaped like RECONYX's

SOURCE = camtrap_media()


def fill_store(media: MediaStore, source: Path, count: int) -> list[str]:
    """`count` distinct originals: copies of the examples, each with a unique trailer after
    the JPEG end marker (decoders ignore it) so content addressing does not fold them."""
    originals = [p.read_bytes() for p in sorted(source.glob("*.JPG"))]
    if not originals:
        raise SystemExit(f"no example JPEGs in {source}")
    return [media.put_bytes(originals[i % len(originals)] + f"copy {i}".encode())[0]
            for i in range(count)]


def full_decode_thumbnail(media: MediaStore, sha256: str, size: int, out: Path) -> Path:
    """The naive path: decode every pixel, then shrink."""
    target = out / f"{sha256}.jpg"
    with Image.open(media.path_for(sha256)) as im:
        im.load()  # loaded first, so thumbnail()'s own draft() call can no longer apply
        upright = ImageOps.exif_transpose(im)
        upright.thumbnail((size, size))
        _save_jpeg_atomically(_flatten_rgb(upright), target)
    return target


def timed(label: str, run: Callable[[str], object], shas: list[str]) -> float:
    started = time.perf_counter()
    for sha in shas:
        run(sha)
    rate = len(shas) / (time.perf_counter() - started)
    print(f"{label:<28} {rate:8.1f} images/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ranger-bench-") as tmp:
        media = MediaStore(Path(tmp) / "bench.db.media")
        shas = fill_store(media, args.source, args.count)
        with Image.open(media.path_for(shas[0])) as first:
            print(f"{len(shas)} JPEGs of {first.size[0]}×{first.size[1]}, "
                  f"thumbnails {args.size} px")
        plain_out = Path(tmp) / "plain"
        plain_out.mkdir()
        draft = timed("draft (make_thumbnail)",
                      lambda sha: make_thumbnail(media, sha, args.size), shas)
        full = timed("full decode + thumbnail",
                     lambda sha: full_decode_thumbnail(media, sha, args.size, plain_out), shas)
        cached = timed("cached (second call)",
                       lambda sha: make_thumbnail(media, sha, args.size), shas)
        print(f"draft / full decode: {draft / full:.2f}×   cached / draft: {cached / draft:.0f}×")


if __name__ == "__main__":
    main()
