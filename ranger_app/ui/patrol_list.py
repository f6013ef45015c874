"""The patrol list: a lazy table model (pages of 200 rows) with sorting and filters.

The model knows the filtered row count (one COUNT on an index) so the scroll bar is honest,
and loads a page only when the view asks for one of its rows: keyset paging from the page
before when it is cached (scrolling), OFFSET otherwise (jumping to the end). A handful of
pages stay cached; the whole table is never loaded.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.records import PatrolFilter, PatrolRow
from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import N_, _, current_language, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.store.queries import PAGE_SIZE, PageCursor, PatrolListSource, stations
from ranger_app.ui.area_filter_bar import AreaFilterBar

COLUMNS: list[tuple[str, str]] = [
    ("start_at", N_("Start")),
    ("number", N_("Number")),
    ("station_code", N_("Station")),
    ("patrol_type", N_("Type")),
    ("leader_name", N_("Leader")),
    ("distance_km", N_("Distance")),
    ("observation_count", N_("Observations")),
    ("status", N_("Status")),
]
MAX_CACHED_PAGES = 40
AnyIndex = QModelIndex | QPersistentModelIndex


class PatrolTableModel(QAbstractTableModel):
    def __init__(self, source: PatrolListSource, parent: Any = None) -> None:
        super().__init__(parent)
        self.source = source
        self.filter = PatrolFilter()
        self.sort_key = "start_at"
        self.descending = True
        self._count = 0
        self._pages: OrderedDict[int, list[tuple[PatrolRow, PageCursor]]] = OrderedDict()
        self.pages_loaded = 0  # for tests and the benchmark
        self.reload()

    # --- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._count = self.source.count(self.filter)
        self.endResetModel()

    def set_filter(self, f: PatrolFilter) -> None:
        self.filter = f
        self.reload()

    def _page(self, number: int) -> list[tuple[PatrolRow, PageCursor]]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        before = self._pages.get(number - 1)
        if before and len(before) == PAGE_SIZE:
            page = self.source.page(self.filter, self.sort_key, self.descending,
                                    after=before[-1][1])
        else:
            page = self.source.page(self.filter, self.sort_key, self.descending,
                                    offset=number * PAGE_SIZE)
        self.pages_loaded += 1
        self._pages[number] = page
        while len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        return page

    def row_at(self, row: int) -> PatrolRow | None:
        if not 0 <= row < self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        i = row % PAGE_SIZE
        return page[i][0] if i < len(page) else None

    # --- Qt model -----------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section][1])
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole,
                        Qt.ItemDataRole.UserRole):
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.UserRole:
            return row.uuid
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if key in ("distance_km", "observation_count"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        return self._display(row, key)

    @staticmethod
    def _display(row: PatrolRow, key: str) -> str:
        lang = current_language()
        if key == "start_at":
            return fmt.datetime_short(row.start_at, row.tz)
        if key == "patrol_type":
            return vocabulary("patrol_types").label(row.patrol_type, lang)
        if key == "status":
            return vocabulary("record_statuses").label(row.status, lang)
        if key == "distance_km":
            return fmt.km(row.distance_km)
        if key == "observation_count":
            return fmt.number(row.observation_count, 0)
        return str(getattr(row, key))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_key = COLUMNS[column][0]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._count:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self._count - 1, len(COLUMNS) - 1))


def _day_start(d: QDate) -> datetime:
    return datetime.combine(d.toPython(), time(0), tzinfo=UTC)


class PatrolListPage(QWidget):
    """Filters above the table; double-click opens a patrol."""

    openPatrol = Signal(str)
    newPatrol = Signal()
    importGpx = Signal()
    areaApplied = Signal()  # the place filter's patrols are known and the list shows them

    def __init__(self, source: PatrolListSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.model = PatrolTableModel(source, self)

        self.use_dates = QCheckBox()
        self.date_from = QDateEdit(QDate.currentDate().addMonths(-1))
        self.date_to = QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setEnabled(False)
        self.station = QComboBox()
        self.status = QComboBox()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(180)
        self.area_bar = AreaFilterBar(source.db, self)
        self.area_uuids: frozenset[str] | None = None  # patrols through the chosen place
        self._area_generation = 0
        self.count_label = QLabel()
        self.new_button = QPushButton()
        self.import_button = QPushButton()
        self.open_button = QPushButton()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((140, 130, 70, 250, 160, 90, 100)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(self._open_index)

        filters = QHBoxLayout()
        self.dates_label = QLabel()
        self.station_label = QLabel()
        self.status_label = QLabel()
        for w in (self.use_dates, self.dates_label, self.date_from, QLabel("–"), self.date_to,
                  self.station_label, self.station, self.status_label, self.status):
            filters.addWidget(w)
        filters.addWidget(self.area_bar)
        filters.addWidget(self.search, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.use_dates.toggled.connect(self._dates_toggled)
        self.date_from.dateChanged.connect(self.apply_filter)
        self.date_to.dateChanged.connect(self.apply_filter)
        self.station.currentIndexChanged.connect(self.apply_filter)
        self.status.currentIndexChanged.connect(self.apply_filter)
        self.search.textChanged.connect(self.apply_filter)
        self.area_bar.areaChanged.connect(self._area_changed)
        self.new_button.clicked.connect(self.newPatrol)
        self.import_button.clicked.connect(self.importGpx)
        self.open_button.clicked.connect(self._open_selected)
        self.retranslate()

    # --- filters ------------------------------------------------------------------------

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply_filter()

    def current_filter(self) -> PatrolFilter:
        return PatrolFilter(
            date_from=_day_start(self.date_from.date()) if self.use_dates.isChecked() else None,
            date_to=_day_start(self.date_to.date().addDays(1))
            if self.use_dates.isChecked() else None,
            station_uuid=self.station.currentData() or None,
            status=self.status.currentData() or None,
            text=self.search.text().strip(),
            patrol_uuids=self.area_uuids,
        )

    def _area_changed(self, area: object) -> None:
        """Find the patrols through the chosen place in a worker, then filter on them."""
        from ranger_app.reports.area_filter import Area, patrols_through
        from ranger_app.ui import workers

        self._area_generation += 1
        generation = self._area_generation
        if not isinstance(area, Area):
            self.area_uuids = None
            self.area_bar.set_busy(False)
            self.apply_filter()
            self.areaApplied.emit()
            return
        db = self.source.db

        def job(progress: Any, cancelled: Any) -> frozenset[str]:
            return patrols_through(db, area.geometry, cancelled=cancelled)

        def arrived(uuids: frozenset[str]) -> None:
            if generation != self._area_generation:
                return
            self.area_uuids = uuids
            self.area_bar.set_busy(False)
            self.apply_filter()
            self.areaApplied.emit()

        worker = workers.Worker(job)
        worker.signals.finished_ok.connect(arrived)
        worker.signals.failed.connect(lambda _e: self.area_bar.set_busy(False))
        self.area_bar.set_busy(True)
        workers.start(worker)

    def apply_filter(self, *_args: object) -> None:
        self.model.set_filter(self.current_filter())
        self._update_count()

    def refresh(self) -> None:
        self.model.reload()
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(ngettext("{n} patrol", "{n} patrols", n).format(
            n=fmt.number(n, 0)))

    def _fill_combos(self) -> None:
        lang = current_language()
        for combo, items in (
            (self.station, [(s.code + " · " + s.name, s.uuid) for s in stations(self.source.db)]),
            (self.status, [(t.label(lang), t.code) for t in vocabulary("record_statuses")]),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_("All"), None)
            for text, data in items:
                combo.addItem(text, data)
            index = combo.findData(current)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    # --- opening ------------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row:
            self.openPatrol.emit(row.uuid)

    def selected_uuids(self) -> list[str]:
        """The patrols selected in the list (File › Export to SMART exports them)."""
        rows = (self.model.row_at(i.row()) for i in self.table.selectionModel().selectedRows())
        return [r.uuid for r in rows if r]

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_index(rows[0])

    # --- language -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.use_dates.setToolTip(_("Filter by date"))
        self.dates_label.setText(_("Dates"))
        self.station_label.setText(_("Station"))
        self.status_label.setText(_("Status"))
        self.search.setPlaceholderText(_("Search number, leader, notes…"))
        self.new_button.setText(_("New patrol"))
        self.import_button.setText(_("New patrol from GPX…"))
        self.open_button.setText(_("Open"))
        self.area_bar.retranslate()
        self._fill_combos()
        self.model.retranslate()
        self._update_count()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
