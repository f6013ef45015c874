"""Add a vector map layer from a file: choose it, see what it holds, say what it is, add it.

The file is read in a worker as soon as it is chosen (a 20,000-quarter shapefile takes a
second or two), so the dialog shows how many features it has, in which coordinate system,
which field gives the labels, and, when the file cannot be used, why in the user's
language, before anything is written. A shapefile without its .prj asks for the system.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.domain.layers import LAYER_KINDS
from ranger_app.i18n import _
from ranger_app.i18n.messages import describe
from ranger_app.io.layers.readers import (
    MANY_LAYERS,
    NO_PRJ,
    UNKNOWN_CRS,
    LayerInvalid,
    LayerReadCancelled,
    ReadLayer,
    layer_names,
    read_layer,
)
from ranger_app.io.layers.service import AddedLayer, add_layer
from ranger_app.ui import workers
from ranger_app.ui.map_layers import kind_label

# Systems the parks' layers come in; any other EPSG code can be typed.
COMMON_CRS = (
    ("EPSG:28422", "Pulkovo 1942 / Gauss-Kruger zone 22"),
    ("EPSG:28423", "Pulkovo 1942 / Gauss-Kruger zone 23"),
    ("EPSG:20922", "Pulkovo 1995 / Gauss-Kruger zone 22"),
    ("EPSG:7683", "GSK-2011"),
    ("EPSG:4490", "China Geodetic Coordinate System 2000"),
    ("EPSG:4546", "CGCS2000 / 3-degree Gauss-Kruger CM 129E"),
    ("EPSG:4547", "CGCS2000 / 3-degree Gauss-Kruger CM 132E"),
    ("EPSG:4326", "WGS 84"),
)
FILE_FILTER = "*.geojson *.json *.shp *.zip *.gpkg"


class AddLayerDialog(QDialog):
    added = Signal(object)  # the AddedLayer

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.read: ReadLayer | None = None
        self.error: BaseException | None = None
        self._preview: workers.Worker | None = None
        self._name_touched = False
        self.setWindowTitle(_("Add a map layer"))
        self.setMinimumWidth(560)

        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.choose = QPushButton(_("Choose…"))
        self.choose.clicked.connect(self._ask_for_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose)

        self.layer = QComboBox()
        self.layer.currentIndexChanged.connect(lambda _i: self._start_preview())
        self.crs = QComboBox()
        self.crs.setEditable(True)
        self.crs.addItem(_("as the file says"), "")
        for code, name in COMMON_CRS:
            self.crs.addItem(f"{code} — {name}", code)
        self.crs.activated.connect(lambda _i: self._start_preview())
        self.crs.lineEdit().editingFinished.connect(self._start_preview)
        self.name = QLineEdit()
        self.name.textEdited.connect(lambda _t: setattr(self, "_name_touched", True))
        self.kind = QComboBox()
        for code in LAYER_KINDS:
            self.kind.addItem(kind_label(code), code)
        self.label_field = QComboBox()

        self.form = QFormLayout()
        self.form.addRow(_("File"), file_row)
        self.form.addRow(_("Layer in the file"), self.layer)
        self.form.addRow(_("Coordinate system"), self.crs)
        self.form.addRow(_("Name on the map"), self.name)
        self.form.addRow(_("What it shows"), self.kind)
        self.form.addRow(_("Labels from field"), self.label_field)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton(_("Add the layer"),
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        self.buttons.accepted.connect(self._add)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(self.form)
        box.addWidget(self.summary)
        box.addStretch(1)
        box.addWidget(self.buttons)
        self._show_rows(layers=False, crs=False)

    # --- choosing ----------------------------------------------------------------------------
    def _ask_for_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Add a map layer"), "",
            _("Map layers ({patterns})").format(patterns=FILE_FILTER))
        if path:
            self.set_file(Path(path))

    def set_file(self, path: Path) -> workers.Worker | None:
        self.path.setText(str(path))
        self.layer.blockSignals(True)
        self.layer.clear()
        try:
            names = layer_names(path)
        except RangerError:
            names = []
        for name in names:
            self.layer.addItem(name, name)
        self.layer.blockSignals(False)
        self._show_rows(layers=len(names) > 1, crs=self.crs.currentIndex() > 0)
        return self._start_preview()

    def _show_rows(self, *, layers: bool, crs: bool) -> None:
        self.form.setRowVisible(self.layer, layers)
        self.form.setRowVisible(self.crs, crs)

    def chosen_crs(self) -> str | None:
        data = self.crs.currentData()
        text = self.crs.currentText().strip()
        if data is not None and self.crs.itemText(self.crs.currentIndex()) == text:
            return data or None
        return text.split(" ")[0] if text else None

    def _options(self) -> dict[str, Any]:
        return {"layer": self.layer.currentData() if self.layer.count() > 1 else None,
                "crs": self.chosen_crs()}

    # --- the preview -------------------------------------------------------------------------
    def _start_preview(self) -> workers.Worker | None:
        text = self.path.text()
        if not text:
            return None
        if self._preview is not None:
            self._preview.cancel()
        self.read, self.error = None, None
        self.add_button.setEnabled(False)
        self.summary.setText(_("Reading the file…"))
        path, options = Path(text), self._options()

        def job(progress: Any, cancelled: Any) -> ReadLayer:
            return read_layer(path, progress=progress, cancelled=cancelled, **options)

        worker = workers.Worker(job)
        self._preview = worker
        worker.signals.finished_ok.connect(lambda r, w=worker: self._previewed(w, r))
        worker.signals.failed.connect(lambda e, w=worker: self._refused(w, e))
        return workers.start(worker)

    def _previewed(self, worker: workers.Worker, read: ReadLayer) -> None:
        if worker is not self._preview:
            return
        self.read = read
        if not self._name_touched:
            self.name.setText(read.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(read.kind)))
        self.label_field.clear()
        self.label_field.addItem(_("no labels"), "")
        for f in read.fields:
            self.label_field.addItem(f, f)
        self.label_field.setCurrentIndex(max(0, self.label_field.findData(read.label_field)))
        lines = [_("{count} features, {vertices} points, coordinate system {crs}.").format(
            count=len(read.features), vertices=read.vertex_count, crs=read.source_crs)]
        if read.skipped:
            lines.append(_("Repaired or left out: {n} (the first: {first}).").format(
                n=len(read.skipped), first=read.skipped[0]))
        self.summary.setStyleSheet("")
        self.summary.setText("\n".join(lines))
        self.add_button.setEnabled(True)

    def _refused(self, worker: workers.Worker, error: BaseException) -> None:
        if worker is not self._preview or isinstance(error, LayerReadCancelled):
            return
        self.error = error
        if isinstance(error, LayerInvalid) and error.reason in (NO_PRJ, UNKNOWN_CRS):
            self._show_rows(layers=self.layer.count() > 1, crs=True)
        if isinstance(error, LayerInvalid) and error.reason == MANY_LAYERS:
            self._show_rows(layers=True, crs=self.form.isRowVisible(self.crs))
        self.summary.setStyleSheet("color: #b00020;")
        text = describe(error) if isinstance(error, RangerError) else str(error)
        if isinstance(error, LayerInvalid) and error.reason in (NO_PRJ, UNKNOWN_CRS):
            text += "\n" + _("Here: choose the coordinate system above, and the file is read "
                             "again.")
        self.summary.setText(text)

    # --- adding ------------------------------------------------------------------------------
    def _add(self) -> workers.Worker | None:
        if self.read is None:
            return None
        db, path, options = self.db, Path(self.path.text()), self._options()
        name = self.name.text().strip() or None
        kind = self.kind.currentData()
        label = self.label_field.currentData()

        def job(progress: Any, cancelled: Any) -> AddedLayer:
            return add_layer(db, path, name=name, kind=kind, label_field=label,
                             progress=progress, cancelled=cancelled, **options)

        worker = workers.with_progress(self, _("Adding the layer…"), workers.Worker(job),
                                       title=_("Add a map layer"))
        worker.signals.finished_ok.connect(self._done)
        worker.signals.failed.connect(self._failed)
        self.add_button.setEnabled(False)
        return workers.start(worker)

    def _done(self, added: AddedLayer) -> None:
        self.added.emit(added)
        if added.created:
            self.accept()
            return
        self.summary.setText(  # the dialog stays, so the user reads why nothing changed
            _("This file is already registered as layer “{name}”; nothing was added.")
            .format(name=added.record.name))

    def _failed(self, error: BaseException) -> None:
        self.add_button.setEnabled(True)
        if isinstance(error, LayerReadCancelled):
            return
        self.error = error
        self.summary.setStyleSheet("color: #b00020;")
        self.summary.setText(describe(error) if isinstance(error, RangerError) else str(error))
