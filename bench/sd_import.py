"""SD-card import speed against Pillow's plain full decode of the same files.

A card of `--count` camera-trap JPEGs (copies of the Camtrap DP example images, each made
distinct by a trailer after the JPEG end marker, which decoders ignore, so content addressing
does not fold them) is imported with `io.sd_import.read_sd_folder`: every file checked
(header, pixel limit), decoded once in JPEG draft mode at the thumbnail's scale (the decode is
the integrity check and the thumbnail), stored content-addressed with fsync, its EXIF time read
and corrected. For comparison: the same import on one thread, the general two-decode path
(`attach_photo` then `make_thumbnail`), and Pillow's plain full decode
(`Image.open(p).load()`), the cost a naive importer pays per image before it has even made a
thumbnail.

    cd /work/main && PYTHONPATH=. .venv/bin/python bench/sd_import.py [--count 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from ranger_app.io.photos import attach_photo, make_thumbnail
from ranger_app.io.sd_import import THUMB_SIZE, read_sd_folder
from ranger_app.store.media import MediaStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.camtrap_photos import camtrap_media  # photos shaped like RECONYX's

SOURCE = camtrap_media()


def make_card(card: Path, source: Path, count: int) -> list[Path]:
    originals = [p.read_bytes() for p in sorted(source.glob("*.JPG"))]
    if not originals:
        raise SystemExit(f"no example JPEGs in {source}")
    folder = card / "DCIM" / "100RECNX"
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"RCNX{i:05d}.JPG"
        path.write_bytes(originals[i % len(originals)] + f"copy {i}".encode())
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ranger-bench-sd-") as tmp:
        card = Path(tmp) / "card"
        paths = make_card(card, args.source, args.count)
        with Image.open(paths[0]) as first:
            size = first.size
        print(f"{len(paths)} JPEGs of {size[0]}×{size[1]} "
              f"({sum(p.stat().st_size for p in paths) / 1e6:.0f} MB), "
              f"thumbnails {THUMB_SIZE} px")

        # warm the page cache the same way for both runs
        for p in paths:
            p.read_bytes()

        def run_import(workers: int | None, label: str) -> float:
            media = MediaStore(Path(tmp) / f"bench-{label}.db.media")
            marks: dict[str, float] = {}

            def progress(done: int, total: int) -> None:
                if done >= total // 2 and "files" not in marks:
                    marks["files"] = time.perf_counter()

            started = time.perf_counter()
            result = read_sd_folder(media, card, "Asia/Vladivostok", 0, progress=progress,
                                    workers=workers)
            elapsed = time.perf_counter() - started
            assert result.count == len(paths), (result.count, result.skipped[:3])
            files = marks.get("files", started + elapsed) - started
            rate = len(paths) / elapsed
            print(f"{'SD import, ' + label:<40} {rate:8.1f} images/s  ({elapsed:.1f} s; "
                  f"per-file pass {files:.1f} s, thumbnail check {elapsed - files:.1f} s)")
            return rate

        threads = max(1, min(4, os.cpu_count() or 1))
        pooled = run_import(None, f"{threads} threads")
        single = run_import(1, "1 thread")

        # the general path the patrol editor uses: check (1/8 decode), store, then a
        # separate thumbnail decode
        media = MediaStore(Path(tmp) / "bench-two-pass.db.media")
        started = time.perf_counter()
        for p in paths:
            photo = attach_photo(media, p, "Asia/Vladivostok")
            make_thumbnail(media, photo.sha256, THUMB_SIZE)
        two_pass = len(paths) / (time.perf_counter() - started)
        print(f"{'attach_photo + make_thumbnail, 1 thread':<40} {two_pass:8.1f} images/s")

        started = time.perf_counter()
        for p in paths:
            with Image.open(p) as im:
                im.load()
        full_rate = len(paths) / (time.perf_counter() - started)
        print(f"{'Pillow full decode only, 1 thread':<40} {full_rate:8.1f} images/s")
        print(f"import / full decode: {pooled / full_rate:.2f}× ({threads} threads), "
              f"{single / full_rate:.2f}× (1 thread)")


if __name__ == "__main__":
    main()
