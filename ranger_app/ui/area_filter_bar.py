""""Through: quarter 12 · Кедровое ×": the place filter above the patrol list and in the
effort report. A forest quarter is picked from the quarter layer (grouped by district,
searchable: there may be thousands), or an area is drawn on a small map.

The choice is a plain `reports.area_filter.Area`; the views compute which patrols pass
(`patrols_through`) in a worker. The filter keeps or drops whole patrols (docs/decisions.md).
"""

from __future__ import annotations

import math

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ranger_app.i18n import _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.reports.area_filter import (
    QUARTER_KIND,
    Area,
    QuarterChoice,
    drawn_area,
    quarter_choices,
)
from ranger_app.store.db import Database
from ranger_app.ui import layer_source
from ranger_app.ui.map_area_tool import AreaDrawTool
from ranger_app.ui.map_view import MapView

CHOICE_ROLE = Qt.ItemDataRole.UserRole + 1
LABEL_MAX_PX = 240  # a long district name is cut short (whole in the tool tip)
EXPAND_UP_TO = 300  # matching quarters shown opened under their districts


def describe_area(area: Area) -> str:
    """`quarter 12 · Кедровое участковое лесничество` / `the drawn area`."""
    if area.kind == "quarter":
        text = _("quarter {label}").format(label=area.label or "—")
        return f"{text} · {area.district}" if area.district else text
    return _("the drawn area")


def filter_note(area: Area) -> str:
    """What the filter means, in a sentence for the views (whole patrols, not clipped)."""
    return _("Only patrols whose track passes through {area}; their whole distance and "
             "hours count, not only the part inside.").format(area=describe_area(area))


# --- choosing a quarter ---------------------------------------------------------------------

