"""Removable drives a bundle can be written to or read from, found without asking the user.

Rangers carry bundles on USB sticks; making them browse to `/media/ivan/KINGSTON` or `E:\\`
is where exports end up in the wrong folder. This module lists likely sticks with their
free space so the export wizard can offer them, and the bundle files at their top level so
the import dialog can, too. Pure standard library (no Qt): the sync layer must not import
PySide6, and a fake root folder is enough to test it.

Where sticks appear: Linux desktops mount them under `/media/<user>/` (udisks2 on Debian and
Ubuntu) or `/run/media/<user>/` (Fedora, Arch, ALT); hand mounts go under `/mnt/`. macOS
lists every volume in `/Volumes/`, including a link to the boot volume, which is skipped.
Windows reports a drive type per letter; only `DRIVE_REMOVABLE` counts (a USB hard disk
reports `DRIVE_FIXED` and is not offered: the user can still pick any folder by hand).
"""

from __future__ import annotations

import getpass
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ranger_app.sync.bundle_format import SUFFIX

DRIVE_REMOVABLE = 2  # GetDriveTypeW
MAX_BUNDLES_LISTED = 200  # a stick full of bundles is a mistake; listing them all is not help


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str  # the volume's name as the file manager shows it
    free: int  # bytes
    total: int


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME
        return os.environ.get("USER", "")


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:  # missing or unreadable: no drives there
        return []


def _linux_candidates(root: Path, user: str) -> list[Path]:
    found: list[Path] = []
    if user:
        found += _subfolders(root / "media" / user)
        found += _subfolders(root / "run" / "media" / user)
    found += _subfolders(root / "mnt")
    return found


def _mac_candidates(root: Path) -> list[Path]:
    boot = os.path.realpath(root)
    return [p for p in _subfolders(root / "Volumes") if os.path.realpath(p) != boot]


def _windows_letters() -> list[str]:
    import ctypes

    mask = ctypes.windll.kernel32.GetLogicalDrives()  # type: ignore[attr-defined]
    return [chr(ord("A") + i) for i in range(26) if mask & (1 << i)]


def _windows_drive_type(root: str) -> int:
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(root))  # type: ignore[attr-defined]


def windows_candidates(letters: list[str], drive_type: Callable[[str], int]) -> list[Path]:
    """Drive roots whose type is removable (A: and B: are floppy drives, never sticks)."""
    roots = [f"{letter}:\\" for letter in letters if letter.upper() not in "AB"]
    return [Path(r) for r in roots if drive_type(r) == DRIVE_REMOVABLE]


def _usage(path: Path) -> Drive | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:  # a card reader with no card, a drive pulled while we looked
        return None
    label = path.name or str(path).rstrip("\\/")
    return Drive(path, label, usage.free, usage.total)


def find_drives(root: Path | None = None, *, platform: str | None = None,
                user: str | None = None) -> list[Drive]:
    """The removable drives mounted now, with their free space.

    `root` and `platform` exist for tests (a fake folder tree standing in for `/`); on
    the real root, Linux candidates must be mount points, so an empty folder someone made
    under `/mnt` is not offered as a stick.
    """
    platform = platform or sys.platform
    real = root is None
    base = Path("/") if root is None else root
    if platform.startswith("win"):
        candidates = windows_candidates(_windows_letters(), _windows_drive_type)
    elif platform == "darwin":
        candidates = _mac_candidates(base)
    else:
        candidates = _linux_candidates(base, _user() if user is None else user)
        if real:
            candidates = [p for p in candidates if os.path.ismount(p)]
    drives = (_usage(p) for p in candidates)
    return [d for d in drives if d is not None]


def bundles_in(folder: Path) -> list[Path]:
    """Bundle files at the top of a folder (a stick or an inbox), oldest first.

    Not recursive: the export writes bundles at the top, and walking a whole 256 GB stick
    to open a dialog would make the dialog feel broken.
    """
    try:
        files = [p for p in folder.glob("*" + SUFFIX) if p.is_file()]
        files.sort(key=lambda p: (p.stat().st_mtime, p.name))
    except OSError:
        return []
    return files[:MAX_BUNDLES_LISTED]
