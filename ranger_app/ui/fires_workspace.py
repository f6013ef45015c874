"""The fire workspace: the season's fire reports as a list and on the map, FIRMS import.

The list filters by season (spring: March to June; autumn: September to November) and by
status; the map shows each fire in its status colour with its walked perimeter. A NASA FIRMS
CSV is imported in a worker with a progress bar; the hotspots no fire report accounts for
are then listed for a ranger to tick off as checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.fires import FireFilter, FireListRow, HotspotValue, Season, fire_from_json
from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import N_, _, current_language, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.io.firms import FirmsImportResult, import_firms
from ranger_app.io.gpx import ImportCancelled
from ranger_app.store.db import Database
from ranger_app.store.drafts import discard_draft, drafts
from ranger_app.store.fires import (
    count_unchecked_hotspots,
    delete_fire,
    fire_list,
    fire_years,
    load_fire,
    set_hotspots_checked,
    unmatched_hotspots,
)
from ranger_app.store.queries import stations
from ranger_app.ui import workers
from ranger_app.ui.fire_editor import (
    ENTITY,
    HOTSPOT_COLOUR,
    STATUS_COLOURS,
    FireEditor,
    FireMapView,
    FireMarker,
    confidence_text,
    new_fire,
    status_icon,
)

AnyIndex = QModelIndex | QPersistentModelIndex
SEASON_NAMES = {"spring": N_("Spring {year}"), "autumn": N_("Autumn {year}")}
COLUMNS = (N_("Detected"), N_("Number"), N_("Status"), N_("Fire type"), N_("Area"),
           N_("Hotspots"), N_("Locality"))
PLACE = 6  # the last column: a long place name is elided, its tip is the full text


class FireTableModel(QAbstractTableModel):
    """Fire list rows (a season holds tens of fires, a decade a few thousand: loaded whole)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[FireListRow] = []

    def set_rows(self, rows: list[FireListRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> FireListRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, uuid: str) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.uuid == uuid), None)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section])
        return None

    def cell(self, r: FireListRow, column: int) -> str:
        if column == 0:
            return fmt.datetime_short(r.detected_at, r.tz)
        if column == 1:
            return r.number
        if column == 2:
            return fmt.term("fire_statuses", r.fire_status)
        if column == 3:
            return fmt.term("fire_types", r.fire_type)
        if column == 4:
            return fmt.hectares(r.area_total_ha)
        if column == 5:
            return fmt.number(r.hotspots, 0) if r.hotspots else ""
        return " · ".join(p for p in (r.locality, r.forest_district, r.quarter) if p)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(r, index.column())
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 2:
            return status_icon(r.fire_status)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == PLACE:
            return self.cell(r, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return r.uuid
        return None

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.rows) - 1, len(COLUMNS) - 1))


