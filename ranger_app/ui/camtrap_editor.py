"""The service-visit editor: one visit to a camera trap, its card, its images and photos.

The editor's single source of truth is a `ServiceVisitValue`; every widget writes its field
into it as the ranger types, and `refresh_*` methods repaint widgets from it. A line under the
visit's fields says what saving will do to the deployments (close one, open the next), or why
it cannot. Saving hands the value to `store.camtraps.save_service_visit`; a draft is kept every
few seconds until then. Importing a card folder runs in a worker with a progress dialog that
can cancel; the images join the visit on the GUI thread and are written when it is saved.
When images of the card are dated outside the deployment it belongs to, a banner over the
images offers the clock offset that puts them inside (`ui.camtrap_clock`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.camtraps import (
    CAMTRAP_CATEGORIES,
    SETTING_IR,
    SETTING_MODES,
    SETTING_SENSITIVITY,
    CameraValue,
    DeploymentPlan,
    LocationValue,
    ServiceVisitValue,
    image_span,
    shift_images,
    visit_to_json,
)
from ranger_app.domain.errors import RangerError
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import PhotoValue
from ranger_app.domain.vocab import vocabulary
from ranger_app.i18n import N_, _, babel_locale, current_language, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.io.sd_import import (
    THUMB_SIZE,
    ClockFix,
    SdImport,
    card_window,
    clock_fix,
    read_sd_folder,
)
from ranger_app.store.camtraps import (
    camera_values,
    last_visit,
    location_values,
    preview_visit,
    running_deployment,
    save_service_visit,
)
from ranger_app.store.db import Database
from ranger_app.store.queries import people, stations
from ranger_app.ui import workers
from ranger_app.ui.camtrap_clock import ClockBanner
from ranger_app.ui.record_editor import RecordEditor
from ranger_app.ui.widgets import LanguageMark, LocalDateTimeEdit, VocabCombo

ICON = 96
SHOWN_IMAGES = 400  # icons built for a card of thousands: the first ones, the rest counted
NO_VALUE = -1

SETTING_LABELS = {
    "photo": N_("Photos"), "video": N_("Video"), "photo+video": N_("Photos and video"),
    "low": N_("Low"), "normal": N_("Normal"), "high": N_("High"),
    "low_glow": N_("Low glow"), "no_glow": N_("No glow (black LEDs)"),
    "white_flash": N_("White flash"),
}
SKIP_REASONS = {
    "not_image": N_("not an image"), "damaged": N_("damaged"),
    "too_large": N_("too many pixels"), "unreadable": N_("unreadable"),
    "duplicate": N_("duplicate"),
}


def new_visit(db: Database, location: LocationValue | None = None) -> ServiceVisitValue:
    """A fresh visit now, by the signed-in ranger, at `location` if given."""
    inst = db.installation()
    tz = location.tz if location else next(
        (s.tz for s in stations(db) if s.uuid == inst.station_uuid), "Asia/Vladivostok")
    visit = ServiceVisitValue(
        location_uuid=location.uuid if location else None, tz=tz,
        visited_at=datetime.now(UTC).replace(second=0, microsecond=0),
        crew=[inst.user_uuid] if inst.user_uuid else [], notes_lang=current_language())
    if location is not None and location.uuid:
        last = last_visit(db, location.uuid)
        if last is not None:  # settings and batteries rarely change between visits
            visit.settings = dict(last.settings)
            visit.battery_type = last.battery_type
        running = running_deployment(db, location.uuid)
        if running is None:
            visit.visit_type = "DEPLOY"
        else:
            visit.camera_uuid = running.camera_uuid
    return visit


def _spin(low: int, high: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSpecialValueText("—")
    if suffix:
        spin.setSuffix(suffix)
    return spin


def _dspin(low: float, high: float, decimals: int = 1) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSpecialValueText("—")
    return spin


class ServiceVisitEditor(RecordEditor):
    entity = "service_visit"

    def __init__(self, db: Database, visit: ServiceVisitValue, draft_key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, draft_key or f"service_visit:{visit.uuid or new_id()}", parent)
        self.visit = visit
        self.last_import: SdImport | None = None
        self.plan: DeploymentPlan | None = None
        self.locations: list[LocationValue] = []
        self.cameras: list[CameraValue] = []
        self.resize(1100, 780)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._scrolled(self._build_visit()), "")
        self.tabs.addTab(self._scrolled(self._build_camera()), "")
        self.tabs.addTab(self._build_images(), "")

        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setObjectName("deploymentOutcome")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(self.bottom_row())

        self.retranslate()
        self.refresh_all()

    @staticmethod
    def _scrolled(page: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(page)
        return area

    # =====================================================================================
    # building
    # =====================================================================================

    def _build_visit(self) -> QWidget:
        page = QWidget()
        self.location = QComboBox()
        self.camera = QComboBox()
        self.visit_type = VocabCombo("service_visit_types")
        self.visited_at = LocalDateTimeEdit()
        self.tz_label = QLabel()
        self.arrival = VocabCombo("camera_arrival_status")
        self.replacement = QComboBox()
        self.labels: dict[str, QLabel] = {}

        def row(form: QFormLayout, key: str, widget: QWidget | Any) -> None:
            self.labels[key] = QLabel()
            form.addRow(self.labels[key], widget)

        self.visit_box = QGroupBox()
        form = QFormLayout(self.visit_box)
        row(form, "location", self.location)
        row(form, "camera", self.camera)
        row(form, "visit_type", self.visit_type)
        row(form, "visited_at", self.visited_at)
        form.addRow("", self.tz_label)
        row(form, "arrival", self.arrival)
        row(form, "replacement", self.replacement)

        self.crew_box = QGroupBox()
        self.crew = QListWidget()
        self.crew.setMinimumHeight(110)
        QVBoxLayout(self.crew_box).addWidget(self.crew)

        self.actions_box = QGroupBox()
        grid = QGridLayout(self.actions_box)
        self.action_boxes: dict[str, QCheckBox] = {}
        for i, term in enumerate(vocabulary("camera_actions")):
            box = QCheckBox()
            box.setObjectName(f"action_{term.code}")
            box.toggled.connect(lambda on, code=term.code: self._action_toggled(code, on))
            self.action_boxes[term.code] = box
            grid.addWidget(box, i // 2, i % 2)
        self.walk_test = QCheckBox()
        grid.addWidget(self.walk_test, (len(self.action_boxes) + 1) // 2, 0, 1, 2)

        self.theft_box = QGroupBox()
        theft_form = QFormLayout(self.theft_box)
        self.theft_note = QPlainTextEdit()
        self.theft_note.setMaximumHeight(60)
        self.police_report = QLineEdit()
        row(theft_form, "theft_note", self.theft_note)
        row(theft_form, "police_report", self.police_report)

        self.notes_box = QGroupBox()
        self.notes = QPlainTextEdit()
        self.notes_mark = LanguageMark(self.notes)
        self.notes.setMaximumHeight(70)
        QVBoxLayout(self.notes_box).addWidget(self.notes)

        left = QVBoxLayout()
        left.addWidget(self.visit_box)
        left.addWidget(self.crew_box, 1)
        right = QVBoxLayout()
        right.addWidget(self.actions_box)
        right.addWidget(self.theft_box)
        right.addWidget(self.notes_box)
        right.addStretch(1)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        self.location.currentIndexChanged.connect(self._location_changed)
        self.camera.currentIndexChanged.connect(
            lambda: self._set("camera_uuid", self.camera.currentData() or None, preview=True))
        self.replacement.currentIndexChanged.connect(
            lambda: self._set("replacement_camera_uuid", self.replacement.currentData() or None,
                              preview=True))
        self.visit_type.currentIndexChanged.connect(
            lambda: self._set("visit_type", self.visit_type.code(), preview=True))
        self.arrival.currentIndexChanged.connect(
            lambda: self._set("arrival_status", self.arrival.code(), preview=True))
        self.visited_at.dateTimeChanged.connect(
            lambda: self._set("visited_at", self.visited_at.value(), preview=True))
        self.crew.itemChanged.connect(self._crew_changed)
        self.walk_test.toggled.connect(lambda on: self._set("walk_test", on))
        self.theft_note.textChanged.connect(
            lambda: self._set("theft_note", self.theft_note.toPlainText()))
        self.police_report.textEdited.connect(lambda t: self._set("police_report", t))
        self.notes.textChanged.connect(self._notes_changed)
        return page

    def _build_camera(self) -> QWidget:
        page = QWidget()

        def row(form: QFormLayout, key: str, widget: QWidget | Any) -> None:
            self.labels[key] = QLabel()
            form.addRow(self.labels[key], widget)

        self.power_box = QGroupBox()
        power = QFormLayout(self.power_box)
        self.battery_pct = _spin(NO_VALUE, 100, " %")
        self.battery_type = VocabCombo("battery_types", allow_empty=True)
        self.batteries_replaced = QCheckBox()
        row(power, "battery_pct", self.battery_pct)
        row(power, "battery_type", self.battery_type)
        power.addRow("", self.batteries_replaced)

        self.card_box = QGroupBox()
        card = QFormLayout(self.card_box)
        self.sd_removed = QLineEdit()
        self.sd_inserted = QLineEdit()
        self.image_count = _spin(NO_VALUE, 10_000_000)
        self.first_image = LocalDateTimeEdit()
        self.last_image = LocalDateTimeEdit()
        row(card, "sd_removed", self.sd_removed)
        row(card, "sd_inserted", self.sd_inserted)
        row(card, "image_count", self.image_count)
        row(card, "first_image", self.first_image)
        row(card, "last_image", self.last_image)

        self.clock_box = QGroupBox()
        clock = QFormLayout(self.clock_box)
        self.clock_offset = _spin(-400_000_000, 400_000_000)
        self.camera_clock = LocalDateTimeEdit()
        self.camera_clock.setObjectName("cameraClock")
        self.clock_reset = QCheckBox()
        self.clock_hint = QLabel()
        self.clock_hint.setWordWrap(True)
        row(clock, "clock_offset", self.clock_offset)
        row(clock, "camera_clock", self.camera_clock)
        clock.addRow("", self.clock_reset)
        clock.addRow(self.clock_hint)

        self.settings_box = QGroupBox()
        settings = QFormLayout(self.settings_box)
        self.setting_mode = QComboBox()
        self.setting_sensitivity = QComboBox()
        self.setting_ir = QComboBox()
        self.setting_burst = _spin(0, 30)
        self.setting_delay = _spin(NO_VALUE, 86_400)
        self.setting_height = _dspin(-0.1, 20.0, 2)
        self.setting_heading = _spin(NO_VALUE, 360)
        self.setting_tilt = _spin(-91, 90)
        self.setting_distance = _dspin(-0.1, 200.0, 1)
        self.setting_widgets: dict[str, QWidget] = {
            "mode": self.setting_mode, "burst": self.setting_burst,
            "delay_s": self.setting_delay, "sensitivity": self.setting_sensitivity,
            "ir": self.setting_ir, "height_m": self.setting_height,
            "heading_deg": self.setting_heading, "tilt_deg": self.setting_tilt,
            "detection_distance_m": self.setting_distance,
        }
        for key, widget in self.setting_widgets.items():
            widget.setObjectName(f"setting_{key}")
            row(settings, f"setting_{key}", widget)

        left = QVBoxLayout()
        left.addWidget(self.power_box)
        left.addWidget(self.card_box)
        left.addWidget(self.clock_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.settings_box)
        right.addStretch(1)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        self.battery_pct.valueChanged.connect(
            lambda v: self._set("battery_pct", None if v == NO_VALUE else v))
        self.battery_type.currentIndexChanged.connect(
            lambda: self._set("battery_type", self.battery_type.code()))
        self.batteries_replaced.toggled.connect(
            lambda on: self._set("batteries_replaced", on, preview=True))
        self.sd_removed.textEdited.connect(lambda t: self._set("sd_removed", t, preview=True))
        self.sd_inserted.textEdited.connect(lambda t: self._set("sd_inserted", t, preview=True))
        self.image_count.valueChanged.connect(
            lambda v: self._set("image_count", None if v == NO_VALUE else v))
        self.first_image.dateTimeChanged.connect(
            lambda: self._set("first_image_at", self.first_image.value()))
        self.last_image.dateTimeChanged.connect(
            lambda: self._set("last_image_at", self.last_image.value(), preview=True))
        self.clock_offset.valueChanged.connect(self._offset_changed)
        self.camera_clock.dateTimeChanged.connect(self._camera_clock_read)
        self.clock_reset.toggled.connect(lambda on: self._set("clock_reset", on, preview=True))
        for combo in (self.setting_mode, self.setting_sensitivity, self.setting_ir):
            combo.currentIndexChanged.connect(self._settings_changed)
        for spin in (self.setting_burst, self.setting_delay, self.setting_height,
                     self.setting_heading, self.setting_tilt, self.setting_distance):
            spin.valueChanged.connect(self._settings_changed)
        return page

    def _build_images(self) -> QWidget:
        page = QWidget()
        self.import_button = QPushButton()
        self.import_button.clicked.connect(self.choose_card_folder)
        self.images_summary = QLabel()
        self.images_summary.setWordWrap(True)
        self.clock_banner = ClockBanner()
        self.clock_banner.correct.connect(self.clock_offset.setValue)  # moves the images
        self.clock_banner.keep.connect(self._clock_kept)
        self.images = QListWidget()
        self.images.setViewMode(QListWidget.ViewMode.IconMode)
        self.images.setIconSize(QSize(ICON, ICON))
        self.images.setGridSize(QSize(ICON + 76, ICON + 60))
        self.images.setWordWrap(True)
        self.images.setMovement(QListWidget.Movement.Static)
        self.images.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.images.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.classify_label = QLabel()
        self.classify = QComboBox()
        self.classify_button = QPushButton()
        self.classify_button.clicked.connect(self._classify_selected)
        self.skipped_label = QLabel()
        self.skipped = QListWidget()
        self.skipped.setMaximumHeight(110)

        self.photos_label = QLabel()
        self.photos = QListWidget()
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(ICON, ICON))
        self.photos.setMaximumHeight(ICON + 40)
        self.photos.setMovement(QListWidget.Movement.Static)
        self.attach_button = QPushButton()
        self.attach_button.clicked.connect(self.choose_photos)

        top = QHBoxLayout()
        top.addWidget(self.import_button)
        top.addWidget(self.images_summary, 1)
        classify = QHBoxLayout()
        classify.addWidget(self.classify_label)
        classify.addWidget(self.classify, 1)
        classify.addWidget(self.classify_button)
        photos_row = QHBoxLayout()
        photos_row.addWidget(self.photos_label)
        photos_row.addStretch(1)
        photos_row.addWidget(self.attach_button)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.clock_banner)
        layout.addWidget(self.images, 3)
        layout.addLayout(classify)
        layout.addWidget(self.skipped_label)
        layout.addWidget(self.skipped)
        layout.addLayout(photos_row)
        layout.addWidget(self.photos)
        return page

    # =====================================================================================
    # editing: every change lands in self.visit
    # =====================================================================================

    def mark_dirty(self) -> None:
        was_clean = not self.dirty
        super().mark_dirty()
        if was_clean and self.dirty and self.visit.uuid:
            self.refresh_outcome()  # from what the visit did to what saving will do

    def _set(self, field: str, value: Any, preview: bool = False) -> None:
        if self._loading or getattr(self.visit, field) == value:
            return
        self.set_value(self.visit, field, value)
        if preview:
            self.refresh_outcome()

    def _notes_changed(self) -> None:
        if not self._loading:
            self.visit.notes_lang = self.visit.notes_lang or current_language()
            self._set("notes", self.notes.toPlainText())

    def _location_changed(self) -> None:
        uuid = self.location.currentData()
        if self._loading or not uuid or uuid == self.visit.location_uuid:
            return
        loc = next(loc for loc in self.locations if loc.uuid == uuid)
        self.visit.location_uuid = uuid
        self.visit.tz = loc.tz
        if not self.visit.uuid:
            running = running_deployment(self.db, uuid)
            self.visit.camera_uuid = running.camera_uuid if running else None
            if running is None:
                self.visit.visit_type = "DEPLOY"
            elif self.visit.visit_type == "DEPLOY":
                self.visit.visit_type = "SERVICE"
        self.mark_dirty()
        self.refresh_all()

    def _crew_changed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        person = item.data(Qt.ItemDataRole.UserRole)
        checked = item.checkState() == Qt.CheckState.Checked
        crew = [p for p in self.visit.crew if p != person] + ([person] if checked else [])
        self._set("crew", crew)

    def _action_toggled(self, code: str, on: bool) -> None:
        if self._loading:
            return
        actions = [a for a in self.visit.actions if a != code] + ([code] if on else [])
        order = vocabulary("camera_actions").codes()
        self._set("actions", sorted(actions, key=order.index), preview=True)

    def _offset_changed(self, value: int) -> None:
        if self._loading:
            return
        new = None if value == self.clock_offset.minimum() else value
        old = self.visit.clock_offset_s
        if new == old:
            return
        shift_images(self.visit, old, new)  # imported image times follow the offset
        self.visit.clock_offset_s = new
        self.mark_dirty()
        self.refresh_card()
        self.refresh_images()
        self.refresh_outcome()
        if self.clock_banner.isVisibleTo(self):
            self.check_clock()  # typed by hand: the banner follows (and goes when all fit)

    def _camera_clock_read(self) -> None:
        """The time the camera showed at the visit gives the offset (camera minus true)."""
        shown = self.camera_clock.value()
        if self._loading or shown is None or self.visit.visited_at is None:
            return
        offset = round((shown - self.visit.visited_at).total_seconds())
        self.clock_offset.setValue(offset)

    def _settings_changed(self) -> None:
        if self._loading:
            return
        values: dict[str, Any] = {}
        for key in ("mode", "sensitivity", "ir"):
            combo = self.setting_widgets[key]
            assert isinstance(combo, QComboBox)
            if combo.currentData():
                values[key] = combo.currentData()
        for key in ("burst", "delay_s", "heading_deg", "tilt_deg"):
            spin = self.setting_widgets[key]
            assert isinstance(spin, QSpinBox)
            if spin.value() != spin.minimum():
                values[key] = spin.value()
        for key in ("height_m", "detection_distance_m"):
            dspin = self.setting_widgets[key]
            assert isinstance(dspin, QDoubleSpinBox)
            if dspin.value() != dspin.minimum():
                values[key] = round(dspin.value(), 2)
        other = {k: v for k, v in self.visit.settings.items() if k not in self.setting_widgets}
        self._set("settings", other | values)

    def _classify_selected(self) -> None:
        code = self.classify.currentData() or ""
        rows = sorted(self.images.row(item) for item in self.images.selectedItems())
        if not rows:
            return
        for row in rows:
            self.visit.images[row].caption = code
            self.images.item(row).setText(self._image_text(self.visit.images[row]))
        self.mark_dirty()

    # --- the card -----------------------------------------------------------------------

    def choose_card_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Choose the memory card folder"))
        if folder:
            self.import_card(Path(folder))

    def import_card(self, folder: Path) -> workers.Worker:
        """Read the card in a worker; the images join the visit when it is done."""
        media, tz, offset = self.db.media, self.visit.tz, self.visit.clock_offset_s
        known = {image.sha256 for image in self.visit.images}

        def job(progress: Any, cancelled: Any) -> SdImport:
            return read_sd_folder(media, folder, tz, offset, known=known, progress=progress,
                                  cancel=cancelled)

        worker = workers.with_progress(
            self, _("Importing images from {folder}…").format(folder=folder.name or str(folder)),
            workers.Worker(job), title=_("Import SD card folder"))
        worker.signals.finished_ok.connect(self._card_ready)
        worker.signals.failed.connect(self.show_error)
        self.import_button.setEnabled(False)
        worker.signals.done.connect(lambda: self.import_button.setEnabled(True))
        return self.run(worker)

    def _card_ready(self, result: SdImport) -> None:
        self.last_import = result
        if result.cancelled:
            self.status_label.setText(_("Import cancelled: no image was added."))
            self.refresh_images()
            return
        self.visit.images.extend(result.images)
        first, last, count = image_span(self.visit.images)
        self.visit.first_image_at, self.visit.last_image_at = first, last
        self.visit.image_count = count
        self.mark_dirty()
        self.refresh_card()
        self.refresh_images()
        self.refresh_outcome()
        result.clock = self.check_clock()
        self.tabs.setCurrentIndex(2)
        self.status_label.setText(ngettext(
            "{n} image imported", "{n} images imported", result.count).format(n=result.count)
            + (" · " + ngettext("{n} file skipped", "{n} files skipped",
                                len(result.skipped)).format(n=len(result.skipped))
               if result.skipped else ""))

    def check_clock(self) -> ClockFix | None:
        """Images (earlier and new) dated outside the deployment the card belongs to.

        Worked out on the GUI thread once the images joined the visit, from the visit as it
        stands then (its time and clock offset may have been edited during the import); a
        visit that opens the first deployment has no window, so no banner.
        """
        window = card_window(self.db, replace(self.visit, images=[], photos=[]))
        fix = None if window is None else clock_fix(self.visit.images, *window,
                                                    self.visit.clock_offset_s)
        self.clock_banner.show_fix(fix, self.visit.tz)
        return fix

    def _clock_kept(self) -> None:
        self.status_label.setText(_(
            "Image times kept: the export flags the images outside the deployment."))

    # --- photos of the site -------------------------------------------------------------

    def attach_photos(self, paths: list[Path]) -> workers.Worker:
        return self.import_photos(paths, self.visit.tz, self._photos_ready)

    def _photos_ready(self, photos: list[PhotoValue]) -> None:
        self.visit.photos.extend(photos)
        self.refresh_photos()
        self.mark_dirty()

    # =====================================================================================
    # saving
    # =====================================================================================

    def value(self) -> ServiceVisitValue:
        return self.visit

    def draft_json(self) -> str:
        return visit_to_json(self.visit)

    def store(self) -> None:
        save_service_visit(self.db, self.visit)

    def close_question(self) -> str:
        return _("Save this visit before closing? A draft is kept either way.")

    # =====================================================================================
    # showing
    # =====================================================================================

    def refresh_all(self) -> None:
        self._loading = True
        try:
            v = self.visit
            self.locations = location_values(self.db)
            self.cameras = camera_values(self.db)
            loc = next((x for x in self.locations if x.uuid == v.location_uuid), None)
            self.setWindowTitle(_("Camera visit {location} · {time}").format(
                location=loc.code if loc else "—",
                time=fmt.datetime_short(v.visited_at, v.tz)))
            self.location.clear()
            for x in self.locations:
                self.location.addItem(f"{x.code} · {x.name}" if x.name else x.code, x.uuid)
            self.location.setCurrentIndex(self.location.findData(v.location_uuid))
            self._fill_cameras(self.camera, v.camera_uuid, with_empty=False)
            self._fill_cameras(self.replacement, v.replacement_camera_uuid, with_empty=True)
            self.visit_type.set_code(v.visit_type)
            self.arrival.set_code(v.arrival_status)
            self.walk_test.setChecked(v.walk_test)
            for code, box in self.action_boxes.items():
                box.setChecked(code in v.actions)
            if self.theft_note.toPlainText() != v.theft_note:
                self.theft_note.setPlainText(v.theft_note)
            self.police_report.setText(v.police_report)
            if self.notes.toPlainText() != v.notes:
                self.notes.setPlainText(v.notes)
            self.notes_mark.show_for(v.notes_lang if v.notes else None)
            self._fill_crew()
        finally:
            self._loading = False
        self.refresh_times()
        self.refresh_card()
        self.refresh_settings()
        self.refresh_images()
        self.refresh_photos()
        self.refresh_outcome()

    def _fill_cameras(self, combo: QComboBox, chosen: str | None, with_empty: bool) -> None:
        combo.clear()
        if with_empty or not chosen:
            combo.addItem("—", "")
        for cam in self.cameras:
            model = " ".join(p for p in (cam.make, cam.model) if p)
            state = fmt.term("camera_states", cam.state)
            text = f"{cam.serial} · {model} ({state})" if model else f"{cam.serial} ({state})"
            combo.addItem(text, cam.uuid)
        combo.setCurrentIndex(max(combo.findData(chosen or ""), 0))

    def _fill_crew(self) -> None:
        self.crew.clear()
        for person in people(self.db):
            item = QListWidgetItem(person.name)
            item.setData(Qt.ItemDataRole.UserRole, person.uuid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if person.uuid in self.visit.crew
                               else Qt.CheckState.Unchecked)
            self.crew.addItem(item)

    def refresh_times(self) -> None:
        self._loading = True
        tz = self.visit.tz
        self.visited_at.set_value(self.visit.visited_at, tz)
        self.camera_clock.set_value(None, tz)
        text = fmt.local_time(self.visit.visited_at or datetime.now(UTC), tz).strftime("%z")
        self.tz_label.setText(_("Times are local to the camera location: {tz} (UTC{offset})")
                              .format(tz=tz, offset=f"{text[:3]}:{text[3:]}"))
        self._loading = False

    def refresh_card(self) -> None:
        self._loading = True
        v = self.visit
        self.battery_pct.setValue(NO_VALUE if v.battery_pct is None else v.battery_pct)
        self.battery_type.set_code(v.battery_type)
        self.batteries_replaced.setChecked(v.batteries_replaced)
        self.sd_removed.setText(v.sd_removed)
        self.sd_inserted.setText(v.sd_inserted)
        self.image_count.setValue(NO_VALUE if v.image_count is None else v.image_count)
        self.first_image.set_value(v.first_image_at, v.tz)
        self.last_image.set_value(v.last_image_at, v.tz)
        self.clock_offset.setValue(self.clock_offset.minimum() if v.clock_offset_s is None
                                   else v.clock_offset_s)
        self.clock_reset.setChecked(v.clock_reset)
        self._loading = False

    def refresh_settings(self) -> None:
        self._loading = True
        s = self.visit.settings
        for key, choices in (("mode", SETTING_MODES), ("sensitivity", SETTING_SENSITIVITY),
                             ("ir", SETTING_IR)):
            combo = self.setting_widgets[key]
            assert isinstance(combo, QComboBox)
            combo.clear()
            combo.addItem("—", "")
            for choice in choices:
                combo.addItem(_(SETTING_LABELS[choice]), choice)
            combo.setCurrentIndex(max(combo.findData(s.get(key, "")), 0))
        for key in ("burst", "delay_s", "heading_deg", "tilt_deg"):
            spin = self.setting_widgets[key]
            assert isinstance(spin, QSpinBox)
            spin.setValue(int(s[key]) if s.get(key) not in (None, "") else spin.minimum())
        for key in ("height_m", "detection_distance_m"):
            dspin = self.setting_widgets[key]
            assert isinstance(dspin, QDoubleSpinBox)
            dspin.setValue(float(s[key]) if s.get(key) not in (None, "") else dspin.minimum())
        self._loading = False

    def _image_text(self, image: PhotoValue) -> str:
        """Date and time to the second (a burst shares its minute), and what it shows."""
        when = "—"
        if image.taken_at is not None:
            local = fmt.local_time(image.taken_at, self.visit.tz)
            when = (format_date(local, "short", locale=babel_locale()) + " "
                    + format_time(local, "medium", locale=babel_locale()))
        if image.caption:
            return f"{when}\n{fmt.category_path(image.caption).split(' › ')[-1]}"
        return when

    def refresh_images(self) -> None:
        self.images.clear()
        for image in self.visit.images[:SHOWN_IMAGES]:
            item = QListWidgetItem(self._image_text(image))
            thumb = self.db.media.thumbnail_path(image.sha256, THUMB_SIZE)
            if thumb.exists():
                item.setIcon(QIcon(QPixmap(str(thumb)).scaled(
                    ICON, ICON, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation)))
            item.setToolTip(image.filename)
            self.images.addItem(item)
        v = self.visit
        n = len(v.images)
        if n:
            summary = ngettext("{n} camera-trap image, {first} – {last}",
                               "{n} camera-trap images, {first} – {last}", n).format(
                n=fmt.number(n, 0), first=fmt.datetime_short(v.first_image_at, v.tz),
                last=fmt.datetime_short(v.last_image_at, v.tz))
            if n > SHOWN_IMAGES:
                summary += " · " + _("the first {shown} are shown").format(
                    shown=fmt.number(SHOWN_IMAGES, 0))
        else:
            summary = _("No images yet: import the folder of the memory card.")
        self.images_summary.setText(summary)
        self.classify.clear()
        self.classify.addItem(_("Unclassified"), "")
        lang = current_language()
        cats = vocabulary("observation_categories")
        for code in CAMTRAP_CATEGORIES:
            self.classify.addItem(cats.label(code, lang), code)
        self.skipped.clear()
        skipped = self.last_import.skipped if self.last_import else []
        for s in skipped:
            item = QListWidgetItem(f"{s.name}: {_(SKIP_REASONS[s.reason])}")
            item.setToolTip(describe(s.error))
            self.skipped.addItem(item)
        self.skipped.setVisible(bool(skipped))
        self.skipped_label.setVisible(bool(skipped))
        self.skipped_label.setText(ngettext(
            "{n} file on the card was not imported:",
            "{n} files on the card were not imported:", len(skipped)).format(n=len(skipped)))

    def refresh_photos(self) -> None:
        self.photos.clear()
        for photo in self.visit.photos:
            item = QListWidgetItem(photo.filename)
            thumb = self.db.media.thumbnail_path(photo.sha256, THUMB_SIZE)
            if thumb.exists():
                item.setIcon(QIcon(QPixmap(str(thumb))))
            item.setToolTip(photo.filename)
            self.photos.addItem(item)

    def refresh_outcome(self) -> None:
        """Say what saving will do to the deployments, or why it cannot."""
        if not self.visit.location_uuid:
            self.plan = None
            self.outcome.setText(_("Choose the camera location."))
            self.outcome.setStyleSheet("")
            return
        try:
            self.plan = plan = preview_visit(self.db, replace(self.visit, images=[],
                                                              photos=[]))
        except RangerError as err:
            self.plan = None
            self.outcome.setText(describe(err))
            self.outcome.setStyleSheet("color: #c92a2a;")
            return
        self.outcome.setStyleSheet("color: #2b5f3a;")
        tz = self.visit.tz
        done = bool(self.visit.uuid) and not self.dirty  # a saved visit: say what it did
        parts = []
        if not plan.touches:
            parts.append(_("The camera was not touched: the deployment ran on.") if done
                         else _("The camera was not touched: the deployment runs on."))
        if plan.close_uuid and plan.close_at is not None:
            when = fmt.datetime_short(plan.close_at, tz)
            parts.append(_("This visit ended the deployment at {time}.").format(time=when)
                         if done else
                         _("Saving ends the running deployment at {time}.").format(time=when))
        if plan.open_camera_uuid:
            serial = next((c.serial for c in self.cameras if c.uuid == plan.open_camera_uuid),
                          "")
            when = fmt.datetime_short(plan.open_at, tz)
            parts.append(_("A new deployment of camera {camera} started at {time}.").format(
                camera=serial, time=when) if done else _(
                "A new deployment of camera {camera} starts at {time}.").format(
                camera=serial, time=when))
        elif plan.touches:
            parts.append(_("No camera stayed at this location.") if done
                         else _("No camera stays at this location."))
        if not done:
            for cam_uuid, state in plan.camera_states.items():
                if cam_uuid == plan.open_camera_uuid:
                    continue
                serial = next((c.serial for c in self.cameras if c.uuid == cam_uuid), "")
                parts.append(_("Camera {camera} becomes “{state}”.").format(
                    camera=serial, state=fmt.term("camera_states", state)))
        self.outcome.setText(" ".join(parts))

    # --- language -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.tabs.setTabText(0, _("Visit"))
        self.tabs.setTabText(1, _("Camera and card"))
        self.tabs.setTabText(2, _("Images and photos"))
        texts = {
            "location": _("Location"), "camera": _("Camera"), "visit_type": _("Visit type"),
            "visited_at": _("Time of the visit"), "arrival": _("Status on arrival"),
            "replacement": _("Camera put up instead"), "theft_note": _("What was found"),
            "police_report": _("Police report no."), "battery_pct": _("Battery on arrival"),
            "battery_type": _("Battery type"), "sd_removed": _("Card taken out"),
            "sd_inserted": _("Card put in"), "image_count": _("Images on the card"),
            "first_image": _("First image"), "last_image": _("Last image"),
            "clock_offset": _("Camera clock offset, s"),
            "camera_clock": _("Camera clock showed"),
            "setting_mode": _("Mode"), "setting_burst": _("Photos per trigger"),
            "setting_delay_s": _("Quiet period, s"), "setting_sensitivity": _("Sensitivity"),
            "setting_ir": _("Night flash"), "setting_height_m": _("Height above ground, m"),
            "setting_heading_deg": _("Facing, degrees from north"),
            "setting_tilt_deg": _("Tilt, degrees (down is negative)"),
            "setting_detection_distance_m": _("Walk-test distance, m"),
        }
        for key, text in texts.items():
            self.labels[key].setText(text)
        self.visit_box.setTitle(_("Visit"))
        self.crew_box.setTitle(_("Crew"))
        self.actions_box.setTitle(_("What was done"))
        lang = current_language()
        for code, box in self.action_boxes.items():
            box.setText(vocabulary("camera_actions").label(code, lang))
        self.walk_test.setText(_("Walk test done"))
        self.theft_box.setTitle(_("Theft or damage"))
        self.notes_box.setTitle(_("Notes"))
        self.power_box.setTitle(_("Power"))
        self.batteries_replaced.setText(_("Batteries replaced"))
        self.card_box.setTitle(_("Memory card"))
        self.sd_removed.setPlaceholderText(_("label on the card, e.g. SD-KED-014"))
        self.sd_inserted.setPlaceholderText(_("label on the card, e.g. SD-KED-015"))
        self.clock_box.setTitle(_("Camera clock"))
        self.clock_reset.setText(_("Clock was reset"))
        self.clock_hint.setText(_(
            "Camera clock minus true time: +60 when the camera runs a minute fast. Image "
            "times are corrected by it."))
        self.settings_box.setTitle(_("Settings and placement"))
        self.import_button.setText(_("Import SD card folder…"))
        self.classify_label.setText(_("Selected images show:"))
        self.classify_button.setText(_("Apply"))
        self.photos_label.setText(_("Photos of the site"))
        self.attach_button.setText(_("Attach photos…"))
        self.clock_banner.retranslate()
        for combo in (self.visit_type, self.arrival, self.battery_type):
            combo.retranslate()
