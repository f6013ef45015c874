"""The main window: one workspace per record type, menus, and the language switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
)

from ranger_app import __version__
from ranger_app.domain.serial import patrol_from_json
from ranger_app.i18n import LANGUAGES, _, current_language, ngettext
from ranger_app.i18n.qt import apply_language
from ranger_app.settings import Settings
from ranger_app.store.db import Database
from ranger_app.store.drafts import discard_draft, drafts
from ranger_app.store.patrols import load_patrol
from ranger_app.store.queries import PatrolListSource, stations
from ranger_app.ui import workers
from ranger_app.ui.patrol_editor import PatrolEditor, new_patrol
from ranger_app.ui.patrol_list import PatrolListPage
from ranger_app.ui.record_lists import camera_page, feeding_page, fires_page


class MainWindow(QMainWindow):
    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        super().__init__()
        self.db = db
        self.settings = settings or Settings()
        self.editors: list[PatrolEditor] = []
        self.resize(1280, 800)

        self.patrols = PatrolListPage(PatrolListSource(db))
        self.patrols.openPatrol.connect(self.open_patrol)
        self.patrols.newPatrol.connect(self.new_patrol)
        self.patrols.importGpx.connect(self.new_patrol_from_gpx)
        self.fires = fires_page(db)
        self.feeding = feeding_page(db)
        self.cameras = camera_page(db)
        self.workspaces = QTabWidget()
        self.workspaces.setDocumentMode(True)
        for page in (self.patrols, self.fires, self.feeding, self.cameras):
            self.workspaces.addTab(page, "")
        self.setCentralWidget(self.workspaces)
        self.station_label = QLabel()
        self.statusBar().addPermanentWidget(self.station_label)

        self._build_menus()
        self.retranslate()

    # --- menus --------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.new_action = QAction(self, shortcut=QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_patrol)
        self.import_action = QAction(self)
        self.import_action.triggered.connect(self.new_patrol_from_gpx)
        self.quit_action = QAction(self, shortcut=QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        for action in (self.new_action, self.import_action):
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

        self.language_menu = bar.addMenu("")
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, lang in LANGUAGES.items():
            action = QAction(lang.native_name, self, checkable=True)
            action.setData(code)
            action.triggered.connect(lambda _c=False, c=code: self.switch_language(c))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action

        self.help_menu = bar.addMenu("")
        self.about_action = QAction(self)
        self.about_action.triggered.connect(self._about)
        self.help_menu.addAction(self.about_action)

    def switch_language(self, code: str) -> None:
        apply_language(code)
        self.settings.language = code
        self.settings.save()

    # --- patrols ------------------------------------------------------------------------

    def _show_editor(self, editor: PatrolEditor) -> PatrolEditor:
        editor.saved.connect(lambda _uuid: self.patrols.refresh())
        editor.destroyed.connect(lambda *_a: self.editors.remove(editor)
                                 if editor in self.editors else None)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editors.append(editor)
        editor.show()
        editor.raise_()
        return editor

    def new_patrol(self) -> PatrolEditor:
        return self._show_editor(PatrolEditor(self.db, new_patrol(self.db)))

    def open_patrol(self, uuid: str) -> PatrolEditor:
        for editor in self.editors:
            if editor.patrol.uuid == uuid:
                editor.raise_()
                return editor
        return self._show_editor(PatrolEditor(self.db, load_patrol(self.db, uuid)))

    def new_patrol_from_gpx(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, _("Import a GPS track"), "", _("GPX files (*.gpx);;All files (*)"))
        if path:
            self.new_patrol().import_gpx(Path(path))

    def restore_drafts(self) -> int:
        """Offer the drafts a crash or a flat battery left behind; returns how many opened."""
        found = drafts(self.db, "patrol")
        if not found:
            return 0
        answer = QMessageBox.question(
            self, _("Unsaved patrols found"),
            ngettext("{n} patrol was being edited when the program last stopped. Open it?",
                     "{n} patrols were being edited when the program last stopped. "
                     "Open them?", len(found)).format(n=len(found)))
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        for draft in found:
            editor = PatrolEditor(self.db, patrol_from_json(draft.body), draft_key=draft.key)
            editor.dirty = True
            self._show_editor(editor)
        return len(found)

    def discard_all_drafts(self) -> None:
        for draft in drafts(self.db):
            discard_draft(self.db, draft.key)

    # --- chrome -------------------------------------------------------------------------

    def _about(self) -> None:
        QMessageBox.about(self, _("About Ranger Field Log"), _(
            "Ranger Field Log {version}\nOffline records for the rangers of the Land of Big "
            "Cats.").format(version=__version__))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Ranger Field Log"))
        for i, title in enumerate((_("Patrols"), _("Fire reports"), _("Feeding sites"),
                                   _("Camera traps"))):
            self.workspaces.setTabText(i, title)
        self.file_menu.setTitle(_("&File"))
        self.new_action.setText(_("&New patrol"))
        self.import_action.setText(_("New patrol from &GPX…"))
        self.quit_action.setText(_("&Quit"))
        self.language_menu.setTitle(_("&Language"))
        self.help_menu.setTitle(_("&Help"))
        self.about_action.setText(_("&About"))
        self.language_actions[current_language()].setChecked(True)
        inst = self.db.installation()
        station = next((s for s in stations(self.db) if s.uuid == inst.station_uuid), None)
        self.station_label.setText(
            _("Station {code} · {name}").format(code=station.code, name=station.name)
            if station else "")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: Any) -> None:
        for editor in list(self.editors):
            if not editor.close():
                event.ignore()
                return
        workers.wait_for_all()
        super().closeEvent(event)
