"""Every window in Russian and in Chinese: no string left in English, and switching in place.

The walker reads what a ranger sees: labels, buttons, group titles, tab titles, table headers
and cells, combo items, placeholders, tool tips, window titles, menus and their actions. A
string fails when it is an English source string whose translation differs, or when it holds
an English word (two or more ASCII letters) that is not a code, a unit or demo data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)
from sqlalchemy import text

from ranger_app.domain.camtraps import VisitRow as CameraVisitRow
from ranger_app.domain.records import PatrolFilter
from ranger_app.domain.vocab import all_vocabularies, attribute_specs, attributes_for
from ranger_app.i18n import LANGUAGES, _
from ranger_app.i18n.qt import apply_language, qt_translation_loaded
from ranger_app.store import camtraps as camtrap_store
from ranger_app.store.db import Database
from ranger_app.store.feeding import load_site, load_visit, site_rows, visit_history
from ranger_app.store.fires import fire_hotspots, fire_list, load_fire
from ranger_app.store.patrols import load_patrol
from ranger_app.store.queries import PatrolListSource, people, stations
from ranger_app.ui.camtrap_editor import ServiceVisitEditor
from ranger_app.ui.feeding_editor import FeedingSiteEditor, FeedingVisitEditor
from ranger_app.ui.fire_editor import FireEditor
from ranger_app.ui.first_run import FirstRunDialog
from ranger_app.ui.main_window import MainWindow
from ranger_app.ui.map_view import MapView
from ranger_app.ui.patrol_editor import PatrolEditor
from ranger_app.ui.widgets import VocabCombo

demo = pytest.importorskip("ranger_app.demo")

REPO = Path(__file__).resolve().parents[1]
LANGS = ("ru", "zh")
WORD = re.compile(r"[A-Za-z]{2,}")
# Codes, formats, units and names of outside services that stay Latin in every language.
ALLOWED = {"GPX", "GPS", "UTC", "USB", "JPEG", "PNG", "TIFF", "ID", "KED", "BAR", "HQ",
           "MB", "AA", "NiMH", "OK", "jpg", "jpeg", "png", "tif", "tiff", "gpx",
           "NASA", "FIRMS", "MODIS", "VIIRS", "CSV", "csv", "Camtrap", "DP", "SD",
           "SMART", "XML",  # SMART (the WCS patrol software) and its file format
           "RU", "ZH", "EN"}  # the language marks of free text typed in another language
ROW_LIMIT = 60  # cells read per table: enough to meet every column's kind of value


# --- what counts as English ------------------------------------------------------------------

def english_sources(lang: str) -> set[str]:
    """English strings that must not be seen in `lang`: msgids and vocabulary labels."""
    locale = LANGUAGES[lang].gettext
    with (REPO / "translations" / locale / "LC_MESSAGES" / "ranger_app.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    found: set[str] = set()
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        found.update(i.replace("&", "") for i in ids if i not in forms)
    for vocab in all_vocabularies().values():
        for term in vocab:
            if term.label(lang) != term.label("en"):
                found.add(term.label("en"))
    for spec in attribute_specs():
        if spec.label(lang) != spec.label("en"):
            found.add(spec.label("en"))
    return found


def data_words(db: Database) -> set[str]:
    """Latin words that are data, not UI: station codes, people, time zones, demo codes."""
    words: set[str] = set()
    for s in stations(db):
        words.update(WORD.findall(f"{s.code} {s.name} {s.tz}"))
    for p in people(db):
        words.update(WORD.findall(p.name))
    with db.session() as s:
        for table, column in (("camera", "serial"), ("camera", "make"), ("camera", "model"),
                              ("camera_location", "code"),
                              ("feeding_site", "code"), ("patrol", "number"),
                              ("track", "name"), ("fire_report", "number")):
            try:
                rows = s.execute(text(f"SELECT {column} FROM {table}")).scalars()
                words.update(w for v in rows if v for w in WORD.findall(str(v)))
            except Exception:  # a table this schema does not have
                s.rollback()
    return words


# --- the walker --------------------------------------------------------------------------------

def model_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    header = getattr(view, "horizontalHeader", None) or getattr(view, "header", None)
    if header is not None and not header().isHidden():
        for col in range(model.columnCount()):
            yield str(model.headerData(col, Qt.Orientation.Horizontal) or "")

    def walk(parent: QModelIndex, depth: int) -> Iterator[str]:
        for row in range(min(model.rowCount(parent), ROW_LIMIT)):
            for col in range(model.columnCount(parent)):
                index = model.index(row, col, parent)
                yield str(model.data(index) or "")
                yield str(model.data(index, Qt.ItemDataRole.ToolTipRole) or "")
            if depth < 4:
                yield from walk(model.index(row, 0, parent), depth + 1)

    yield from walk(QModelIndex(), 0)


def widget_texts(widget: QWidget) -> Iterator[tuple[str, str]]:
    name = type(widget).__name__
    if widget.isWindow():
        yield f"{name} title", widget.windowTitle()
    yield f"{name} tooltip", widget.toolTip()
    if isinstance(widget, QLabel):
        yield name, widget.text()
    if isinstance(widget, QAbstractButton):
        yield name, widget.text()
    if isinstance(widget, QGroupBox):
        yield name, widget.title()
    if isinstance(widget, QTabWidget):
        for i in range(widget.count()):
            yield f"{name} tab", widget.tabText(i)
            yield f"{name} tab tooltip", widget.tabToolTip(i)
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            yield f"{name} item", widget.itemText(i)
    if isinstance(widget, QLineEdit | QPlainTextEdit):
        yield f"{name} placeholder", widget.placeholderText()
    if isinstance(widget, QAbstractItemView) and not isinstance(widget, QListView | QHeaderView):
        # (list views hold only data here: team members' names, photo file names; a header
        # view shows its table's model, read through the table)
        for text in model_texts(widget):
            yield f"{name} cell/header", text
    if isinstance(widget, QMainWindow):
        for action in widget.menuBar().actions():
            yield "menu", action.text()
            menu = action.menu()
            if menu is not None:
                yield "menu title", menu.title()
                for sub in menu.actions():
                    yield "menu action", sub.text()
                    yield "menu action tooltip", sub.toolTip() if sub.toolTip() != \
                        sub.text().replace("&", "") else ""


def all_texts(root: QWidget) -> list[tuple[str, str]]:
    out = list(widget_texts(root))
    for child in root.findChildren(QWidget):
        out += list(widget_texts(child))
    return [(where, text) for where, text in out if text and text.strip()]


def list_texts(lists: list[QListWidget]) -> list[tuple[str, str]]:
    """Items of list widgets that hold UI words (vocabulary labels, skip reasons), which the
    walker otherwise leaves alone as data."""
    return [(f"{type(w).__name__} item", w.item(i).text())
            for w in lists for i in range(w.count()) if w.item(i).text().strip()]


def english_left(root: QWidget, lang: str, allowed: set[str],
                 lists: list[QListWidget] | None = None) -> list[str]:
    sources = english_sources(lang)
    # Native language names in the language menu are never translated.
    native = {lang_.native_name for lang_ in LANGUAGES.values()}
    problems = []
    for where, raw in all_texts(root) + list_texts(lists or []):
        text = raw.replace("&", "").strip()
        if text in native:
            continue
        if text in sources:
            problems.append(f"{where}: {raw!r} is the English source")
            continue
        words = [w for w in WORD.findall(text) if w not in allowed]
        if words:
            problems.append(f"{where}: {raw!r} has English {words}")
    return sorted(set(problems))


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def demo_db(db: Database) -> Database:
    demo.generate(db, "small")
    return db


@pytest.fixture
def back_to_english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    yield
    apply_language("en")
    assert not qt_translation_loaded()


def busiest_patrol(db: Database) -> str:
    """A demo patrol with tracks, and an observation that has attributes (a choice if any)."""
    source = PatrolListSource(db)
    best, best_score = None, -1
    for row, _cursor in source.page(PatrolFilter(), "start_at", True, offset=0):
        patrol = load_patrol(db, row.uuid)
        specs = [s for o in patrol.observations for s in attributes_for(o.category)]
        score = (len(patrol.tracks) > 0) * 100 + sum(
            5 if s.kind == "choice" else 1 for s in specs)
        if score > best_score:
            best, best_score = row.uuid, score
    assert best is not None, "the demo database has no patrols"
    return best


def select_rich_observation(editor: PatrolEditor) -> None:
    """Select the observation with the most attributes, so the detail form is full."""
    obs = editor.patrol.observations
    assert obs, "the chosen demo patrol has no observations"
    row = max(range(len(obs)), key=lambda i: (
        sum(2 if s.kind == "choice" else 1 for s in attributes_for(obs[i].category)),
        bool(obs[i].photos)))
    editor.tabs.setCurrentIndex(2)
    editor.observations.selectRow(row)
    assert editor.current_observation() is obs[row]


# --- walking every window in each language -----------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_main_window_speaks(qtbot, demo_db: Database, lang: str,  # type: ignore[no-untyped-def]
                            back_to_english: None) -> None:
    apply_language(lang)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    allowed = ALLOWED | data_words(demo_db)
    problems = []
    for i in range(window.workspaces.count()):
        window.workspaces.setCurrentIndex(i)
        qtbot.wait(10)
        problems += english_left(window, lang, allowed)
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("lang", LANGS)
def test_patrol_editor_speaks(qtbot, demo_db: Database, lang: str,  # type: ignore[no-untyped-def]
                              back_to_english: None) -> None:
    apply_language(lang)
    editor = PatrolEditor(demo_db, load_patrol(demo_db, busiest_patrol(demo_db)))
    qtbot.addWidget(editor)
    editor.show()
    allowed = ALLOWED | data_words(demo_db)
    select_rich_observation(editor)
    assert editor.attr_form.rowCount() > 0
    problems = []
    for i in range(editor.tabs.count()):
        editor.tabs.setCurrentIndex(i)
        qtbot.wait(10)
        problems += english_left(editor, lang, allowed)
    # The map paints its own words.
    problems += [f"map: {t!r}" for t in (editor.map.empty_text(),)
                 if t and WORD.findall(t) and set(WORD.findall(t)) - allowed]
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


# --- the editors of the fire, feeding and camera-trap workspaces, on demo records -------------

def richest_fire(db: Database) -> str:
    """The demo fire with the most to show: perimeter, status steps, photos, hotspots."""
    def score(uuid: str) -> int:
        fire = load_fire(db, uuid)
        return (10 * bool(fire.perimeter) + len(fire.steps) + 5 * len(fire.attachments)
                + 3 * bool(fire.patrol_uuid) + 2 * len(fire_hotspots(db, uuid)))
    uuids = [row.uuid for row in fire_list(db)]
    assert uuids, "the demo database has no fire reports"
    return max(uuids, key=score)


def richest_feeding_visit(db: Database) -> tuple[str, str]:
    """(site, visit): a demo visit with a predator kill if any, and signs, feed and photos."""
    best: tuple[str, str] | None = None
    best_score = -1
    for site in site_rows(db):
        for row in visit_history(db, site.uuid):
            v = load_visit(db, row.uuid)
            kills = sum(p.sign_type == "KILL" for p in v.predator_signs)
            score = (100 * kills + 10 * len(v.predator_signs) + len(v.ungulate_signs)
                     + len(v.items) + 5 * len(v.photos))
            if score > best_score:
                best, best_score = (site.uuid, row.uuid), score
    assert best is not None, "the demo database has no feeding visits"
    return best


def richest_service_visit(db: Database) -> str:
    """A demo service visit with a card and image figures, followed by a later visit at its
    location (so the editor shows what can no longer change)."""
    rows = camtrap_store.visit_rows(db)
    assert rows, "the demo database has no camera-trap visits"
    newest: dict[str, str] = {}
    for r in rows:  # newest first
        newest.setdefault(r.location_uuid, r.uuid)

    def score(r: CameraVisitRow) -> int:
        v = camtrap_store.load_service_visit(db, r.uuid)
        return (10 * (r.uuid != newest[r.location_uuid]) + 5 * bool(v.sd_removed)
                + 3 * (v.image_count is not None) + len(v.settings) + len(v.actions)
                + 5 * len(v.images) + 2 * len(v.photos) + 2 * bool(v.crew))
    return max(rows, key=score).uuid


def walk_editor(qtbot, editor: QWidget, lang: str, allowed: set[str],  # type: ignore[no-untyped-def]
                lists: list[QListWidget] | None = None) -> list[str]:
    """Every tab of an editor (if it has tabs), and the words its maps paint themselves."""
    qtbot.addWidget(editor)
    editor.show()
    qtbot.wait(10)
    problems: list[str] = []
    tabs = getattr(editor, "tabs", None)
    for i in range(tabs.count() if isinstance(tabs, QTabWidget) else 1):
        if isinstance(tabs, QTabWidget):
            tabs.setCurrentIndex(i)
            qtbot.wait(10)
        problems += english_left(editor, lang, allowed, lists)
    for view in editor.findChildren(MapView):
        words = set(WORD.findall(view.empty_text() or "")) - allowed
        if words:
            problems.append(f"map: {view.empty_text()!r} has English {sorted(words)}")
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_fire_editor_speaks(qtbot, demo_db: Database, lang: str,  # type: ignore[no-untyped-def]
                            back_to_english: None) -> None:
    apply_language(lang)
    editor = FireEditor(demo_db, load_fire(demo_db, richest_fire(demo_db)))
    assert editor.tabs.count() == 4
    problems = walk_editor(qtbot, editor, lang, ALLOWED | data_words(demo_db))
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("lang", LANGS)
def test_feeding_editors_speak(qtbot, demo_db: Database, lang: str,  # type: ignore[no-untyped-def]
                               back_to_english: None) -> None:
    apply_language(lang)
    allowed = ALLOWED | data_words(demo_db)
    site_uuid, visit_uuid = richest_feeding_visit(demo_db)
    site = FeedingSiteEditor(demo_db, load_site(demo_db, site_uuid))
    problems = walk_editor(qtbot, site, lang, allowed, [site.targets])
    assert site.targets.count() > 0, "the target species are listed"
    visit = FeedingVisitEditor(demo_db, load_visit(demo_db, visit_uuid))
    assert visit.tabs.count() == 3
    problems += walk_editor(qtbot, visit, lang, allowed)
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("lang", LANGS)
def test_service_visit_editor_speaks(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                     lang: str, back_to_english: None) -> None:
    apply_language(lang)
    editor = ServiceVisitEditor(
        demo_db, camtrap_store.load_service_visit(demo_db, richest_service_visit(demo_db)))
    assert editor.tabs.count() == 3
    problems = walk_editor(qtbot, editor, lang, ALLOWED | data_words(demo_db),
                           [editor.skipped])
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("lang", LANGS)
def test_first_run_dialog_speaks(qtbot, lang: str,  # type: ignore[no-untyped-def]
                                 back_to_english: None) -> None:
    apply_language(lang)
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    problems = english_left(dialog, lang, ALLOWED)
    dialog.station_code.clear()
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)  # an empty form: the error line is shown
    assert dialog.error.text()
    problems += english_left(dialog, lang, ALLOWED)
    assert not problems, "\n".join(problems)


def test_english_words_are_caught(qtbot, back_to_english: None) -> None:  # type: ignore[no-untyped-def]
    """The walker itself: an untranslated label is found in both ways."""
    apply_language("ru")
    page = QWidget()
    qtbot.addWidget(page)
    QLabel("Patrols", page)
    QLabel("Левый берег, Ridge trail", page)
    QLabel("KED · 12 км", page)
    problems = english_left(page, "ru", ALLOWED)
    assert len(problems) == 2, problems


# --- switching at run time ----------------------------------------------------------------------

def test_language_switch_updates_an_open_editor(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                back_to_english: None) -> None:
    editor = PatrolEditor(demo_db, load_patrol(demo_db, busiest_patrol(demo_db)))
    qtbot.addWidget(editor)
    editor.show()
    select_rich_observation(editor)
    obs = editor.current_observation()
    assert obs is not None
    code = editor.patrol_type.code()
    assert editor.tabs.tabText(0) == "Patrol"

    for lang in ("ru", "zh", "en", "ru"):
        apply_language(lang)
        qtbot.wait(10)
        assert editor.current_observation() is obs, "the selection survived the switch"
        assert [editor.tabs.tabText(i) for i in range(3)] == [
            _("Patrol"), _("Tracks"), _("Observations")]
        assert editor.form_labels["number"].text() == _("Number")
        assert editor.legs_box.title() == _("Legs and team")
        assert editor.save_button.text() == _("Save")
        headers = [editor.observations.horizontalHeaderItem(c).text() for c in range(5)]
        assert headers == [_("Time"), _("Category"), _("Position"), _("Count"), _("Notes")]
        assert editor.tracks.horizontalHeaderItem(0).text() == _("Track")
        vocab = all_vocabularies()["patrol_types"]
        assert editor.patrol_type.code() == code
        assert editor.patrol_type.currentText() == vocab.label(code, lang)
        for combo in editor.attr_box.findChildren(VocabCombo):
            if combo.code():
                term_label = all_vocabularies()[combo.vocab].label(combo.code(), lang)
                assert combo.currentText() == term_label
        if lang == "ru":
            assert editor.tabs.tabText(0) == "Патруль"
        if lang == "zh":
            assert editor.tabs.tabText(0) == "巡护"
    assert not editor.dirty, "a language switch is not an edit"


def test_qt_dialogs_follow_the_language(qtbot, back_to_english: None) -> None:  # type: ignore[no-untyped-def]
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    english = QMessageBox(QMessageBox.Icon.Question, "t", "q", buttons)
    qtbot.addWidget(english)
    assert english.button(QMessageBox.StandardButton.Cancel).text().replace("&", "") == "Cancel"

    apply_language("ru")
    assert qt_translation_loaded()
    box = QMessageBox(QMessageBox.Icon.Question, "t", "q", buttons)
    qtbot.addWidget(box)
    texts = {b: box.button(b).text().replace("&", "") for b in (
        QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
        QMessageBox.StandardButton.Cancel)}
    assert texts[QMessageBox.StandardButton.Save] == "Сохранить"
    assert texts[QMessageBox.StandardButton.Cancel] == "Отмена"
    assert not any(WORD.search(t) for t in texts.values()), texts
    ok = QDialogButtonBox(QDialogButtonBox.StandardButton.No)
    qtbot.addWidget(ok)
    assert ok.button(QDialogButtonBox.StandardButton.No).text().replace("&", "") == "Нет"

    apply_language("zh")
    box = QMessageBox(QMessageBox.Icon.Question, "t", "q", buttons)
    qtbot.addWidget(box)
    assert box.button(QMessageBox.StandardButton.Cancel).text().replace("&", "") \
        .startswith("取消")