class UnmatchedHotspotsDialog(QDialog):
    """Hotspots no fire report accounts for, each with a tick for "a ranger has checked it"."""

    def __init__(self, db: Database, hotspots: list[HotspotValue], tz: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.hotspots = hotspots
        self.tz = tz
        self.resize(900, 480)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.table = QTableWidget(len(hotspots), 7)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.retranslate()
        self.fill()

    def fill(self) -> None:
        for row, h in enumerate(self.hotspots):
            tick = QTableWidgetItem()
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            tick.setCheckState(Qt.CheckState.Checked if h.checked else Qt.CheckState.Unchecked)
            tick.setData(Qt.ItemDataRole.UserRole, h.uuid)
            values = [fmt.datetime_short(h.acquired_at, self.tz),
                      f"{h.instrument} · {h.satellite}",
                      f"{h.lat:.5f}, {h.lon:.5f}", confidence_text(h),
                      "" if h.frp_mw is None else fmt.number(h.frp_mw, 1), h.source_file]
            self.table.setItem(row, 0, tick)
            for col, text in enumerate(values, start=1):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def ticks(self) -> dict[str, bool]:
        out = {}
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            out[item.data(Qt.ItemDataRole.UserRole)] = (
                item.checkState() == Qt.CheckState.Checked)
        return out

    def save(self) -> None:
        set_hotspots_checked(self.db, self.ticks())
        self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Satellite hotspots to check"))
        n = len(self.hotspots)
        self.intro.setText(ngettext(
            "{n} satellite hotspot is not near any fire report (within 1 km for MODIS, 0.5 km "
            "for VIIRS, and a day of the fire). Check each on the ground or with the duty "
            "officer, then tick it.",
            "{n} satellite hotspots are not near any fire report (within 1 km for MODIS, 0.5 km "
            "for VIIRS, and a day of the fire). Check each on the ground or with the duty "
            "officer, then tick it.", n).format(n=n))
        self.table.setHorizontalHeaderLabels([
            _("Checked"), _("Time"), _("Satellite"), _("Position"), _("Confidence"),
            _("Power, MW"), _("File")])

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self.table.clearContents()
            self.fill()
        super().changeEvent(event)


class FiresWorkspace(QWidget):
    """Fire reports: filters, list, map, the editor on double-click, FIRMS import."""

    fireSaved = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.editors: list[FireEditor] = []
        self.last_import: FirmsImportResult | None = None
        self.hotspot_dialog: UnmatchedHotspotsDialog | None = None
        self._workers: list[workers.Worker] = []
        inst = db.installation()
        self.tz = next((s.tz for s in stations(db) if s.uuid == inst.station_uuid),
                       "Asia/Vladivostok")

        self.season_label = QLabel()
        self.season = QComboBox()
        self.status_filter_label = QLabel()
        self.status_filter = QComboBox()
        self.new_button = QPushButton()
        self.open_button = QPushButton()
        self.delete_button = QPushButton()
        self.import_button = QPushButton()
        self.hotspots_button = QPushButton()
        filters = QHBoxLayout()
        for w in (self.season_label, self.season, self.status_filter_label, self.status_filter):
            filters.addWidget(w)
        filters.addStretch(1)
        for w in (self.new_button, self.open_button, self.delete_button, self.import_button,
                  self.hotspots_button):
            filters.addWidget(w)

        self.model = FireTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.map = FireMapView()
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.map)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([900, 480])
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.count_label)

        self.season.currentIndexChanged.connect(self.refresh)
        self.status_filter.currentIndexChanged.connect(self.refresh)
        self.new_button.clicked.connect(self.new_fire)
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button.clicked.connect(self.choose_firms)
        self.hotspots_button.clicked.connect(lambda: self.show_unmatched())
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.map.markerClicked.connect(self.select_fire)

        self._fill_filters()
        self.retranslate()
        self.refresh()

    # --- filters --------------------------------------------------------------------------

    def _fill_filters(self) -> None:
        """Seasons of the years with fires (newest first) and the statuses; keeps the choice."""
        season, status = self.season.currentData(), self.status_filter.currentData()
        for combo in (self.season, self.status_filter):
            combo.blockSignals(True)
            combo.clear()
        self.season.addItem(_("All seasons"), None)
        for year in fire_years(self.db, self.tz):
            for kind in ("autumn", "spring"):
                self.season.addItem(_(SEASON_NAMES[kind]).format(year=year), f"{year}:{kind}")
        self.status_filter.addItem(_("All statuses"), None)
        for term in vocabulary("fire_statuses"):
            self.status_filter.addItem(status_icon(term.code), term.label(current_language()),
                                       term.code)
        self.season.setCurrentIndex(max(self.season.findData(season), 0))
        self.status_filter.setCurrentIndex(max(self.status_filter.findData(status), 0))
        for combo in (self.season, self.status_filter):
            combo.blockSignals(False)

    def current_filter(self) -> FireFilter:
        season = self.season.currentData()
        year, _sep, kind = (season or "").partition(":")
        return FireFilter(Season(int(year), kind) if season else None,
                          self.status_filter.currentData() or None)

    def set_season(self, year: int, kind: str) -> None:
        index = self.season.findData(f"{year}:{kind}")
        if index < 0:
            self._fill_filters()
            index = self.season.findData(f"{year}:{kind}")
        self.season.setCurrentIndex(max(index, 0))

    def set_status(self, code: str | None) -> None:
        self.status_filter.setCurrentIndex(max(self.status_filter.findData(code), 0))

    # --- list and map ---------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected_uuid()
        self.model.set_rows(fire_list(self.db, self.current_filter(), self.tz))
        for col in range(len(COLUMNS) - 1):  # the place fills what is left, elided
            self.table.resizeColumnToContents(col)
        self.refresh_map()
        if selected:
            self.select_fire(selected)
        self.refresh_counts()

    def refresh_map(self) -> None:
        rows = self.model.rows
        self.map.set_perimeters([(r.uuid, r.perimeter, STATUS_COLOURS.get(r.fire_status,
                                                                          HOTSPOT_COLOUR))
                                 for r in rows if r.perimeter])
        self.map.set_fires([
            FireMarker(r.uuid, r.lat, r.lon,
                       f"{r.number} · {fmt.term('fire_statuses', r.fire_status)} · "
                       f"{fmt.hectares(r.area_total_ha)}",
                       STATUS_COLOURS.get(r.fire_status, "#868e96"))
            for r in rows if r.lat is not None and r.lon is not None])

    def refresh_counts(self) -> None:
        rows = self.model.rows
        n = len(rows)
        area = sum(r.area_total_ha or 0.0 for r in rows)
        text = ngettext("{n} fire report", "{n} fire reports", n).format(n=n)
        if n:
            text += " · " + _("{area} burnt in total").format(area=fmt.hectares(area))
        self.count_label.setText(text)
        unchecked = count_unchecked_hotspots(self.db)
        self.hotspots_button.setText(
            _("Hotspots to check ({n})").format(n=unchecked) if unchecked
            else _("Hotspots to check"))

    def selected_uuid(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        r = self.model.row_at(rows[0].row())
        return r.uuid if r else None

    def select_fire(self, uuid: str) -> bool:
        row = self.model.row_of(uuid)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _selection_changed(self) -> None:
        uuid = self.selected_uuid()
        self.open_button.setEnabled(uuid is not None)
        self.delete_button.setEnabled(uuid is not None)
        if uuid:
            self.map.highlight(uuid)

    def _double_clicked(self, index: QModelIndex) -> None:
        r = self.model.row_at(index.row())
        if r is not None:
            self.open_fire(r.uuid)

    # --- editors --------------------------------------------------------------------------

    def _show_editor(self, editor: FireEditor) -> FireEditor:
        editor.saved.connect(self._editor_saved)
        editor.destroyed.connect(lambda *_a: self.editors.remove(editor)
                                 if editor in self.editors else None)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editors.append(editor)
        editor.show()
        editor.raise_()
        return editor

    def _editor_saved(self, uuid: str) -> None:
        self._fill_filters()  # a fire in a new year adds its seasons
        self.refresh()
        self.select_fire(uuid)
        self.fireSaved.emit(uuid)

    def new_fire(self) -> FireEditor:
        return self._show_editor(FireEditor(self.db, new_fire(self.db)))

    def open_fire(self, uuid: str) -> FireEditor:
        for editor in self.editors:
            if editor.fire.uuid == uuid:
                editor.raise_()
                editor.activateWindow()
                return editor
        return self._show_editor(FireEditor(self.db, load_fire(self.db, uuid)))

    def open_selected(self) -> FireEditor | None:
        uuid = self.selected_uuid()
        return self.open_fire(uuid) if uuid else None

    def delete_selected(self) -> bool:
        """Delete the selected report after asking (a tombstone: it syncs as deleted)."""
        r = self.model.row_at(self.table.currentIndex().row()) if self.selected_uuid() else None
        if r is None:
            return False
        answer = QMessageBox.question(
            self, _("Delete fire report"),
            _("Delete the fire report {number}? It is removed on every station at the next "
              "sync.").format(number=r.number or fmt.datetime_short(r.detected_at, r.tz)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        for editor in [e for e in self.editors if e.fire.uuid == r.uuid]:
            editor.autosave.stop()
            editor.dirty = False
            editor.close()
        delete_fire(self.db, r.uuid)
        for draft in drafts(self.db, ENTITY):
            if draft.record_uuid == r.uuid:
                discard_draft(self.db, draft.key)
        self.refresh()
        return True

    def restore_drafts(self) -> int:
        """Open the fire reports a crash or a flat battery left unsaved; returns how many."""
        found = drafts(self.db, ENTITY)
        for draft in found:
            editor = FireEditor(self.db, fire_from_json(draft.body), draft_key=draft.key)
            editor.dirty = True
            self._show_editor(editor)
        return len(found)

    def close_editors(self) -> bool:
        """Close every open editor (each asks about unsaved changes); False if one refused."""
        return all(editor.close() for editor in list(self.editors))

    # --- FIRMS ----------------------------------------------------------------------------

    def choose_firms(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import satellite hotspots"), "", _("FIRMS CSV files (*.csv);;All files (*)"))
        if path:
            self.import_firms(Path(path))

    def import_firms(self, path: Path) -> workers.Worker:
        db = self.db

        def job(progress: Any, cancelled: Any) -> FirmsImportResult:
            return import_firms(db, path, progress=progress, cancel=cancelled)

        worker = workers.with_progress(
            self, _("Reading {name}…").format(name=path.name), workers.Worker(job))
        worker.signals.finished_ok.connect(self._firms_ready)
        worker.signals.failed.connect(self._firms_failed)
        self._workers.append(worker)
        worker.signals.done.connect(lambda: self._workers.remove(worker))
        return workers.start(worker)

    def _firms_failed(self, error: BaseException) -> None:
        if isinstance(error, ImportCancelled):
            return
        QMessageBox.warning(self, _("Could not do that"), describe(error))

    def _firms_ready(self, result: FirmsImportResult) -> None:
        self.last_import = result
        self.refresh()
        summary = _("{name}: {rows} {instrument} hotspots, {added} new, {matched} matched to "
                    "fire reports, {unmatched} to check.").format(
            name=Path(result.path).name, rows=result.rows, instrument=result.instrument,
            added=result.added, matched=result.matched, unmatched=len(result.unmatched))
        self.count_label.setText(summary)
        if result.unmatched:
            self.show_unmatched(list(result.unmatched))
        else:
            QMessageBox.information(self, _("Satellite hotspots"), summary)

    def unmatched_dialog(self, uuids: list[str] | None = None) -> UnmatchedHotspotsDialog:
        spots = unmatched_hotspots(self.db, uuids, include_checked=uuids is not None)
        return UnmatchedHotspotsDialog(self.db, spots, self.tz, self)

    def show_unmatched(self, uuids: list[str] | None = None) -> UnmatchedHotspotsDialog:
        """The list of hotspots to check (window-modal, so the import's worker is not held)."""
        if self.hotspot_dialog is not None:
            self.hotspot_dialog.close()
        dialog = self.unmatched_dialog(uuids or None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._hotspot_dialog_closed)
        self.hotspot_dialog = dialog
        dialog.open()
        return dialog

    def _hotspot_dialog_closed(self) -> None:
        self.hotspot_dialog = None
        self.refresh_counts()

    # --- language -------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.season_label.setText(_("Season"))
        self.status_filter_label.setText(_("Status"))
        self.new_button.setText(_("New fire report"))
        self.open_button.setText(_("Open"))
        self.delete_button.setText(_("Delete"))
        self.import_button.setText(_("Import FIRMS CSV…"))
        self.import_button.setToolTip(_("Satellite hotspots from NASA FIRMS (MODIS or VIIRS)"))
        self._fill_filters()
        self.model.retranslate()
        self.refresh_counts()
        self.open_button.setEnabled(self.selected_uuid() is not None)
        self.delete_button.setEnabled(self.selected_uuid() is not None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self.refresh_map()
        super().changeEvent(event)
