"""Starting the window on an X11 desktop that lacks libxcb-cursor0: say what to install.

The missing library is simulated by replacing the loader; the real one loads every library
on this machine (the suite runs Qt, so they are there)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ranger_app.i18n import set_language
from ranger_app.ui import platform_libs
from ranger_app.ui.platform_libs import (
    XCB_LIBRARIES,
    check_display_libraries,
    missing_packages,
    uses_xcb,
)

REPO = Path(__file__).resolve().parents[1]


def without(*gone: str):
    return lambda soname: soname not in gone


def test_xcb_is_only_checked_where_qt_will_use_it() -> None:
    assert uses_xcb({}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "wayland"}, "linux")
    assert not uses_xcb({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
                        "linux")
    assert not uses_xcb({}, "win32") and not uses_xcb({}, "darwin")
    assert check_display_libraries({"QT_QPA_PLATFORM": "offscreen"}, without(
        "libxcb-cursor.so.0")) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb exists only on Linux")
def test_the_real_loader_finds_this_machines_libraries() -> None:
    assert missing_packages() == []
    # and the loader really is the dynamic linker: a made-up soname does not load
    assert not platform_libs._load("libxcb-no-such-library.so.9")
    ctypes.CDLL("libxcb-cursor.so.0")


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "sudo apt install libxcb-cursor0"),
    ("ru", "установите"),
    ("zh", "安装"),
])
def test_missing_cursor_library_names_the_package(lang: str, words: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    set_language(lang)
    try:
        code = check_display_libraries({}, without("libxcb-cursor.so.0"))
    finally:
        set_language("en")
    err = capsys.readouterr().err
    assert code is not None and code != 0
    assert "sudo apt install libxcb-cursor0\n" in err
    assert words in err.lower()
    assert "libxcb-icccm4" not in err  # only what is missing


def test_several_missing_libraries_are_all_named(capsys: pytest.CaptureFixture[str]) -> None:
    code = check_display_libraries({"QT_QPA_PLATFORM": "xcb"}, without(
        "libxcb-cursor.so.0", "libxkbcommon-x11.so.0"))
    assert code
    err = capsys.readouterr().err
    assert "sudo apt install libxcb-cursor0 libxkbcommon-x11-0\n" in err
    assert set(XCB_LIBRARIES.values()) >= {"libxcb-cursor0", "libxkbcommon-x11-0"}


def test_the_app_exits_before_qt_starts(tmp_path: Path) -> None:
    """`ranger-app` (the window) with the cursor library gone: message and exit, no Qt abort."""
    script = (
        "import sys\n"
        "from ranger_app.ui import platform_libs\n"
        "real = platform_libs._load\n"
        "platform_libs._load = lambda s: s != 'libxcb-cursor.so.0' and real(s)\n"
        "import PySide6.QtWidgets as w\n"
        "w.QApplication.__init__ = lambda *a: sys.exit('QApplication was created')\n"
        "from ranger_app.cli import main\n"
        "sys.exit(main(['--lang', 'ru']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(PYTHONPATH=str(REPO), HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path),
               XDG_SESSION_TYPE="x11", DISPLAY=":99")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == platform_libs.EXIT_MISSING_LIBRARIES != 0, done.stderr
    assert "QApplication was created" not in done.stderr
    assert "sudo apt install libxcb-cursor0" in done.stderr
    assert "установите" in done.stderr.lower()
