"""Editors of a feeding site and of a feeding visit, each autosaved as a draft.

As in the patrol editor, each editor's single source of truth is a plain value
(`FeedingSiteValue`, `FeedingVisitValue`): every widget writes its field into the value as the
ranger types, `refresh_*` repaints the widgets from it (after a language switch or a restored
draft), and saving hands the value to `store.feeding`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.feeding import (
    KILL,
    KILL_ALERT_RADIUS_M,
    PAD_WIDTH_CM,
    FeedingSiteValue,
    FeedingVisitValue,
    FeedItemValue,
    PredatorSignValue,
    UngulateSignValue,
    site_to_json,
    visit_to_json,
)
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import PhotoValue
from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import _, current_language, pgettext
from ranger_app.i18n import formats as fmt
from ranger_app.store.db import Database
from ranger_app.store.feeding import camera_locations, save_site, save_visit, site_rows
from ranger_app.store.queries import people
from ranger_app.ui import workers
from ranger_app.ui.map_view import MapMarker, MapView, project, unproject
from ranger_app.ui.quarter_fill import QuarterFill
from ranger_app.ui.record_editor import THUMB, RecordEditor
from ranger_app.ui.widgets import LanguageMark, LocalDateTimeEdit, VocabCombo

DASH = "—"
SITE_DRAFT = "feeding_site"
VISIT_DRAFT = "feeding_visit"
ALERT_RED = QColor("#c92a2a")


# =========================================================================================
# small shared pieces
# =========================================================================================

def unit_text(symbol: str) -> str:
    """A unit symbol in the current language; % and °C read the same in every one."""
    if symbol == "m":
        return pgettext("unit", "m")
    return symbol if symbol in ("%", "°C") else fmt.unit(symbol)


def with_unit(label: str, symbol: str) -> str:
    return _("{label}, {unit}").format(label=label, unit=unit_text(symbol))


def kilograms(value: float | None) -> str:
    """`150.5 kg`, `30 kg`: a decimal only when there is one (feed is weighed to 0.1 kg)."""
    if value is None:
        return ""
    value = round(value, 1)
    digits = 0 if value == int(value) else 1
    return _("{value} kg").format(value=fmt.number(value, digits))


def site_title(code: str, name: str) -> str:
    return f"{code} · {name}" if name else code


def set_column_widths(table: QTableWidget, widths: Sequence[int]) -> None:
    """Each column at least as wide as asked and as its (translated) header."""
    header = table.horizontalHeader()
    for column, width in enumerate(widths):
        table.setColumnWidth(column, max(width, header.sectionSizeHint(column)))


class OptionalSpin(QSpinBox):
    """A whole-number field that may be empty: one below the range shows "—" (None)."""

    def __init__(self, low: int, high: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(low - 1, high)
        self.setSpecialValueText(DASH)
        self.setValue(low - 1)

    def value_or_none(self) -> int | None:
        return None if self.value() == self.minimum() else self.value()

    def set_value_or_none(self, value: float | None) -> None:
        self.blockSignals(True)
        self.setValue(self.minimum() if value is None else round(value))
        self.blockSignals(False)


class OptionalDoubleSpin(QDoubleSpinBox):
    """A decimal field that may be empty: its minimum shows "—" (None)."""

    def __init__(self, low: float, high: float, decimals: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(low - 10 ** -decimals, high)
        self.setSingleStep(1.0 if decimals <= 1 else 10 ** -decimals)
        self.setSpecialValueText(DASH)
        self.setValue(self.minimum())

    def value_or_none(self) -> float | None:
        return None if self.value() <= self.minimum() else round(self.value(), self.decimals())

    def set_value_or_none(self, value: float | None) -> None:
        self.blockSignals(True)
        self.setValue(self.minimum() if value is None else value)
        self.blockSignals(False)


def suffix(spin: QSpinBox | QDoubleSpinBox, symbol: str) -> None:
    spin.setSuffix(" " + unit_text(symbol))


def coordinate_text(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


class FeedingMap(MapView):
    """The map of feeding sites: a red ring of the alert radius round a site with a kill,
    and, when `picking` is on, a click sets a position (`positionPicked(lat, lon)`)."""

    positionPicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        self._alerts: list[tuple[float, float]] = []
        self._picking = False
        self._pick_press: QPoint | None = None
        super().__init__(parent)

    # --- alert rings --------------------------------------------------------------------
    def set_alert_rings(self, centres: Sequence[tuple[float, float]]) -> None:
        self._alerts = list(centres)
        self.viewport().update()

    def alert_rings(self) -> list[tuple[float, float]]:
        return list(self._alerts)

    def drawForeground(self, painter: QPainter, rect: Any) -> None:
        if self._alerts:
            painter.save()
            painter.resetTransform()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pen = QPen(ALERT_RED, 2.0, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(QColor(201, 42, 42, 18))
            scale = self.transform().m11()
            for lat, lon in self._alerts:
                centre = QPointF(self.mapFromScene(project(lat, lon)))
                # scene metres are ground metres / cos(latitude) in Web Mercator
                px = KILL_ALERT_RADIUS_M / math.cos(math.radians(lat)) * scale
                r = max(px, 14.0)
                painter.drawEllipse(centre, r, r)
            painter.restore()
        super().drawForeground(painter, rect)

    def empty_text(self) -> str:
        return _("No position yet: type one or pick it on the map") if self.is_empty() else ""

    def content_rect(self) -> QRectF | None:
        """Bounds of every marker. (MapView's own unites zero-size rects, which Qt treats
        as empty, so with markers alone it returns the first marker's point.)"""
        rect = super().content_rect() if self.tracks() else None
        points = [item.pos() for item in self.markers()]
        if not points:
            return rect
        xs, ys = [p.x() for p in points], [p.y() for p in points]
        box = QRectF(QPointF(min(xs), min(ys)), QPointF(max(xs), max(ys)))
        if rect is None:
            return box
        return QRectF(QPointF(min(box.left(), rect.left()), min(box.top(), rect.top())),
                      QPointF(max(box.right(), rect.right()),
                              max(box.bottom(), rect.bottom())))

    # --- picking a position -------------------------------------------------------------
    @property
    def picking(self) -> bool:
        return self._picking

    def set_picking(self, on: bool) -> None:
        self._picking = on
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on
                                  else Qt.CursorShape.OpenHandCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        left = event.button() == Qt.MouseButton.LeftButton
        self._pick_press = event.position().toPoint() if self._picking and left else None
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, self._pick_press = self._pick_press, None
        super().mouseReleaseEvent(event)
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position().toPoint()
        if (pos - press).manhattanLength() <= QApplication.startDragDistance():
            lat, lon = unproject(self.mapToScene(pos))
            self.positionPicked.emit(round(lat, 6), round(lon, 6))


# =========================================================================================
# the site editor
# =========================================================================================

class FeedingSiteEditor(RecordEditor):
    entity = SITE_DRAFT

    def __init__(self, db: Database, site: FeedingSiteValue, draft_key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, draft_key or f"{SITE_DRAFT}:{site.uuid or new_id()}", parent)
        self.site = site
        self.resize(1180, 720)

        self.code = QLineEdit()
        self.code.setObjectName("site_code")
        self.name = QLineEdit()
        self.site_type = VocabCombo("feeding_site_types")
        self.lat = QLineEdit()
        self.lon = QLineEdit()
        self.pick_button = QPushButton()
        self.pick_button.setCheckable(True)
        self.forest_district = QLineEdit()
        self.forest_district.setObjectName("site_forest_district")
        self.quarter = QLineEdit()
        self.quarter.setObjectName("site_quarter")
        self.quarter.setMaximumWidth(160)
        self.quarter_fill = QuarterFill(
            db, self.forest_district, self.quarter,
            lambda name, text: self.set_value(self.site, name, text), (site.lat, site.lon))
        self.capacity = OptionalSpin(0, 10_000)
        self.targets = QListWidget()
        self.condition = VocabCombo("site_conditions")
        self.camera = QComboBox()
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(90)

        self.labels = {k: QLabel() for k in ("code", "name", "type", "lat", "lon",
                                             "forest_district", "quarter", "capacity",
                                             "targets", "condition", "camera", "notes")}
        form = QFormLayout()
        form.addRow(self.labels["code"], self.code)
        form.addRow(self.labels["name"], self.name)
        form.addRow(self.labels["type"], self.site_type)
        pos = QHBoxLayout()
        pos.addWidget(self.lat, 1)
        pos.addWidget(self.labels["lon"])
        pos.addWidget(self.lon, 1)
        form.addRow(self.labels["lat"], pos)
        form.addRow("", self.pick_button)
        form.addRow(self.labels["forest_district"], self.forest_district)
        quarter_row = QHBoxLayout()
        quarter_row.addWidget(self.quarter)
        quarter_row.addWidget(self.quarter_fill.hint, 1)
        form.addRow(self.labels["quarter"], quarter_row)
        form.addRow(self.labels["capacity"], self.capacity)
        form.addRow(self.labels["targets"], self.targets)
        form.addRow(self.labels["condition"], self.condition)
        form.addRow(self.labels["camera"], self.camera)
        form.addRow(self.labels["notes"], self.notes)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addStretch(1)

        self.map = FeedingMap()
        self.map.positionPicked.connect(self._picked)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.map)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 520])

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(self.bottom_row())

        self.code.textEdited.connect(lambda t: self.set_value(self.site, "code", t.strip()))
        self.name.textEdited.connect(lambda t: self.set_value(self.site, "name", t))
        for key, edit in (("forest_district", self.forest_district), ("quarter", self.quarter)):
            edit.textEdited.connect(
                lambda t, k=key: self.set_value(self.site, k, t.strip()))
        self.site_type.currentIndexChanged.connect(
            lambda: self.set_value(self.site, "site_type", self.site_type.code()))
        self.condition.currentIndexChanged.connect(
            lambda: self.set_value(self.site, "condition", self.condition.code()))
        self.capacity.valueChanged.connect(
            lambda: self.set_value(self.site, "capacity", self.capacity.value_or_none()))
        self.lat.editingFinished.connect(lambda: self.position_edited(
            self.lat, "lat", lambda v: self._set_position("lat", v)))
        self.lon.editingFinished.connect(lambda: self.position_edited(
            self.lon, "lon", lambda v: self._set_position("lon", v)))
        self.pick_button.toggled.connect(self.map.set_picking)
        self.targets.itemChanged.connect(self._targets_changed)
        self.camera.currentIndexChanged.connect(self._camera_changed)
        self.notes.textChanged.connect(
            lambda: self.set_value(self.site, "notes", self.notes.toPlainText()))

        self.retranslate()
        self.refresh_all()

    def value(self) -> FeedingSiteValue:
        return self.site

    def draft_json(self) -> str:
        return site_to_json(self.site)

    def store(self) -> None:
        save_site(self.db, self.site)

    def close_question(self) -> str:
        return _("Save this feeding site before closing? A draft is kept either way.")

    # --- editing ------------------------------------------------------------------------
    def _set_position(self, axis: str, value: float | None) -> None:
        self.set_value(self.site, axis, value)
        self.refresh_map()
        self.quarter_fill.moved(self.site.lat, self.site.lon)

    def _picked(self, lat: float, lon: float) -> None:
        self.site.lat, self.site.lon = lat, lon
        self._loading = True
        self.lat.setText(coordinate_text(lat))
        self.lon.setText(coordinate_text(lon))
        for edit in (self.lat, self.lon):
            edit.setStyleSheet("")
            edit.setToolTip("")
        self._loading = False
        self.pick_button.setChecked(False)
        self.refresh_map()
        self.mark_dirty()
        self.quarter_fill.moved(lat, lon)

    def _targets_changed(self, _item: QListWidgetItem) -> None:
        if self._loading:
            return
        chosen = [self.targets.item(i).data(Qt.ItemDataRole.UserRole)
                  for i in range(self.targets.count())
                  if self.targets.item(i).checkState() == Qt.CheckState.Checked]
        self.set_value(self.site, "target_species", chosen)

    def _camera_changed(self) -> None:
        if not self._loading:
            self.set_value(self.site, "camera_location_uuid", self.camera.currentData() or None)
            self.refresh_map()

    # --- showing ------------------------------------------------------------------------
    def refresh_all(self) -> None:
        self._loading = True
        try:
            s = self.site
            self.setWindowTitle(_("Feeding site {code}").format(
                code=s.code or _("(new)")))
            if self.code.text() != s.code:
                self.code.setText(s.code)
            if self.name.text() != s.name:
                self.name.setText(s.name)
            for edit, text in ((self.forest_district, s.forest_district),
                               (self.quarter, s.quarter)):
                if edit.text() != text:
                    edit.setText(text)
                    edit.setCursorPosition(0)
            self.site_type.set_code(s.site_type)
            self.condition.set_code(s.condition)
            self.lat.setText(coordinate_text(s.lat))
            self.lon.setText(coordinate_text(s.lon))
            self.capacity.set_value_or_none(s.capacity)
            if self.notes.toPlainText() != s.notes:
                self.notes.setPlainText(s.notes)
            self.targets.clear()
            lang = current_language()
            for term in vocabulary("ungulate_species"):
                item = QListWidgetItem(term.label(lang))
                item.setData(Qt.ItemDataRole.UserRole, term.code)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if term.code in s.target_species
                                   else Qt.CheckState.Unchecked)
                self.targets.addItem(item)
            rows = self.targets.count()
            self.targets.setFixedHeight(self.targets.sizeHintForRow(0) * rows
                                        + 2 * self.targets.frameWidth() + 6)
            self.camera.clear()
            self.camera.addItem(DASH, "")
            for cam in camera_locations(self.db):
                self.camera.addItem(site_title(cam.code, cam.name), cam.uuid)
            self.camera.setCurrentIndex(max(self.camera.findData(
                s.camera_location_uuid or ""), 0))
        finally:
            self._loading = False
        self.refresh_map()

    def refresh_map(self) -> None:
        markers = []
        if self.site.camera_location_uuid:
            cam = next((c for c in camera_locations(self.db)
                        if c.uuid == self.site.camera_location_uuid), None)
            if cam is not None:
                markers.append(MapMarker("camera", cam.lat, cam.lon,
                                         site_title(cam.code, cam.name), "human"))
        if self.site.lat is not None and self.site.lon is not None:
            markers.append(MapMarker("site", self.site.lat, self.site.lon,
                                     site_title(self.site.code, self.site.name), "wildlife"))
        self.map.set_observations(markers)
        self.map.fit_all()

    def retranslate(self) -> None:
        texts = {"code": _("Code"), "name": _("Name"), "type": _("Site type"),
                 "lat": _("Latitude"), "lon": _("Longitude"),
                 "forest_district": _("Forest district"), "quarter": _("Forest quarter"),
                 "capacity": _("Capacity (animals)"), "targets": _("Target species"),
                 "condition": _("Condition"), "camera": _("Camera location"),
                 "notes": _("Notes")}
        for key, text in texts.items():
            self.labels[key].setText(text)
        self.code.setPlaceholderText(_("e.g. KED-FS08"))
        self.lat.setPlaceholderText(_("43.1234 or 43°07.40′"))
        self.lon.setPlaceholderText(_("131.5678 or 131°34.07′"))
        self.pick_button.setText(_("Pick the position on the map"))
        self.pick_button.setToolTip(_("Then click the map where the site is."))
        self.quarter_fill.retranslate()
        for combo in (self.site_type, self.condition):
            combo.retranslate()
        self.map.retranslate()


