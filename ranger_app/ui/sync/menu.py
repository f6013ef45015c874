"""The Sync menu of the main window: one window per kind; a second click raises it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from ranger_app.i18n import _
from ranger_app.ui.sync.common import Retranslating
from ranger_app.ui.sync.conflicts_view import ConflictsView
from ranger_app.ui.sync.export_wizard import ExportWizard
from ranger_app.ui.sync.import_dialog import ImportDialog
from ranger_app.ui.sync.keys_dialog import KeysDialog


class SyncMenu(Retranslating, QMenu):
    def __init__(self, window: Any) -> None:
        super().__init__(window.menuBar())
        self.main_window = window
        self.opened: dict[str, QWidget] = {}  # one window per kind: a second click raises it
        self.export_action = QAction(self)
        self.import_action = QAction(self)
        self.conflicts_action = QAction(self)
        self.keys_action = QAction(self)
        self.export_action.triggered.connect(self.open_export)
        self.import_action.triggered.connect(self.open_import)
        self.conflicts_action.triggered.connect(self.open_conflicts)
        self.keys_action.triggered.connect(self.open_keys)
        self.addAction(self.export_action)
        self.addAction(self.import_action)
        self.addSeparator()
        self.addAction(self.conflicts_action)
        self.addSeparator()
        self.addAction(self.keys_action)
        self.retranslate()

    def _show(self, name: str, make: Callable[[], QWidget]) -> QWidget:
        existing = self.opened.get(name)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        widget = make()
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        widget.destroyed.connect(lambda *_a: self.opened.pop(name, None))
        self.opened[name] = widget
        widget.show()
        return widget

    def refresh_window(self) -> None:
        """New or changed records arrived: let every built workspace reload its list."""
        catalog = getattr(self.main_window, "basemap_catalog", None)
        if catalog is not None:
            catalog.reload()  # HQ may have sent a basemap
        source = getattr(self.main_window, "layer_source", None)
        if source is not None:
            source.reload()  # or a map layer
        tabs = getattr(self.main_window, "workspaces", None)
        for i in range(tabs.count() if tabs is not None else 0):
            refresh = getattr(tabs.widget(i), "refresh", None)
            if callable(refresh):
                refresh()

    def open_export(self) -> QWidget:
        return self._show("export", lambda: ExportWizard(self.main_window.db,
                                                         self.main_window))

    def open_import(self) -> QWidget:
        def make() -> QWidget:
            dialog = ImportDialog(self.main_window.db, self.main_window)
            dialog.imported.connect(self.refresh_window)
            return dialog

        return self._show("import", make)

    def open_conflicts(self) -> QWidget:
        def make() -> QWidget:
            view = ConflictsView(self.main_window.db, self.main_window)
            view.resolved.connect(self.refresh_window)
            return view

        return self._show("conflicts", make)

    def open_keys(self) -> QWidget:
        def make() -> QWidget:
            dialog = KeysDialog(self.main_window.db, self.main_window)
            dialog.imported.connect(self.refresh_window)
            return dialog

        return self._show("keys", make)

    def retranslate(self) -> None:
        self.setTitle(_("&Sync"))
        self.export_action.setText(_("&Export bundle…"))
        self.import_action.setText(_("&Import bundle…"))
        self.conflicts_action.setText(_("&Conflicts…"))
        self.keys_action.setText(_("&Keys and trust…"))


def add_sync_menu(window: Any) -> None:
    """Add the Sync menu to a MainWindow (its `menuBar()` and `db`), before Language.

    Safe to call again (a second `attach_database`): the menu is added once.
    """
    if getattr(window, "sync_menu", None) is not None:
        return
    menu = SyncMenu(window)
    bar = window.menuBar()
    language = getattr(window, "language_menu", None)
    if language is not None:
        bar.insertMenu(language.menuAction(), menu)
    else:
        bar.addMenu(menu)
    window.sync_menu = menu
