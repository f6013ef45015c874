"""The fire report editor: the whole report in one window, autosaved as a draft every few seconds.

As in the patrol editor, the single source of truth is a `FireReportValue`: every widget writes
its field into it as the ranger types, and `refresh_*` methods repaint widgets from it (after
a perimeter import, a language switch or a restored draft). Saving hands the value to
`store.fires.save_fire`. The status timeline is drawn by `StatusTimeline`; the map is a
`FireMapView`, a `MapView` that also draws perimeters and lets the ranger pick the position.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QIcon,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGraphicsPolygonItem,
    QGraphicsView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import InvalidValue, RangerError
from ranger_app.domain.fires import (
    FireReportValue,
    FireStatusStepValue,
    HotspotValue,
    area_tolerance,
    fire_to_json,
)
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import PhotoValue
from ranger_app.i18n import _, babel_locale, current_language, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.io.perimeter import WalkedPerimeter, import_perimeter
from ranger_app.io.photos import make_thumbnail
from ranger_app.store.db import Database
from ranger_app.store.fires import PatrolChoice, fire_hotspots, patrol_choices, save_fire
from ranger_app.store.queries import stations
from ranger_app.ui import workers
from ranger_app.ui.map_view import MapMarker, MapView, MarkerItem, project, unproject
from ranger_app.ui.quarter_fill import QuarterFill
from ranger_app.ui.record_editor import THUMB, RecordEditor
from ranger_app.ui.widgets import LanguageMark, LocalDateTimeEdit, VocabCombo

ENTITY = "fire_report"
STATUS_COLOURS = {"ACTIVE": "#e03131", "LOCALIZED": "#f08c00", "EXTINGUISHED": "#2f9e44",
                  "MONITORED": "#1c7ed6"}
HOTSPOT_COLOUR = "#862e9c"
NEXT_STATUS = {"ACTIVE": "LOCALIZED", "LOCALIZED": "EXTINGUISHED",
               "EXTINGUISHED": "EXTINGUISHED", "MONITORED": "EXTINGUISHED"}
# A walked perimeter this much larger or smaller than the typed total is worth a second look.
AREA_MISMATCH_SHARE = 0.2


def status_colour(code: str) -> QColor:
    return QColor(STATUS_COLOURS.get(code, "#868e96"))


def status_icon(code: str, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(QColor("white"), 1.0))
    painter.setBrush(status_colour(code))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.end()
    return QIcon(pix)


def confidence_text(h: HotspotValue) -> str:
    """MODIS gives a percentage, VIIRS a class (low, nominal, high)."""
    classes = {"l": _("low"), "low": _("low"), "n": _("nominal"), "nominal": _("nominal"),
               "h": _("high"), "high": _("high")}
    code = h.confidence.strip().lower()
    if code in classes:
        return classes[code]
    return _("{n} %").format(n=code) if code else ""


def new_fire(db: Database) -> FireReportValue:
    """A fresh initial report for this station, detected now, burning."""
    inst = db.installation()
    tz = next((s.tz for s in stations(db) if s.uuid == inst.station_uuid), "Asia/Vladivostok")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return FireReportValue(station_uuid=inst.station_uuid, detected_at=now, tz=tz,
                           steps=[FireStatusStepValue("ACTIVE", now)],
                           notes_lang=current_language())


# =========================================================================================
# the map: fires as coloured dots, perimeters as outlines, hotspots; a position picked by click
# =========================================================================================

@dataclass(frozen=True)
class FireMarker:
    key: str
    lat: float
    lon: float
    label: str
    colour: str
    small: bool = False  # satellite hotspots are drawn smaller than fires


class FireMarkerItem(MarkerItem):
    def __init__(self, marker: FireMarker) -> None:
        super().__init__(MapMarker(marker.key, marker.lat, marker.lon, marker.label, "other"))
        self._colour = QColor(marker.colour)
        if marker.small:
            self.RADIUS = 4.0
            self.setZValue(5)


class FireMapView(MapView):
    """`MapView` plus perimeters (closed rings) and, in pick mode, a click that gives a place."""

    positionPicked = Signal(float, float)

    def __init__(self, empty_text: Callable[[], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._polygons: dict[str, QGraphicsPolygonItem] = {}
        self._empty = empty_text or (lambda: _("No fire with a position to show"))
        self._pick = False
        self._pick_press: QPoint | None = None

    def set_fires(self, markers: Sequence[FireMarker]) -> None:
        """Replace every marker (fires and hotspots)."""
        for item in self._markers.values():
            self._scene.removeItem(item)
        self._markers = {}
        for marker in markers:
            item = FireMarkerItem(marker)
            self._scene.addItem(item)
            self._markers[marker.key] = item
        self._content_changed()

    def set_perimeters(self, rings: Sequence[tuple[str, Sequence[tuple[float, float]], str]]
                       ) -> None:
        """Replace every perimeter: (key, ring of (lat, lon), colour)."""
        for item in self._polygons.values():
            self._scene.removeItem(item)
        self._polygons = {}
        for key, ring, colour in rings:
            if len(ring) < 3:
                continue
            item = QGraphicsPolygonItem(QPolygonF([project(lat, lon) for lat, lon in ring]))
            pen = QPen(QColor(colour), 2.0)
            pen.setCosmetic(True)
            fill = QColor(colour)
            fill.setAlpha(60)
            item.setPen(pen)
            item.setBrush(QBrush(fill))
            item.setZValue(0.5)
            self._scene.addItem(item)
            self._polygons[key] = item
        self._content_changed()

    def perimeter_keys(self) -> list[str]:
        return list(self._polygons)

    def content_rect(self) -> QRectF | None:
        rect = super().content_rect()
        for item in getattr(self, "_polygons", {}).values():
            r = item.polygon().boundingRect()
            rect = r if rect is None else rect.united(r)
        return rect

    def is_empty(self) -> bool:
        return super().is_empty() and not getattr(self, "_polygons", None)

    def empty_text(self) -> str:
        return self._empty() if self.is_empty() else ""

    # --- picking a position ----------------------------------------------------------------
    def set_pick_mode(self, on: bool) -> None:
        self._pick = on
        if on:
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
            self.viewport().unsetCursor()

    def pick_mode(self) -> bool:
        return self._pick

    def view_pos_of(self, lat: float, lon: float) -> QPoint:
        return self.mapFromScene(project(lat, lon))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._pick and event.button() == Qt.MouseButton.LeftButton:
            self._pick_press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._pick_press = self._pick_press, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position().toPoint()
        if (pos - press).manhattanLength() <= QApplication.startDragDistance():
            lat, lon = unproject(QPointF(self.mapToScene(pos)))
            self.positionPicked.emit(round(lat, 6), round(lon, 6))


# =========================================================================================
# the status timeline
# =========================================================================================

class StatusTimeline(QWidget):
    """Steps left to right, evenly spaced: a dot per status in its colour, its time and area
    below, the time between two steps on the line joining them."""

    stepClicked = Signal(int)

    DOT = 8.0
    PAD = 16.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[FireStatusStepValue] = []
        self.tz = "Asia/Vladivostok"
        self.selected: int | None = None
        self.setMinimumHeight(104)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(520, 112)

    def set_steps(self, steps: Sequence[FireStatusStepValue], tz: str) -> None:
        self.steps = list(steps)
        self.tz = tz
        self.update()

    def set_selected(self, index: int | None) -> None:
        self.selected = index
        self.update()

    def _centres(self) -> list[QPointF]:
        n = len(self.steps)
        if not n:
            return []
        width = self.width() - 2 * self.PAD
        slot = width / n
        y = self.PAD + QFontMetricsF(self._bold()).height() + self.DOT + 4
        return [QPointF(self.PAD + slot * (i + 0.5), y) for i in range(n)]

    def _bold(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _small(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        return font

    def labels(self, i: int) -> tuple[str, str, str]:
        """(status, local time, area) of step i as drawn."""
        step = self.steps[i]
        return (fmt.term("fire_statuses", step.fire_status),
                fmt.datetime_short(step.at, self.tz),
                fmt.hectares(step.area_ha) if step.area_ha is not None else "")

    def gap_label(self, i: int) -> str:
        """Time from step i-1 to step i, e.g. "+6 h 30 min"."""
        a, b = self.steps[i - 1].at, self.steps[i].at
        if a is None or b is None:
            return ""
        seconds = (b - a).total_seconds()
        if seconds < 0:
            return "−" + fmt.duration(-seconds)
        days = int(seconds // 86_400)
        if days >= 2:
            return "+" + ngettext("{n} day", "{n} days", days).format(n=days)
        return "+" + fmt.duration(seconds)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), self.palette().base())
        ink = self.palette().text().color()
        soft = QColor(ink)
        soft.setAlpha(150)
        if not self.steps:
            painter.setPen(soft)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             _("No status steps yet: add the first one below"))
            painter.end()
            return
        centres = self._centres()
        slot = (self.width() - 2 * self.PAD) / len(self.steps)
        bold, small = self._bold(), self._small()
        fm_bold, fm_small, fm = QFontMetricsF(bold), QFontMetricsF(small), QFontMetricsF(
            self.font())
        # the line, and the time between steps above it
        painter.setPen(QPen(QColor("#adb5bd"), 3.0))
        if len(centres) > 1:
            painter.drawLine(centres[0], centres[-1])
        painter.setFont(small)
        for i in range(1, len(centres)):
            text = self.gap_label(i)
            mid = (centres[i - 1] + centres[i]) / 2
            box = QRectF(mid.x() - slot / 2 + self.DOT * 2, mid.y() - fm_small.height() - 4,
                         slot - self.DOT * 4, fm_small.height())
            painter.setPen(QColor("#c92a2a") if text.startswith("−") else soft)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter,
                             fm_small.elidedText(text, Qt.TextElideMode.ElideRight, box.width()))
        for i, c in enumerate(centres):
            status, when, area = self.labels(i)
            colour = status_colour(self.steps[i].fire_status)
            if i == self.selected:
                halo = QColor(colour)
                halo.setAlpha(70)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(halo)
                painter.drawEllipse(c, self.DOT + 6, self.DOT + 6)
            painter.setPen(QPen(QColor("white"), 2.0))
            painter.setBrush(colour)
            painter.drawEllipse(c, self.DOT, self.DOT)
            left, width = c.x() - slot / 2 + 2, slot - 4
            painter.setFont(bold)
            painter.setPen(colour.darker(125))
            painter.drawText(QRectF(left, self.PAD - 6, width, fm_bold.height()),
                             Qt.AlignmentFlag.AlignCenter,
                             fm_bold.elidedText(status, Qt.TextElideMode.ElideRight, width))
            painter.setFont(self.font())
            painter.setPen(ink)
            y = c.y() + self.DOT + 6
            painter.drawText(QRectF(left, y, width, fm.height()), Qt.AlignmentFlag.AlignCenter,
                             fm.elidedText(when, Qt.TextElideMode.ElideRight, width))
            if area:
                painter.setFont(bold)
                painter.drawText(QRectF(left, y + fm.height() + 1, width, fm_bold.height()),
                                 Qt.AlignmentFlag.AlignCenter,
                                 fm_bold.elidedText(area, Qt.TextElideMode.ElideRight, width))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        for i, c in enumerate(self._centres()):
            if abs(pos.x() - c.x()) <= max(self.DOT * 2, 14) and abs(pos.y() - c.y()) <= 40:
                self.stepClicked.emit(i)
                return
        super().mousePressEvent(event)


# =========================================================================================
# a number typed in the user's language ("12,5" in Russian), or nothing
# =========================================================================================

class NumberEdit(QLineEdit):
    """An optional number: empty is None. Text that is not a number is marked, not kept."""

    valueEdited = Signal(object)  # float | int | None

    def __init__(self, integer: bool = False, digits: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.integer = integer
        self.digits = 0 if integer else digits
        self.valid = True
        self.setMaximumWidth(130)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.textEdited.connect(self._edited)

    def parse(self, text: str) -> float | int | None:
        text = text.strip().replace("\u2212", "-")
        if not text:
            return None
        try:
            value = float(parse_decimal(text, locale=babel_locale(), strict=True))
        except (NumberFormatError, ValueError):
            try:
                value = float(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
            except ValueError:
                raise InvalidValue("number", text) from None
        if not math.isfinite(value) or (self.integer and value != int(value)):
            raise InvalidValue("number", text)
        return int(value) if self.integer else value

    def _edited(self, text: str) -> None:
        try:
            value = self.parse(text)
        except InvalidValue as err:
            self._mark(False, describe(err))
            return
        self._mark(True, "")
        self.valueEdited.emit(value)

    def _mark(self, ok: bool, tip: str) -> None:
        self.valid = ok
        self.setStyleSheet("" if ok else "border: 2px solid #c92a2a;")
        self.setToolTip(tip)

    def set_value(self, value: float | None) -> None:
        self._mark(True, "")
        self.setText(self.format(value))

    def format(self, value: float | None) -> str:
        """No grouping, the language's decimal sign: what `parse` reads back."""
        if value is None:
            return ""
        pattern = "0" if self.integer else "0." + "0" * self.digits + "##"
        return format_decimal(value, format=pattern, locale=babel_locale())

    def value(self) -> float | int | None:
        try:
            return self.parse(self.text())
        except InvalidValue:
            return None


