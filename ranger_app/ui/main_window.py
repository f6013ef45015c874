"""The main window: one workspace per record type, menus, and the language switch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from ranger_app.i18n import LANGUAGES, _, current_language, ngettext
from ranger_app.i18n.qt import apply_language
from ranger_app.settings import Settings
from ranger_app.ui import workers

if TYPE_CHECKING:  # the database layer loads after the window has painted (see app.py)
    from ranger_app.store.db import Database
    from ranger_app.ui.patrol_editor import PatrolEditor


WORKSPACE_COUNT = 4


class MainWindow(QMainWindow):
    """The window paints first with empty workspaces; `attach_database` then fills them.

    A ranger on an old laptop sees the window at once instead of waiting for the database
    layer to load; tests and tools that already hold a database pass it to the constructor.
    """

    def __init__(self, db: Database | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.db: Database | None = None
        self.settings = settings or Settings()
        self.editors: list[PatrolEditor] = []
        self.resize(1280, 800)
        self.workspaces = QTabWidget()
        self.workspaces.setDocumentMode(True)
        self.loading_label: QLabel | None = QLabel()
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.workspaces.addTab(self.loading_label, "")
        for _i in range(WORKSPACE_COUNT - 1):
            self.workspaces.addTab(QLabel(), "")
        self.setCentralWidget(self.workspaces)
        self.station_label = QLabel()
        self.statusBar().addPermanentWidget(self.station_label)
        self._build_menus()
        from ranger_app.ui.effort_view import add_effort_menu

        add_effort_menu(self)
        self.retranslate()
        if db is not None:
            self.attach_database(db)

    def attach_database(self, db: Database) -> None:
        """Build the workspaces over an open database."""
        from ranger_app.store.queries import PatrolListSource
        from ranger_app.ui.camtraps_workspace import CameraTrapsWorkspace
        from ranger_app.ui.feeding_workspace import FeedingWorkspace
        from ranger_app.ui.fires_workspace import FiresWorkspace
        from ranger_app.ui.patrol_list import PatrolListPage

        self.db = db
        from ranger_app.ui.map_tiles import BasemapCatalog, register_catalog

        # what every map of this database shows under its tracks (editors find it by db)
        self.basemap_catalog = register_catalog(BasemapCatalog(db, self.settings))
        from ranger_app.ui.layer_source import LayerSource, register_source

        self.layer_source = register_source(LayerSource(db, self.settings))  # read in a worker
        self.patrols = PatrolListPage(PatrolListSource(db))
        self.patrols.openPatrol.connect(self.open_patrol)
        self.patrols.newPatrol.connect(self.new_patrol)
        self.patrols.importGpx.connect(self.new_patrol_from_gpx)
        self._factories = {1: FiresWorkspace, 2: FeedingWorkspace, 3: CameraTrapsWorkspace}
        self._replace_tab(0, self.patrols)
        self.workspaces.currentChanged.connect(self._build_workspace)
        self._build_workspace(self.workspaces.currentIndex())
        self.retranslate()
        from ranger_app.ui.review import add_review_menu
        from ranger_app.ui.sync import add_sync_menu

        add_sync_menu(self)
        add_review_menu(self)
        if not hasattr(self, "export_action"):
            from ranger_app.ui.export_dialog import add_export_menu

            add_export_menu(self)
        if not hasattr(self, "smart_actions"):
            from ranger_app.ui.smart_dialogs import add_smart_menu

            add_smart_menu(self)

    def _replace_tab(self, index: int, page: Any) -> None:
        title = self.workspaces.tabText(index)
        current = self.workspaces.currentIndex()
        self.workspaces.blockSignals(True)
        old = self.workspaces.widget(index)
        self.workspaces.removeTab(index)
        self.workspaces.insertTab(index, page, title)
        self.workspaces.setCurrentIndex(current)
        self.workspaces.blockSignals(False)
        if old is self.loading_label:
            self.loading_label = None
        old.deleteLater()

    def _build_workspace(self, index: int) -> None:
        """Other workspaces are built when first shown: start-up pays only for patrols."""
        factory = getattr(self, "_factories", {}).pop(index, None)
        if factory is not None and self.db is not None:
            self._replace_tab(index, factory(self.db))

    def workspace(self, index: int) -> Any:
        self._build_workspace(index)
        return self.workspaces.widget(index)

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
        from ranger_app.ui.patrol_editor import PatrolEditor, new_patrol

        assert self.db is not None
        return self._show_editor(PatrolEditor(self.db, new_patrol(self.db)))

    def open_patrol(self, uuid: str) -> PatrolEditor:
        from ranger_app.store.patrols import load_patrol
        from ranger_app.ui.patrol_editor import PatrolEditor

        for editor in self.editors:
            if editor.patrol.uuid == uuid:
                editor.raise_()
                return editor
        assert self.db is not None
        return self._show_editor(PatrolEditor(self.db, load_patrol(self.db, uuid)))

    def new_patrol_from_gpx(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, _("Import a GPS track"), "", _("GPX files (*.gpx);;All files (*)"))
        if path:
            self.new_patrol().import_gpx(Path(path))

    def restore_drafts(self) -> int:
        """Offer the drafts a crash or a flat battery left behind; returns how many opened.

        One question for every kind of record; each workspace reopens its own editors.
        """
        from ranger_app.domain.serial import patrol_from_json
        from ranger_app.store.drafts import drafts
        from ranger_app.ui.patrol_editor import PatrolEditor

        assert self.db is not None
        found = drafts(self.db)
        if not found:
            return 0
        answer = QMessageBox.question(
            self, _("Unsaved records found"),
            ngettext("{n} record was being edited when the program last stopped. Open it?",
                     "{n} records were being edited when the program last stopped. "
                     "Open them?", len(found)).format(n=len(found)))
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        opened = 0
        for draft in found:
            if draft.entity == "patrol":
                editor = PatrolEditor(self.db, patrol_from_json(draft.body),
                                      draft_key=draft.key)
                editor.dirty = True
                self._show_editor(editor)
                opened += 1
        if opened < len(found):
            for index in range(1, WORKSPACE_COUNT):
                restore = getattr(self.workspace(index), "restore_drafts", None)
                if restore is not None:
                    opened += restore()
        return opened

    def discard_all_drafts(self) -> None:
        from ranger_app.store.drafts import discard_draft, drafts

        assert self.db is not None
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
        if hasattr(self, "export_retranslate"):
            self.export_retranslate()
        if hasattr(self, "smart_retranslate"):
            self.smart_retranslate()
        self.language_menu.setTitle(_("&Language"))
        self.help_menu.setTitle(_("&Help"))
        self.about_action.setText(_("&About"))
        self.language_actions[current_language()].setChecked(True)
        if self.loading_label is not None:
            self.loading_label.setText(_("Opening the database…"))
        self.station_label.setText(self._station_text())

    def _station_text(self) -> str:
        if self.db is None:
            return ""
        from ranger_app.store.queries import stations

        station_uuid = self.db.installation().station_uuid
        station = next((s for s in stations(self.db) if s.uuid == station_uuid), None)
        return (_("Station {code} · {name}").format(code=station.code, name=station.name)
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