class _QuarterFilter(QSortFilterProxyModel):
    """Every word typed must appear in the quarter's district and label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.setRecursiveFilteringEnabled(True)

    def set_text(self, text: str) -> None:
        self.words = text.casefold().split()
        self.invalidate()

    def filterAcceptsRow(self, row: int,
                         parent: QModelIndex | QPersistentModelIndex) -> bool:
        index = self.sourceModel().index(row, 0, parent)
        choice = index.data(CHOICE_ROLE)
        if choice is None:
            return not self.words  # a district row: shown for its matching quarters
        text = f"{choice.district} {choice.label}".casefold()
        return all(w in text for w in self.words)


class QuarterDialog(QDialog):
    """Search box over a tree of districts and their quarters; Enter takes the first match."""

    def __init__(self, choices: list[QuarterChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices
        self.chosen: QuarterChoice | None = None
        self.resize(420, 560)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        districts: dict[str, QStandardItem] = {}
        for choice in choices:
            name = choice.district or _("(no district)")
            parent_item = districts.get(name)
            if parent_item is None:
                parent_item = QStandardItem(name)
                parent_item.setEditable(False)
                parent_item.setSelectable(False)
                districts[name] = parent_item
                self.model.appendRow(parent_item)
            item = QStandardItem(_("Quarter {label}").format(label=choice.label or "—"))
            item.setEditable(False)
            item.setData(choice, CHOICE_ROLE)
            parent_item.appendRow(item)
        self.proxy = _QuarterFilter(self)
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView()
        self.tree.setHeaderHidden(True)
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.doubleClicked.connect(self._double_clicked)
        self.count = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._take_current)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.buttons)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._take_current)
        self.retranslate()
        self._filter("")

    def visible_choices(self) -> list[QuarterChoice]:
        out = []
        for d in range(self.proxy.rowCount()):
            parent = self.proxy.index(d, 0)
            out += [self.proxy.index(q, 0, parent).data(CHOICE_ROLE)
                    for q in range(self.proxy.rowCount(parent))]
        return out

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        shown = self.visible_choices()
        if text.strip() and len(shown) <= EXPAND_UP_TO:
            self.tree.expandAll()
        first = self._first_quarter()
        if first.isValid():
            self.tree.setCurrentIndex(first)
        self.count.setText(_("{shown} of {total} quarters").format(
            shown=fmt.number(len(shown), 0), total=fmt.number(len(self.choices), 0)))

    def _first_quarter(self) -> QModelIndex:
        for d in range(self.proxy.rowCount()):
            parent = self.proxy.index(d, 0)
            if self.proxy.rowCount(parent):
                return self.proxy.index(0, 0, parent)
        return QModelIndex()

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.data(CHOICE_ROLE) is not None:
            self.chosen = index.data(CHOICE_ROLE)
            self.accept()

    def _take_current(self) -> None:
        index = self.tree.currentIndex()
        choice = index.data(CHOICE_ROLE) if index.isValid() else None
        if choice is None:
            first = self._first_quarter()
            choice = first.data(CHOICE_ROLE) if first.isValid() else None
        if choice is not None:
            self.chosen = choice
            self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Filter by forest quarter"))
        self.search.setPlaceholderText(_("Type a quarter number or a district…"))


# --- drawing an area ------------------------------------------------------------------------

class _DrawingMap(MapView):
    """The map without its "No track yet: import a GPX file" hint: here no track is wanted.
    (A public switch on MapView would be cleaner; map_view.py is not this module's.)"""

    def _draw_empty(self, painter: object, vp: object) -> None:
        return None


class AreaDrawDialog(QDialog):
    """A map to draw the area on, with what to do written above it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.area: Area | None = None
        self.resize(900, 640)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.map = _DrawingMap()
        self.tool = AreaDrawTool(self.map)
        self.tool.finished.connect(self._closed)
        self.tool.changed.connect(self._show_state)
        self.tool.cancelled.connect(self._show_state)
        self.state = QLabel()
        self.again = QPushButton()
        self.again.clicked.connect(self.restart)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.again)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.map, 1)
        layout.addLayout(bottom)
        self.retranslate()
        self.restart()

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def restart(self) -> None:
        self.area = None
        self.tool.start()
        self._show_state()

    def _closed(self, lonlat: list[tuple[float, float]]) -> None:
        try:
            self.area = drawn_area(lonlat)
        except ValueError:
            self.area = None
        self._show_state()

    def _show_state(self) -> None:
        self.ok_button().setEnabled(self.area is not None)
        if self.area is not None:
            _w, south, _e, north = self.area.geometry.bounds
            k = math.cos(math.radians((south + north) / 2)) * 111.195 * 111.195
            self.state.setText(_("Area closed: {km2} km².").format(
                km2=fmt.number(self.area.geometry.area * k, 1)))
        elif self.tool.closed:
            self.state.setText(_("The corners lie on one line: draw the area again."))
        else:
            n = len(self.tool.corners)
            self.state.setText(ngettext("{n} corner", "{n} corners", n).format(n=n))

    def retranslate(self) -> None:
        self.setWindowTitle(_("Draw an area"))
        self.hint.setText(_("Click on the map to add corners; double-click or press Enter to "
                            "close the area. Backspace takes back the last corner, Esc drops "
                            "the area. Drag to move the map, scroll to zoom."))
        self.again.setText(_("Draw again"))
        self._show_state()


# --- the bar --------------------------------------------------------------------------------

class AreaFilterBar(QWidget):
    """A "Through…" button with a menu (quarter, drawn area) and the current choice with a
    clear button. `areaChanged(Area | None)` when the choice changes."""

    areaChanged = Signal(object)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.area: Area | None = None
        self.dialog: QDialog | None = None
        self.button = QToolButton()
        # InstantPopup draws its arrow over the text's last letter; a split button does not
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.button.clicked.connect(self.button.showMenu)
        self.menu = QMenu(self.button)
        self.quarter_action = self.menu.addAction("")
        self.draw_action = self.menu.addAction("")
        self.quarter_action.triggered.connect(self.choose_quarter)
        self.draw_action.triggered.connect(self.draw_area)
        self.button.setMenu(self.menu)
        self.label = QLabel()
        self.clear_button = QToolButton()
        self.clear_button.setText("×")
        self.clear_button.clicked.connect(lambda: self.set_area(None))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.label)
        row.addWidget(self.clear_button)
        self.retranslate()

    def set_area(self, area: Area | None) -> None:
        self.area = area
        self._show()
        self.areaChanged.emit(area)

    def set_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        self._show(busy)

    def _show(self, busy: bool = False) -> None:
        area = self.area
        text = "" if area is None else describe_area(area) + (" …" if busy else "")
        self.label.setText(self.label.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, LABEL_MAX_PX))
        self.label.setToolTip("" if area is None else
                              describe_area(area) + "\n" + filter_note(area))
        self.label.setVisible(area is not None)
        self.clear_button.setVisible(area is not None)

    def choose_quarter(self) -> QuarterDialog | None:
        layers = layer_source.layers_of_kind(self.db, QUARTER_KIND)
        choices = quarter_choices(layers)
        if not choices:
            QMessageBox.information(self, _("Filter by forest quarter"), _(
                "There is no forest-quarter layer in this database yet. HQ adds it once "
                "(ranger-app layers add FILE); it reaches the stations with the next sync."))
            return None
        dialog = QuarterDialog(choices, self)
        dialog.accepted.connect(lambda: dialog.chosen is not None
                                and self.set_area(dialog.chosen.area()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def draw_area(self) -> AreaDrawDialog:
        dialog = AreaDrawDialog(self)
        dialog.accepted.connect(lambda: dialog.area is not None and self.set_area(dialog.area))
        self.dialog = dialog
        dialog.open()
        return dialog

    def retranslate(self) -> None:
        self.button.setText(_("Through…"))
        self.button.setToolTip(_("Only patrols whose track passes through a forest quarter "
                                 "or an area drawn on the map"))
        self.quarter_action.setText(_("Forest quarter…"))
        self.draw_action.setText(_("Draw an area on the map…"))
        self.clear_button.setToolTip(_("Clear the place filter"))
        self._show()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