# =========================================================================================
# the editor
# =========================================================================================

class FireEditor(RecordEditor):
    entity = ENTITY

    def __init__(self, db: Database, fire: FireReportValue, draft_key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, draft_key or f"{ENTITY}:{fire.uuid or new_id()}", parent)
        self.fire = fire
        self._hotspots: list[HotspotValue] = fire_hotspots(db, fire.uuid) if fire.uuid else []
        self._last_perimeter: WalkedPerimeter | None = None
        self.resize(1320, 860)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._scrolled(self._build_report()), "")
        self.tabs.addTab(self._scrolled(self._build_status()), "")
        self.tabs.addTab(self._scrolled(self._build_forces()), "")
        self.tabs.addTab(self._build_photos(), "")
        self.map = FireMapView(lambda: _("No position yet: type it or pick it on the map"))
        self.map.positionPicked.connect(self._position_picked)
        splitter = QSplitter()
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.map)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 520])

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(self.bottom_row())

        self.retranslate()
        self.refresh_all()

    @staticmethod
    def _scrolled(page: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        return area

    # =====================================================================================
    # building
    # =====================================================================================

    def _build_report(self) -> QWidget:
        page = QWidget()
        self.number = QLineEdit()
        self.official_number = QLineEdit()
        self.station = QComboBox()
        self.report_kind = VocabCombo("fire_report_kinds")
        self.detected = LocalDateTimeEdit()
        self.start_est = LocalDateTimeEdit()
        self.tz_label = QLabel()
        self.lat = QLineEdit()
        self.lon = QLineEdit()
        self.pick_button = QPushButton()
        self.pick_button.setCheckable(True)
        self.locality = QLineEdit()
        self.forest_district = QLineEdit()
        self.quarter = QLineEdit()
        self.quarter.setMaximumWidth(160)
        self.quarter_fill = QuarterFill(self.db, self.forest_district, self.quarter, self._set,
                                        (self.fire.lat, self.fire.lon))
        quarter_row = QHBoxLayout()
        quarter_row.addWidget(self.quarter)
        quarter_row.addWidget(self.quarter_fill.hint, 1)
        self.land_category = VocabCombo("land_categories", allow_empty=True)
        self.fire_type = VocabCombo("fire_types", allow_empty=True)
        self.intensity = VocabCombo("fire_intensities", allow_empty=True)
        self.cause = VocabCombo("fire_causes")
        self.detection_source = VocabCombo("fire_detection_sources", allow_empty=True)
        self.detected_by = QLineEdit()
        self.patrol = QComboBox()
        self.patrol.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.patrol.setMinimumContentsLength(24)
        self.patrol.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.notes = QPlainTextEdit()
        self.notes_mark = LanguageMark(self.notes)
        self.notes.setMaximumHeight(90)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        keys = ("number", "official_number", "station", "report_kind", "detected", "start_est",
                "position", "locality", "forest_district", "quarter", "land_category",
                "fire_type", "intensity", "cause", "detection_source", "detected_by", "patrol",
                "notes")
        self.form_labels = {key: QLabel() for key in keys}
        position = QHBoxLayout()
        self.lon_label = QLabel()
        position.addWidget(self.lat, 1)
        position.addWidget(self.lon_label)
        position.addWidget(self.lon, 1)
        position.addWidget(self.pick_button)
        rows: list[tuple[str, Any]] = [
            ("number", self.number), ("official_number", self.official_number),
            ("station", self.station), ("report_kind", self.report_kind),
            ("detected", self.detected), ("start_est", self.start_est)]
        for key, widget in rows:
            self.form.addRow(self.form_labels[key], widget)
        self.form.addRow("", self.tz_label)
        self.form.addRow(self.form_labels["position"], position)
        for key, widget in (("locality", self.locality),
                            ("forest_district", self.forest_district),
                            ("quarter", quarter_row), ("land_category", self.land_category),
                            ("fire_type", self.fire_type), ("intensity", self.intensity),
                            ("cause", self.cause), ("detection_source", self.detection_source),
                            ("detected_by", self.detected_by), ("patrol", self.patrol),
                            ("notes", self.notes)):
            self.form.addRow(self.form_labels[key], widget)
        layout = QVBoxLayout(page)
        layout.addLayout(self.form)
        layout.addStretch(1)

        for key, edit in (("number", self.number), ("official_number", self.official_number),
                          ("locality", self.locality),
                          ("forest_district", self.forest_district), ("quarter", self.quarter),
                          ("detected_by", self.detected_by)):
            edit.textEdited.connect(lambda t, k=key: self._set(k, t.strip()))
        for key, combo in (("report_kind", self.report_kind),
                           ("land_category", self.land_category),
                           ("fire_type", self.fire_type), ("intensity", self.intensity),
                           ("cause", self.cause), ("detection_source", self.detection_source)):
            combo.currentIndexChanged.connect(lambda *_a, k=key, c=combo: self._set(k, c.code()))
        self.station.currentIndexChanged.connect(self._station_changed)
        self.detected.dateTimeChanged.connect(self._detected_changed)
        self.start_est.dateTimeChanged.connect(
            lambda: self._set("start_est_at", self.start_est.value()))
        self.lat.editingFinished.connect(lambda: self._position_edited(self.lat, "lat"))
        self.lon.editingFinished.connect(lambda: self._position_edited(self.lon, "lon"))
        self.pick_button.toggled.connect(self._pick_toggled)
        self.patrol.currentIndexChanged.connect(
            lambda: self._set("patrol_uuid", self.patrol.currentData() or None))
        self.notes.textChanged.connect(self._notes_changed)
        return page

    def _build_status(self) -> QWidget:
        page = QWidget()
        self.timeline_box = QGroupBox()
        self.timeline = StatusTimeline()
        self.timeline.stepClicked.connect(lambda i: self.steps.selectRow(i))
        self.steps = QTableWidget(0, 4)
        self.steps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps.verticalHeader().setVisible(False)
        self.steps.horizontalHeader().setStretchLastSection(True)
        self.steps.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)
        self.steps.itemSelectionChanged.connect(
            lambda: self.timeline.set_selected(self._selected_step()))
        self.add_step = QPushButton()
        self.remove_step = QPushButton()
        self.add_step.clicked.connect(self._add_step)
        self.remove_step.clicked.connect(self._remove_step)
        box = QVBoxLayout(self.timeline_box)
        box.addWidget(self.timeline)
        box.addWidget(self.steps, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_step)
        row.addWidget(self.remove_step)
        row.addStretch(1)
        box.addLayout(row)

        self.area_box = QGroupBox()
        self.area_total = NumberEdit()
        self.area_forest = NumberEdit()
        self.area_nonforest = NumberEdit()
        self.area_detection = NumberEdit()
        self.perimeter_area = QLabel()
        self.perimeter_area.setObjectName("perimeter_area")
        self.use_perimeter = QPushButton()
        self.use_perimeter.clicked.connect(self._use_perimeter_area)
        self.area_check = QLabel()
        self.area_check.setWordWrap(True)
        self.perimeter_button = QPushButton()
        self.perimeter_button.clicked.connect(self.choose_perimeter_gpx)
        self.remove_perimeter = QPushButton()
        self.remove_perimeter.clicked.connect(self._remove_perimeter)
        self.perimeter_info = QLabel()
        self.perimeter_info.setWordWrap(True)
        self.area_labels = {k: QLabel() for k in ("total", "forest", "nonforest", "detection",
                                                  "perimeter")}
        grid = QGridLayout(self.area_box)
        grid.addWidget(self.area_labels["total"], 0, 0)
        grid.addWidget(self.area_total, 0, 1)
        grid.addWidget(self.perimeter_area, 0, 2)
        grid.addWidget(self.use_perimeter, 0, 3)
        grid.addWidget(self.area_labels["forest"], 1, 0)
        grid.addWidget(self.area_forest, 1, 1)
        grid.addWidget(self.area_labels["nonforest"], 2, 0)
        grid.addWidget(self.area_nonforest, 2, 1)
        grid.addWidget(self.area_check, 1, 2, 2, 2)
        grid.addWidget(self.area_labels["detection"], 3, 0)
        grid.addWidget(self.area_detection, 3, 1)
        grid.addWidget(self.area_labels["perimeter"], 4, 0)
        buttons = QHBoxLayout()
        buttons.addWidget(self.perimeter_button)
        buttons.addWidget(self.remove_perimeter)
        buttons.addStretch(1)
        grid.addLayout(buttons, 4, 1, 1, 3)
        grid.addWidget(self.perimeter_info, 5, 1, 1, 3)
        grid.setColumnStretch(2, 1)

        self.hotspot_label = QLabel()
        self.hotspot_label.setWordWrap(True)

        for key, edit in (("area_total_ha", self.area_total), ("area_forest_ha", self.area_forest),
                          ("area_nonforest_ha", self.area_nonforest),
                          ("area_at_detection_ha", self.area_detection)):
            edit.valueEdited.connect(lambda v, k=key: self._area_edited(k, v))

        layout = QVBoxLayout(page)
        layout.addWidget(self.timeline_box)
        layout.addWidget(self.area_box)
        layout.addWidget(self.hotspot_label)
        layout.addStretch(1)
        return page

    def _build_forces(self) -> QWidget:
        page = QWidget()
        self.forces_box = QGroupBox()
        self.people = NumberEdit(integer=True)
        self.vehicles = NumberEdit(integer=True)
        self.aircraft = NumberEdit(integer=True)
        self.pumps = NumberEdit(integer=True)
        forces = QFormLayout(self.forces_box)
        self.forces_labels = {k: QLabel() for k in ("people", "vehicles", "aircraft", "pumps")}
        for key in ("people", "vehicles", "aircraft", "pumps"):
            forces.addRow(self.forces_labels[key], getattr(self, key))

        self.weather_box = QGroupBox()
        self.wind = NumberEdit()
        self.wind_dir = NumberEdit(integer=True)
        self.temperature = NumberEdit()
        self.humidity = NumberEdit(integer=True)
        weather = QFormLayout(self.weather_box)
        self.weather_labels = {k: QLabel() for k in ("wind", "wind_dir", "temperature",
                                                     "humidity")}
        for key in ("wind", "wind_dir", "temperature", "humidity"):
            weather.addRow(self.weather_labels[key], getattr(self, key))

        self.fuel_type = VocabCombo("fuel_types", allow_empty=True)
        self.wildlife = QPlainTextEdit()
        self.wildlife.setMaximumHeight(110)
        self.fuel_label = QLabel()
        self.wildlife_label = QLabel()
        other = QFormLayout()
        other.addRow(self.fuel_label, self.fuel_type)
        other.addRow(self.wildlife_label, self.wildlife)

        top = QHBoxLayout()
        top.addWidget(self.forces_box, 1)
        top.addWidget(self.weather_box, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addLayout(other)
        layout.addStretch(1)

        for key, edit in (("people", self.people), ("vehicles", self.vehicles),
                          ("aircraft", self.aircraft), ("pumps", self.pumps),
                          ("wind_ms", self.wind), ("wind_dir_deg", self.wind_dir),
                          ("temp_c", self.temperature), ("humidity_pct", self.humidity)):
            edit.valueEdited.connect(lambda v, k=key: self._set(k, v))
        self.fuel_type.currentIndexChanged.connect(
            lambda: self._set("fuel_type", self.fuel_type.code()))
        self.wildlife.textChanged.connect(self._wildlife_changed)
        return page

    def _build_photos(self) -> QWidget:
        page = QWidget()
        self.photos = QListWidget()
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB * 2, THUMB * 2))
        self.photos.setMovement(QListWidget.Movement.Static)
        self.photos.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.photos.setWordWrap(True)
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

    # =====================================================================================
    # editing: every change lands in self.fire, then autosave
    # =====================================================================================

    def number_edits(self) -> dict[str, NumberEdit]:
        return {"area_total_ha": self.area_total, "area_forest_ha": self.area_forest,
                "area_nonforest_ha": self.area_nonforest,
                "area_at_detection_ha": self.area_detection, "people": self.people,
                "vehicles": self.vehicles, "aircraft": self.aircraft, "pumps": self.pumps,
                "wind_ms": self.wind, "wind_dir_deg": self.wind_dir,
                "temp_c": self.temperature, "humidity_pct": self.humidity}

    def _set(self, name: str, value: Any) -> None:
        self.set_value(self.fire, name, value)
        if name == "number":
            self._refresh_title()

    def _notes_changed(self) -> None:
        if not self._loading:
            self.fire.notes_lang = self.fire.notes_lang or current_language()
            self._set("notes", self.notes.toPlainText())

    def _wildlife_changed(self) -> None:
        if not self._loading:
            self._set("wildlife_threat_note", self.wildlife.toPlainText())

    def _station_changed(self) -> None:
        uuid = self.station.currentData()
        if self._loading or not uuid:
            return
        self._set("station_uuid", uuid)
        tz = next((s.tz for s in stations(self.db) if s.uuid == uuid), self.fire.tz)
        self._set("tz", tz)
        self.refresh_times()

    def _detected_changed(self) -> None:
        if self._loading:
            return
        before, after = self.fire.detected_at, self.detected.value()
        first = self.fire.steps[0] if self.fire.steps else None
        self._set("detected_at", after)
        if first is not None and first.at == before and after is not None:
            first.at = after  # the first step is the detection itself: it moves along
            self.refresh_steps()
        self.refresh_patrols()

    def _area_edited(self, name: str, value: float | None) -> None:
        self._set(name, value)
        self.refresh_area_check()

    def _position_edited(self, edit: QLineEdit, axis: str) -> None:
        def apply(value: float | None) -> None:
            self._set(axis, value)
            self.refresh_map()
            self.quarter_fill.moved(self.fire.lat, self.fire.lon)

        self.position_edited(edit, axis, apply)

    def _pick_toggled(self, on: bool) -> None:
        self.map.set_pick_mode(on)
        if on:
            self.status_label.setText(_("Click the map where the fire is"))

    def _position_picked(self, lat: float, lon: float) -> None:
        if not self.map.pick_mode():
            return
        self._set("lat", lat)
        self._set("lon", lon)
        self.pick_button.setChecked(False)
        self.refresh_position()
        self.refresh_map()
        self.quarter_fill.moved(lat, lon)
        self.status_label.setText(_("Position taken from the map"))

    # --- the status timeline --------------------------------------------------------------

    def _selected_step(self) -> int | None:
        rows = self.steps.selectionModel().selectedRows()
        return rows[0].row() if rows and rows[0].row() < len(self.fire.steps) else None

    def _add_step(self) -> None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        if self.fire.steps:
            last = self.fire.steps[-1]
            status = NEXT_STATUS.get(last.fire_status, "ACTIVE")
            at = min((last.at or now) + timedelta(hours=1), now)
            area = last.area_ha
        else:
            status, at, area = "ACTIVE", self.fire.detected_at or now, self.fire.area_total_ha
        self.fire.steps.append(FireStatusStepValue(status, at, area))
        self.refresh_steps()
        self.steps.selectRow(len(self.fire.steps) - 1)
        self.mark_dirty()

    def _remove_step(self) -> None:
        index = self._selected_step()
        if index is not None:
            del self.fire.steps[index]
            self.refresh_steps()
            self.refresh_map()
            self.mark_dirty()

    def _step_widget_changed(self, row: int) -> None:
        if self._loading or row >= len(self.fire.steps):
            return
        step = self.fire.steps[row]
        status, when, area, note = (self.steps.cellWidget(row, c) for c in range(4))
        assert isinstance(status, VocabCombo) and isinstance(when, LocalDateTimeEdit)
        assert isinstance(area, NumberEdit) and isinstance(note, QLineEdit)
        step.fire_status = status.code()
        step.at = when.value()
        if area.valid:
            step.area_ha = area.value()
        step.note = note.text()
        self.timeline.set_steps(self.fire.steps, self.fire.tz)
        self.refresh_map()
        self.mark_dirty()

    # --- area and perimeter ---------------------------------------------------------------

    def _use_perimeter_area(self) -> None:
        if self.fire.perimeter_area_ha is None:
            return
        self._set("area_total_ha", round(self.fire.perimeter_area_ha, 1))
        self.refresh_areas()

    def _remove_perimeter(self) -> None:
        if not self.fire.perimeter:
            return
        self.fire.perimeter = []
        self.fire.perimeter_area_ha = None
        self.fire.attachments = [a for a in self.fire.attachments if a.kind != "gpx"]
        self._last_perimeter = None
        self.refresh_areas()
        self.refresh_map()
        self.mark_dirty()

    def choose_perimeter_gpx(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("The walk around the fire"), "", _("GPX files (*.gpx);;All files (*)"))
        if path:
            self.import_perimeter(Path(path))

    def import_perimeter(self, path: Path) -> workers.Worker:
        """Read the walk in a worker; the perimeter lands in the report on the GUI thread."""
        media = self.db.media

        def job(progress: Any, cancelled: Any) -> WalkedPerimeter:
            return import_perimeter(media, path, progress=progress, cancel=cancelled)

        worker = workers.with_progress(
            self, _("Reading {name}…").format(name=path.name), workers.Worker(job))
        worker.signals.finished_ok.connect(self._perimeter_ready)
        worker.signals.failed.connect(self.show_error)
        return self.run(worker)

    def _perimeter_ready(self, walked: WalkedPerimeter) -> None:
        self.fire.perimeter = list(walked.ring)
        self.fire.perimeter_area_ha = walked.area_ha
        self.fire.attachments = [a for a in self.fire.attachments if a.kind != "gpx"]
        if walked.source is not None:
            self.fire.attachments.append(walked.source)
        self._last_perimeter = walked
        self.refresh_areas()
        self.refresh_map()
        self.mark_dirty()
        self.status_label.setText(_("Perimeter of {area} read from {name}").format(
            area=fmt.hectares(walked.area_ha),
            name=walked.source.filename if walked.source else ""))

    # --- photos ---------------------------------------------------------------------------

    def attach_photos(self, paths: list[Path]) -> workers.Worker:
        return self.import_photos(paths, self.fire.tz, self._photos_ready)

    def _photos_ready(self, photos: list[PhotoValue]) -> None:
        self.fire.attachments.extend(photos)
        for photo in photos:  # a photo with GPS places a fire that has no position yet
            if self.fire.lat is None and photo.lat is not None and photo.lon is not None:
                self.fire.lat, self.fire.lon = photo.lat, photo.lon
                self.refresh_position()
                self.refresh_map()
                self.quarter_fill.moved(photo.lat, photo.lon)
        self.refresh_photos()
        self.mark_dirty()

    def _remove_photo(self) -> None:
        item = self.photos.currentItem()
        if item is None:
            return
        sha = item.data(Qt.ItemDataRole.UserRole)
        for a in self.fire.attachments:
            if a.kind == "photo" and a.sha256 == sha:
                self.fire.attachments.remove(a)
                break
        self.refresh_photos()
        self.mark_dirty()

    # =====================================================================================
    # saving
    # =====================================================================================

    def invalid_numbers(self) -> list[str]:
        """Labels of the number fields whose text is not a number."""
        labels = {"area_total_ha": self.area_labels["total"],
                  "area_forest_ha": self.area_labels["forest"],
                  "area_nonforest_ha": self.area_labels["nonforest"],
                  "area_at_detection_ha": self.area_labels["detection"],
                  "people": self.forces_labels["people"],
                  "vehicles": self.forces_labels["vehicles"],
                  "aircraft": self.forces_labels["aircraft"],
                  "pumps": self.forces_labels["pumps"],
                  "wind_ms": self.weather_labels["wind"],
                  "wind_dir_deg": self.weather_labels["wind_dir"],
                  "temp_c": self.weather_labels["temperature"],
                  "humidity_pct": self.weather_labels["humidity"]}
        bad = [labels[k].text() for k, e in self.number_edits().items() if not e.valid]
        for row in range(self.steps.rowCount()):
            area = self.steps.cellWidget(row, 2)
            if isinstance(area, NumberEdit) and not area.valid:
                bad.append(_("area of status step {n}").format(n=row + 1))
        return bad

    def value(self) -> FireReportValue:
        return self.fire

    def draft_json(self) -> str:
        return fire_to_json(self.fire)

    def store(self) -> None:
        save_fire(self.db, self.fire)

    def close_question(self) -> str:
        return _("Save this fire report before closing? A draft is kept either way.")

    def ready_to_save(self) -> bool:
        bad = self.invalid_numbers()
        if bad:
            QMessageBox.warning(self, _("Could not do that"), _(
                "These values are not numbers: {fields}. Correct the fields marked in red."
            ).format(fields=", ".join(bad)))
        return not bad

    # =====================================================================================
    # showing
    # =====================================================================================

    def _refresh_title(self) -> None:
        self.setWindowTitle(_("Fire report {number}").format(
            number=self.fire.number or _("(new)")))

    def refresh_all(self) -> None:
        self._loading = True
        try:
            f = self.fire
            self._refresh_title()
            for edit, text in ((self.number, f.number),
                               (self.official_number, f.official_number),
                               (self.locality, f.locality),
                               (self.forest_district, f.forest_district),
                               (self.quarter, f.quarter), (self.detected_by, f.detected_by)):
                if edit.text() != text:
                    edit.setText(text)
            self.station.clear()
            for s in stations(self.db):
                self.station.addItem(f"{s.code} · {s.name}", s.uuid)
            self.station.setCurrentIndex(max(self.station.findData(f.station_uuid), 0))
            for combo, code in ((self.report_kind, f.report_kind),
                                (self.land_category, f.land_category),
                                (self.fire_type, f.fire_type), (self.intensity, f.intensity),
                                (self.cause, f.cause),
                                (self.detection_source, f.detection_source),
                                (self.fuel_type, f.fuel_type)):
                combo.set_code(code)
            if self.notes.toPlainText() != f.notes:
                self.notes.setPlainText(f.notes)
            self.notes_mark.show_for(f.notes_lang if f.notes else None)
            if self.wildlife.toPlainText() != f.wildlife_threat_note:
                self.wildlife.setPlainText(f.wildlife_threat_note)
            for name, edit in self.number_edits().items():
                edit.set_value(getattr(f, name))
        finally:
            self._loading = False
        self.refresh_times()
        self.refresh_position()
        self.refresh_patrols()
        self.refresh_steps()
        self.refresh_areas()
        self.refresh_photos()
        self.refresh_map()

    def refresh_times(self) -> None:
        self._loading = True
        try:
            self.detected.set_value(self.fire.detected_at, self.fire.tz)
            self.start_est.set_value(self.fire.start_est_at, self.fire.tz)
            offset = datetime.now(UTC).astimezone(ZoneInfo(self.fire.tz)).strftime("%z")
            self.tz_label.setText(_("Times are local to the station: {tz} (UTC{offset})").format(
                tz=self.fire.tz, offset=f"{offset[:3]}:{offset[3:]}"))
        finally:
            self._loading = False

    def refresh_position(self) -> None:
        for edit, value in ((self.lat, self.fire.lat), (self.lon, self.fire.lon)):
            edit.setStyleSheet("")
            edit.setToolTip("")
            edit.setText("" if value is None else f"{value:.6f}")

    def _patrol_text(self, p: PatrolChoice) -> str:
        parts = [p.number or _("(no number)"), fmt.datetime_short(p.start_at, p.tz)]
        if p.leader_name:
            parts.append(p.leader_name)
        return " · ".join(parts)

    def refresh_patrols(self) -> None:
        self._loading = True
        try:
            self.patrol.clear()
            self.patrol.addItem(_("(none)"), "")
            for p in patrol_choices(self.db, self.fire.detected_at, include=self.fire.patrol_uuid):
                self.patrol.addItem(self._patrol_text(p), p.uuid)
            self.patrol.setCurrentIndex(max(self.patrol.findData(self.fire.patrol_uuid or ""), 0))
        finally:
            self._loading = False

    def refresh_steps(self) -> None:
        self._loading = True
        try:
            selected = self._selected_step()
            self.steps.setRowCount(len(self.fire.steps))
            for row, step in enumerate(self.fire.steps):
                status = VocabCombo("fire_statuses")
                status.set_code(step.fire_status)
                for code in STATUS_COLOURS:
                    status.setItemIcon(status.findData(code), status_icon(code))
                when = LocalDateTimeEdit()
                when.set_value(step.at, self.fire.tz)
                area = NumberEdit()
                area.set_value(step.area_ha)
                note = QLineEdit(step.note)
                note.setCursorPosition(0)
                note.setToolTip(step.note)
                for sig in (status.currentIndexChanged, when.dateTimeChanged,
                            area.valueEdited, note.textEdited):
                    sig.connect(lambda *_a, r=row: self._step_widget_changed(r))
                for col, widget in enumerate((status, when, area, note)):
                    self.steps.setCellWidget(row, col, widget)
            self.steps.resizeColumnsToContents()
            self.steps.horizontalHeader().setStretchLastSection(True)
            self._fit_steps_height()
            if selected is not None and selected < len(self.fire.steps):
                self.steps.selectRow(selected)
        finally:
            self._loading = False
        self.timeline.set_steps(self.fire.steps, self.fire.tz)
        self.remove_step.setEnabled(bool(self.fire.steps))

    def _fit_steps_height(self) -> None:
        """Room for the steps there are (at least three, at most eight, then a scroll bar)."""
        rows = min(max(self.steps.rowCount(), 3), 8)
        row_h = self.steps.verticalHeader().defaultSectionSize()
        if self.steps.rowCount():
            row_h = max(row_h, self.steps.rowHeight(0))
        self.steps.setFixedHeight(self.steps.horizontalHeader().sizeHint().height()
                                  + rows * row_h + 2 * self.steps.frameWidth() + 2)

    def refresh_areas(self) -> None:
        self._loading = True
        try:
            for name in ("area_total_ha", "area_forest_ha", "area_nonforest_ha",
                         "area_at_detection_ha"):
                self.number_edits()[name].set_value(getattr(self.fire, name))
        finally:
            self._loading = False
        f = self.fire
        if f.perimeter_area_ha is not None:
            self.perimeter_area.setText(_("walked perimeter: {area}").format(
                area=fmt.hectares(f.perimeter_area_ha)))
        else:
            self.perimeter_area.setText("")
        self.use_perimeter.setVisible(f.perimeter_area_ha is not None)
        self.remove_perimeter.setEnabled(bool(f.perimeter))
        self.perimeter_info.setText(self.perimeter_text())
        self.refresh_area_check()
        n = len(self._hotspots)
        self.hotspot_label.setText(ngettext(
            "{n} satellite hotspot matched to this fire.",
            "{n} satellite hotspots matched to this fire.", n).format(n=n)
            if n else "")

    def perimeter_text(self) -> str:
        f = self.fire
        if not f.perimeter:
            return _("No perimeter yet: walk round the fire with a GPS and read the file.")
        text = ngettext("Perimeter of {n} point", "Perimeter of {n} points",
                        len(f.perimeter)).format(n=len(f.perimeter))
        if self._last_perimeter is not None:
            text += " · " + _("{km} walked, ended {gap} m from the start").format(
                km=fmt.km(self._last_perimeter.length_m / 1000),
                gap=fmt.number(self._last_perimeter.gap_m, 0))
        return text

    def refresh_area_check(self) -> None:
        """A word beside the areas when the parts or the walked perimeter disagree."""
        f = self.fire
        notes = []
        total = f.area_total_ha
        parts = (f.area_forest_ha or 0.0) + (f.area_nonforest_ha or 0.0)
        if total is not None and parts > total + area_tolerance(total):
            notes.append(_("Forest and non-forest together ({parts}) exceed the total.").format(
                parts=fmt.hectares(parts)))
        if (total is not None and f.perimeter_area_ha is not None and f.perimeter_area_ha > 0
                and abs(total - f.perimeter_area_ha) > AREA_MISMATCH_SHARE * f.perimeter_area_ha):
            notes.append(_("The typed total differs from the walked perimeter by {pct} %.").format(
                pct=fmt.number(100 * (total - f.perimeter_area_ha) / f.perimeter_area_ha, 0)))
        self.area_check.setText("\n".join(notes))
        self.area_check.setStyleSheet("color: #c92a2a;" if notes else "")

    def refresh_photos(self) -> None:
        self.photos.clear()
        for photo in self.fire.photos():
            item = QListWidgetItem(photo.filename)
            item.setData(Qt.ItemDataRole.UserRole, photo.sha256)
            thumb = self.db.media.thumbnail_path(photo.sha256, THUMB * 2)
            if not thumb.exists() and self.db.media.has(photo.sha256):
                with contextlib.suppress(RangerError, OSError):
                    thumb = make_thumbnail(self.db.media, photo.sha256, THUMB * 2)
            if thumb.exists():
                item.setIcon(QIcon(QPixmap(str(thumb))))
            item.setToolTip(photo.caption or photo.filename)
            self.photos.addItem(item)
        self.remove_photo.setEnabled(bool(self.fire.photos()))
        self.tabs.setTabText(3, self._photos_tab_text())

    def _photos_tab_text(self) -> str:
        n = len(self.fire.photos())
        return _("Photos ({n})").format(n=n) if n else _("Photos")

    def refresh_map(self) -> None:
        f = self.fire
        status = f.current_status()
        markers = [FireMarker(f"hotspot-{h.uuid}", h.lat, h.lon, self._hotspot_text(h),
                              HOTSPOT_COLOUR, small=True) for h in self._hotspots]
        if f.lat is not None and f.lon is not None:
            markers.append(FireMarker("fire", f.lat, f.lon,
                                      f"{f.number} · {fmt.term('fire_statuses', status)}",
                                      STATUS_COLOURS.get(status, "#868e96")))
        self.map.set_perimeters([("fire", f.perimeter, STATUS_COLOURS.get(status, "#868e96"))]
                                if f.perimeter else [])
        self.map.set_fires(markers)

    def _hotspot_text(self, h: HotspotValue) -> str:
        return _("{instrument} hotspot {time}, confidence {confidence}").format(
            instrument=h.instrument, time=fmt.datetime_short(h.acquired_at, self.fire.tz),
            confidence=confidence_text(h))

    # --- language -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.tabs.setTabText(0, _("Report"))
        self.tabs.setTabText(1, _("Status and area"))
        self.tabs.setTabText(2, _("Forces and weather"))
        self.tabs.setTabText(3, self._photos_tab_text())
        labels = {
            "number": _("Number"), "official_number": _("Official number"),
            "station": _("Station"), "report_kind": _("Report kind"),
            "detected": _("Detected"), "start_est": _("Estimated start"),
            "position": _("Latitude"), "locality": _("Locality"),
            "forest_district": _("Forest district"), "quarter": _("Forest quarter"),
            "land_category": _("Land category"), "fire_type": _("Fire type"),
            "intensity": _("Intensity"), "cause": _("Cause"),
            "detection_source": _("Detected through"), "detected_by": _("Detected by"),
            "patrol": _("Linked patrol"), "notes": _("Notes")}
        for key, text in labels.items():
            self.form_labels[key].setText(text)
        self.lon_label.setText(_("Longitude"))
        self.number.setPlaceholderText(_("e.g. KED-2025-F03"))
        self.official_number.setPlaceholderText(_("number given by the forest fire service"))
        self.locality.setPlaceholderText(_("e.g. 2 km north of the cordon, Kedrovaya valley"))
        self.lat.setPlaceholderText(_("43.1234 or 43°07.40′"))
        self.lon.setPlaceholderText(_("131.5678 or 131°34.07′"))
        self.pick_button.setText(_("Pick on the map"))
        self.pick_button.setToolTip(_("Then click the map where the fire is"))
        self.detected_by.setPlaceholderText(_("name, or who reported it"))
        self.quarter_fill.retranslate()

        self.timeline_box.setTitle(_("Status timeline"))
        self.steps.setHorizontalHeaderLabels([_("Status"), _("Time"), _("Area, ha"), _("Note")])
        self.add_step.setText(_("Add status step"))
        self.remove_step.setText(_("Remove step"))
        self.area_box.setTitle(_("Burnt area"))
        for key, text in (("total", _("Total, ha")), ("forest", _("Forest, ha")),
                          ("nonforest", _("Non-forest, ha")),
                          ("detection", _("At detection, ha")),
                          ("perimeter", _("Perimeter"))):
            self.area_labels[key].setText(text)
        self.use_perimeter.setText(_("Use as total"))
        self.perimeter_button.setText(_("Perimeter from GPX…"))
        self.remove_perimeter.setText(_("Remove perimeter"))

        self.forces_box.setTitle(_("Forces"))
        for key, text in (("people", _("People")), ("vehicles", _("Vehicles")),
                          ("aircraft", _("Aircraft")), ("pumps", _("Pumps"))):
            self.forces_labels[key].setText(text)
        self.weather_box.setTitle(_("Weather"))
        for key, text in (("wind", _("Wind, m/s")), ("wind_dir", _("Wind from, °")),
                          ("temperature", _("Temperature, °C")),
                          ("humidity", _("Humidity, %"))):
            self.weather_labels[key].setText(text)
        self.wind_dir.setPlaceholderText(_("0 = north, 90 = east"))
        self.fuel_label.setText(_("Fuel type"))
        self.wildlife_label.setText(_("Threat to wildlife"))
        self.wildlife.setPlaceholderText(
            _("e.g. leopard core area, feeding site burnt, den sites nearby"))
        self.attach_button.setText(_("Attach photos…"))
        self.remove_photo.setText(_("Remove photo"))
        for combo in (self.report_kind, self.land_category, self.fire_type, self.intensity,
                      self.cause, self.detection_source, self.fuel_type):
            combo.retranslate()

