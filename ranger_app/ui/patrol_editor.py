"""The patrol editor: the whole patrol in one window, autosaved as a draft every few seconds.

The editor's single source of truth is a `PatrolValue`; every widget writes its field into it
as the ranger types, and `refresh_*` methods repaint widgets from it (after a GPX import, a
language switch or a restored draft). Saving hands the value to `store.patrols.save_patrol`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.ids import new_id
from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    PhotoValue,
)
from ranger_app.domain.serial import patrol_to_json
from ranger_app.domain.vocab import AttributeSpec, attributes_for, vocabulary
from ranger_app.i18n import _, current_language
from ranger_app.i18n import formats as fmt
from ranger_app.io.gpx import parse_gpx
from ranger_app.io.gpx_import import apply_gpx
from ranger_app.store.db import Database
from ranger_app.store.queries import people, stations
from ranger_app.ui import workers
from ranger_app.ui.map_view import MapMarker, MapTrack, MapView
from ranger_app.ui.record_editor import THUMB, RecordEditor
from ranger_app.ui.review import guard_editor, store_patrol
from ranger_app.ui.widgets import CategoryPicker, LanguageMark, LocalDateTimeEdit, VocabCombo

KIND_OF_ROOT = {"THREAT": "threat", "WILDLIFE": "wildlife", "HUMAN_ACTIVITY": "human",
                "CARCASS": "carcass", "UNCLASSIFIED": "unclassified"}


def marker_kind(category: str) -> str:
    cats = vocabulary("observation_categories")
    if category not in cats:
        return "other"
    return KIND_OF_ROOT.get(cats.ancestors(category)[0].code, "other")


def new_patrol(db: Database) -> PatrolValue:
    """A fresh draft for this station, led by the signed-in person, starting now."""
    from ranger_app.ui.login import current_session

    inst = db.installation()
    tz = next((s.tz for s in stations(db) if s.uuid == inst.station_uuid), "Asia/Vladivostok")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    session = current_session()
    leader = session.actor.person_uuid if session else inst.user_uuid
    members = [MemberValue(leader, True)] if leader else []
    return PatrolValue(station_uuid=inst.station_uuid, start_at=now, tz=tz,
                       legs=[LegValue("FOOT", now, None, members, uuid=new_id())],
                       notes_lang=current_language())


class PatrolEditor(RecordEditor):
    entity = "patrol"

    def __init__(self, db: Database, patrol: PatrolValue, draft_key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(db, draft_key or f"patrol:{patrol.uuid or new_id()}", parent)
        self.patrol = patrol
        self._current_obs: int | None = None
        self.resize(1280, 820)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_general(), "")
        self.tabs.addTab(self._build_tracks(), "")
        self.tabs.addTab(self._build_observations(), "")
        self.map = MapView()
        self.map.markerClicked.connect(self._select_observation_by_uuid)
        splitter = QSplitter()
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.map)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(guard_editor(self))  # review status, submit, amendment
        layout.addWidget(splitter, 1)
        layout.addLayout(self.bottom_row())

        self.retranslate()
        self.refresh_all()

    # =====================================================================================
    # building
    # =====================================================================================

    def _build_general(self) -> QWidget:
        page = QWidget()
        self.number = QLineEdit()
        self.station = QComboBox()
        self.patrol_type = VocabCombo("patrol_types")
        self.mandate = VocabCombo("mandates")
        self.armed = QCheckBox()
        self.start = LocalDateTimeEdit()
        self.end = LocalDateTimeEdit()
        self.tz_label = QLabel()
        self.notes = QPlainTextEdit()
        self.notes_mark = LanguageMark(self.notes)
        self.notes.setMaximumHeight(80)
        self.form = QFormLayout()
        self.form_labels = {key: QLabel() for key in
                            ("number", "station", "type", "mandate", "armed", "start", "end",
                             "notes")}
        for key, widget in (("number", self.number), ("station", self.station),
                            ("type", self.patrol_type), ("mandate", self.mandate),
                            ("armed", self.armed), ("start", self.start), ("end", self.end)):
            self.form.addRow(self.form_labels[key], widget)
        self.form.addRow("", self.tz_label)
        self.form.addRow(self.form_labels["notes"], self.notes)

        self.legs_box = QGroupBox()
        self.legs = QTableWidget(0, 3)
        self.legs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.legs.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.legs.verticalHeader().setVisible(False)
        self.legs.horizontalHeader().setStretchLastSection(True)
        self.legs.setMaximumHeight(130)
        self.add_leg = QPushButton()
        self.remove_leg = QPushButton()
        self.team_label = QLabel()
        self.team = QListWidget()
        self.leader_label = QLabel()
        self.leader = QComboBox()
        legs_layout = QVBoxLayout(self.legs_box)
        legs_layout.addWidget(self.legs)
        row = QHBoxLayout()
        row.addWidget(self.add_leg)
        row.addWidget(self.remove_leg)
        row.addStretch(1)
        legs_layout.addLayout(row)
        legs_layout.addWidget(self.team_label)
        legs_layout.addWidget(self.team, 1)
        row = QHBoxLayout()
        row.addWidget(self.leader_label)
        row.addWidget(self.leader, 1)
        legs_layout.addLayout(row)

        layout = QVBoxLayout(page)
        layout.addLayout(self.form)
        layout.addWidget(self.legs_box, 1)

        self.number.textEdited.connect(lambda t: self._set("number", t))
        self.station.currentIndexChanged.connect(self._station_changed)
        self.patrol_type.currentIndexChanged.connect(
            lambda: self._set("patrol_type", self.patrol_type.code()))
        self.mandate.currentIndexChanged.connect(
            lambda: self._set("mandate", self.mandate.code()))
        self.armed.toggled.connect(lambda on: self._set("armed", on))
        self.start.dateTimeChanged.connect(lambda: self._set("start_at", self.start.value()))
        self.end.dateTimeChanged.connect(lambda: self._set("end_at", self.end.value()))
        self.notes.textChanged.connect(self._notes_changed)
        self.add_leg.clicked.connect(self._add_leg)
        self.remove_leg.clicked.connect(self._remove_leg)
        self.legs.itemSelectionChanged.connect(self.refresh_team)
        self.team.itemChanged.connect(self._team_changed)
        self.leader.currentIndexChanged.connect(self._leader_changed)
        return page

    def _build_tracks(self) -> QWidget:
        page = QWidget()
        self.tracks = QTableWidget(0, 7)
        self.tracks.verticalHeader().setVisible(False)
        self.tracks.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tracks.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tracks.horizontalHeader().setStretchLastSection(True)
        self.import_button = QPushButton()
        self.remove_track = QPushButton()
        self.track_summary = QLabel()
        self.track_summary.setWordWrap(True)
        self.import_button.clicked.connect(self.choose_gpx)
        self.remove_track.clicked.connect(self._remove_track)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.remove_track)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.tracks, 1)
        layout.addWidget(self.track_summary)
        return page

    def _build_observations(self) -> QWidget:
        page = QWidget()
        self.observations = QTableWidget(0, 5)
        self.observations.verticalHeader().setVisible(False)
        self.observations.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.observations.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.observations.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.observations.horizontalHeader().setStretchLastSection(True)
        self.observations.itemSelectionChanged.connect(self._observation_selected)
        self.add_obs = QPushButton()
        self.remove_obs = QPushButton()
        self.add_obs.clicked.connect(self._add_observation)
        self.remove_obs.clicked.connect(self._remove_observation)

        self.detail = QGroupBox()
        self.picker = CategoryPicker()
        self.picker.setMinimumHeight(160)
        self.picker.categoryChosen.connect(self._category_chosen)
        self.category_label = QLabel()
        self.category_label.setWordWrap(True)
        self.obs_time = LocalDateTimeEdit()
        self.obs_lat = QLineEdit()
        self.obs_lon = QLineEdit()
        self.obs_count = QSpinBox()
        self.obs_count.setRange(1, 100_000)
        self.obs_notes = QPlainTextEdit()
        self.obs_notes_mark = LanguageMark(self.obs_notes)
        self.obs_notes.setMaximumHeight(60)
        self.attr_box = QWidget()
        self.attr_form = QFormLayout(self.attr_box)
        self.attr_form.setContentsMargins(0, 0, 0, 0)
        self.photos = QListWidget()
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB, THUMB))
        self.photos.setMaximumHeight(THUMB + 36)
        self.photos.setMovement(QListWidget.Movement.Static)
        self.attach_button = QPushButton()
        self.attach_button.clicked.connect(self.choose_photos)

        self.obs_labels = {k: QLabel() for k in
                           ("category", "time", "lat", "lon", "count", "notes", "photos")}
        form = QFormLayout()
        form.addRow(self.obs_labels["category"], self.category_label)
        form.addRow(self.obs_labels["time"], self.obs_time)
        pos = QHBoxLayout()
        pos.addWidget(self.obs_lat)
        pos.addWidget(self.obs_labels["lon"])
        pos.addWidget(self.obs_lon)
        form.addRow(self.obs_labels["lat"], pos)
        form.addRow(self.obs_labels["count"], self.obs_count)
        form.addRow(self.obs_labels["notes"], self.obs_notes)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.attr_box)
        photos_row = QHBoxLayout()
        photos_row.addWidget(self.obs_labels["photos"])
        photos_row.addStretch(1)
        photos_row.addWidget(self.attach_button)
        right.addLayout(photos_row)
        right.addWidget(self.photos)
        detail_layout = QHBoxLayout(self.detail)
        detail_layout.addWidget(self.picker, 2)
        detail_layout.addLayout(right, 3)

        row = QHBoxLayout()
        row.addWidget(self.add_obs)
        row.addWidget(self.remove_obs)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.observations, 2)
        layout.addLayout(row)
        layout.addWidget(self.detail, 3)

        self.obs_time.dateTimeChanged.connect(
            lambda: self._set_obs("observed_at", self.obs_time.value()))
        self.obs_lat.editingFinished.connect(lambda: self._position_edited(self.obs_lat, "lat"))
        self.obs_lon.editingFinished.connect(lambda: self._position_edited(self.obs_lon, "lon"))
        self.obs_count.valueChanged.connect(lambda v: self._set_obs("count", v))
        self.obs_notes.textChanged.connect(self._obs_notes_changed)
        return page

    # =====================================================================================
    # editing: every change lands in self.patrol, then autosave
    # =====================================================================================

    def _set(self, field: str, value: Any) -> None:
        self.set_value(self.patrol, field, value)

    def _notes_changed(self) -> None:
        if not self._loading:
            self.patrol.notes_lang = self.patrol.notes_lang or current_language()
            self._set("notes", self.notes.toPlainText())

    def _station_changed(self) -> None:
        uuid = self.station.currentData()
        if self._loading or not uuid:
            return
        self._set("station_uuid", uuid)
        tz = next((s.tz for s in stations(self.db) if s.uuid == uuid), self.patrol.tz)
        self._set("tz", tz)
        self.refresh_times()

    def _selected_leg(self) -> LegValue | None:
        rows = self.legs.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.patrol.legs):
            return None
        return self.patrol.legs[rows[0].row()]

    def _add_leg(self) -> None:
        last = self.patrol.legs[-1] if self.patrol.legs else None
        start = (last.end_at if last and last.end_at else self.patrol.start_at)
        members = [replace(m, uuid=None) for m in last.members] if last else []
        self.patrol.legs.append(LegValue("FOOT", start, None, members,
                                         ordinal=len(self.patrol.legs) + 1, uuid=new_id()))
        self.refresh_legs()
        self.legs.selectRow(len(self.patrol.legs) - 1)
        self.mark_dirty()

    def _remove_leg(self) -> None:
        leg = self._selected_leg()
        if leg is not None and len(self.patrol.legs) > 1:
            self.patrol.legs.remove(leg)
            self.refresh_legs()
            self.mark_dirty()

    def _leg_widget_changed(self, row: int) -> None:
        if self._loading or row >= len(self.patrol.legs):
            return
        leg = self.patrol.legs[row]
        transport = self.legs.cellWidget(row, 0)
        start = self.legs.cellWidget(row, 1)
        end = self.legs.cellWidget(row, 2)
        assert isinstance(transport, VocabCombo)
        assert isinstance(start, LocalDateTimeEdit) and isinstance(end, LocalDateTimeEdit)
        leg.transport = transport.code()
        leg.start_at = start.value()
        leg.end_at = end.value()
        self.mark_dirty()

    def _team_changed(self, item: QListWidgetItem) -> None:
        leg = self._selected_leg()
        if self._loading or leg is None:
            return
        person = item.data(Qt.ItemDataRole.UserRole)
        checked = item.checkState() == Qt.CheckState.Checked
        present = [m for m in leg.members if m.person_uuid == person]
        if checked and not present:
            leg.members.append(MemberValue(person, is_leader=not leg.members))
        elif not checked and present:
            leg.members.remove(present[0])
        self.refresh_leader()
        self.mark_dirty()

    def _leader_changed(self) -> None:
        leg = self._selected_leg()
        if self._loading or leg is None:
            return
        leader = self.leader.currentData()
        for m in leg.members:
            m.is_leader = m.person_uuid == leader
        self.mark_dirty()

    # --- tracks -------------------------------------------------------------------------

    def choose_gpx(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import a GPS track"), "", _("GPX files (*.gpx);;All files (*)"))
        if path:
            self.import_gpx(Path(path))

    def import_gpx(self, path: Path) -> workers.Worker:
        """Parse and store the file in a worker; merge into the patrol on the GUI thread."""
        media = self.db.media

        def job(progress: Any, cancelled: Any) -> tuple[Any, PhotoValue]:
            parsed = parse_gpx(path, progress=progress, cancel=cancelled)
            sha, size = media.put_file(path)
            return parsed, PhotoValue(sha256=sha, filename=path.name,
                                      mime="application/gpx+xml", size=size, kind="gpx")

        worker = workers.with_progress(
            self, _("Reading {name}…").format(name=path.name), workers.Worker(job))
        worker.signals.finished_ok.connect(self._gpx_ready)
        worker.signals.failed.connect(self.show_error)
        return self.run(worker)

    def _gpx_ready(self, result: tuple[Any, PhotoValue]) -> None:
        """Ask what the file cannot say (the transport when it makes the legs, the patrol's
        times when it has none), then merge it into the patrol."""
        from ranger_app.ui.gpx_import_dialog import GpxImportDialog

        parsed, source = result
        needs_times = not parsed.has_times and self.patrol.start_at is None
        makes_legs = not self.patrol.legs
        if not needs_times and not makes_legs:
            self._merge_gpx(parsed, source)
            return
        dialog = GpxImportDialog(parsed, source.filename, self.patrol.tz,
                                 needs_times=needs_times, makes_legs=makes_legs, parent=self)
        self.gpx_dialog = dialog  # for tests and screenshots

        def finished(code: int) -> None:
            if code == QDialog.DialogCode.Accepted:
                self._merge_gpx(parsed, source, dialog.chosen_transport() if makes_legs
                                else None, dialog.start_at(), dialog.end_at())
            else:
                self.status_label.setText(_("Import of {name} cancelled.").format(
                    name=source.filename))
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def _merge_gpx(self, parsed: Any, source: PhotoValue, transport: str | None = None,
                   start_at: Any = None, end_at: Any = None) -> None:
        apply_gpx(self.patrol, parsed, source, transport, start_at, end_at)
        self.refresh_all()
        self.mark_dirty()
        self.status_label.setText(_("Imported {points} points from {name}").format(
            points=parsed.point_count, name=source.filename))

    def _remove_track(self) -> None:
        rows = self.tracks.selectionModel().selectedRows()
        if rows:
            del self.patrol.tracks[rows[0].row()]
            self.refresh_tracks()
            self.refresh_map()
            self.mark_dirty()

    # --- observations -------------------------------------------------------------------

    def current_observation(self) -> ObservationValue | None:
        if self._current_obs is None or self._current_obs >= len(self.patrol.observations):
            return None
        return self.patrol.observations[self._current_obs]

    def _observation_selected(self) -> None:
        rows = self.observations.selectionModel().selectedRows()
        self._current_obs = rows[0].row() if rows else None
        self.refresh_observation_detail()
        obs = self.current_observation()
        if obs is not None and obs.uuid:
            self.map.highlight(obs.uuid)

    def _select_observation_by_uuid(self, key: str) -> None:
        for i, obs in enumerate(self.patrol.observations):
            if (obs.uuid or f"new-{i}") == key:
                self.tabs.setCurrentIndex(2)
                self.observations.selectRow(i)

    def _add_observation(self) -> None:
        when = self.patrol.start_at or datetime.now(UTC)
        self.patrol.observations.append(ObservationValue(
            observed_at=when, notes_lang=current_language()))
        self.refresh_observations()
        self.observations.selectRow(len(self.patrol.observations) - 1)
        self.mark_dirty()

    def _remove_observation(self) -> None:
        obs = self.current_observation()
        if obs is not None:
            self.patrol.observations.remove(obs)
            self._current_obs = None
            self.refresh_observations()
            self.refresh_map()
            self.mark_dirty()

    def _set_obs(self, field: str, value: Any) -> None:
        obs = self.current_observation()
        if self._loading or obs is None or getattr(obs, field) == value:
            return
        setattr(obs, field, value)
        self._refresh_observation_row(self._current_obs or 0)
        self.mark_dirty()

    def _obs_notes_changed(self) -> None:
        obs = self.current_observation()
        if obs is not None and not self._loading:
            obs.notes_lang = obs.notes_lang or current_language()
            self._set_obs("notes", self.obs_notes.toPlainText())

    def _category_chosen(self, code: str) -> None:
        obs = self.current_observation()
        if obs is None or obs.category == code:
            return
        obs.category = code
        keep = {spec.key for spec in attributes_for(code)}
        obs.attributes = {k: v for k, v in obs.attributes.items() if k in keep}
        self.refresh_observation_detail()
        self._refresh_observation_row(self._current_obs or 0)
        self.refresh_map()
        self.mark_dirty()

    def _position_edited(self, edit: QLineEdit, axis: str) -> None:
        if self.current_observation() is None:
            return

        def apply(value: float | None) -> None:
            self._set_obs(axis, value)
            self.refresh_map()

        self.position_edited(edit, axis, apply)

    def _attribute_changed(self, spec: AttributeSpec, value: Any) -> None:
        obs = self.current_observation()
        if obs is None or self._loading:
            return
        if value in (None, "", -1):
            obs.attributes.pop(spec.key, None)
        else:
            obs.attributes[spec.key] = value
        self.mark_dirty()

    # --- photos -------------------------------------------------------------------------

    def attach_photos(self, paths: list[Path]) -> workers.Worker | None:
        obs = self.current_observation()
        if obs is None:
            return None
        return self.import_photos(paths, self.patrol.tz,
                                  lambda photos: self._photos_ready(obs, photos))

    def _photos_ready(self, obs: ObservationValue, photos: list[PhotoValue]) -> None:
        obs.photos.extend(photos)
        for photo in photos:  # a photo with GPS places an observation that has no position
            if obs.lat is None and photo.lat is not None:
                obs.lat, obs.lon = photo.lat, photo.lon
        self.refresh_observation_detail()
        self.refresh_map()
        self.mark_dirty()

    # =====================================================================================
    # saving
    # =====================================================================================

    def value(self) -> PatrolValue:
        return self.patrol

    def draft_json(self) -> str:
        return patrol_to_json(self.patrol)

    def store(self) -> None:
        store_patrol(self)  # as the signed-in author; approved patrols only by amendment

    def close_question(self) -> str:
        return _("Save this patrol before closing? A draft is kept either way.")

    # =====================================================================================
    # showing
    # =====================================================================================

    def refresh_all(self) -> None:
        self._loading = True
        try:
            p = self.patrol
            self.setWindowTitle(_("Patrol {number}").format(number=p.number or _("(new)")))
            self.number.setText(p.number)
            self.station.clear()
            for s in stations(self.db):
                self.station.addItem(f"{s.code} · {s.name}", s.uuid)
            self.station.setCurrentIndex(max(self.station.findData(p.station_uuid), 0))
            self.patrol_type.set_code(p.patrol_type)
            self.mandate.set_code(p.mandate)
            self.armed.setChecked(p.armed)
            if self.notes.toPlainText() != p.notes:
                self.notes.setPlainText(p.notes)
            self.notes_mark.show_for(p.notes_lang if p.notes else None)
        finally:
            self._loading = False
        self.refresh_times()
        self.refresh_legs()
        self.refresh_tracks()
        self.refresh_observations()
        self.refresh_map()

    def refresh_times(self) -> None:
        self._loading = True
        self.start.set_value(self.patrol.start_at, self.patrol.tz)
        self.end.set_value(self.patrol.end_at, self.patrol.tz)
        offset = datetime.now(UTC).astimezone(ZoneInfo(self.patrol.tz)).strftime("%z")
        self.tz_label.setText(_("Times are local to the station: {tz} (UTC{offset})").format(
            tz=self.patrol.tz, offset=f"{offset[:3]}:{offset[3:]}"))
        self._loading = False

    def refresh_legs(self) -> None:
        self._loading = True
        self.legs.setRowCount(len(self.patrol.legs))
        for row, leg in enumerate(self.patrol.legs):
            transport = VocabCombo("transports")
            transport.set_code(leg.transport)
            start, end = LocalDateTimeEdit(), LocalDateTimeEdit()
            start.set_value(leg.start_at, self.patrol.tz)
            end.set_value(leg.end_at, self.patrol.tz)
            for sig in (transport.currentIndexChanged, start.dateTimeChanged,
                        end.dateTimeChanged):
                sig.connect(lambda *_a, r=row: self._leg_widget_changed(r))
            self.legs.setCellWidget(row, 0, transport)
            self.legs.setCellWidget(row, 1, start)
            self.legs.setCellWidget(row, 2, end)
        self.legs.resizeColumnsToContents()
        self._loading = False
        if self.patrol.legs and not self.legs.selectionModel().selectedRows():
            self.legs.selectRow(0)
        self.refresh_team()

    def refresh_team(self) -> None:
        self._loading = True
        leg = self._selected_leg()
        self.team.clear()
        chosen = {m.person_uuid for m in leg.members} if leg else set()
        for person in people(self.db):
            item = QListWidgetItem(person.name)
            item.setData(Qt.ItemDataRole.UserRole, person.uuid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if person.uuid in chosen
                               else Qt.CheckState.Unchecked)
            self.team.addItem(item)
        self._loading = False
        self.refresh_leader()

    def refresh_leader(self) -> None:
        self._loading = True
        leg = self._selected_leg()
        names = {p.uuid: p.name for p in people(self.db)}
        self.leader.clear()
        if leg:
            for m in leg.members:
                self.leader.addItem(names.get(m.person_uuid, m.person_uuid), m.person_uuid)
            leader = next((m.person_uuid for m in leg.members if m.is_leader), None)
            self.leader.setCurrentIndex(max(self.leader.findData(leader), 0))
        self._loading = False

    def refresh_tracks(self) -> None:
        self.tracks.setRowCount(len(self.patrol.tracks))
        transport_of = {leg.ordinal: leg.transport for leg in self.patrol.legs}
        for row, t in enumerate(self.patrol.tracks):
            leg = (f"{t.leg_ordinal} · " + fmt.term("transports", transport_of.get(
                t.leg_ordinal or 0, ""))) if t.leg_ordinal else ""
            if t.is_route:
                leg = _("Planned route (not counted)")
            values = [t.name, leg, fmt.number(t.stats.points, 0), fmt.km(t.stats.length_km),
                      fmt.duration(t.stats.duration_s), fmt.duration(t.stats.moving_s),
                      fmt.number(t.stats.flagged, 0)]
            for col, text in enumerate(values):
                self.tracks.setItem(row, col, QTableWidgetItem(text))
        walked = [t for t in self.patrol.tracks if not t.is_route]
        total = sum(t.stats.length_km for t in walked)
        flagged = sum(t.stats.flagged for t in walked)
        summary = _("Total {km}. ").format(km=fmt.km(total))
        if flagged:
            summary += _("{n} points faster than the transport allows are marked on the map "
                         "and left out of the distance.").format(n=flagged)
        self.track_summary.setText(summary)

    def refresh_observations(self) -> None:
        self.observations.blockSignals(True)
        self.observations.setRowCount(len(self.patrol.observations))
        for row in range(len(self.patrol.observations)):
            self._refresh_observation_row(row)
        self.observations.resizeColumnsToContents()  # dates and paths differ by language
        self.observations.blockSignals(False)
        if self._current_obs is not None and self._current_obs < len(self.patrol.observations):
            self.observations.selectRow(self._current_obs)
        self.refresh_observation_detail()

    def _refresh_observation_row(self, row: int) -> None:
        obs = self.patrol.observations[row]
        pos = "" if obs.lat is None or obs.lon is None else f"{obs.lat:.5f}, {obs.lon:.5f}"
        values = [fmt.datetime_short(obs.observed_at, self.patrol.tz),
                  fmt.category_path(obs.category), pos, str(obs.count),
                  obs.waypoint_name or obs.notes.replace("\n", " ")]
        for col, text in enumerate(values):
            item = QTableWidgetItem(text)
            if col == 1 and obs.category == "UNCLASSIFIED":
                item.setForeground(Qt.GlobalColor.darkRed)
            self.observations.setItem(row, col, item)

    def refresh_observation_detail(self) -> None:
        obs = self.current_observation()
        self.detail.setEnabled(obs is not None)
        self._loading = True
        try:
            while self.attr_form.rowCount():
                self.attr_form.removeRow(0)
            self.photos.clear()
            if obs is None:
                self.category_label.setText("")
                return
            self.category_label.setText(fmt.category_path(obs.category))
            self.picker.select(obs.category)
            self.obs_time.set_value(obs.observed_at, self.patrol.tz)
            self.obs_lat.setText("" if obs.lat is None else f"{obs.lat:.6f}")
            self.obs_lon.setText("" if obs.lon is None else f"{obs.lon:.6f}")
            self.obs_count.setValue(obs.count)
            if self.obs_notes.toPlainText() != obs.notes:
                self.obs_notes.setPlainText(obs.notes)
            self.obs_notes_mark.show_for(obs.notes_lang if obs.notes else None)
            for spec in attributes_for(obs.category):
                self.attr_form.addRow(self._attr_label(spec),
                                      self._attribute_widget(spec, obs.attributes.get(spec.key)))
            for photo in obs.photos:
                self._add_photo_item(photo)
        finally:
            self._loading = False

    def _attr_label(self, spec: AttributeSpec) -> str:
        label = spec.label(current_language())
        return fmt.with_unit(label, spec.unit)

    def _attribute_widget(self, spec: AttributeSpec, value: Any) -> QWidget:
        w: QWidget
        if spec.kind == "int":
            spin = QSpinBox()
            spin.setRange(-1, 1_000_000)
            spin.setSpecialValueText("—")
            spin.setValue(int(value) if value is not None else -1)
            spin.valueChanged.connect(lambda v: self._attribute_changed(spec, v))
            w = spin
        elif spec.kind == "float":
            dspin = QDoubleSpinBox()
            dspin.setRange(-1, 1_000_000)
            dspin.setDecimals(1)
            dspin.setSpecialValueText("—")
            dspin.setValue(float(value) if value is not None else -1)
            dspin.valueChanged.connect(lambda v: self._attribute_changed(spec, v))
            w = dspin
        elif spec.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(lambda v: self._attribute_changed(spec, v or None))
            w = box
        elif spec.kind == "choice":
            combo = VocabCombo(spec.choices, allow_empty=True)
            combo.set_code(value)
            combo.currentIndexChanged.connect(
                lambda *_a: self._attribute_changed(spec, combo.code()))
            w = combo
        else:
            line = QLineEdit(str(value or ""))
            line.textEdited.connect(lambda t: self._attribute_changed(spec, t))
            w = line
        w.setObjectName(f"attr_{spec.key}")
        return w

    def _add_photo_item(self, photo: PhotoValue) -> None:
        item = QListWidgetItem(photo.filename)
        thumb = self.db.media.thumbnail_path(photo.sha256, THUMB * 2)
        if thumb.exists():
            item.setIcon(QIcon(QPixmap(str(thumb))))
        item.setToolTip(photo.filename)
        self.photos.addItem(item)

    def refresh_map(self) -> None:
        self.map.set_tracks([MapTrack(t.uuid or f"track-{i}", t.points,
                                                planned=t.is_route)
                             for i, t in enumerate(self.patrol.tracks)])
        self.map.set_observations([
            MapMarker(o.uuid or f"new-{i}", o.lat, o.lon,
                      fmt.category_path(o.category), marker_kind(o.category))
            for i, o in enumerate(self.patrol.observations)
            if o.lat is not None and o.lon is not None
        ])
        self.map.fit_all()

    # --- language -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.tabs.setTabText(0, _("Patrol"))
        self.tabs.setTabText(1, _("Tracks"))
        self.tabs.setTabText(2, _("Observations"))
        labels = {"number": _("Number"), "station": _("Station"), "type": _("Patrol type"),
                  "mandate": _("Mandate"), "armed": _("Armed"), "start": _("Start"),
                  "end": _("End"), "notes": _("Notes")}
        for key, text in labels.items():
            self.form_labels[key].setText(text)
        self.number.setPlaceholderText(_("e.g. KED-2025-014"))
        self.legs_box.setTitle(_("Legs and team"))
        self.legs.setHorizontalHeaderLabels([_("Transport"), _("Start"), _("End")])
        self.add_leg.setText(_("Add leg"))
        self.remove_leg.setText(_("Remove leg"))
        self.team_label.setText(_("Team on the selected leg:"))
        self.leader_label.setText(_("Leader"))
        self.tracks.setHorizontalHeaderLabels([
            _("Track"), _("Leg"), _("Points"), _("Distance"), _("Duration"), _("Moving"),
            _("Too fast")])
        self.import_button.setText(_("Import GPX…"))
        self.remove_track.setText(_("Remove track"))
        self.observations.setHorizontalHeaderLabels([
            _("Time"), _("Category"), _("Position"), _("Count"), _("Notes")])
        self.add_obs.setText(_("Add observation"))
        self.remove_obs.setText(_("Remove observation"))
        self.detail.setTitle(_("Observation"))
        obs_labels = {"category": _("Category"), "time": _("Time"), "lat": _("Latitude"),
                      "lon": _("Longitude"), "count": _("Count"), "notes": _("Notes"),
                      "photos": _("Photos")}
        for key, text in obs_labels.items():
            self.obs_labels[key].setText(text)
        self.obs_lat.setPlaceholderText(_("43.1234 or 43°07.40′"))
        self.obs_lon.setPlaceholderText(_("131.5678 or 131°34.07′"))
        self.attach_button.setText(_("Attach photos…"))
        self.armed.setText(_("the team carried service weapons"))
        for combo in (self.patrol_type, self.mandate):
            combo.retranslate()
        self.picker.retranslate()
