"""Before the window opens on Linux/X11: are the system libraries Qt's xcb plugin needs there?

Without `libxcb-cursor0` (and a few other xcb libraries a minimal desktop may lack) Qt aborts
with "Could not load the Qt platform plugin 'xcb'", a message that names no package. This
check loads each library Qt's xcb plugin links against (the list is `ldd libqxcb.so` of the
PySide6 wheel, less what every X desktop has) and, when one is missing, says in the user's
language which Debian/Ubuntu packages to install. It imports no Qt, so it runs before the
QApplication exists.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

from ranger_app.i18n import _, ngettext

# soname -> Debian/Ubuntu package (the same names on Debian 12, Ubuntu 22.04 and 24.04)
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
EXIT_MISSING_LIBRARIES = 1  # the window cannot start; not one of the sub-command codes (2-4)


def _load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Will Qt pick its xcb plugin? Linux, and QT_QPA_PLATFORM unset or naming xcb first."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    # Qt 6 tries Wayland first in a Wayland session; xcb is then only the fallback.
    return not (environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY"))


def missing_packages(load: Callable[[str], bool] | None = None) -> list[str]:
    """The Debian packages of the xcb libraries that do not load, in the table's order."""
    load = load or _load
    return [package for soname, package in XCB_LIBRARIES.items() if not load(soname)]


def missing_message(packages: list[str]) -> str:
    """What to tell the user, in the current language."""
    return "\n".join([
        ngettext("The window cannot open: a system library it needs is not installed.",
                 "The window cannot open: {n} system libraries it needs are not installed.",
                 len(packages)).format(n=len(packages)),
        _("On Debian or Ubuntu, install them with:"),
        "    sudo apt install " + " ".join(packages),
        _("Then start Ranger Field Log again. The command line (ranger-app --help) works "
          "without them."),
    ])


def check_display_libraries(environ: Mapping[str, str] | None = None,
                            load: Callable[[str], bool] | None = None) -> int | None:
    """None when the window can open; else the message is on stderr and this is the exit code."""
    if not uses_xcb(environ):
        return None
    packages = missing_packages(load)
    if not packages:
        return None
    print(missing_message(packages), file=sys.stderr)
    return EXIT_MISSING_LIBRARIES
