"""Draw the application icon: a big cat's pawprint on a tiger-orange rounded square.

Writes `resources/icons/ranger-app.png` (256 px, for a window icon or a Linux .desktop file)
and `resources/icons/ranger-app.ico` (16-256 px, for the Windows executable). Both files are
kept in git; run this again only to change the drawing:

    .venv/bin/python packaging/make_icon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "resources" / "icons"
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]

CANVAS = 1024  # drawn large, then scaled down with a good filter (Pillow draws no anti-aliasing)
ORANGE = (224, 110, 26, 255)
DARK = (38, 30, 24, 255)
CREAM = (255, 244, 228, 255)


def draw(size: int = CANVAS) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 1024
    d.rounded_rectangle((24 * s, 24 * s, 1000 * s, 1000 * s), radius=190 * s, fill=ORANGE,
                        outline=DARK, width=round(28 * s))

    def ellipse(cx: float, cy: float, rx: float, ry: float) -> None:
        d.ellipse(((cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s), fill=CREAM)

    # The main pad: three lobes along the bottom, joined by a broad top.
    ellipse(512, 650, 215, 170)
    ellipse(372, 735, 112, 105)
    ellipse(512, 760, 112, 100)
    ellipse(652, 735, 112, 105)
    # Four toes in an arc, the outer two lower (a cat's print shows no claws).
    ellipse(258, 455, 82, 108)
    ellipse(408, 318, 86, 114)
    ellipse(616, 318, 86, 114)
    ellipse(766, 455, 82, 108)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    png = big.resize((256, 256), Image.Resampling.LANCZOS)
    png.save(OUT / "ranger-app.png", optimize=True)
    big.save(OUT / "ranger-app.ico", sizes=ICO_SIZES)
    print(f"wrote {OUT / 'ranger-app.png'} and {OUT / 'ranger-app.ico'}")


if __name__ == "__main__":
    main()
