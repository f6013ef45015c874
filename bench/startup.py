"""Start-up and patrol-list figures on the `--scale large` database.

Prints the time to the first painted main window as a ratio to a bare PySide6 window (both
measured the same way: a fresh process, from spawn until its first paint is reported), and
the time to open the patrol list, scroll to its end, and filter it.

    .venv/bin/python bench/startup.py [DB]   # DB defaults to bench/out/large.db (made once)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 5

BARE = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
class W(QMainWindow):
    def paintEvent(self, e):
        super().paintEvent(e); print("painted", flush=True); QApplication.instance().quit()
app = QApplication(sys.argv[:1]); w = W(); w.resize(1280, 800); w.show(); app.exec()
"""

APP = """
import sys
from pathlib import Path
from PySide6.QtCore import QObject, QEvent
from ranger_app.ui.app import application
from ranger_app.i18n.qt import apply_language
from ranger_app.ui.main_window import MainWindow
from ranger_app.settings import Settings
class FirstPaint(QObject):
    def __init__(self, what):
        super().__init__(); self.what = what; self.seen = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True; print(self.what, flush=True)
        return False
app = application(); apply_language("ru")
w = MainWindow(settings=Settings()); w.resize(1280, 800)
shell = FirstPaint("painted"); w.installEventFilter(shell)
w.show()
while not shell.seen:
    app.processEvents()
from ranger_app.store.db import Database  # what ui.app.run does next
db = Database.open(Path(sys.argv[1]))
w.attach_database(db)
rows = FirstPaint("list"); w.patrols.table.viewport().installEventFilter(rows)
while not rows.seen:
    app.processEvents()
"""


def time_to_paint(code: str, *args: str) -> list[float]:
    """Seconds from spawn to each line the child prints ("painted", then maybe "list")."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    marks = []
    for line in proc.stdout:
        marks.append(time.perf_counter() - start)
        if line.strip() in ("painted", "list") and (line.strip() == "list" or not args):
            break
    proc.kill()
    proc.wait(timeout=60)
    if not marks:
        raise SystemExit("no paint reported")
    return marks


def ensure_large(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"making {path} (scale large, once)…", flush=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ranger_app", "--db", str(path), "demo",
                    "--scale", "large"], check=True, cwd=REPO,
                   env=dict(os.environ, PYTHONPATH=str(REPO)))
    print(f"  made in {time.perf_counter() - t:.0f} s")


def list_figures(path: Path) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))
    from PySide6.QtWidgets import QApplication

    from ranger_app.domain.records import PatrolFilter
    from ranger_app.store.db import Database
    from ranger_app.store.queries import PatrolListSource, stations
    from ranger_app.ui.patrol_list import PatrolListPage

    app = QApplication.instance() or QApplication([])
    db = Database.open(path)
    figures: dict[str, list[float]] = {"open": [], "scroll_to_end": [], "filter": []}
    station = stations(db)[0].uuid
    for _ in range(RUNS):
        t = time.perf_counter()
        page = PatrolListPage(PatrolListSource(db))
        page.resize(1200, 700)
        page.show()
        app.processEvents()
        figures["open"].append(time.perf_counter() - t)

        t = time.perf_counter()
        page.table.scrollToBottom()
        app.processEvents()
        last = page.model.row_at(page.model.rowCount() - 1)
        figures["scroll_to_end"].append(time.perf_counter() - t)
        assert last is not None

        t = time.perf_counter()
        page.model.set_filter(PatrolFilter(station_uuid=station, status="APPROVED"))
        page.table.scrollToTop()
        app.processEvents()
        figures["filter"].append(time.perf_counter() - t)
        rows = page.model.rowCount()
        page.close()
        page.deleteLater()
    db.close()
    print(f"patrols left after the station+status filter: {rows}")
    return {k: statistics.median(v) for k, v in figures.items()}


def main() -> None:
    db = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bench" / "out" / "large.db"
    ensure_large(db)
    bare = statistics.median(time_to_paint(BARE)[0] for _ in range(RUNS))
    marks = [time_to_paint(APP, str(db)) for _ in range(RUNS)]
    window = statistics.median(m[0] for m in marks)
    listed = statistics.median(m[1] for m in marks)
    print(f"bare PySide6 window, first paint:            {bare * 1000:7.0f} ms")
    print(f"main window, first paint:                    {window * 1000:7.0f} ms"
          f"  = {window / bare:.2f}x bare (target <= 2x)")
    print(f"patrol list of the large db painted:         {listed * 1000:7.0f} ms"
          f"  = {listed / bare:.2f}x bare")
    for name, seconds in list_figures(db).items():
        print(f"patrol list {name:15}                {seconds * 1000:7.1f} ms  (target < 100 ms)")


if __name__ == "__main__":
    main()
