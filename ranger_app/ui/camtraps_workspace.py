"""The camera-trap workspace: locations on a map and in a table, cameras by state, overdue
visits, the visit history, and the Camtrap DP export.

Everything shown comes from `store.camtraps` as plain rows. Visits open in
`ServiceVisitEditor` windows; locations and cameras are added or edited in small dialogs.
The export runs in a worker with a progress dialog that can cancel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.camtraps import (
    CameraValue,
    LocationRow,
    LocationValue,
    VisitRow,
    validate_camera,
    validate_location,
    visit_from_json,
)
from ranger_app.domain.errors import RangerError
from ranger_app.domain.geo import parse_coordinate
from ranger_app.i18n import N_, _, ngettext, pgettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.io.camtrapdp import ExportSummary, export_camtrapdp
from ranger_app.store import camtraps as store
from ranger_app.store.db import Database
from ranger_app.store.drafts import drafts
from ranger_app.store.queries import stations
from ranger_app.ui import workers
from ranger_app.ui.camtrap_editor import ServiceVisitEditor, new_visit
from ranger_app.ui.map_view import MapMarker, MapView
from ranger_app.ui.record_lists import Column, RowsModel, make_table
from ranger_app.ui.widgets import VocabCombo

STATE_FILTERS = (  # (label, states) for the camera list
    (N_("Lost, stolen or in repair"), frozenset({"LOST", "STOLEN", "REPAIR"})),
    (N_("All cameras"), frozenset()),
    (N_("Deployed"), frozenset({"DEPLOYED"})),
    (N_("In stock"), frozenset({"IN_STOCK"})),
    (N_("In repair"), frozenset({"REPAIR"})),
    (N_("Lost"), frozenset({"LOST"})),
    (N_("Stolen"), frozenset({"STOLEN"})),
    (N_("Retired"), frozenset({"RETIRED"})),
)
ZONES = ("Asia/Vladivostok", "Asia/Shanghai", "Asia/Harbin", "Asia/Yakutsk", "UTC")


def _due(row: LocationRow) -> str:
    return row.next_due.isoformat() if row.next_due else ""


def _location_columns() -> list[Column]:
    return [
        Column(N_("Code"), lambda r: r.code),
        Column(N_("Name"), lambda r: r.name),
        Column(N_("Feature"), lambda r: fmt.term("camera_features", r.feature)),
        Column(N_("Cameras"), lambda r: ", ".join(r.cameras)),
        Column(N_("Last visit"), lambda r: fmt.datetime_short(r.last_visit_at, r.tz)),
        Column(N_("Next visit due"), _due),
    ]


def _camera_columns() -> list[Column]:
    return [
        Column(N_("Serial"), lambda r: r.serial),
        Column(N_("Make and model"), lambda r: " ".join(p for p in (r.make, r.model) if p)),
        Column(N_("State"), lambda r: fmt.term("camera_states", r.state)),
        Column(N_("Location"), lambda r: r.location_code),
        Column(N_("Last visit"), lambda r: fmt.datetime_short(r.last_visit_at, r.tz)),
        Column(N_("Notes"), lambda r: r.notes.replace("\n", " ")),
    ]


def _overdue_columns() -> list[Column]:
    return [
        Column(N_("Code"), lambda r: r.code),
        Column(N_("Name"), lambda r: r.name),
        Column(N_("Cameras"), lambda r: ", ".join(r.cameras)),
        Column(N_("Last visit"), lambda r: fmt.datetime_short(r.last_visit_at, r.tz)),
        Column(N_("Was due"), _due),
        Column(N_("Days overdue"), lambda r: fmt.number(r.days_overdue, 0)),
    ]


def _visit_columns() -> list[Column]:
    return [
        Column(N_("Visited"), lambda r: fmt.datetime_short(r.visited_at, r.tz)),
        Column(N_("Location"), lambda r: r.location_code),
        Column(N_("Camera"), lambda r: r.camera_serial),
        Column(N_("Visit type"), lambda r: fmt.term("service_visit_types", r.visit_type)),
        Column(N_("Status on arrival"), lambda r: fmt.term("camera_arrival_status",
                                                      r.arrival_status)),
        Column(N_("Battery"), lambda r: "" if r.battery_pct is None else f"{r.battery_pct} %"),
        Column(N_("Images"),
               lambda r: "" if r.image_count is None else fmt.number(r.image_count, 0)),
    ]


class LocationsMap(MapView):
    """The map of camera locations (it says so when there are none)."""

    def empty_text(self) -> str:
        return _("No camera locations yet: add one") if self.is_empty() else ""


class CameraTrapsWorkspace(QWidget):
    """Camera locations, cameras and service visits of one database."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.editors: list[ServiceVisitEditor] = []
        self._workers: list[workers.Worker] = []
        self.last_export: ExportSummary | None = None

        self.new_button = QPushButton()
        self.open_button = QPushButton()
        self.export_button = QPushButton()
        self.new_location_button = QPushButton()
        self.new_camera_button = QPushButton()
        self.drafts_button = QPushButton()
        self.new_button.clicked.connect(self.new_visit)
        self.open_button.clicked.connect(self.open_selected_visit)
        self.export_button.clicked.connect(self.choose_export_folder)
        self.new_location_button.clicked.connect(lambda: self.edit_location(None))
        self.new_camera_button.clicked.connect(lambda: self.edit_camera(None))
        self.drafts_button.clicked.connect(self.restore_drafts)
        bar = QHBoxLayout()
        for button in (self.new_button, self.open_button, self.export_button):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (self.drafts_button, self.new_location_button, self.new_camera_button):
            bar.addWidget(button)

        self.map = LocationsMap()
        self.map.markerClicked.connect(self._select_location)

        self.locations_model = RowsModel(_location_columns(), self)
        self.locations = make_table(self.locations_model)
        self.locations.selectionModel().selectionChanged.connect(self._location_selected)
        self.locations.doubleClicked.connect(
            lambda index: self.edit_location(self.locations_model.rows[index.row()].uuid))

        self.camera_filter = QComboBox()
        self.camera_filter.currentIndexChanged.connect(self.refresh_cameras)
        self.cameras_model = RowsModel(_camera_columns(), self)
        self.cameras = make_table(self.cameras_model)
        self.cameras.doubleClicked.connect(
            lambda index: self.edit_camera(self.cameras_model.rows[index.row()].uuid))
        self.camera_filter_label = QLabel()
        cameras_page = QWidget()
        cam_layout = QVBoxLayout(cameras_page)
        row = QHBoxLayout()
        row.addWidget(self.camera_filter_label)
        row.addWidget(self.camera_filter)
        row.addStretch(1)
        cam_layout.addLayout(row)
        cam_layout.addWidget(self.cameras, 1)

        self.overdue_model = RowsModel(_overdue_columns(), self)
        self.overdue = make_table(self.overdue_model)
        self.overdue.doubleClicked.connect(
            lambda index: self.new_visit(self.overdue_model.rows[index.row()].uuid))

        self.visits_model = RowsModel(_visit_columns(), self)
        self.visits = make_table(self.visits_model)
        self.visits.doubleClicked.connect(
            lambda index: self.open_visit(self.visits_model.rows[index.row()].uuid))
        self.visits.selectionModel().selectionChanged.connect(self._update_buttons)
        self.visits_scope = QLabel()

        visits_page = QWidget()
        v_layout = QVBoxLayout(visits_page)
        v_layout.addWidget(self.visits_scope)
        v_layout.addWidget(self.visits, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.locations, "")
        self.tabs.addTab(self.overdue, "")
        self.tabs.addTab(cameras_page, "")
        self.tabs.addTab(visits_page, "")
        self.tabs.currentChanged.connect(self._update_buttons)

        splitter = QSplitter()
        splitter.addWidget(self.map)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([480, 720])

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)

        self.retranslate()
        self.refresh()

    # --- data -------------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected_location()
        rows = store.location_rows(self.db)
        self.locations_model.set_rows(rows)
        self.overdue_model.set_rows(store.overdue_visits(self.db))
        self.map.set_observations([
            MapMarker(r.uuid, r.lat, r.lon, self._marker_label(r),
                      "threat" if r.days_overdue else ("wildlife" if r.cameras else "other"))
            for r in rows])
        self.refresh_cameras()
        if selected is not None:
            self._select_location(selected.uuid)
        self.refresh_visits()
        for table in (self.locations, self.overdue):
            table.resizeColumnsToContents()
        self.drafts_button.setVisible(bool(drafts(self.db, "service_visit")))
        self._update_summary()
        self._update_buttons()

    def _marker_label(self, row: LocationRow) -> str:
        label = f"{row.code} · {row.name}" if row.name else row.code
        if row.days_overdue:
            label += " · " + ngettext("{n} day overdue", "{n} days overdue",
                                      row.days_overdue).format(n=row.days_overdue)
        return label

    def refresh_cameras(self) -> None:
        states = STATE_FILTERS[max(self.camera_filter.currentIndex(), 0)][1]
        self.cameras_model.set_rows(store.camera_rows(self.db, set(states) or None))
        self.cameras.resizeColumnsToContents()

    def refresh_visits(self) -> None:
        loc = self.selected_location()
        self.visits_model.set_rows(store.visit_rows(self.db, loc.uuid if loc else None))
        self.visits.resizeColumnsToContents()
        self.visits_scope.setText(
            _("Visits at {location}, newest first").format(location=loc.code) if loc
            else _("Visits at every location, newest first"))
        self._update_buttons()

    def _update_summary(self) -> None:
        rows = self.locations_model.rows
        out = sum(1 for r in rows if r.cameras)
        overdue = len(self.overdue_model.rows)
        text = ngettext("{n} camera location", "{n} camera locations", len(rows)).format(
            n=len(rows)) + " · " + ngettext(
            "{n} with a camera out", "{n} with cameras out", out).format(n=out)
        if overdue:
            text += " · " + ngettext("{n} visit overdue", "{n} visits overdue",
                                     overdue).format(n=overdue)
        self.summary.setText(text)

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.selected_visit() is not None)
        self.export_button.setEnabled(bool(self.locations_model.rows))

    # --- selection --------------------------------------------------------------------

    def selected_location(self) -> LocationRow | None:
        rows = self.locations.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.locations_model.rows):
            return None
        return self.locations_model.rows[rows[0].row()]

    def selected_visit(self) -> VisitRow | None:
        rows = self.visits.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.visits_model.rows):
            return None
        return self.visits_model.rows[rows[0].row()]

    def _select_location(self, uuid: str) -> None:
        for i, row in enumerate(self.locations_model.rows):
            if row.uuid == uuid:
                self.locations.selectRow(i)
                return

    def _location_selected(self) -> None:
        loc = self.selected_location()
        if loc is not None:
            self.map.highlight(loc.uuid)
        self.refresh_visits()

    # --- visits -----------------------------------------------------------------------

    def _show_editor(self, editor: ServiceVisitEditor) -> ServiceVisitEditor:
        editor.saved.connect(lambda _uuid: self.refresh())
        editor.destroyed.connect(lambda *_a: self.editors.remove(editor)
                                 if editor in self.editors else None)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editors.append(editor)
        editor.show()
        editor.raise_()
        return editor

    def new_visit(self, location_uuid: str | None = None) -> ServiceVisitEditor:
        uuid = location_uuid or (self.selected_location().uuid
                                 if self.selected_location() else None)
        location = store.load_location(self.db, uuid) if uuid else None
        return self._show_editor(ServiceVisitEditor(self.db, new_visit(self.db, location)))

    def open_visit(self, uuid: str) -> ServiceVisitEditor:
        for editor in self.editors:
            if editor.visit.uuid == uuid:
                editor.raise_()
                return editor
        return self._show_editor(ServiceVisitEditor(
            self.db, store.load_service_visit(self.db, uuid)))

    def open_selected_visit(self) -> ServiceVisitEditor | None:
        row = self.selected_visit()
        return self.open_visit(row.uuid) if row else None

    def close_editors(self) -> bool:
        """Close every visit editor (each may ask to save); False if one stayed open."""
        for editor in list(self.editors):
            if not editor.close():
                return False
        workers.wait_for_all()
        return True

    def closeEvent(self, event: Any) -> None:
        if not self.close_editors():
            event.ignore()
            return
        super().closeEvent(event)

    def restore_drafts(self) -> int:
        found = drafts(self.db, "service_visit")
        for draft in found:
            editor = ServiceVisitEditor(self.db, visit_from_json(draft.body),
                                        draft_key=draft.key)
            editor.dirty = True
            self._show_editor(editor)
        return len(found)

    # --- export -----------------------------------------------------------------------

    def choose_export_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, _("Choose a folder for the Camtrap DP package"))
        if folder:
            self.export(self.export_target(Path(folder)))

    def export_target(self, folder: Path) -> Path:
        """The chosen folder if it is empty, else a new dated folder inside it."""
        if not folder.exists() or not any(folder.iterdir()):
            return folder
        station = next((s.code for s in stations(self.db)
                        if s.uuid == self.db.installation().station_uuid), "station")
        base = f"camtrap-dp-{station}-{datetime.now(UTC).date().isoformat()}"
        target, n = folder / base, 2
        while target.exists():
            target, n = folder / f"{base}-{n}", n + 1
        return target

    def export(self, outdir: Path) -> workers.Worker:
        db = self.db

        def job(progress: Any, cancelled: Any) -> ExportSummary:
            return export_camtrapdp(db, outdir, progress=progress, cancel=cancelled)

        worker = workers.with_progress(self, _("Writing the Camtrap DP package…"),
                                       workers.Worker(job), title=_("Export Camtrap DP"))
        worker.signals.finished_ok.connect(self._exported)
        worker.signals.failed.connect(self._show_error)
        self.export_button.setEnabled(False)
        worker.signals.done.connect(self._update_buttons)
        self._workers.append(worker)
        worker.signals.done.connect(lambda: self._workers.remove(worker))
        return workers.start(worker)

    def _exported(self, summary: ExportSummary) -> None:
        self.last_export = summary
        if summary.cancelled:
            self.summary.setText(_("Export cancelled: nothing was written."))
            return
        text = _("Camtrap DP package written to {path} (deployments: {deployments}, "
                 "images: {media}, service visits: {visits}).").format(
            path=summary.path, deployments=summary.deployments, media=summary.media,
            visits=summary.service_visits)
        if summary.rounded_locations:
            text += " " + ngettext(
                "{n} location with tiger or leopard detections has rounded coordinates.",
                "{n} locations with tiger or leopard detections have rounded coordinates.",
                summary.rounded_locations).format(n=summary.rounded_locations)
        if summary.media_outside_deployment:
            text += " " + ngettext(
                "{n} image is dated outside its deployment: the deployment is marked as "
                "having timestamp issues.",
                "{n} images are dated outside their deployment: those deployments are marked "
                "as having timestamp issues.",
                summary.media_outside_deployment).format(n=summary.media_outside_deployment)
        self.summary.setText(text)
        QMessageBox.information(self, _("Export Camtrap DP"), text)

    def _show_error(self, error: BaseException) -> None:
        QMessageBox.warning(self, _("Could not do that"), describe(error))

    # --- locations and cameras --------------------------------------------------------

    def edit_location(self, uuid: str | None) -> bool:
        value = store.load_location(self.db, uuid) if uuid else LocationValue(
            station_uuid=self.db.installation().station_uuid,
            tz=next((s.tz for s in stations(self.db)
                     if s.uuid == self.db.installation().station_uuid), "Asia/Vladivostok"),
            country=next((s.country for s in stations(self.db)
                          if s.uuid == self.db.installation().station_uuid), "RU"))
        dialog = LocationDialog(value, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        store.save_location(self.db, dialog.value)
        self.refresh()
        return True

    def edit_camera(self, uuid: str | None) -> bool:
        value = store.load_camera(self.db, uuid) if uuid else CameraValue(
            station_uuid=self.db.installation().station_uuid)
        dialog = CameraDialog(value, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        store.save_camera(self.db, dialog.value)
        self.refresh()
        return True

    # --- language ---------------------------------------------------------------------

    def retranslate(self) -> None:
        self.new_button.setText(_("New visit"))
        self.open_button.setText(_("Open visit"))
        self.export_button.setText(_("Export Camtrap DP…"))
        self.new_location_button.setText(_("New location…"))
        self.new_camera_button.setText(_("New camera…"))
        self.drafts_button.setText(_("Open unsaved visits"))
        self.tabs.setTabText(0, _("Locations"))
        self.tabs.setTabText(1, _("Overdue visits"))
        self.tabs.setTabText(2, _("Cameras"))
        self.tabs.setTabText(3, _("Visit history"))
        self.camera_filter_label.setText(_("Show"))
        index = max(self.camera_filter.currentIndex(), 0)
        self.camera_filter.blockSignals(True)
        self.camera_filter.clear()
        for label, _states in STATE_FILTERS:
            self.camera_filter.addItem(_(label))
        self.camera_filter.setCurrentIndex(index)
        self.camera_filter.blockSignals(False)
        for model in (self.locations_model, self.cameras_model, self.overdue_model,
                      self.visits_model):
            model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0,
                                         max(model.columnCount() - 1, 0))
            if model.rows:
                model.dataChanged.emit(model.index(0, 0), model.index(
                    model.rowCount() - 1, model.columnCount() - 1))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            if hasattr(self, "summary"):
                self.refresh()
        super().changeEvent(event)


# --- dialogs -----------------------------------------------------------------------------------

class _RecordDialog(QDialog):
    """A form with OK/Cancel that only closes once the store would accept the value."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.form = QFormLayout()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def collect(self) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        try:
            self.collect()
        except RangerError as err:
            self.error.setText(describe(err))
            return
        self.accept()

    def add_rows(self, rows: Sequence[tuple[str, QWidget]]) -> None:
        for label, widget in rows:
            self.form.addRow(label, widget)


class LocationDialog(_RecordDialog):
    def __init__(self, value: LocationValue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.value = value
        self.setWindowTitle(_("Camera location") if value.uuid else _("New camera location"))
        self.code = QLineEdit(value.code)
        self.code.setPlaceholderText(_("e.g. KED-C07"))
        self.name = QLineEdit(value.name)
        self.lat = QLineEdit("" if value.lat is None else f"{value.lat:.6f}")
        self.lat.setPlaceholderText(_("43.1234 or 43°07.40′"))
        self.lon = QLineEdit("" if value.lon is None else f"{value.lon:.6f}")
        self.lon.setPlaceholderText(_("131.5678 or 131°34.07′"))
        self.uncertainty = QSpinBox()
        self.uncertainty.setRange(0, 10_000)
        self.uncertainty.setSpecialValueText("—")
        self.uncertainty.setSuffix(" " + pgettext("unit", "m"))
        self.uncertainty.setValue(value.uncertainty_m or 0)
        self.habitat = VocabCombo("habitats", allow_empty=True)
        self.habitat.set_code(value.habitat)
        self.feature = VocabCombo("camera_features", allow_empty=True)
        self.feature.set_code(value.feature)
        self.country = VocabCombo("countries")
        self.country.set_code(value.country)
        self.tz = QComboBox()
        self.tz.setEditable(True)
        self.tz.addItems(list(ZONES))
        self.tz.setCurrentText(value.tz)
        self.interval = QSpinBox()
        self.interval.setRange(1, 366)
        self.interval.setValue(value.visit_interval_days)
        self.add_rows([
            (_("Code"), self.code), (_("Name"), self.name), (_("Latitude"), self.lat),
            (_("Longitude"), self.lon), (_("Position uncertainty"), self.uncertainty),
            (_("Habitat"), self.habitat), (_("Feature"), self.feature),
            (_("Country"), self.country), (_("Time zone"), self.tz),
            (_("Visit every, days"), self.interval),
        ])

    def collect(self) -> None:
        def coordinate(edit: QLineEdit, axis: str) -> float | None:
            text = edit.text().strip()
            return parse_coordinate(text, axis) if text else None

        value = LocationValue(
            code=self.code.text().strip(), name=self.name.text().strip(),
            station_uuid=self.value.station_uuid, lat=coordinate(self.lat, "lat"),
            lon=coordinate(self.lon, "lon"), uncertainty_m=self.uncertainty.value() or None,
            habitat=self.habitat.code(), feature=self.feature.code(),
            country=self.country.code(), tz=self.tz.currentText().strip(),
            visit_interval_days=self.interval.value(), uuid=self.value.uuid)
        validate_location(value)
        self.value = value


class CameraDialog(_RecordDialog):
    def __init__(self, value: CameraValue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.value = value
        self.setWindowTitle(_("Camera") if value.uuid else _("New camera"))
        self.serial = QLineEdit(value.serial)
        self.make = QLineEdit(value.make)
        self.model = QLineEdit(value.model)
        self.year = QSpinBox()
        self.year.setRange(1999, 2100)
        self.year.setSpecialValueText("—")
        self.year.setValue(value.year_purchased or 1999)
        self.state = VocabCombo("camera_states")
        self.state.set_code(value.state)
        self.notes = QPlainTextEdit(value.notes)
        self.notes.setMaximumHeight(70)
        self.add_rows([
            (_("Serial number"), self.serial), (_("Make"), self.make), (_("Model"), self.model),
            (_("Year bought"), self.year), (_("State"), self.state), (_("Notes"), self.notes),
        ])

    def collect(self) -> None:
        year = self.year.value()
        value = CameraValue(
            serial=self.serial.text().strip(), make=self.make.text().strip(),
            model=self.model.text().strip(), state=self.state.code(),
            station_uuid=self.value.station_uuid,
            year_purchased=None if year == self.year.minimum() else year,
            notes=self.notes.toPlainText(), uuid=self.value.uuid)
        validate_camera(value)
        self.value = value
