"""Screenshots of the real windows under Xvfb, in each language: `make screenshots`.

Starts itself again under `xvfb-run` when there is no display, builds a small demo database,
opens the windows a ranger sees and saves PNGs to docs/screenshots/<name>-<lang>.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
LANGS = ("en", "ru", "zh")


def _reexec_under_xvfb() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("RANGER_SCREENSHOT_CHILD"):
        return
    if not shutil.which("xvfb-run"):
        sys.exit("xvfb-run not found: apt-get install xvfb xauth")
    env = dict(os.environ, RANGER_SCREENSHOT_CHILD="1", QT_QPA_PLATFORM="xcb")
    sys.exit(subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24",
                              sys.executable, *sys.argv], env=env))


def main() -> None:
    _reexec_under_xvfb()
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget

    from ranger_app import paths
    from ranger_app.demo import generate
    from ranger_app.domain.records import PatrolFilter
    from ranger_app.i18n.qt import apply_language
    from ranger_app.store.db import Database
    from ranger_app.store.patrols import load_patrol
    from ranger_app.store.queries import PatrolListSource, page_patrols
    from ranger_app.ui.app import application
    from ranger_app.ui.first_run import FirstRunDialog
    from ranger_app.ui.main_window import MainWindow
    from ranger_app.ui.patrol_editor import PatrolEditor

    tmp = Path(tempfile.mkdtemp(prefix="ranger-shots-"))
    paths.user_data_dir = lambda: tmp  # type: ignore[assignment]
    paths.settings_file = lambda: tmp / "settings.json"  # type: ignore[assignment]
    db = Database.open(tmp / "demo.db", create=True)
    generate(db, "small", seed=3)
    app = application()
    OUT.mkdir(parents=True, exist_ok=True)

    def settle(ms: int = 400) -> None:
        QTimer.singleShot(ms, app.quit)
        app.exec()

    def shoot(widget: QWidget, name: str, lang: str) -> None:
        widget.raise_()
        widget.activateWindow()
        settle()
        path = OUT / f"{name}-{lang}.png"
        widget.grab().save(str(path))
        print(path.relative_to(REPO))

    with db.session() as s:
        rows = page_patrols(s, PatrolFilter(), "distance_km", True, limit=1)
    busiest = rows[0][0].uuid
    for lang in LANGS:
        apply_language(lang)
        window = MainWindow(db)
        window.resize(1280, 760)
        window.show()
        shoot(window, "patrol-list", lang)
        editor = PatrolEditor(db, load_patrol(db, busiest))
        editor.resize(1360, 860)
        editor.show()
        shoot(editor, "patrol-editor", lang)
        editor.tabs.setCurrentIndex(2)
        if editor.patrol.observations:
            editor.observations.selectRow(0)
        shoot(editor, "patrol-observations", lang)
        editor.dirty = False
        editor.close()
        for i, name in ((1, "fires"), (2, "feeding-sites"), (3, "camera-traps")):
            window.workspaces.setCurrentIndex(i)
            shoot(window, f"workspace-{name}", lang)
        window.close()
        dialog = FirstRunDialog()
        dialog.show()
        shoot(dialog, "first-run", lang)
        dialog.close()
    del PatrolListSource
    db.close()


if __name__ == "__main__":
    main()
