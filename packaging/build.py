"""Build the one-folder app with PyInstaller, report its size, then smoke-test it.

    .venv/bin/python packaging/build.py            # what `make package` runs
    .venv/bin/python packaging/build.py --no-test  # build only

Output: `dist/ranger-app/` (the folder to copy to a laptop); PyInstaller's work files go to
`build/pyinstaller/`. Needs the compiled catalogs (`make catalogs`) and PyInstaller (the
`package` extra: `pip install -e '.[package]'`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "ranger_app.spec"
DIST = REPO / "dist"
WORK = REPO / "build" / "pyinstaller"
APP = DIST / "ranger-app"
ICON = REPO / "resources" / "icons" / "ranger-app.ico"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def largest(folder: Path, n: int = 8) -> list[tuple[int, Path]]:
    files = [(p.stat().st_size, p) for p in folder.rglob("*") if p.is_file()
             and not p.is_symlink()]
    return sorted(files, reverse=True)[:n]


def build() -> float:
    if not ICON.exists():
        subprocess.run([sys.executable, str(REPO / "packaging" / "make_icon.py")], check=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                    "--log-level", "WARN", "--distpath", str(DIST), "--workpath", str(WORK),
                    str(SPEC)], cwd=REPO, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-test", action="store_true", help="skip the smoke test")
    args = parser.parse_args(argv)

    took = build()
    size = folder_size(APP)
    print(f"built {APP.relative_to(REPO)} in {took:.0f} s; unpacked size {size / 1e6:.1f} MB")
    for n, path in largest(APP):
        print(f"  {n / 1e6:6.1f} MB  {path.relative_to(APP)}")
    if args.no_test:
        return 0
    started = time.perf_counter()
    code = subprocess.call([sys.executable, str(REPO / "packaging" / "smoke_test.py"),
                            str(APP)])
    print(f"smoke test {'passed' if code == 0 else 'FAILED'} in "
          f"{time.perf_counter() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
