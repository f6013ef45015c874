"""Where things live: package resources (also when frozen) and the user's data folder.

Every path the app uses is computed here, so a frozen build or a portable install changes
one module, not twenty.
"""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "RangerFieldLog"
PORTABLE_MARKER = "portable.txt"


def package_root() -> Path:
    """The folder holding `resources/` and `translations/`.

    `sys._MEIPASS` in the frozen app; the installed package itself when installed from a
    wheel (setup.py copies both folders into it at build time); else the repo.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    here = Path(__file__).resolve().parent
    if (here / "resources" / "vocab").is_dir():
        return here
    return here.parent


def resources_dir() -> Path:
    return package_root() / "resources"


def translations_dir() -> Path:
    return package_root() / "translations"


def user_data_dir() -> Path:
    """The user's data folder; beside the executable only in portable mode."""
    if getattr(sys, "frozen", False):
        exe_dir = Path(sys.executable).resolve().parent
        if (exe_dir / PORTABLE_MARKER).exists():
            return exe_dir / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database() -> Path:
    return user_data_dir() / "ranger.db"


def settings_file() -> Path:
    return user_data_dir() / "settings.json"
