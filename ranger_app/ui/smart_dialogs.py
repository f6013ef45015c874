"""File → SMART: export patrols as SMART patrol XML, import SMART's files, edit the mapping.

Export and import run in a worker with a progress dialog and Cancel (`ui.workers`); a
refusal (unmapped codes, unknown keys, a file that is not SMART's) is shown as the same
sentence the command line prints, and nothing is written. The mapping editor lists every
code we can export with its SMART key; codes without one are highlighted, since an export
that needs them is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.i18n import N_, _, current_language, ngettext
from ranger_app.i18n.messages import describe
from ranger_app.io.smart import errors as _errors  # noqa: F401  (registers the messages)
from ranger_app.io.smart.export import ExportCancelled, ExportResult, export_smart
from ranger_app.io.smart.importer import ImportCancelled, ImportResult, import_smart
from ranger_app.io.smart.mapping import code_label, editor_rows, save_editor_rows
from ranger_app.store.db import Database
from ranger_app.ui import workers

KIND_NAMES = {
    "category": N_("Observation category"), "attribute": N_("Attribute"),
    "list_item": N_("List item"), "transport": N_("Transport"), "mandate": N_("Mandate"),
    "patrol_type": N_("Patrol type"),
}
UNMAPPED = QColor(255, 224, 224)


def _error_text(error: BaseException) -> str:
    return describe(error) if isinstance(error, RangerError | OSError) else str(error)


class _Labelled(QDialog):
    """A form whose row labels are rebuilt on a language change."""

    def _label_rows(self, form: QFormLayout, labels: tuple[str, ...]) -> None:
        for row, text in enumerate(labels):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is None or item.widget() is None:
                form.setWidget(row, QFormLayout.ItemRole.LabelRole, QLabel(text))
            else:
                item.widget().setText(text)  # type: ignore[attr-defined]

    def retranslate(self) -> None:  # pragma: no cover - each dialog has its own
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: Any) -> None:
        worker = getattr(self, "worker", None)
        if worker is not None:
            worker.cancel()
        workers.wait_for_all()
        super().closeEvent(event)


# --- export ---------------------------------------------------------------------------------

class SmartExportDialog(_Labelled):
    def __init__(self, db: Database, patrol_ids: list[str] | None = None,
                 parent: QWidget | None = None, start_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.patrol_ids = patrol_ids
        self.result: ExportResult | None = None
        self.error: BaseException | None = None
        self.worker: workers.Worker | None = None
        self.what = QLabel()
        self.target = QLineEdit(str(start_dir or Path.home()))
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        self.form.addRow("", self.what)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(self.browse)
        self.form.addRow("", row)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(600, 200)
        self.retranslate()

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, _("Folder to export into"),
                                                self.target.text())
        if path:
            self.target.setText(path)

    def start(self) -> None:
        db, ids, target = self.db, self.patrol_ids, Path(self.target.text())
        lang = current_language()

        def job(progress: Any, cancelled: Any) -> ExportResult:
            return export_smart(db, ids, target, language=lang, progress=progress,
                                cancel=cancelled)

        self.export_button.setEnabled(False)
        self.worker = workers.with_progress(self, _("Exporting…"), workers.Worker(job),
                                            self.windowTitle())
        self.worker.signals.finished_ok.connect(self._finished)
        self.worker.signals.failed.connect(self._failed)
        workers.start(self.worker)

    def _finished(self, result: ExportResult) -> None:
        self.result = result
        self.export_button.setEnabled(True)
        QMessageBox.information(self, self.windowTitle(), ngettext(
            "{n} patrol written to {path} as SMART patrol XML.",
            "{n} patrols written to {path} as SMART patrol XML.", result.patrols).format(
            n=result.patrols, path=self.target.text()))
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.error = error
        self.export_button.setEnabled(True)
        if not isinstance(error, ExportCancelled):
            QMessageBox.warning(self, self.windowTitle(), _error_text(error))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Export to SMART"))
        self._label_rows(self.form, (_("Patrols"), _("Save to")))
        self.what.setText(_("All patrols") if self.patrol_ids is None else ngettext(
            "{n} selected patrol", "{n} selected patrols", len(self.patrol_ids)).format(
            n=len(self.patrol_ids)))
        self.browse.setText(_("Choose…"))
        self.note.setText(_(
            "One SMART 1.4 patrol XML file per patrol, for SMART's “Import patrols”. Codes "
            "are translated to SMART keys with the park's mapping (File › SMART mapping); "
            "if a code has no key, nothing is written and the codes are listed."))
        self.export_button.setText(_("Export"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))


# --- import ---------------------------------------------------------------------------------

class SmartImportDialog(_Labelled):
    def __init__(self, db: Database, files: list[Path] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.result: ImportResult | None = None
        self.error: BaseException | None = None
        self.worker: workers.Worker | None = None
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.files = QListWidget()
        for f in files or []:
            self.files.addItem(str(f))
        self.add = QPushButton()
        self.add.clicked.connect(self._add_files)
        self.remove = QPushButton()
        self.remove.clicked.connect(self._remove)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        side = QVBoxLayout()
        side.addWidget(self.add)
        side.addWidget(self.remove)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.files, 1)
        row.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(row, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.resize(640, 380)
        self.retranslate()

    def paths(self) -> list[Path]:
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def _add_files(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileNames(
            self, _("SMART patrol files"), str(Path.home()),
            _("SMART patrol XML or zip") + " (*.xml *.zip)")
        for path in chosen:
            self.files.addItem(path)
        self._refresh()

    def _remove(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._refresh()

    def _refresh(self) -> None:
        self.import_button.setEnabled(self.files.count() > 0)

    def start(self) -> None:
        db, paths = self.db, self.paths()

        def job(progress: Any, cancelled: Any) -> ImportResult:
            return import_smart(db, paths, progress=progress, cancel=cancelled)

        self.import_button.setEnabled(False)
        self.worker = workers.with_progress(self, _("Importing…"), workers.Worker(job),
                                            self.windowTitle())
        self.worker.signals.finished_ok.connect(self._finished)
        self.worker.signals.failed.connect(self._failed)
        workers.start(self.worker)

    def _finished(self, result: ImportResult) -> None:
        self.result = result
        self._refresh()
        QMessageBox.information(self, self.windowTitle(), _(
            "{documents} SMART documents: {new} patrols imported, {present} already here; "
            "{people} people added.").format(documents=result.documents,
                                             new=len(result.imported),
                                             present=len(result.already_present),
                                             people=result.people_added))
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.error = error
        self._refresh()
        if not isinstance(error, ImportCancelled):
            QMessageBox.warning(self, self.windowTitle(), _error_text(error))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Import from SMART"))
        self.heading.setText(_("SMART patrol XML files, or zips of them as SMART's “Export "
                               "patrols” writes:"))
        self.add.setText(_("Add files…"))
        self.remove.setText(_("Remove"))
        self.note.setText(_(
            "All or nothing: if a file is not SMART's or holds a key the mapping does not "
            "know, nothing is imported and the keys are listed. Patrols already here are "
            "left as they are, so importing a file twice changes nothing."))
        self.import_button.setText(_("Import"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self._refresh()


# --- the mapping ----------------------------------------------------------------------------

class SmartMappingEditor(_Labelled):
    """A table of our code, its label and its SMART key; saving writes only the changes."""

    KEY_COLUMN = 3

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.summary = QLabel()
        self.only_unmapped = QCheckBox()
        self.only_unmapped.toggled.connect(self._filter)
        self.table = QTableWidget(0, 4)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._changed)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.only_unmapped)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(960, 560)
        self.load()
        self.retranslate()

    def load(self) -> None:
        rows = editor_rows(self.db)
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for col, text in enumerate(("", r.our_code, "", r.smart_key)):
                item = QTableWidgetItem(text)
                if col != self.KEY_COLUMN:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(i, col, item)
            self.table.item(i, 0).setData(Qt.ItemDataRole.UserRole, r.kind)
        self.table.blockSignals(False)
        self._fill_labels()
        self._paint()

    def rows(self) -> list[tuple[str, str, str]]:
        return [(str(self.table.item(i, 0).data(Qt.ItemDataRole.UserRole)),
                 self.table.item(i, 1).text(), self.table.item(i, self.KEY_COLUMN).text())
                for i in range(self.table.rowCount())]

    def unmapped_count(self) -> int:
        return sum(1 for _k, _c, key in self.rows() if not key.strip())

    def _fill_labels(self) -> None:
        lang = current_language()
        self.table.blockSignals(True)
        for i, (kind, code, _key) in enumerate(self.rows()):
            self.table.item(i, 0).setText(_(KIND_NAMES[kind]) if kind in KIND_NAMES else kind)
            self.table.item(i, 2).setText(code_label(kind, code, lang))
        self.table.blockSignals(False)

    def _paint(self) -> None:
        self.table.blockSignals(True)
        for i, (_kind, _code, key) in enumerate(self.rows()):
            brush = QBrush(UNMAPPED) if not key.strip() else QBrush()
            for col in range(4):
                self.table.item(i, col).setBackground(brush)
        self.table.blockSignals(False)
        n = self.unmapped_count()
        self.summary.setText(ngettext(
            "{n} code has no SMART key (highlighted): an export that needs it is refused.",
            "{n} codes have no SMART key (highlighted): an export that needs them is refused.",
            n).format(n=n) if n else _("Every code has a SMART key."))
        self._filter()

    def _filter(self) -> None:
        only = self.only_unmapped.isChecked()
        for i, (_kind, _code, key) in enumerate(self.rows()):
            self.table.setRowHidden(i, only and bool(key.strip()))

    def _changed(self, item: QTableWidgetItem) -> None:
        if item.column() == self.KEY_COLUMN:
            self._paint()

    def save(self) -> None:
        try:
            n = save_editor_rows(self.db, self.rows())
        except RangerError as error:
            QMessageBox.warning(self, self.windowTitle(), describe(error))
            return
        self.load()
        QMessageBox.information(self, self.windowTitle(), ngettext(
            "{n} mapping row saved; it reaches the stations with the next bundle.",
            "{n} mapping rows saved; they reach the stations with the next bundle.",
            n).format(n=n))

    def retranslate(self) -> None:
        self.setWindowTitle(_("SMART mapping"))
        self.table.setHorizontalHeaderLabels([_("Kind"), _("Our code"), _("Label"),
                                              _("SMART key")])
        self.only_unmapped.setText(_("Only codes without a key"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        self._fill_labels()
        self._paint()
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)


# --- File menu ------------------------------------------------------------------------------

def add_smart_menu(window: Any) -> None:
    """File → Export to SMART…, Import from SMART…, SMART mapping…, above Quit."""
    export = QAction(window)
    imp = QAction(window)
    mapping = QAction(window)

    def selected() -> list[str] | None:
        patrols = getattr(window, "patrols", None)
        chosen = getattr(patrols, "selected_uuids", None)
        ids = list(chosen()) if callable(chosen) else []
        return ids or None

    export.triggered.connect(lambda: SmartExportDialog(window.db, selected(), window).open())
    imp.triggered.connect(lambda: SmartImportDialog(window.db, parent=window).open())
    mapping.triggered.connect(lambda: SmartMappingEditor(window.db, window).open())
    for action in (export, imp, mapping):
        window.file_menu.insertAction(window.quit_action, action)
    window.file_menu.insertSeparator(window.quit_action)

    def retranslate() -> None:
        export.setText(_("Export to S&MART…"))
        imp.setText(_("Import from SMA&RT…"))
        mapping.setText(_("SMART ma&pping…"))

    window.smart_actions = (export, imp, mapping)
    window.smart_retranslate = retranslate
    retranslate()
