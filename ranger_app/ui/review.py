"""Review in the window: the inspector's queue and review view, the editor's review banner,
and the Review menu (`add_review_menu`).

The services do the work (`store.review`, `store.approvals`, `domain.review_checks`); this
module shows their plain values and turns their typed refusals into messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.domain.layer_checks import BORDER_KIND, PARK_KIND, layer_warnings
from ranger_app.domain.layers import MapLayer
from ranger_app.domain.records import PatrolValue, PhotoValue
from ranger_app.domain.review_checks import ReviewWarning, review_warnings
from ranger_app.domain.roles import Action, ApprovedPatrolLocked, NotPermitted
from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.store import review
from ranger_app.store.accounts import SigningKeyUnavailable
from ranger_app.store.db import Database
from ranger_app.store.drafts import discard_draft
from ranger_app.store.patrols import load_patrol, save_patrol
from ranger_app.store.queries import people, stations
from ranger_app.ui import layer_source, workers
from ranger_app.ui.login import current_actor, current_session, hub
from ranger_app.ui.map_view import MapMarker, MapTrack, MapView
from ranger_app.ui.record_lists import Column, RowsModel, make_table

if TYPE_CHECKING:
    from ranger_app.ui.patrol_editor import PatrolEditor

THUMB = 96
ACTION_TEXT = {  # nouns, not verbs: a Russian verb would have to agree with the person
    review.SUBMIT: N_("Submitted for review"),
    review.RETURN: N_("Returned for rework"),
    review.APPROVE: N_("Approved"),
    review.AMEND: N_("Amendment requested"),
}
SIGNATURE_TEXT = {
    "valid": N_("signature valid"),
    "unsigned": N_("not signed"),
    "broken": N_("signature does not verify"),
}
# warnings about one observation: shown on its own marker instead of a marker of their own
OBSERVATION_WARNINGS = ("far_observation", "observation_outside", "outside_park")
BANNER_COLOURS = {review.DRAFT: "#f1f3f5", review.SUBMITTED: "#e7f5ff",
                  review.RETURNED: "#fff4e6", review.APPROVED: "#ebfbee"}


def _when(value: datetime | None, tz: str) -> str:
    return fmt.datetime_short(value, tz) if value else ""


def _refuse(parent: QWidget, error: BaseException) -> None:
    QMessageBox.warning(parent, _("Could not do that"), describe(error))


def step_text(step: review.ReviewStep, tz: str) -> str:
    """`12.02.2025 10:00 · Approved — Olga Kim (signature valid): “comment”`."""
    text = _("{time} · {action} — {name}").format(
        time=_when(step.at, tz), name=step.by_name,
        action=_(ACTION_TEXT.get(step.action, step.action)))
    if step.signature:
        text += f" ({_(SIGNATURE_TEXT[step.signature])})"
    if step.comment:
        text += ": “" + step.comment + "”"
    return text


def warning_text(w: ReviewWarning, patrol: PatrolValue) -> str:
    """One warning as a sentence in the current language."""
    tz = patrol.tz
    obs = {o.uuid: o for o in patrol.observations}
    if w.kind == "too_fast":
        return ngettext(
            "{track}: {n} fix faster than the transport allows (up to {speed} km/h).",
            "{track}: {n} fixes faster than the transport allows (up to {speed} km/h).",
            w.count).format(track=w.ref or _("track"), n=w.count,
                            speed=fmt.number(w.speed_kmh, 0))
    if w.kind == "gap":
        return _("{track}: no fix for {duration} over {km}, from {time}.").format(
            track=w.ref or _("track"), duration=fmt.duration(w.seconds),
            km=fmt.km(w.metres / 1000), time=_when(w.at, tz))
    if w.kind in OBSERVATION_WARNINGS:
        o = obs.get(w.ref)
        what = fmt.category_path(o.category) if o else w.ref
        if w.kind == "outside_park":
            return _("{what} at {time} ({position}) is {distance} outside the park "
                     "boundary.").format(what=what, time=_when(w.at, tz),
                                         position=_position(w), distance=_metres(w.metres))
        if w.kind == "far_observation":
            return _("{what} at {time} is {km} from the track.").format(
                what=what, time=_when(w.at, tz), km=fmt.km(w.metres / 1000))
        return _("{what} at {time} is outside the patrol's start and end.").format(
            what=what, time=_when(w.at, tz))
    if w.kind == "track_outside":
        return _("Track {track} runs outside the patrol's start and end ({time}).").format(
            track=w.ref, time=_when(w.at, tz))
    if w.kind == "crosses_border":
        return ngettext(
            "Track {track} crosses the state border at {time} near {position}.",
            "Track {track} crosses the state border {n} times, first at {time} near "
            "{position}.", w.count).format(track=w.ref or _("track"), n=w.count,
                                           time=_when(w.at, tz) or "—",
                                           position=_position(w))
    if w.kind == "no_track":
        return _("The patrol has no GPS track: its distance cannot be checked.")
    if w.kind == "shared_gpx":
        return _("The same GPX file is already used by patrol {number}.").format(
            number=w.ref or "—")
    return w.kind


def _position(w: ReviewWarning) -> str:
    return "—" if w.lat is None or w.lon is None else f"{w.lat:.5f}, {w.lon:.5f}"


def _metres(metres: float) -> str:
    if metres >= 1000:
        return fmt.km(metres / 1000)
    return _("{value} m").format(value=fmt.number(metres, 0))


def patrol_warnings(db: Database, patrol: PatrolValue,
                    layers: list[MapLayer] | None = None) -> list[ReviewWarning]:
    """The domain's warnings, those against the park's layers (boundary, state border) and
    the one that needs the database (a GPX used twice). `layers`: the park-boundary and
    state-border layers, read from the database when not given."""
    if layers is None:
        layers = layer_source.layers_of_kind(db, PARK_KIND, BORDER_KIND)
    found = review_warnings(patrol)
    found += layer_warnings(patrol, layers)
    for _uuid, number in review.patrols_sharing_gpx(db, patrol.uuid or ""):
        found.append(ReviewWarning("shared_gpx", number))
    return found


def effort_rows(patrol: PatrolValue) -> list[tuple[str, str]]:
    """(label, value) of the effort figures (design §9), from `reports.effort` when present."""
    try:
        from ranger_app.reports.effort import FIGURES, patrol_effort
    except ImportError:  # the effort report is not there: distance and hours from tracks
        km = sum(t.stats.length_km for t in patrol.tracks)
        moving = [t.stats.moving_s for t in patrol.tracks if t.stats.moving_s is not None]
        hours = ((patrol.end_at - patrol.start_at).total_seconds()
                 if patrol.start_at and patrol.end_at else None)
        return [(_("Distance"), fmt.km(km)), (_("Hours"), fmt.duration(hours)),
                (_("Moving"), fmt.duration(sum(moving)) if moving else "—")]
    e = patrol_effort(patrol)
    label = {f.key: _(f.label) for f in FIGURES}
    return [
        (label["distance_km"], fmt.km(e.distance_km)),
        (label["hours"], fmt.duration(e.hours * 3600)),
        (label["active_hours"], fmt.duration(e.active_hours * 3600)),
        (label["person_days"], fmt.number(e.person_days, 0)),
        (label["person_field_hours"], fmt.number(e.person_field_hours, 1)),
        (label["nights"], fmt.number(e.nights, 0)),
        (label["legs_without_track"], fmt.number(e.legs_without_track, 0)),
    ]


# =========================================================================================
# the review queue
# =========================================================================================

QUEUE_COLUMNS = [
    Column(N_("Submitted"), lambda r: _when(r.submitted_at, r.tz)),
    Column(N_("Number"), lambda r: r.number),
    Column(N_("Station"), lambda r: r.station_code),
    Column(N_("Submitted by"), lambda r: r.submitted_by),
    Column(N_("Start"), lambda r: _when(r.start_at, r.tz)),
    Column(N_("Distance"), lambda r: fmt.km(r.distance_km), align_right=True),
    Column(N_("Observations"), lambda r: fmt.number(r.observation_count, 0), align_right=True),
    Column(N_("Kind"), lambda r: _("Amendment") if r.amendment else _("Submission")),
]


class ReviewQueue(QWidget):
    """Submitted patrols of the inspector's stations, oldest first; open one to review it."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db = db
        self.views: list[ReviewView] = []
        self.resize(1100, 520)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.model = RowsModel(QUEUE_COLUMNS, self)
        self.table = make_table(self.model)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.open_button = QPushButton()
        self.open_button.clicked.connect(self._open_selected)
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(self.refresh)
        self.count = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        hub().changed.connect(self._session_changed)
        self.retranslate()
        self.refresh()

    def _session_changed(self, _session: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(review.review_queue(self.db, current_actor(self.db)))
        self.table.resizeColumnsToContents()
        self._update_count()

    def _update_count(self) -> None:
        n = len(self.model.rows)
        self.count.setText(ngettext("{n} patrol waits for review",
                                    "{n} patrols wait for review", n).format(n=n))

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_row(rows[0].row())

    def open_row(self, row: int) -> ReviewView | None:
        item = self.model.row_at(row)
        return self.open_review(item.uuid) if item else None

    def open_review(self, uuid: str) -> ReviewView:
        view = ReviewView(self.db, uuid)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.reviewed.connect(lambda _u: self.refresh())
        view.destroyed.connect(lambda *_a: self.views.remove(view) if view in self.views
                               else None)
        self.views.append(view)
        view.show()
        return view

    def retranslate(self) -> None:
        self.setWindowTitle(_("Review queue"))
        self.title.setText(_("Patrols waiting for review, oldest first"))
        self.open_button.setText(_("Review…"))
        self.refresh_button.setText(_("Refresh"))
        self.model.retranslate()
        self._update_count()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


# =========================================================================================
# reviewing one patrol
# =========================================================================================

class ReviewView(QWidget):
    """One submitted patrol: map, effort, warnings, observations, photos; approve or return."""

    reviewed = Signal(str)

    def __init__(self, db: Database, patrol_uuid: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db = db
        self.uuid = patrol_uuid
        self.resize(1360, 860)
        self.patrol = load_patrol(db, patrol_uuid)
        self.warnings: list[ReviewWarning] = []
        self.layers = layer_source.layers_of_kind(db, PARK_KIND, BORDER_KIND)  # read once
        self._workers: list[workers.Worker] = []

        self.header = QLabel()
        self.header.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.subheader = QLabel()
        self.subheader.setWordWrap(True)
        self.effort_box = QGroupBox()
        self.effort_grid = QGridLayout(self.effort_box)  # two figures a row: room for warnings
        self.effort_grid.setColumnStretch(1, 1)
        self.effort_grid.setColumnStretch(3, 1)
        self.warnings_box = QGroupBox()
        self.warning_list = QListWidget()
        self.warning_list.setWordWrap(True)
        self.warning_list.itemClicked.connect(self._warning_clicked)
        QVBoxLayout(self.warnings_box).addWidget(self.warning_list)

        self.tabs = QTabWidget()
        self.observations = QTableWidget(0, 4)
        self.observations.verticalHeader().setVisible(False)
        self.observations.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.observations.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.observations.horizontalHeader().setStretchLastSection(True)
        self.observations.itemSelectionChanged.connect(self._observation_selected)
        self.photos = QListWidget()
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB, THUMB))
        self.photos.setMovement(QListWidget.Movement.Static)
        self.photos.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.steps = QListWidget()
        self.steps.setWordWrap(True)
        self.tabs.addTab(self.observations, "")
        self.tabs.addTab(self.photos, "")
        self.tabs.addTab(self.steps, "")

        self.map = MapView()
        self.map.markerClicked.connect(self._select_observation)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.effort_box)
        left_layout.addWidget(self.warnings_box, 1)
        left_layout.addWidget(self.tabs, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.map)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 800])

        self.comment_label = QLabel()
        self.comment = QPlainTextEdit()
        self.comment.setMaximumHeight(64)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.return_button = QPushButton()
        self.approve_button = QPushButton()
        self.close_button = QPushButton()
        self.return_button.clicked.connect(self.return_patrol)
        self.approve_button.clicked.connect(self.approve)
        self.close_button.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.return_button)
        bottom.addWidget(self.approve_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.subheader)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.comment_label)
        layout.addWidget(self.comment)
        layout.addLayout(bottom)
        hub().changed.connect(self._session_changed)
        self.retranslate()
        self.refresh()
        self._load_thumbnails()

    # --- showing --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.warnings = patrol_warnings(self.db, self.patrol, self.layers)
        self._fill_header()
        self._fill_effort()
        self._fill_warnings()
        self._fill_observations()
        self._fill_steps()
        self._fill_map()
        self._fill_photos()
        self._update_buttons()

    def _fill_header(self) -> None:
        p = self.patrol
        code = next((s.code for s in stations(self.db) if s.uuid == p.station_uuid), "")
        self.header.setText(_("Patrol {number} · {station} · {start} – {end}").format(
            number=p.number or _("(no number)"), station=code, start=_when(p.start_at, p.tz),
            end=_when(p.end_at, p.tz) or "…"))
        names = {x.uuid: x.name for x in people(self.db)}
        team = sorted({names.get(m.person_uuid, "?") for leg in p.legs for m in leg.members})
        steps = review.review_steps(self.db, self.uuid)
        last = next((s for s in reversed(steps) if s.action in (review.SUBMIT, review.AMEND)),
                    None)
        lines = [_("Team: {names}").format(names=", ".join(team) or "—")]
        if last is not None and last.action == review.AMEND:
            lines.append(_("Amendment of the approved revision {rev}, requested by {name} on "
                           "{time}: “{reason}”").format(rev=last.patrol_rev, name=last.by_name,
                                                       time=_when(last.at, p.tz),
                                                       reason=last.comment))
        elif last is not None:
            lines.append(_("Submitted by {name} on {time}.").format(
                name=last.by_name, time=_when(last.at, p.tz)))
        if p.notes:
            lines.append(_("Notes: {notes}").format(notes=p.notes.replace("\n", " ")))
        self.subheader.setText("\n".join(lines))

    def _fill_effort(self) -> None:
        while self.effort_grid.count():
            item = self.effort_grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        rows = [*effort_rows(self.patrol),
                (_("Observations"), fmt.number(len(self.patrol.observations), 0))]
        half = (len(rows) + 1) // 2
        for i, (label, value) in enumerate(rows):
            shown = QLabel(value)
            shown.setStyleSheet("font-weight: 600;")
            row, col = i % half, 2 * (i // half)
            self.effort_grid.addWidget(QLabel(label), row, col)
            self.effort_grid.addWidget(shown, row, col + 1)

    def _fill_warnings(self) -> None:
        self.warning_list.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for i, w in enumerate(self.warnings):
            item = QListWidgetItem(icon, warning_text(w, self.patrol))
            item.setData(Qt.ItemDataRole.UserRole, self._marker_key(i, w))
            self.warning_list.addItem(item)
        if not self.warnings:
            self.warning_list.addItem(QListWidgetItem(_("No warnings.")))
        self.warnings_box.setTitle(ngettext("{n} warning", "{n} warnings",
                                            len(self.warnings)).format(n=len(self.warnings)))

    @staticmethod
    def _marker_key(i: int, w: ReviewWarning) -> str:
        if w.kind in OBSERVATION_WARNINGS:
            return w.ref
        return f"warning-{i}" if w.lat is not None else ""

    def _fill_observations(self) -> None:
        obs = self.patrol.observations
        self.observations.setRowCount(len(obs))
        for row, o in enumerate(obs):
            pos = "" if o.lat is None or o.lon is None else f"{o.lat:.5f}, {o.lon:.5f}"
            for col, text in enumerate((_when(o.observed_at, self.patrol.tz),
                                        fmt.category_path(o.category), str(o.count), pos)):
                self.observations.setItem(row, col, QTableWidgetItem(text))
        self.observations.resizeColumnsToContents()

    def _fill_steps(self) -> None:
        self.steps.clear()
        for step in review.review_steps(self.db, self.uuid):
            self.steps.addItem(step_text(step, self.patrol.tz))

    def _fill_map(self) -> None:
        from ranger_app.ui.patrol_editor import marker_kind  # the editor's colours

        self.map.set_tracks([MapTrack(t.uuid or f"track-{i}", t.points,
                                                planned=t.is_route)
                             for i, t in enumerate(self.patrol.tracks)])
        markers = [MapMarker(o.uuid or f"obs-{i}", o.lat, o.lon, fmt.category_path(o.category),
                             marker_kind(o.category))
                   for i, o in enumerate(self.patrol.observations)
                   if o.lat is not None and o.lon is not None]
        markers += [MapMarker(f"warning-{i}", w.lat, w.lon, warning_text(w, self.patrol),
                              "other")
                    for i, w in enumerate(self.warnings)
                    if w.lat is not None and w.lon is not None
                    and w.kind not in OBSERVATION_WARNINGS]
        self.map.set_observations(markers)
        self.map.fit_all()

    def _photo_values(self) -> list[PhotoValue]:
        photos = [a for a in self.patrol.attachments if a.kind == "photo"]
        for o in self.patrol.observations:
            photos += [p for p in o.photos if p.kind == "photo"]
        return photos

    def _fill_photos(self) -> None:
        self.photos.clear()
        for photo in self._photo_values():
            item = QListWidgetItem(photo.filename)
            thumb = self.db.media.thumbnail_path(photo.sha256, THUMB * 2)
            if thumb.exists():
                item.setIcon(QIcon(QPixmap(str(thumb))))
            item.setToolTip(photo.filename)
            self.photos.addItem(item)
        self.tabs.setTabText(1, _("Photos ({n})").format(n=self.photos.count()))

    def _load_thumbnails(self) -> None:
        """Make missing thumbnails off the GUI thread, then show them."""
        media = self.db.media
        missing = [p.sha256 for p in self._photo_values()
                   if not media.thumbnail_path(p.sha256, THUMB * 2).exists()
                   and media.has(p.sha256)]
        if not missing:
            return
        from ranger_app.io.photos import make_thumbnail

        def job(progress: Any, cancelled: Any) -> None:
            for sha in missing:
                if cancelled():
                    return
                try:
                    make_thumbnail(media, sha, THUMB * 2)
                except RangerError:
                    continue

        worker = workers.Worker(job)
        worker.signals.finished_ok.connect(lambda _r: self._fill_photos())
        worker.signals.done.connect(lambda: self._workers.remove(worker))
        self._workers.append(worker)
        workers.start(worker)

    def _update_buttons(self) -> None:
        session = current_session()
        submitted = self.patrol.status == review.SUBMITTED
        for button, action in ((self.return_button, Action.RETURN),
                               (self.approve_button, Action.APPROVE)):
            allowed = session is not None and session.actor.can(action)
            button.setEnabled(submitted and allowed)
            button.setToolTip("" if allowed else describe(NotPermitted(
                str(action), tuple(sorted(session.actor.roles)) if session else ())))
        if not submitted:
            self.status.setText(_("This patrol is {status}.").format(
                status=fmt.term("record_statuses", self.patrol.status).lower()))

    # --- interaction ----------------------------------------------------------------------

    def _warning_clicked(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        if key:
            self.map.highlight(key)

    def _observation_selected(self) -> None:
        rows = self.observations.selectionModel().selectedRows()
        if rows:
            o = self.patrol.observations[rows[0].row()]
            if o.uuid:
                self.map.highlight(o.uuid)

    def _select_observation(self, key: str) -> None:
        for row, o in enumerate(self.patrol.observations):
            if o.uuid == key:
                self.tabs.setCurrentIndex(0)
                self.observations.selectRow(row)

    def _session_changed(self, _session: object) -> None:
        self._update_buttons()

    def _done(self, message: str) -> None:
        self.patrol = load_patrol(self.db, self.uuid)
        self.refresh()
        self.status.setText(message)
        self.comment.clear()
        self.reviewed.emit(self.uuid)

    def return_patrol(self) -> bool:
        actor = current_actor(self.db)
        try:
            if actor is None:
                raise NotPermitted(str(Action.RETURN))
            review.return_patrol(self.db, actor, self.uuid, self.comment.toPlainText(),
                                 expected_rev=self.patrol.rev)
        except RangerError as err:
            _refuse(self, err)
            return False
        self._done(_("Returned to the ranger with your comment."))
        return True

    def approve(self) -> bool:
        session = current_session()
        try:
            if session is None or session.signing_key is None:
                raise SigningKeyUnavailable()
            answer = QMessageBox.question(self, _("Approve"), _(
                "Approve patrol {number}? It will be signed with your key and locked; later "
                "changes need an amendment.").format(number=self.patrol.number or "—"))
            if answer != QMessageBox.StandardButton.Yes:
                return False
            review.approve(self.db, session, self.uuid, expected_rev=self.patrol.rev,
                           comment=self.comment.toPlainText())
        except RangerError as err:
            _refuse(self, err)
            return False
        self._done(_("Approved and signed."))
        return True

    # --- language -------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Review patrol {number}").format(
            number=self.patrol.number or "—"))
        self.effort_box.setTitle(_("Effort"))
        self.tabs.setTabText(0, _("Observations"))
        self.tabs.setTabText(2, _("Review history"))
        self.observations.setHorizontalHeaderLabels(
            [_("Time"), _("Category"), _("Count"), _("Position")])
        self.comment_label.setText(_("Comment for the ranger (required to return the patrol)"))
        self.return_button.setText(_("Return with comment"))
        self.approve_button.setText(_("Approve"))
        self.close_button.setText(_("Close"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self.refresh()
        super().changeEvent(event)

    def closeEvent(self, event: Any) -> None:
        for worker in list(self._workers):
            worker.cancel()
        workers.wait_for_all()
        super().closeEvent(event)


# =========================================================================================
# the patrol editor: review banner and saving through the review rules
# =========================================================================================

def store_patrol(editor: PatrolEditor) -> None:
    """The editor's save: as the signed-in author; an approved patrol is refused with why.

    Before sign-in is wired into the window (no session) a save works as it always did,
    except on an approved patrol.
    """
    session = current_session()
    if session is None:
        current = review.patrol_status(editor.db, editor.patrol.uuid)
        if current is not None and current[0] == review.APPROVED:
            raise ApprovedPatrolLocked(editor.patrol.uuid or "")
        save_patrol(editor.db, editor.patrol)
        return
    review.save_as(editor.db, session.actor, editor.patrol)


class ReviewBanner(QFrame):
    """Above the patrol editor: where the patrol stands in review, and the next step."""

    def __init__(self, editor: PatrolEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.submit_button = QPushButton()
        self.amend_button = QPushButton()
        self.history_button = QPushButton()
        self.submit_button.clicked.connect(self.submit)
        self.amend_button.clicked.connect(self.request_amendment)
        self.history_button.clicked.connect(self.show_history)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.submit_button)
        row.addWidget(self.amend_button)
        row.addWidget(self.history_button)
        editor.saved.connect(lambda _uuid: self.refresh())
        hub().changed.connect(self._session_changed)
        self.retranslate()

    def _session_changed(self, _session: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        e = self.editor
        current = review.patrol_status(e.db, e.patrol.uuid)
        status = current[0] if current else review.DRAFT
        steps = review.review_steps(e.db, e.patrol.uuid) if current else []
        last = steps[-1] if steps else None
        tz = e.patrol.tz
        if current is None:
            text = _("New patrol, not saved yet.")
        elif status == review.SUBMITTED and last is not None and last.action == review.AMEND:
            text = _("Amendment submitted for review on {time} (“{reason}”); an inspector will "
                     "approve it or return it.").format(time=_when(last.at, tz),
                                                       reason=last.comment)
        elif status == review.SUBMITTED:
            text = _("Submitted for review on {time}; an inspector will approve it or return "
                     "it.").format(time=_when(last.at if last else None, tz))
        elif status == review.RETURNED and last is not None:
            text = _("Returned by {name} on {time}: “{comment}”. Fix it, save and submit "
                     "again.").format(name=last.by_name, time=_when(last.at, tz),
                                      comment=last.comment)
        elif status == review.APPROVED:
            approval = next((s for s in reversed(steps) if s.action == review.APPROVE), None)
            text = _("Approved by {name} on {time}. Locked: to change it, request an "
                     "amendment.").format(name=approval.by_name if approval else "—",
                                          time=_when(approval.at if approval else None, tz))
        else:
            text = _("Draft: when it is complete, submit it for review.")
        self.text.setText(text)
        self.setStyleSheet(f"ReviewBanner {{ background: {BANNER_COLOURS.get(status)}; }}")
        actor = current_actor(e.db)
        self.submit_button.setVisible(status in review.EDITABLE and current is not None)
        self.submit_button.setEnabled(actor is not None and actor.can(Action.SUBMIT))
        self.amend_button.setVisible(status == review.APPROVED)
        self.history_button.setVisible(current is not None)

    def submit(self) -> bool:
        e = self.editor
        actor = current_actor(e.db)
        if e.dirty and not e.save():
            return False
        try:
            if actor is None:
                raise NotPermitted(str(Action.SUBMIT))
            rev = review.submit(e.db, actor, e.patrol.uuid or "")
        except RangerError as err:
            _refuse(e, err)
            return False
        e.patrol.status, e.patrol.rev = review.SUBMITTED, rev
        e.saved.emit(e.patrol.uuid or "")
        return True

    def request_amendment(self) -> bool:
        """Save the editor's value as an amendment of the approved patrol, with a reason."""
        e = self.editor
        reason, ok = QInputDialog.getMultiLineText(
            e, _("Request an amendment"),
            _("What changes, and why? The inspector sees this with the changes."))
        if not ok:
            return False
        try:
            actor = current_actor(e.db)
            if actor is None:
                raise NotPermitted(str(Action.REQUEST_AMENDMENT))
            review.request_amendment(e.db, actor, e.patrol, reason)
        except RangerError as err:
            _refuse(e, err)
            return False
        discard_draft(e.db, e.draft_key)
        e.dirty = False
        e.status_label.setText(_("Amendment submitted for review"))
        e.saved.emit(e.patrol.uuid or "")
        return True

    def show_history(self) -> None:
        from ranger_app.ui.history import HistoryView

        view = HistoryView(self.editor.db, self.editor.patrol.uuid or "")
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editor.history_view = view  # type: ignore[attr-defined]
        view.show()

    def retranslate(self) -> None:
        self.submit_button.setText(_("Submit for review"))
        self.amend_button.setText(_("Request an amendment…"))
        self.history_button.setText(_("History…"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def guard_editor(editor: PatrolEditor) -> ReviewBanner:
    """The review banner for a patrol editor (placed by the editor above its tabs)."""
    banner = ReviewBanner(editor)
    editor.review_banner = banner  # type: ignore[attr-defined]
    return banner


# =========================================================================================
# the Review menu
# =========================================================================================

class ReviewMenu(QMenu):
    """Review → Review queue…, History of the selected patrol…, Verify audit trail…"""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.windows: list[QWidget] = []
        self.queue_action = QAction(self)
        self.history_action = QAction(self)
        self.verify_action = QAction(self)
        self.queue_action.triggered.connect(self.open_queue)
        self.history_action.triggered.connect(self.open_history)
        self.verify_action.triggered.connect(self.verify_audit)
        for action in (self.queue_action, self.history_action):
            self.addAction(action)
        self.addSeparator()
        self.addAction(self.verify_action)
        self.retranslate()

    @property
    def db(self) -> Database | None:
        return getattr(self.window_, "db", None)

    def _allowed(self, *actions: Action) -> bool:
        """With someone signed in, their roles decide; refused with the reason otherwise."""
        session = current_session()
        if session is None or any(session.actor.can(a) for a in actions):
            return True
        _refuse(self.window_, NotPermitted(str(actions[0]), tuple(sorted(session.actor.roles))))
        return False

    def _keep(self, widget: QWidget) -> QWidget:
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        widget.destroyed.connect(lambda *_a: self.windows.remove(widget)
                                 if widget in self.windows else None)
        self.windows.append(widget)
        widget.show()
        widget.raise_()
        return widget

    def open_queue(self) -> ReviewQueue | None:
        if self.db is None or not self._allowed(Action.APPROVE, Action.RETURN):
            return None
        queue = ReviewQueue(self.db)
        self._keep(queue)
        return queue

    def selected_patrol(self) -> str | None:
        page = getattr(self.window_, "patrols", None)
        table = getattr(page, "table", None)
        if table is None:
            return None
        rows = table.selectionModel().selectedRows()
        row = page.model.row_at(rows[0].row()) if rows else None
        return row.uuid if row else None

    def open_history(self) -> QWidget | None:
        from ranger_app.ui.history import HistoryView

        if self.db is None or not self._allowed(Action.VIEW_HISTORY):
            return None
        uuid = self.selected_patrol()
        if uuid is None:
            QMessageBox.information(self.window_, _("History"),
                                    _("Select a patrol in the list first."))
            return None
        return self._keep(HistoryView(self.db, uuid))

    def verify_audit(self) -> workers.Worker | None:
        """Walk every chain and check every approval in a worker; then say what was found."""
        if self.db is None or not self._allowed(Action.VERIFY_AUDIT):
            return None
        from ranger_app.store.audit import verify

        db = self.db
        self.verify_action.setEnabled(False)
        worker = workers.Worker(lambda progress, cancelled: verify(db))
        worker.signals.finished_ok.connect(self._show_audit)
        worker.signals.failed.connect(lambda err: _refuse(self.window_, err))
        worker.signals.done.connect(lambda: self.verify_action.setEnabled(True))
        return workers.start(worker)

    def _show_audit(self, report: Any) -> None:
        self.last_report = report
        if report.ok:
            text = _("All {chains} chains verify: {changes} changes, {rows} records.").format(
                chains=report.chains, changes=report.changes, rows=report.rows)
            if report.unsigned_approvals:
                text += " " + ngettext(
                    "{n} approval was made before approvals were signed.",
                    "{n} approvals were made before approvals were signed.",
                    report.unsigned_approvals).format(n=report.unsigned_approvals)
            QMessageBox.information(self.window_, _("Audit trail"), text)
            return
        b = report.first_break
        if b.kind == "approval":
            text = _("The approval of patrol {uuid} does not hold: it was changed or its "
                     "signature does not verify ({detail}).").format(uuid=b.entity_uuid,
                                                                     detail=b.detail)
        else:
            text = _("The audit trail is broken ({kind}) at {entity} {uuid}: a record or the "
                     "change log was changed outside the program.").format(
                kind=b.kind, entity=b.entity, uuid=b.entity_uuid)
        QMessageBox.critical(self.window_, _("Audit trail"), text)

    def retranslate(self) -> None:
        self.setTitle(_("&Review"))
        self.queue_action.setText(_("Review &queue…"))
        self.history_action.setText(_("&History of the selected patrol…"))
        self.verify_action.setText(_("&Verify audit trail…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def add_review_menu(window: QMainWindow) -> None:
    """Add the Review menu to the main window, before Help (once)."""
    if getattr(window, "review_menu", None) is not None:
        return
    menu = ReviewMenu(window)
    help_menu = getattr(window, "help_menu", None)
    if help_menu is not None:
        window.menuBar().insertMenu(help_menu.menuAction(), menu)
    else:
        window.menuBar().addMenu(menu)
    window.review_menu = menu  # type: ignore[attr-defined]
