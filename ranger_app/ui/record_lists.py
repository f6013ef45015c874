"""Read-only lists of the record types whose editors come later (fires, feeding, cameras)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView, QVBoxLayout, QWidget

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.store import queries
from ranger_app.store.db import Database

AnyIndex = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], str]]  # (untranslated header, cell text)


class RowsModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self.columns[section][0])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[index.column()][1](self.rows[index.row()])
        return None


class RecordListPage(QWidget):
    """A table of one record type, loaded in full (these lists are hundreds, not millions)."""

    def __init__(self, load: Callable[[], list[Any]], columns: Sequence[Column],
                 count_text: Callable[[int], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.load = load
        self.count_text = count_text
        self.model = RowsModel(columns, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count_label = QLabel()
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(self.load())
        self.table.resizeColumnsToContents()
        self.retranslate()

    def retranslate(self) -> None:
        self.count_label.setText(self.count_text(self.model.rowCount()))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0,
                                          max(self.model.columnCount() - 1, 0))
        if self.model.rows:
            self.model.dataChanged.emit(self.model.index(0, 0), self.model.index(
                self.model.rowCount() - 1, self.model.columnCount() - 1))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def fires_page(db: Database) -> RecordListPage:
    return RecordListPage(
        lambda: queries.fire_rows(db),
        [(N_("Detected"), lambda r: fmt.datetime_short(r.detected_at, r.tz)),
         (N_("Number"), lambda r: r.number),
         (N_("Fire type"), lambda r: fmt.term("fire_types", r.fire_type)),
         (N_("Status"), lambda r: fmt.term("fire_statuses", r.fire_status)),
         (N_("Area"), lambda r: fmt.hectares(r.area_total_ha)),
         (N_("Locality"), lambda r: r.locality)],
        lambda n: ngettext("{n} fire report", "{n} fire reports", n).format(n=n))


def feeding_page(db: Database) -> RecordListPage:
    return RecordListPage(
        lambda: queries.feeding_site_rows(db),
        [(N_("Code"), lambda r: r.code),
         (N_("Name"), lambda r: r.name),
         (N_("Site type"), lambda r: fmt.term("feeding_site_types", r.site_type)),
         (N_("Condition"), lambda r: fmt.term("site_conditions", r.condition)),
         (N_("Visits"), lambda r: fmt.number(r.visits, 0)),
         (N_("Feed delivered"), lambda r: fmt.kilograms(r.kg_total))],
        lambda n: ngettext("{n} feeding site", "{n} feeding sites", n).format(n=n))


def camera_page(db: Database) -> RecordListPage:
    return RecordListPage(
        lambda: queries.service_visit_rows(db),
        [(N_("Visited"), lambda r: fmt.datetime_short(r.visited_at, r.tz)),
         (N_("Location"), lambda r: r.location_code),
         (N_("Camera"), lambda r: r.camera_serial),
         (N_("Visit type"), lambda r: fmt.term("service_visit_types", r.visit_type)),
         (N_("Status on arrival"), lambda r: fmt.term("camera_arrival_status",
                                                       r.arrival_status)),
         (N_("Images"), lambda r: "" if r.image_count is None else fmt.number(r.image_count, 0))],
        lambda n: ngettext("{n} service visit", "{n} service visits", n).format(n=n))
