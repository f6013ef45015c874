"""File → Export: records as GeoJSON (QGIS), CSV (Excel, LibreOffice) or KML (Google Earth).

The dialog exports what the workspaces show: the patrol list's filter (station, dates,
status, text) and the fire workspace's season and status. The writing runs in a worker
with a progress dialog and Cancel; a cancelled export leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.domain.fires import FireFilter
from ranger_app.domain.records import PatrolFilter
from ranger_app.i18n import LANGUAGES, N_, _, current_language
from ranger_app.i18n.messages import describe
from ranger_app.io.open_formats.service import FORMATS, export, tables_for
from ranger_app.io.open_formats.writers import ExportCancelled, Written
from ranger_app.store.db import Database
from ranger_app.store.export_rows import ExportScope
from ranger_app.ui import workers

FORMAT_NAMES = {
    "geojson": N_("GeoJSON, for QGIS and other GIS (a folder of .geojson files)"),
    "csv": N_("CSV, for Excel and LibreOffice (a folder of .csv files)"),
    "kml": N_("KML, for Google Earth (one .kml file)"),
}
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "zh": "中文"}


class ExportDialog(QDialog):
    def __init__(self, db: Database, scope: ExportScope, parent: QWidget | None = None,
                 start_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.scope = scope
        self.written: list[Written] = []
        self.worker: workers.Worker | None = None
        self._unchecked: set[str] = set()
        self.format = QComboBox()
        for fmt in FORMATS:
            self.format.addItem("", fmt)
        self.format.currentIndexChanged.connect(self._fill_types)
        self.types = QListWidget()
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language.setCurrentIndex(max(self.language.findData(current_language()), 0))
        self.target = QLineEdit(str(start_dir or Path.home()))
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse)
        self.scope_label = QLabel()
        self.scope_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        self.form = QFormLayout()
        self.form.addRow("", self.format)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.browse)
        self.form.addRow("", target_row)
        self.form.addRow("", self.language)
        self.types_box = QGroupBox()
        box = QVBoxLayout(self.types_box)
        box.addWidget(self.types)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.types_box, 1)
        layout.addWidget(self.scope_label)
        layout.addWidget(self.buttons)
        self.resize(620, 520)
        self.retranslate()

    # --- what to write --------------------------------------------------------------------

    def fmt(self) -> str:
        return str(self.format.currentData())

    def chosen_types(self) -> list[str]:
        return [str(self.types.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.types.count())
                if self.types.item(i).checkState() == Qt.CheckState.Checked]

    def _fill_types(self) -> None:
        for i in range(self.types.count()):  # what the user turned off stays off
            item = self.types.item(i)
            name = str(item.data(Qt.ItemDataRole.UserRole))
            if item.checkState() == Qt.CheckState.Checked:
                self._unchecked.discard(name)
            else:
                self._unchecked.add(name)
        self.types.clear()
        for table in tables_for(self.fmt()):
            item = QListWidgetItem(_(table.title))
            item.setData(Qt.ItemDataRole.UserRole, table.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = table.name not in self._unchecked
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.types.addItem(item)
        target = Path(self.target.text())
        if self.fmt() == "kml" and target.suffix.lower() != ".kml":
            self.target.setText(str(target / "ranger-field-log.kml"))
        elif self.fmt() != "kml" and target.suffix.lower() == ".kml":
            self.target.setText(str(target.parent))

    def _browse(self) -> None:
        if self.fmt() == "kml":
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Save KML file"), self.target.text(), "KML (*.kml)")
        else:
            path = QFileDialog.getExistingDirectory(self, _("Folder to export into"),
                                                    self.target.text())
        if path:
            self.target.setText(path)

    def _scope_text(self) -> str:
        f = self.scope.patrols
        parts = []
        if f.station_uuid or f.date_from or f.date_to or f.status or f.text:
            parts.append(_("Patrols and observations: as filtered in the patrol list."))
        else:
            parts.append(_("Patrols and observations: all."))
        fires = self.scope.fires
        if fires.season or fires.status:
            parts.append(_("Fire reports: as filtered in the fires workspace."))
        else:
            parts.append(_("Fire reports: all."))
        parts.append(_("Feeding sites and camera traps: all."))
        return " ".join(parts)

    # --- writing ------------------------------------------------------------------------

    def start(self) -> None:
        names = self.chosen_types()
        if not names:
            QMessageBox.warning(self, self.windowTitle(), _("Choose at least one record type."))
            return
        fmt, target, lang = self.fmt(), Path(self.target.text()), self.language.currentData()
        db, scope = self.db, self.scope

        def job(progress: Any, cancelled: Any) -> list[Written]:
            return export(db, fmt, target, scope=scope, names=names, lang=lang,
                          progress=progress, cancelled=cancelled)

        self.export_button.setEnabled(False)
        self.worker = workers.with_progress(self, _("Exporting…"), workers.Worker(job),
                                            self.windowTitle())
        self.worker.signals.finished_ok.connect(self._finished)
        self.worker.signals.failed.connect(self._failed)
        workers.start(self.worker)

    def _finished(self, written: list[Written]) -> None:
        self.written = written
        self.export_button.setEnabled(True)
        lines = [_("{title}: {count}").format(title=_(_title(w.table)), count=w.count)
                 for w in written]
        where = written[0].path.parent if written else Path(self.target.text())
        QMessageBox.information(self, self.windowTitle(), "\n".join(
            [_("Written to {path}:").format(path=where), *lines]))
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(error, ExportCancelled):
            return
        text = describe(error) if isinstance(error, RangerError) else str(error)
        if isinstance(error, OSError):
            text = _("Cannot write to {path} ({detail}). Choose another folder, or check "
                     "that the USB stick is plugged in and not full.").format(
                path=error.filename or self.target.text(), detail=error.strerror or error)
        QMessageBox.warning(self, self.windowTitle(), text)

    def closeEvent(self, event: Any) -> None:
        if self.worker is not None:
            self.worker.cancel()
        workers.wait_for_all()
        super().closeEvent(event)

    # --- language -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Export records"))
        for i, fmt in enumerate(FORMATS):
            self.format.setItemText(i, _(FORMAT_NAMES[fmt]))
        labels = (_("Format"), _("Save to"), _("Labels in"))
        for row, text in enumerate(labels):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is None:
                self.form.setWidget(row, QFormLayout.ItemRole.LabelRole, QLabel(text))
            else:
                item.widget().setText(text)
        self.browse.setText(_("Choose…"))
        self.types_box.setTitle(_("Record types"))
        self.export_button.setText(_("Export"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.scope_label.setText(self._scope_text())
        self._fill_types()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _title(name: str) -> str:
    from ranger_app.io.open_formats.tables import TABLES

    return TABLES[name].title


def current_scope(window: Any) -> ExportScope:
    """The filters the user has set: the patrol list's, and the fire workspace's if built."""
    patrols = getattr(window, "patrols", None)
    patrol_filter = patrols.current_filter() if patrols is not None else PatrolFilter()
    fires = FireFilter()
    tabs = window.workspaces
    for i in range(tabs.count()):
        current = getattr(tabs.widget(i), "current_filter", None)
        if callable(current) and tabs.widget(i) is not patrols:
            value = current()
            if isinstance(value, FireFilter):
                fires = value
    return ExportScope(patrol_filter, fires)


def add_export_menu(window: Any) -> QAction:
    """File → Export…, above Quit."""
    action = QAction(window)

    def open_dialog() -> None:
        dialog = ExportDialog(window.db, current_scope(window), window)
        dialog.open()

    def retranslate() -> None:
        action.setText(_("&Export…"))

    action.triggered.connect(open_dialog)
    window.file_menu.insertAction(window.quit_action, action)
    window.file_menu.insertSeparator(window.quit_action)
    window.export_action = action
    window.export_retranslate = retranslate
    retranslate()
    return action
