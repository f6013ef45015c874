"""The patrol effort window: figures computed in a worker on the demo database, the table
filled, the grouping switched, the menu on the main window, and a PDF in each language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from ranger_app.demo import generate
from ranger_app.i18n import _
from ranger_app.i18n.qt import apply_language
from ranger_app.reports.effort import patrol_month_range
from ranger_app.store.db import Database
from ranger_app.ui import workers
from ranger_app.ui.effort_view import EffortView, add_effort_menu, month_label
from ranger_app.ui.fonts import install_cjk_fallback
from ranger_app.ui.main_window import MainWindow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database.open(tmp_path_factory.mktemp("effort-ui") / "demo.db", create=True)
    generate(db, scale="small", seed=1)
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _fonts_and_workers(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    install_cjk_fallback()  # as the app does at start-up, so Chinese has glyphs
    yield
    workers.wait_for_all()
    apply_language("en")


def open_view(qtbot, db: Database) -> EffortView:  # type: ignore[no-untyped-def]
    view = EffortView(db)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.result is not None and not view.busy_now, timeout=20_000)
    return view


def test_the_view_computes_on_the_demo_database(qtbot, demo: Database) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, demo)
    model = view.model
    assert model.rowCount() > 1
    span = patrol_month_range(demo)
    assert span is not None and view.to_combo.currentData() == span[1]
    total = model.rows[-1]
    assert total.group == "all" and total.patrols > 0
    assert model.index(model.rowCount() - 1, 1).data() == "All patrols"
    assert model.index(0, 3).data().endswith(" km")
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Ranger"
    assert "Amur tiger" in model.headerData(9, Qt.Orientation.Horizontal)
    tip = model.headerData(5, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "0.3 m/s" in tip
    assert view.print_button.isEnabled() and view.busy.isHidden()

    with qtbot.waitSignal(view.computed, timeout=20_000):
        view.group_combo.setCurrentIndex(view.group_combo.findData("station"))
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Station"
    stations = {r.label for r in model.rows if r.group == "station"}
    assert stations and all("·" in s for s in stations)
    # the total does not depend on the grouping
    assert model.rows[-1].patrols == total.patrols


def test_a_pdf_in_each_language(qtbot, demo: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, demo)
    sizes: dict[str, int] = {}
    for lang in ("ru", "zh", "en"):
        apply_language(lang)
        assert view.print_button.text() == _("Print to PDF…")
        assert view.from_combo.currentText() == month_label(view.from_combo.currentData())
        path = tmp_path / f"effort-{lang}.pdf"
        view.print_pdf(path)
        data = path.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 1024, lang
        sizes[lang] = len(data)
        if lang == "zh":  # the shipped CJK font is embedded, so Chinese prints without boxes
            assert b"NotoSansSC" in data
        html = view.report_html()
        assert _("Definitions") in html and _("Patrol effort") in html
    assert view.print_button.text() == "Print to PDF…"
    assert view.windowTitle() == "Patrol effort"


def test_reports_menu_opens_one_window(qtbot, demo: Database) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(demo)  # the main window adds the menu itself
    qtbot.addWidget(window)
    add_effort_menu(window)  # a second call adds nothing
    action = window.findChild(QAction, "patrolEffortAction")
    assert action is not None and action.text() == "Patrol &effort…"
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Reports") < titles.index("&Help")
    action.trigger()
    views = window.findChildren(EffortView)
    assert len(views) == 1 and views[0].isWindow()
    action.trigger()  # a second time: the same window is raised
    assert window.findChildren(EffortView) == views
    apply_language("ru")
    assert action.text() != "Patrol &effort…" and views[0].windowTitle() != "Patrol effort"
    qtbot.waitUntil(lambda: views[0].result is not None and not views[0].busy_now,
                    timeout=20_000)
