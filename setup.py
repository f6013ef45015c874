"""Build hook: a wheel carries `resources/` and the compiled `translations/` as package data.

The folders stay at the top of the repo (the PyInstaller spec, the Makefile, babel.cfg and
every translator use them there); building a wheel copies `resources/` to
`ranger_app/resources/` and compiles each `translations/<lang>/LC_MESSAGES/*.po` with Babel
into `ranger_app/translations/<lang>/LC_MESSAGES/*.mo` inside the build, so a wheel made from a
clean clone (where no `.mo` exists: they are not committed) has them. `ranger_app.paths`
looks there first. An editable install (`make .venv/.installed-stamp`) reads the repo folders
and is left alone. All metadata is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Every `.po` under `source` compiled to the same place under `target` (no fuzzy)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    made = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parts[-3])
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        made.append(mo)
    return made


class BuildWithData(build_py):
    """`build_py`, then the data folders copied and the catalogs compiled into the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "ranger_app"
        shutil.rmtree(package / "resources", ignore_errors=True)
        shutil.copytree(ROOT / "resources", package / "resources",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        shutil.rmtree(package / "translations", ignore_errors=True)
        if not compile_catalogs(ROOT / "translations", package / "translations"):
            raise SystemExit("no translations/*/LC_MESSAGES/*.po to compile")


setup(cmdclass={"build_py": BuildWithData})