# =========================================================================================
# the visit editor
# =========================================================================================

class FeedingVisitEditor(RecordEditor):
    entity = VISIT_DRAFT

    FEED_COLUMNS = 2
    UNGULATE_COLUMNS = 4
    PREDATOR_COLUMNS = 8

    def __init__(self, db: Database, visit: FeedingVisitValue, draft_key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, draft_key or f"{VISIT_DRAFT}:{visit.uuid or new_id()}", parent)
        self.visit = visit
        self.resize(1240, 820)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_visit(), "")
        self.tabs.addTab(self._build_signs(), "")
        self.tabs.addTab(self._build_photos(), "")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(self.bottom_row())
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._focus_changed)

        self.retranslate()
        self.refresh_all()

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Working in a row's cell selects that row, so Remove removes the row in hand."""
        for table in (self.feed, self.ungulates, self.predators):
            row = self.row_of(table, new)
            if row >= 0:
                table.selectRow(row)
                return

    # --- building -----------------------------------------------------------------------
    def _build_visit(self) -> QWidget:
        page = QWidget()
        self.site = QComboBox()
        self.when = LocalDateTimeEdit()
        self.tz_label = QLabel()
        self.transport = VocabCombo("transports")
        self.remaining = OptionalSpin(0, 100)
        self.snow = OptionalSpin(0, 500)
        self.temp = OptionalDoubleSpin(-60, 45)
        for spin in (self.remaining, self.snow, self.temp):
            spin.setMaximumWidth(200)
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(90)
        self.notes_mark = LanguageMark(self.notes)
        self.labels = {k: QLabel() for k in ("site", "when", "transport", "remaining", "snow",
                                             "temp", "notes")}
        form = QFormLayout()
        for key, widget in (("site", self.site), ("when", self.when)):
            form.addRow(self.labels[key], widget)
        form.addRow("", self.tz_label)
        for key, widget in (("transport", self.transport), ("remaining", self.remaining),
                            ("snow", self.snow), ("temp", self.temp)):
            form.addRow(self.labels[key], widget)

        self.crew_box = QGroupBox()
        self.crew = QListWidget()
        crew_layout = QVBoxLayout(self.crew_box)
        crew_layout.addWidget(self.crew)

        top = QHBoxLayout()
        top.addLayout(form, 3)
        top.addWidget(self.crew_box, 2)

        self.feed_box = QGroupBox()
        self.feed = self._table(self.FEED_COLUMNS, stretch=False)
        self.add_feed = QPushButton()
        self.remove_feed = QPushButton()
        self.feed_total = QLabel()
        feed_layout = QVBoxLayout(self.feed_box)
        feed_layout.addWidget(self.feed, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_feed)
        row.addWidget(self.remove_feed)
        row.addStretch(1)
        row.addWidget(self.feed_total)
        feed_layout.addLayout(row)

        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.feed_box, 1)
        notes_row = QHBoxLayout()
        notes_row.addWidget(self.labels["notes"], 0, Qt.AlignmentFlag.AlignTop)
        notes_row.addWidget(self.notes, 1)
        layout.addLayout(notes_row)

        self.site.currentIndexChanged.connect(self._site_changed)
        self.when.dateTimeChanged.connect(
            lambda: self.set_value(self.visit, "visited_at", self.when.value()))
        self.transport.currentIndexChanged.connect(
            lambda: self.set_value(self.visit, "transport", self.transport.code()))
        self.remaining.valueChanged.connect(
            lambda: self.set_value(self.visit, "remaining_pct", self.remaining.value_or_none()))
        self.snow.valueChanged.connect(
            lambda: self.set_value(self.visit, "snow_depth_cm", self.snow.value_or_none()))
        self.temp.valueChanged.connect(
            lambda: self.set_value(self.visit, "temp_c", self.temp.value_or_none()))
        self.notes.textChanged.connect(self._notes_changed)
        self.crew.itemChanged.connect(self._crew_changed)
        self.add_feed.clicked.connect(self._add_feed)
        self.remove_feed.clicked.connect(lambda: self._remove_row(self.feed, self.visit.items,
                                                                  self.refresh_feed))
        return page

    def _build_signs(self) -> QWidget:
        page = QWidget()
        self.ungulate_box = QGroupBox()
        self.ungulates = self._table(self.UNGULATE_COLUMNS, stretch=False)
        self.add_ungulate = QPushButton()
        self.remove_ungulate = QPushButton()
        box = QVBoxLayout(self.ungulate_box)
        box.addWidget(self.ungulates, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_ungulate)
        row.addWidget(self.remove_ungulate)
        row.addStretch(1)
        box.addLayout(row)

        self.predator_box = QGroupBox()
        self.predators = self._table(self.PREDATOR_COLUMNS)
        self.add_predator = QPushButton()
        self.remove_predator = QPushButton()
        self.kill_hint = QLabel()
        self.kill_hint.setWordWrap(True)
        box = QVBoxLayout(self.predator_box)
        box.addWidget(self.predators, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_predator)
        row.addWidget(self.remove_predator)
        row.addStretch(1)
        box.addLayout(row)
        box.addWidget(self.kill_hint)

        layout = QVBoxLayout(page)
        layout.addWidget(self.ungulate_box, 1)
        layout.addWidget(self.predator_box, 1)

        self.add_ungulate.clicked.connect(self._add_ungulate)
        self.remove_ungulate.clicked.connect(lambda: self._remove_row(
            self.ungulates, self.visit.ungulate_signs, self.refresh_ungulates))
        self.add_predator.clicked.connect(self._add_predator)
        self.remove_predator.clicked.connect(lambda: self._remove_row(
            self.predators, self.visit.predator_signs, self.refresh_predators))
        return page

    def _build_photos(self) -> QWidget:
        page = QWidget()
        self.photos = QListWidget()
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB, THUMB))
        self.photos.setMovement(QListWidget.Movement.Static)
        self.photos.setSpacing(8)
        self.attach_button = QPushButton()
        self.remove_photo = QPushButton()
        self.attach_button.clicked.connect(self.choose_photos)
        self.remove_photo.clicked.connect(self._remove_photo)
        row = QHBoxLayout()
        row.addWidget(self.attach_button)
        row.addWidget(self.remove_photo)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.photos, 1)
        return page

    @staticmethod
    def _table(columns: int, stretch: bool = True) -> QTableWidget:
        table = QTableWidget(0, columns)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(34)
        table.horizontalHeader().setStretchLastSection(stretch)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        return table

    # --- the value behind the editor ----------------------------------------------------
    def value(self) -> FeedingVisitValue:
        return self.visit

    def draft_json(self) -> str:
        return visit_to_json(self.visit)

    def store(self) -> None:
        save_visit(self.db, self.visit)

    def close_question(self) -> str:
        return _("Save this feeding visit before closing? A draft is kept either way.")

    # --- editing the visit --------------------------------------------------------------
    def _site_changed(self) -> None:
        if not self._loading:
            self.set_value(self.visit, "site_uuid", self.site.currentData() or None)

    def _notes_changed(self) -> None:
        if not self._loading:
            self.visit.notes_lang = self.visit.notes_lang or current_language()
            self.set_value(self.visit, "notes", self.notes.toPlainText())

    def _crew_changed(self, _item: QListWidgetItem) -> None:
        if self._loading:
            return
        chosen = [self.crew.item(i).data(Qt.ItemDataRole.UserRole)
                  for i in range(self.crew.count())
                  if self.crew.item(i).checkState() == Qt.CheckState.Checked]
        # keep the order people were added in; newly ticked people go last
        crew = [p for p in self.visit.crew if p in chosen]
        crew += [p for p in chosen if p not in crew]
        self.set_value(self.visit, "crew", crew)

    @staticmethod
    def row_of(table: QTableWidget, widget: QWidget | None) -> int:
        """The row whose cell widget is (or holds) `widget`, or -1."""
        while widget is not None and widget is not table:
            for row in range(table.rowCount()):
                for col in range(table.columnCount()):
                    if table.cellWidget(row, col) is widget:
                        return row
            widget = widget.parentWidget()
        return -1

    def current_row(self, table: QTableWidget) -> int:
        """The selected row, or the row whose cell has the keyboard focus, or -1."""
        rows = table.selectionModel().selectedRows()
        return rows[0].row() if rows else self.row_of(table, QApplication.focusWidget())

    def _remove_row(self, table: QTableWidget, values: list[Any],
                    refresh: Callable[[], None]) -> None:
        row = self.current_row(table)
        if 0 <= row < len(values):
            del values[row]
            refresh()
            if values:
                table.selectRow(min(row, len(values) - 1))
            self.mark_dirty()

    def _add_feed(self) -> None:
        last = self.visit.items[-1].feed_type if self.visit.items else "HAY"
        self.visit.items.append(FeedItemValue(feed_type=last, kg=0.0))
        self.refresh_feed()
        self.feed.selectRow(len(self.visit.items) - 1)
        self.mark_dirty()

    def _add_ungulate(self) -> None:
        self.visit.ungulate_signs.append(UngulateSignValue())
        self.refresh_ungulates()
        self.ungulates.selectRow(len(self.visit.ungulate_signs) - 1)
        self.mark_dirty()

    def _add_predator(self) -> None:
        self.visit.predator_signs.append(PredatorSignValue())
        self.refresh_predators()
        self.predators.selectRow(len(self.visit.predator_signs) - 1)
        self.mark_dirty()

    def _cell_changed(self, target: Any, name: str, value: Any,
                      after: Callable[[], None] | None = None) -> None:
        if self._loading or getattr(target, name) == value:
            return
        setattr(target, name, value)
        if after is not None:
            after()
        self.mark_dirty()

    def _sign_position(self, sign: PredatorSignValue, edit: QLineEdit, axis: str) -> None:
        self.position_edited(edit, axis, lambda v: self._cell_changed(sign, axis, v))

    # --- photos -------------------------------------------------------------------------
    def attach_photos(self, paths: list[Path]) -> workers.Worker:
        """Check and store the files in a worker; add them to the visit on the GUI thread."""
        return self.import_photos(paths, self.visit.tz, self._photos_ready)

    def _photos_ready(self, photos: list[PhotoValue]) -> None:
        self.visit.photos.extend(photos)
        self.refresh_photos()
        self.mark_dirty()

    def _remove_photo(self) -> None:
        row = self.photos.currentRow()
        if 0 <= row < len(self.visit.photos):
            del self.visit.photos[row]
            self.refresh_photos()
            self.mark_dirty()

    # --- showing ------------------------------------------------------------------------
    def refresh_all(self) -> None:
        self._loading = True
        try:
            v = self.visit
            self.site.clear()
            for row in site_rows(self.db):
                self.site.addItem(site_title(row.code, row.name), row.uuid)
            if v.site_uuid and self.site.findData(v.site_uuid) < 0:
                self.site.addItem(v.site_uuid, v.site_uuid)  # a site deleted meanwhile
            self.site.setCurrentIndex(self.site.findData(v.site_uuid) if v.site_uuid else -1)
            title_site = self.site.currentText() or _("(no site)")
            self.setWindowTitle(_("Feeding visit · {site}").format(site=title_site))
            self.transport.set_code(v.transport)
            self.remaining.set_value_or_none(v.remaining_pct)
            self.snow.set_value_or_none(v.snow_depth_cm)
            self.temp.set_value_or_none(v.temp_c)
            if self.notes.toPlainText() != v.notes:
                self.notes.setPlainText(v.notes)
            self.notes_mark.show_for(v.notes_lang if v.notes else None)
            self.crew.clear()
            known = set()
            for person in people(self.db):
                known.add(person.uuid)
                self._add_crew_item(person.name, person.uuid)
            for uuid in v.crew:  # someone since made inactive stays on this visit
                if uuid not in known:
                    self._add_crew_item(uuid, uuid)
        finally:
            self._loading = False
        self.refresh_time()
        self.refresh_feed()
        self.refresh_ungulates()
        self.refresh_predators()
        self.refresh_photos()

    def _add_crew_item(self, name: str, uuid: str) -> None:
        item = QListWidgetItem(name)
        item.setData(Qt.ItemDataRole.UserRole, uuid)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if uuid in self.visit.crew
                           else Qt.CheckState.Unchecked)
        self.crew.addItem(item)

    def refresh_time(self) -> None:
        self._loading = True
        self.when.set_value(self.visit.visited_at, self.visit.tz)
        offset = datetime.now(UTC).astimezone(ZoneInfo(self.visit.tz)).strftime("%z")
        self.tz_label.setText(_("Times are local to the station: {tz} (UTC{offset})").format(
            tz=self.visit.tz, offset=f"{offset[:3]}:{offset[3:]}"))
        self._loading = False

    def refresh_feed(self) -> None:
        self._loading = True
        self.feed.setRowCount(len(self.visit.items))
        for row, item in enumerate(self.visit.items):
            kind = VocabCombo("feed_types")
            kind.set_code(item.feed_type)
            kind.currentIndexChanged.connect(
                lambda *_a, it=item, w=kind: self._cell_changed(it, "feed_type", w.code()))
            kg = QDoubleSpinBox()
            kg.setRange(0, 100_000)
            kg.setDecimals(1)
            kg.setSingleStep(5)
            suffix(kg, "kg")
            kg.setValue(item.kg)
            kg.valueChanged.connect(lambda v, it=item: self._cell_changed(
                it, "kg", round(v, 1), self._refresh_feed_total))
            self.feed.setCellWidget(row, 0, kind)
            self.feed.setCellWidget(row, 1, kg)
        set_column_widths(self.feed, (340, 170))
        self._loading = False
        self._refresh_feed_total()

    def _refresh_feed_total(self) -> None:
        self.feed_total.setText(_("Total put out: {kg}").format(
            kg=kilograms(self.visit.kg_total)) if self.visit.items else "")

    def refresh_ungulates(self) -> None:
        self._loading = True
        self.ungulates.setRowCount(len(self.visit.ungulate_signs))
        for row, sign in enumerate(self.visit.ungulate_signs):
            species = VocabCombo("ungulate_species")
            species.set_code(sign.species)
            species.currentIndexChanged.connect(
                lambda *_a, s=sign, w=species: self._cell_changed(s, "species", w.code()))
            kind = VocabCombo("ungulate_sign_types")
            kind.set_code(sign.sign_type)
            kind.currentIndexChanged.connect(
                lambda *_a, s=sign, w=kind: self._cell_changed(s, "sign_type", w.code()))
            count = OptionalSpin(0, 100_000)
            count.set_value_or_none(sign.count)
            count.valueChanged.connect(
                lambda *_a, s=sign, w=count: self._cell_changed(s, "count", w.value_or_none()))
            fresh = VocabCombo("sign_freshness", allow_empty=True)
            fresh.set_code(sign.freshness)
            fresh.currentIndexChanged.connect(
                lambda *_a, s=sign, w=fresh: self._cell_changed(s, "freshness", w.code()))
            for col, widget in enumerate((species, kind, count, fresh)):
                self.ungulates.setCellWidget(row, col, widget)
        set_column_widths(self.ungulates, (240, 240, 110, 240))
        self._loading = False

    def refresh_predators(self) -> None:
        self._loading = True
        self.predators.setRowCount(len(self.visit.predator_signs))
        for row, sign in enumerate(self.visit.predator_signs):
            species = VocabCombo("predator_species")
            species.set_code(sign.species)
            species.currentIndexChanged.connect(
                lambda *_a, s=sign, w=species: self._cell_changed(s, "species", w.code()))
            kind = VocabCombo("predator_sign_types")
            kind.set_code(sign.sign_type)
            kind.currentIndexChanged.connect(
                lambda *_a, s=sign, w=kind: self._cell_changed(s, "sign_type", w.code()))
            distance = OptionalSpin(0, 100_000)
            distance.set_value_or_none(sign.distance_m)
            distance.valueChanged.connect(lambda *_a, s=sign, w=distance: self._cell_changed(
                s, "distance_m", None if w.value_or_none() is None else float(w.value())))
            pad = OptionalDoubleSpin(0, 40)
            pad.set_value_or_none(sign.pad_width_cm)
            pad.setToolTip(_("Front pad width across its widest part, {low}–{high} cm").format(
                low=fmt.number(PAD_WIDTH_CM[0], 0), high=fmt.number(PAD_WIDTH_CM[1], 0)))
            pad.valueChanged.connect(lambda *_a, s=sign, w=pad: self._cell_changed(
                s, "pad_width_cm", w.value_or_none()))
            prey = VocabCombo("ungulate_species", allow_empty=True)
            prey.set_code(sign.prey_species)
            prey.currentIndexChanged.connect(
                lambda *_a, s=sign, w=prey: self._cell_changed(s, "prey_species", w.code()))
            lat, lon = QLineEdit(coordinate_text(sign.lat)), QLineEdit(coordinate_text(sign.lon))
            lat.setPlaceholderText(DASH)
            lon.setPlaceholderText(DASH)
            lat.editingFinished.connect(
                lambda s=sign, w=lat: self._sign_position(s, w, "lat"))
            lon.editingFinished.connect(
                lambda s=sign, w=lon: self._sign_position(s, w, "lon"))
            note = QLineEdit(sign.note)
            note.setCursorPosition(0)
            note.setToolTip(sign.note)
            note.textEdited.connect(lambda t, s=sign: self._cell_changed(s, "note", t))
            for col, widget in enumerate((species, kind, distance, pad, prey, lat, lon, note)):
                widget.setObjectName(f"predator_{row}_{col}")
                self.predators.setCellWidget(row, col, widget)
        set_column_widths(self.predators, (190, 170, 100, 100, 170, 100, 100))
        self._loading = False

    def refresh_photos(self) -> None:
        self.photos.clear()
        for photo in self.visit.photos:
            item = QListWidgetItem(photo.filename)
            thumb = self.db.media.thumbnail_path(photo.sha256, THUMB * 2)
            if thumb.exists():
                item.setIcon(QIcon(QPixmap(str(thumb))))
            item.setToolTip(photo.filename)
            self.photos.addItem(item)

    def has_kill(self) -> bool:
        return any(p.sign_type == KILL for p in self.visit.predator_signs)

    # --- language -----------------------------------------------------------------------
    def retranslate(self) -> None:
        self.tabs.setTabText(0, _("Visit and feed"))
        self.tabs.setTabText(1, _("Animal signs"))
        self.tabs.setTabText(2, _("Photos"))
        texts = {"site": _("Feeding site"), "when": _("Date and time"),
                 "transport": _("Transport"),
                 "remaining": _("Remaining from last time"),
                 "snow": _("Snow depth"), "temp": _("Air temperature"), "notes": _("Notes")}
        for key, text in texts.items():
            self.labels[key].setText(text)
        suffix(self.remaining, "%")
        suffix(self.snow, "cm")
        suffix(self.temp, "°C")
        self.crew_box.setTitle(_("Crew"))
        self.feed_box.setTitle(_("Feed put out"))
        self.feed.setHorizontalHeaderLabels([_("Feed type"), _("Weight")])
        self.add_feed.setText(_("Add feed"))
        self.remove_feed.setText(_("Remove feed"))
        self.ungulate_box.setTitle(_("Ungulate sign at the site"))
        self.ungulates.setHorizontalHeaderLabels([
            _("Species"), _("Sign"), _("Count"), _("Freshness")])
        self.add_ungulate.setText(_("Add ungulate sign"))
        self.remove_ungulate.setText(_("Remove ungulate sign"))
        self.predator_box.setTitle(_("Predator sign near the site"))
        self.predators.setHorizontalHeaderLabels([
            _("Predator"), _("Sign"), with_unit(pgettext("from the site", "Distance"), "m"),
            with_unit(_("Pad width"), "cm"), _("Prey"), _("Latitude"), _("Longitude"),
            _("Note")])
        self.add_predator.setText(_("Add predator sign"))
        self.remove_predator.setText(_("Remove predator sign"))
        self.kill_hint.setText(_(
            "A kill within {radius} of the site flags it with a kill alert in the register. "
            "Give the kill's own position if you have it; otherwise its distance from the "
            "site.").format(radius=_("{n} m").format(n=fmt.number(KILL_ALERT_RADIUS_M, 0))))
        self.attach_button.setText(_("Attach photos…"))
        self.remove_photo.setText(_("Remove photo"))
        self.transport.retranslate()
