"""Make resources/fonts/NotoSansSC-Subset.otf: Noto Sans CJK SC cut down to what we show.

A development-time step, not a runtime dependency: fontTools is needed only here.

    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools
    /tmp/ft/bin/python packaging/subset_cjk_font.py            # fetches fonts-noto-cjk (apt)
    /tmp/ft/bin/python packaging/subset_cjk_font.py --ttc /path/NotoSansCJK-Regular.ttc

Kept: every character of the Chinese catalog and of the Chinese vocabulary labels, the 3,755
level-1 hanzi of GB 2312 (the everyday set; the 通用规范汉字表 level-1 list of 3,500 is not
available offline and is nearly the same set), ASCII, Latin-1 and general punctuation, CJK
symbols and punctuation, half- and full-width forms. The family is renamed "Noto Sans SC
Subset" so it never shadows a complete Noto Sans CJK SC installed on the machine (the OFL
allows modified versions; Noto has no Reserved Font Name).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "resources" / "fonts" / "NotoSansSC-Subset.otf"
LICENSE_OUT = REPO / "resources" / "fonts" / "OFL.txt"
ZH_PO = REPO / "translations" / "zh_Hans" / "LC_MESSAGES" / "ranger_app.po"
FACE = "Noto Sans CJK SC"
FAMILY = "Noto Sans SC Subset"
POSTSCRIPT = "NotoSansSC-Subset"
TTC_IN_PACKAGE = "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
COPYRIGHT_IN_PACKAGE = "usr/share/doc/fonts-noto-cjk/copyright"

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 punctuation and signs (° · ×)
    (0x2010, 0x2027),  # dashes, quotes, ellipsis
    (0x2030, 0x203A),  # ‰ ′ ″ ‹ ›
    (0x2190, 0x2193),  # ← ↑ → ↓ (the catalog writes "a → b")
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]


def gb2312_level1() -> str:
    """The 3,755 level-1 hanzi: rows 0xB0-0xD7, cells 0xA1-0xFE (row 0xD7 ends at 0xF9)."""
    chars = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            if row == 0xD7 and cell > 0xF9:
                break
            chars.append(bytes((row, cell)).decode("gb2312"))
    assert len(chars) == 3755, len(chars)
    return "".join(chars)


def project_text() -> str:
    """Every character of the Chinese catalog (its msgstrs and the punctuation of its msgids)
    and of the Chinese vocabulary labels."""
    text = [ZH_PO.read_text(encoding="utf-8")]
    for path in sorted((REPO / "resources").glob("vocab*/**/*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            text += [row.get("zh") or "" for row in csv.DictReader(fh)]
    return "".join(text)


def unicodes() -> set[int]:
    cps = {ord(c) for c in gb2312_level1() + project_text() if ord(c) >= 0x20}
    for lo, hi in RANGES:
        cps.update(range(lo, hi + 1))
    return cps


def fetch_package(workdir: Path) -> Path:
    """`apt-get download fonts-noto-cjk` and unpack it; returns the unpacked root."""
    subprocess.run(["apt-get", "download", "fonts-noto-cjk"], cwd=workdir, check=True)
    deb = next(workdir.glob("fonts-noto-cjk_*.deb"))
    root = workdir / "pkg"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def rename(font) -> None:  # type: ignore[no-untyped-def]
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (16, 17, 21, 22):  # typographic family names: drop, use 1/2
            names.removeNames(nameID=record.nameID)
    for name_id, value in ((1, FAMILY), (3, f"2.004;{POSTSCRIPT}"), (4, FAMILY),
                           (6, POSTSCRIPT)):
        names.removeNames(nameID=name_id)
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)


def make_subset(ttc: Path, out: Path) -> None:
    collection = TTCollection(str(ttc), lazy=False)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FACE)
    options = subset.Options()
    options.hinting = False  # Qt renders CJK unhinted at UI sizes anyway
    options.desubroutinize = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes()))
    subsetter.subset(font)
    rename(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))


def license_text(copyright_file: Path, ttc: Path) -> str:
    """The font's copyright notice and the SIL OFL 1.1 text from Debian's copyright file."""
    notice = next(f for f in TTCollection(str(ttc)).fonts
                  if f["name"].getDebugName(1) == FACE)["name"].getDebugName(0)
    lines = copyright_file.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "License: SIL-1.1"
                 and i + 1 < len(lines) and lines[i + 1].startswith(" "))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    return (f"Noto Sans CJK SC (subset as NotoSansSC-Subset.otf)\n{notice}\n"
            "Copyright 2010-2012 Google Corporation (per the Debian package fonts-noto-cjk).\n"
            "Noto is a trademark of Google Inc.\n\n" + "\n".join(body).strip() + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttc", type=Path, help="NotoSansCJK-Regular.ttc (else apt-get it)")
    parser.add_argument("--copyright", type=Path, help="the package's copyright file")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="noto-cjk-") as tmp:
        ttc, copyright_file = args.ttc, args.copyright
        if ttc is None:
            root = fetch_package(Path(tmp))
            ttc = root / TTC_IN_PACKAGE
            copyright_file = copyright_file or root / COPYRIGHT_IN_PACKAGE
        make_subset(ttc, args.out)
        if copyright_file is not None:
            LICENSE_OUT.write_text(license_text(copyright_file, ttc), encoding="utf-8")
    cps = unicodes()
    print(f"{args.out}: {len(cps)} code points, {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
