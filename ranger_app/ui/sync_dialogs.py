"""The Sync menu and its screens: export to a stick, import from one, keys, conflicts.

Every screen calls the sync layer's functions (the same ones the CLI calls) and never
touches the database itself. Long work — writing, dry-running and importing bundles,
importing what waited for a key — runs in a `workers.Worker`; the sync functions report
their steps through a `hook` callback, which is where progress is shown and where a
Cancel takes effect. Cancel is honoured only at steps where stopping leaves nothing behind:
before the bundle is renamed into place on the stick (export), before the transaction
commits (import); after that, the work finishes, because a half-stopped write would be
worse than a finished one.

The back-end modules are imported where they are used, as `main_window` does: the menu
is built while the window opens, and the sync stack (crypto, zip, merge) loads only when
a ranger first opens one of these screens.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelection, Qt, Signal
from PySide6.QtGui import QAction, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n.formats import datetime_short, number
from ranger_app.i18n.messages import describe
from ranger_app.ui import workers
from ranger_app.ui.record_lists import Column, RowsModel, make_table

if TYPE_CHECKING:
    from ranger_app.store.db import Database
    from ranger_app.sync.importer import ImportReport
    from ranger_app.sync.preview import ExportPlan, PeerWaiting
    from ranger_app.sync.resolve import ConflictDetail, Side
    from ranger_app.sync.trust import Peer
    from ranger_app.sync.writer import ExportResult

# --- shared words ------------------------------------------------------------------------------

ENTITY_LABELS = {  # in the order a summary lists them: field records first, reference last
    "patrol": N_("Patrol"), "patrol_leg": N_("Patrol leg"), "leg_member": N_("Patrol member"),
    "track": N_("Track"), "observation": N_("Observation"), "attachment": N_("Photo or file"),
    "patrol_review": N_("Patrol review"), "fire_report": N_("Fire report"),
    "fire_status_step": N_("Fire status change"), "firms_hotspot": N_("FIRMS hotspot"),
    "feeding_site": N_("Feeding site"), "feeding_visit": N_("Feeding site visit"),
    "feed_item": N_("Feed put out"), "ungulate_sign": N_("Ungulate sign"),
    "predator_sign": N_("Predator sign"), "camera_location": N_("Camera location"),
    "camera": N_("Camera"), "deployment": N_("Camera deployment"),
    "service_visit": N_("Camera service visit"),
    "station": N_("Station"), "person": N_("Person"), "user_account": N_("User account"),
}
FIELD_LABELS = {  # the columns conflicts are about, as the editors label them
    "aircraft": N_("Aircraft"), "area_at_detection_ha": N_("Area at detection, ha"),
    "area_forest_ha": N_("Forest area, ha"), "area_ha": N_("Area, ha"),
    "area_nonforest_ha": N_("Non-forest area, ha"), "area_total_ha": N_("Total area, ha"),
    "armed": N_("Armed"), "batteries_replaced": N_("Batteries replaced"),
    "battery_type": N_("Battery type"), "capacity": N_("Capacity"), "caption": N_("Caption"),
    "category": N_("Category"), "cause": N_("Cause"), "checked": N_("Checked"), "code": N_("Code"),
    "comment": N_("Comment"), "condition": N_("Condition"), "confidence": N_("Confidence"),
    "count": N_("Count"), "country": N_("Country"), "crew": N_("Crew"), "deleted": N_("Deleted"),
    "detected_at": N_("Detected"), "detected_by": N_("Detected by"), "end_at": N_("End"),
    "feature": N_("Feature"), "feed_type": N_("Feed type"), "fire_status": N_("Fire status"),
    "fire_type": N_("Fire type"), "first_image_at": N_("First image"),
    "forest_district": N_("Forest district"), "freshness": N_("Freshness"),
    "fuel_type": N_("Fuel type"), "habitat": N_("Habitat"), "intensity": N_("Intensity"),
    "kind": N_("Kind"), "land_category": N_("Land category"), "last_image_at": N_("Last image"),
    "lat": N_("Latitude"), "locality": N_("Locality"), "lon": N_("Longitude"), "make": N_("Make"),
    "mandate": N_("Mandate"), "model": N_("Model"), "name": N_("Name"), "note": N_("Note"),
    "notes": N_("Notes"), "number": N_("Number"), "official_number": N_("Official number"),
    "patrol_type": N_("Patrol type"), "people": N_("People"), "perimeter": N_("Perimeter"),
    "points": N_("Points"), "pumps": N_("Pumps"), "report_kind": N_("Report kind"),
    "satellite": N_("Satellite"), "serial": N_("Serial"), "site_type": N_("Site type"),
    "species": N_("Species"), "start_at": N_("Start"), "state": N_("State"),
    "status": N_("Status"), "target_species": N_("Target species"), "transport": N_("Transport"),
    "visit_type": N_("Visit type"), "visited_at": N_("Visited"),
}
ROLE_LABELS = {"station": N_("station"), "hq": N_("HQ"), "partner": N_("partner park"),
               "backup": N_("backup key")}
STATUS_LABELS = {"trusted": N_("trusted"), "quarantined": N_("not confirmed yet"),
                 "revoked": N_("revoked"), "pending": N_("waits for earlier bundles")}
KIND_LABELS = {
    "data": N_("New and changed records"),
    "ack": N_("HQ's updates and acknowledgement"),
    "snapshot": N_("Everything (to set up a new installation)"),
    "partner": N_("Agreed records for the partner park only"),
}
CONFLICT_KINDS = {
    "field": N_("changed at two places"),
    "delete": N_("deleted at one place, edited at another"),
    "amendment": N_("change to an approved record"),
    "insert": N_("created at two places"),
}

EXPORT_STEPS = ("zipped", "encrypted", "part-written", "renamed", "verified", "recorded")
EXPORT_CANCELLABLE = frozenset({"zipped", "encrypted", "part-written"})
IMPORT_STEPS = ("staged", "decrypted", "verified", "changes-inserted", "folded", "committed")
IMPORT_CANCELLABLE = frozenset({"staged", "decrypted", "verified", "changes-inserted",
                                "folded"})
# What is happening after each step (the hook reports a step once it is done).
EXPORT_NEXT = (N_("Packing the records and photos…"), N_("Encrypting onto the stick…"),
               N_("Writing to the stick…"), N_("Writing to the stick…"),
               N_("Reading the bundle back from the stick to check it…"),
               N_("Recording the export…"), N_("Done."))
IMPORT_NEXT = (N_("Copying the bundle from the stick…"), N_("Decrypting…"),
               N_("Checking the signature and every file…"), N_("Applying the changes…"),
               N_("Merging records edited at several places…"), N_("Saving…"), N_("Done."))
WARNING_STYLE = "color: #c92a2a;"


class Cancelled(Exception):
    """Raised from a sync hook when the user pressed Cancel; the sync code cleans up."""


def size_text(n: int) -> str:
    if n >= 1_000_000_000:
        return _("{value} GB").format(value=number(n / 1e9, 1))
    return _("{value} MB").format(value=number(n / 1e6, 1))


def entity_label(entity: str) -> str:
    return _(ENTITY_LABELS[entity]) if entity in ENTITY_LABELS else entity


def field_label(field: str) -> str:
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _label(table: dict[str, str], key: str) -> str:
    return _(table[key]) if key in table else key


def fixed_font(scale: float = 1.0) -> QFont:
    """Fingerprints are read aloud character by character: a fixed-width face helps."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    return font


def _wrapped(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _hook(progress: Callable[[int, int], None], cancelled: Callable[[], bool],
          steps: Sequence[str], cancellable: frozenset[str], offset: int = 0,
          total: int | None = None) -> Callable[[str], None]:
    """A sync `hook` that reports step numbers and stops where stopping is clean."""
    total = total or len(steps)

    def hook(step: str) -> None:
        if step in steps:
            progress(offset + steps.index(step) + 1, total)
        if step in cancellable and cancelled():
            raise Cancelled()

    return hook


def refusal_message(error: BaseException, *, before_import: bool = False) -> str:
    """One sentence for why a bundle was not imported, and what to do about it.

    The CLI's sentences name CLI commands; here the admin's way is the Keys and trust
    window, so the two trust refusals get their own wording. The others are the same.
    """
    from ranger_app.sync.errors import RevokedSigner, UnknownSigner

    if isinstance(error, Cancelled):
        return _("Cancelled; nothing was imported.")
    if isinstance(error, UnknownSigner):
        station, fpr = error.station or "?", error.fingerprint
        if before_import:
            return _(
                "This bundle is signed by a key that is not trusted here (station "
                "{station}, fingerprint {fingerprint}). If you import it, it is kept in "
                "quarantine and nothing is applied until an administrator confirms this "
                "fingerprint with that station by phone or radio and trusts its key in "
                "Sync › Keys and trust.").format(station=station, fingerprint=fpr)
        return _(
            "The bundle is signed by a key that is not trusted here (station {station}, "
            "fingerprint {fingerprint}). It is kept in quarantine and nothing was applied. "
            "An administrator must confirm this fingerprint with that station by phone or "
            "radio and then trust its key in Sync › Keys and trust; the bundle is then "
            "imported by itself.").format(station=station, fingerprint=fpr)
    if isinstance(error, RevokedSigner):
        return _(
            "The bundle is signed by the revoked key {fingerprint}, so it was refused and "
            "nothing was imported. If that station has new keys, an administrator must "
            "trust them first.").format(fingerprint=error.fingerprint)
    return describe(error)


class _Jobs:
    """The one worker a screen may run at a time, and a clean stop when it closes."""

    def __init__(self) -> None:
        self.worker: workers.Worker | None = None

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self, job: Callable[..., Any], on_progress: Callable[[int, int], None],
              on_ok: Callable[[Any], None], on_error: Callable[[BaseException], None],
              on_done: Callable[[], None] | None = None) -> workers.Worker:
        worker = workers.Worker(job)
        worker.signals.progress.connect(on_progress)
        # Not running any more by the time the result is shown, so the screen's buttons
        # and status are already right when `on_ok` / `on_error` update them.
        worker.signals.finished_ok.connect(lambda result: (self._finished(), on_ok(result)))
        worker.signals.failed.connect(lambda error: (self._finished(), on_error(error)))
        worker.signals.done.connect(self._finished)
        if on_done is not None:
            worker.signals.done.connect(on_done)
        self.worker = worker
        return workers.start(worker)

    def _finished(self) -> None:
        self.worker = None

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def stop(self) -> None:
        """Cancel and wait: a worker must not outlive the widgets its signals reach."""
        if self.worker is not None:
            self.worker.cancel()
            workers.wait_for_all()


class _Retranslating:
    """Widgets rebuild their text on QEvent.LanguageChange (mixed into QWidget classes)."""

    def retranslate(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)  # type: ignore[misc]


# === export ======================================================================================

@dataclass(frozen=True)
class Destination:
    path: Path
    kind: str  # drive | outbox | folder
    label: str = ""
    free: int | None = None


@dataclass
class _ExportState:
    db: Database
    peer: Peer | None = None
    snapshot: bool = False
    destination: Destination | None = None
    plan: ExportPlan | None = None
    result: ExportResult | None = None


def _peer_columns() -> list[Column]:
    return [
        Column(N_("Station code"), lambda p: p.station_code or "—"),
        Column(N_("Name"), lambda p: p.station_name),
        Column(N_("Role"), lambda p: _label(ROLE_LABELS, p.role)),
        Column(N_("Key fingerprint"), lambda p: p.fingerprint),
    ]


def _fit(view: QTableView) -> None:
    view.resizeColumnsToContents()
    view.horizontalHeader().setStretchLastSection(True)


class _RecipientPage(_Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.intro = _wrapped()
        self.model = RowsModel(_peer_columns(), self)
        self.table = make_table(self.model)
        self.table.setFont(self.font())
        self.empty = _wrapped()
        self.empty.setStyleSheet(WARNING_STYLE)
        self.snapshot = QCheckBox()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.snapshot)
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.table.doubleClicked.connect(lambda _i: self.wizard().next())
        self.snapshot.toggled.connect(self._snapshot)
        self.retranslate()

    def initializePage(self) -> None:
        from ranger_app.sync import trust

        peers = [p for p in trust.peers(self.state.db)
                 if p.trusted and p.role != "backup" and p.station_code]
        self.model.set_rows(peers)
        _fit(self.table)
        self.table.setColumnWidth(3, max(self.table.columnWidth(3), 200))
        self.empty.setVisible(not peers)
        if len(peers) == 1:  # a station has one peer, HQ: nothing to choose
            self.table.selectRow(0)

    def _chosen(self, *_args: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.state.peer = self.model.row_at(rows[0].row()) if rows else None
        self.completeChanged.emit()

    def _snapshot(self, on: bool) -> None:
        self.state.snapshot = on

    def isComplete(self) -> bool:
        return self.state.peer is not None

    def retranslate(self) -> None:
        self.setTitle(_("Who is the bundle for?"))
        self.intro.setText(_("Choose the station or HQ that will import this bundle. Only "
                             "trusted keys are listed; the bundle can be read only there."))
        self.empty.setText(_("No trusted station or HQ yet. An administrator must first "
                             "trust its key file in Sync › Keys and trust."))
        self.snapshot.setText(_("Everything, not only what is new (to set up a new "
                                "installation)"))
        self.model.retranslate()


class _DestinationPage(_Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.chosen: list[Destination] = []
        self.intro = _wrapped()
        self.list = QListWidget()
        self.list.setIconSize(self.list.iconSize() * 1.5)
        self.empty = _wrapped()
        self.empty.setStyleSheet(WARNING_STYLE)
        self.rescan = QPushButton()
        self.browse = QPushButton()
        buttons = QHBoxLayout()
        buttons.addWidget(self.rescan)
        buttons.addWidget(self.browse)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(self._current)
        self.list.itemDoubleClicked.connect(lambda _i: self.wizard().next())
        self.rescan.clicked.connect(lambda: self.refresh())
        self.browse.clicked.connect(self.choose_folder)
        self.retranslate()

    def initializePage(self) -> None:
        self.refresh()

    def destinations(self) -> list[Destination]:
        from ranger_app.sync import drives

        found = [Destination(d.path, "drive", d.label, d.free) for d in drives.find_drives()]
        peer = self.state.peer
        if peer is not None and peer.outbox_dir:
            found.append(Destination(Path(peer.outbox_dir), "outbox", peer.station_code))
        return found + self.chosen

    def refresh(self) -> None:
        previous = self.state.destination
        self.list.clear()
        found = self.destinations()
        for dest in found:
            item = QListWidgetItem(self._text(dest))
            item.setData(Qt.ItemDataRole.UserRole, dest)
            icon = (QStyle.StandardPixmap.SP_DriveHDIcon if dest.kind == "drive"
                    else QStyle.StandardPixmap.SP_DirIcon)
            item.setIcon(self.style().standardIcon(icon))
            self.list.addItem(item)
            if previous is not None and dest.path == previous.path:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count() == 1:
            self.list.setCurrentRow(0)
        self.empty.setVisible(not any(d.kind == "drive" for d in found))
        self._current()

    def _text(self, dest: Destination) -> str:
        if dest.kind == "drive":
            return _("USB stick {label} ({path}), {free} free").format(
                label=dest.label, path=dest.path, free=size_text(dest.free or 0))
        if dest.kind == "outbox":
            return _("Outbox folder for {code}: {path}").format(code=dest.label,
                                                                path=dest.path)
        return _("Folder {path}").format(path=dest.path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, _("Where should the bundle go?"))
        if path:
            dest = Destination(Path(path), "folder")
            self.chosen = [d for d in self.chosen if d.path != dest.path] + [dest]
            self.state.destination = dest
            self.refresh()

    def _current(self, *_args: Any) -> None:
        item = self.list.currentItem()
        self.state.destination = item.data(Qt.ItemDataRole.UserRole) if item else None
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.state.destination is not None

    def retranslate(self) -> None:
        self.setTitle(_("Where should the bundle go?"))
        self.intro.setText(_("USB sticks plugged into this computer are found by "
                             "themselves. The bundle is encrypted: only its recipient "
                             "can read it."))
        self.empty.setText(_("No USB stick found. Plug one in and click “Look again”, "
                             "or choose a folder."))
        self.rescan.setText(_("Look again"))
        self.browse.setText(_("Choose a folder…"))
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setText(self._text(item.data(Qt.ItemDataRole.UserRole)))


def _plan_columns() -> list[Column]:
    return [
        Column(N_("Record type"), lambda c: entity_label(c.entity)),
        Column(N_("Records"), lambda c: number(c.records, 0), align_right=True),
        Column(N_("Changes"), lambda c: number(c.changes, 0), align_right=True),
    ]


class _SummaryPage(_Retranslating, QWizardPage):
    """What will go: counted by the same rule as the export, before anything is written."""

    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.jobs = _Jobs()
        self.error: BaseException | None = None
        self.heading = _wrapped()
        heading_font = self.heading.font()
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.model = RowsModel(_plan_columns(), self)
        self.table = make_table(self.model)
        self.files = _wrapped()
        self.where = _wrapped()
        self.warning = _wrapped()
        self.warning.setStyleSheet(WARNING_STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.files)
        layout.addWidget(self.where)
        layout.addWidget(self.warning)
        self.setCommitPage(True)
        self.retranslate()

    def initializePage(self) -> None:
        from ranger_app.sync.preview import export_plan

        self.state.plan, self.error = None, None
        self.model.set_rows([])
        self.show_plan()
        peer, db, snapshot = self.state.peer, self.state.db, self.state.snapshot
        assert peer is not None

        def job(progress: Any, cancelled: Any) -> ExportPlan:
            return export_plan(db, peer.station_code, snapshot=snapshot)

        self.jobs.start(job, lambda *_a: None, self._planned, self._failed)

    def _planned(self, plan: ExportPlan) -> None:
        self.state.plan = plan
        order = {name: i for i, name in enumerate(ENTITY_LABELS)}  # main records first
        self.model.set_rows(sorted(plan.entities, key=lambda c: order.get(c.entity, 99)))
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.show_plan()
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.error = error
        self.show_plan()

    def show_plan(self) -> None:
        plan, peer, dest = self.state.plan, self.state.peer, self.state.destination
        if peer is None or dest is None:
            return
        self.where.setText(_("It will be written to {path}.").format(path=dest.path))
        self.warning.setText(describe(self.error) if self.error else "")
        if plan is None:
            self.heading.setText(_("Counting what will go…"))
            self.files.setText("")
            self.table.setVisible(True)
            return
        self.heading.setText(_("For {code} · {name}: {kind}").format(
            code=plan.peer, name=plan.peer_name, kind=_label(KIND_LABELS, plan.kind)))
        self.table.setVisible(plan.kind != "partner")
        if plan.kind == "partner":
            self.files.setText(_("Only the records agreed with the partner park go: fire "
                                 "reports near the border and tiger and leopard "
                                 "observations, without positions, people or photos."))
        elif not plan.changes:
            self.files.setText(_("Nothing new to send. The bundle still tells {code} what "
                                 "this site already has.").format(code=plan.peer))
        else:
            text = ngettext("{n} photo or track file, {size}.",
                            "{n} photo and track files, {size}.", plan.files).format(
                n=plan.files, size=size_text(plan.file_bytes))
            if plan.files_missing:
                text += " " + ngettext(
                    "{n} file was never received here; its record goes without it.",
                    "{n} files were never received here; their records go without them.",
                    plan.files_missing).format(n=plan.files_missing)
            self.files.setText(text)
        if dest.free is not None and dest.free < plan.estimated_bytes:
            self.warning.setText(_("The stick may be too small: about {needed} are needed, "
                                   "{free} are free.").format(
                needed=size_text(plan.estimated_bytes), free=size_text(dest.free)))

    def isComplete(self) -> bool:
        return self.state.plan is not None

    def retranslate(self) -> None:
        self.setTitle(_("What will go"))
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Write the bundle"))
        self.model.retranslate()
        self.show_plan()


class _WritePage(_Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.jobs = _Jobs()
        self.step = 0
        self.error: BaseException | None = None
        self.status = _wrapped()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.message = _wrapped()
        self.cancel_button = QPushButton()
        self.retry_button = QPushButton()
        self.elsewhere_button = QPushButton()
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addWidget(self.retry_button)
        row.addWidget(self.elsewhere_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addStretch(1)
        self.cancel_button.clicked.connect(self.jobs.cancel)
        self.retry_button.clicked.connect(self.start)
        self.elsewhere_button.clicked.connect(self.choose_elsewhere)
        self.setCommitPage(True)
        self.retranslate()

    def initializePage(self) -> None:
        self.start()

    def start(self) -> None:
        from ranger_app.sync.writer import export_bundle

        state = self.state
        assert state.peer is not None and state.destination is not None
        db, code, out, snapshot = (state.db, state.peer.station_code,
                                   state.destination.path, state.snapshot)
        state.result, self.error, self.step = None, None, 0
        self.bar.setRange(0, 0)  # packing has no steps to count: a busy bar until zipped

        def job(progress: Any, cancelled: Any) -> ExportResult:
            hook = _hook(progress, cancelled, EXPORT_STEPS, EXPORT_CANCELLABLE)
            if cancelled():
                raise Cancelled()
            return export_bundle(db, code, out, snapshot=snapshot, hook=hook)

        self.jobs.start(job, self._progress, self._written, self._failed, self._update)
        self._update()

    def _progress(self, done: int, total: int) -> None:
        self.step = done
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self._update()

    def _written(self, result: ExportResult) -> None:
        self.state.result = result
        self.step = len(EXPORT_STEPS)
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self.error = error

    def choose_elsewhere(self) -> None:
        path = QFileDialog.getExistingDirectory(self, _("Where should the bundle go?"))
        if path:
            self.state.destination = Destination(Path(path), "folder")
            self.start()

    def _update(self) -> None:
        running = self.jobs.running
        done = self.state.result is not None
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running and self.step < EXPORT_STEPS.index("renamed"))
        self.retry_button.setVisible(not running and not done)
        self.elsewhere_button.setVisible(not running and not done)
        if running or done:
            self.status.setText(_(EXPORT_NEXT[min(self.step, len(EXPORT_NEXT) - 1)]))
        if done:
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.status.setText(_("The bundle was written and read back from the stick: "
                                  "it is intact."))
            self.message.setText("")
        elif self.error is not None and not running:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.status.setText(_("The bundle was not written."))
            self.message.setText(_("Cancelled; nothing was written to the stick.")
                                 if isinstance(self.error, Cancelled) else describe(self.error))
        else:
            self.message.setText("")

    def isComplete(self) -> bool:
        return self.state.result is not None

    def retranslate(self) -> None:
        self.setTitle(_("Writing the bundle"))
        self.setButtonText(QWizard.WizardButton.CommitButton, _("Next"))
        self.cancel_button.setText(_("Cancel"))
        self.retry_button.setText(_("Try again"))
        self.elsewhere_button.setText(_("Write it elsewhere…"))
        self._update()


class _DonePage(_Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.file_label = QLabel()
        self.file_name = QLabel()
        self.file_name.setFont(fixed_font())
        self.file_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label = QLabel()
        self.folder = _wrapped()
        self.contents_label = QLabel()
        self.contents = _wrapped()
        self.safe = _wrapped()
        font = self.safe.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.safe.setFont(font)
        form = QFormLayout()
        form.addRow(self.file_label, self.file_name)
        form.addRow(self.folder_label, self.folder)
        form.addRow(self.contents_label, self.contents)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(12)
        layout.addWidget(self.safe)
        layout.addStretch(1)
        self.retranslate()

    def initializePage(self) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(_("The bundle is ready"))
        self.file_label.setText(_("File"))
        self.folder_label.setText(_("Folder"))
        self.contents_label.setText(_("Contents"))
        r, dest = self.state.result, self.state.destination
        if r is None or dest is None:
            return
        self.file_name.setText(r.path.name)
        self.folder.setText(str(r.path.parent))
        self.contents.setText(_("{changes} changes, {files} files; {size} in all.").format(
            changes=number(r.changes, 0), files=number(r.blobs, 0), size=size_text(r.size)))
        if dest.kind == "drive":
            self.safe.setText(_("It is safe to remove the USB stick now. Take it to {code}."
                                ).format(code=r.peer))
        else:
            self.safe.setText(_("Take this file to {code}, or leave it in this folder if "
                                "{code} reads it from there.").format(code=r.peer))


class ExportWizard(_Retranslating, QWizard):
    """Export a bundle: recipient → stick or folder → what will go → write and check → done."""

    exported = Signal(object)  # ExportResult

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = _ExportState(db)
        self.recipient_page = _RecipientPage(self.state)
        self.destination_page = _DestinationPage(self.state)
        self.summary_page = _SummaryPage(self.state)
        self.write_page = _WritePage(self.state)
        self.done_page = _DonePage(self.state)
        for page in (self.recipient_page, self.destination_page, self.summary_page,
                     self.write_page, self.done_page):
            self.addPage(page)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.setMinimumSize(760, 520)
        self._closing = False
        self.write_page.completeChanged.connect(self._maybe_exported)
        self.retranslate()

    def _maybe_exported(self) -> None:
        if self.state.result is not None:
            self.exported.emit(self.state.result)

    def _jobs(self) -> list[_Jobs]:
        return [self.summary_page.jobs, self.write_page.jobs]

    def reject(self) -> None:
        """Cancel stops a running write first; the wizard closes when it has stopped."""
        running = [j for j in self._jobs() if j.running]
        if running and not self._closing:
            self._closing = True
            for jobs in running:
                assert jobs.worker is not None
                jobs.worker.signals.done.connect(self.reject)
                jobs.cancel()
            return
        if running:
            return
        if self._closing and self.state.result is not None:
            self._closing = False  # it finished past the point of no return: say so
            self.next()
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:
        for jobs in self._jobs():
            jobs.stop()
        super().closeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(_("Export a bundle"))
        for which, text in ((QWizard.WizardButton.BackButton, _("Back")),
                            (QWizard.WizardButton.NextButton, _("Next")),
                            (QWizard.WizardButton.CancelButton, _("Cancel")),
                            (QWizard.WizardButton.FinishButton, _("Finish"))):
            self.setButtonText(which, text)


# === import ======================================================================================

@dataclass
class Outcome:
    """One bundle file: its dry-run or import report, or why it was refused."""

    path: Path
    report: ImportReport | None = None
    error: BaseException | None = None
    imported: bool = False  # the import ran (not only the dry run)

    @property
    def importable(self) -> bool:
        from ranger_app.sync.errors import UnknownSigner

        if self.report is not None:
            return self.report.status in ("dry-run", "pending")
        return isinstance(self.error, UnknownSigner)  # importing keeps it in quarantine


@dataclass(frozen=True)
class Source:
    label: str
    files: tuple[Path, ...]


def _count(o: Outcome, name: str) -> str:
    if o.report is None or o.report.status not in ("dry-run", "applied"):
        return ""
    if o.report.partner_records and name == "records_new":
        return number(o.report.partner_records, 0)
    return number(getattr(o.report, name), 0)


def _status_text(o: Outcome) -> str:
    from ranger_app.sync.errors import RevokedSigner, UnknownSigner

    if o.error is not None:
        if isinstance(o.error, Cancelled):
            return _("Cancelled")
        if isinstance(o.error, UnknownSigner):
            return _("In quarantine") if o.imported else _("Unknown key")
        if isinstance(o.error, RevokedSigner):
            return _("Revoked key")
        return _("Refused")
    assert o.report is not None
    return {"dry-run": _("Ready to import"), "applied": _("Imported"),
            "already": _("Already imported"),
            "pending": _("Waits for earlier bundles")}.get(o.report.status, o.report.status)


def _source_text(o: Outcome, names: dict[str, str]) -> str:
    from ranger_app.sync.errors import UnknownSigner

    code = o.report.source if o.report is not None else (
        o.error.station if isinstance(o.error, UnknownSigner) else "")
    if not code:
        return ""
    return f"{code} · {names[code]}" if names.get(code) else code


def _outcome_columns(names: dict[str, str]) -> list[Column]:
    return [
        Column(N_("File"), lambda o: o.path.name, tooltip=lambda o: str(o.path)),
        Column(N_("Sent by"), lambda o: _source_text(o, names)),
        Column(N_("New records"), lambda o: _count(o, "records_new"), align_right=True),
        Column(N_("Updated"), lambda o: _count(o, "records_updated"), align_right=True),
        Column(N_("Conflicts"), lambda o: _count(o, "conflicts"), align_right=True),
        Column(N_("Files"), lambda o: _count(o, "blobs"), align_right=True),
        Column(N_("Result"), _status_text),
    ]


def outcome_message(o: Outcome, *, before_import: bool) -> str:
    """The sentence under the table: what this file would do, or did, or why not."""
    if o.error is not None:
        return refusal_message(o.error, before_import=before_import)
    r = o.report
    assert r is not None
    if r.status == "already":
        return _("This bundle was already imported; importing it again changes nothing.")
    if r.status == "pending":
        return (_("This bundle needs earlier bundles from the same station first. If you "
                  "import it, it is kept here and applied when they arrive.")
                if before_import else
                _("Kept until the earlier bundles from that station arrive; it will be "
                  "applied then by itself."))
    parts = [_("Nothing has been written yet; check the numbers, then import.")
             if r.status == "dry-run" else _("Imported.")]
    if r.conflicts:
        parts.append(ngettext(
            "{n} field was changed at two places; the inspector can settle it in "
            "Sync › Conflicts.",
            "{n} fields were changed at two places; the inspector can settle them in "
            "Sync › Conflicts.", r.conflicts).format(n=r.conflicts))
    if r.future_hlc:
        parts.append(ngettext(
            "{n} change is dated far in the future: check the clock of the sending laptop.",
            "{n} changes are dated far in the future: check the clock of the sending "
            "laptop.", r.future_hlc).format(n=r.future_hlc))
    if r.also_applied:
        parts.append(ngettext(
            "{n} bundle that was waiting for this one was imported too.",
            "{n} bundles that were waiting for this one were imported too.",
            len(r.also_applied)).format(n=len(r.also_applied)))
    return " ".join(parts)


class ImportDialog(_Retranslating, QDialog):
    """Import bundles: choose a file (or an inbox folder) → dry-run report → import → report."""

    imported = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None,
                 path: Path | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.jobs = _Jobs()
        self.outcomes: list[Outcome] = []
        self.after = False  # the table shows what happened, not what would
        self.step_text = ""
        self.per_file = len(IMPORT_STEPS)
        self.extra_sources: list[Source] = []
        self.source_label = QLabel()
        self.source = QComboBox()
        self.source.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source.setMinimumContentsLength(30)
        self.file_button = QPushButton()
        self.folder_button = QPushButton()
        self.rescan_button = QPushButton()
        self.names = self._station_names()
        self.model = RowsModel(_outcome_columns(self.names), self)
        self.table = make_table(self.model)
        self.message = _wrapped()
        self.message.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status = QLabel()
        self.bar = QProgressBar()
        self.import_button = QPushButton()
        self.import_button.setDefault(True)
        self.cancel_button = QPushButton()
        self.close_button = QPushButton()
        top = QHBoxLayout()
        top.addWidget(self.source_label)
        top.addWidget(self.source, 1)
        top.addWidget(self.file_button)
        top.addWidget(self.folder_button)
        top.addWidget(self.rescan_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.bar)
        layout.addLayout(bottom)
        self.resize(900, 440)
        self.source.currentIndexChanged.connect(self._source_chosen)
        self.file_button.clicked.connect(self.choose_file)
        self.folder_button.clicked.connect(self.choose_folder)
        self.rescan_button.clicked.connect(lambda: self.refresh_sources())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._show_message())
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.jobs.cancel)
        self.close_button.clicked.connect(self.close)
        self.retranslate()
        if path is not None:
            self.add_source(self._source_for(path))
        else:
            self.refresh_sources()

    def _station_names(self) -> dict[str, str]:
        from ranger_app.sync import trust

        return {p.station_code: p.station_name for p in trust.peers(self.db)
                if p.station_code}

    # --- sources ---------------------------------------------------------------------------

    def found_sources(self) -> list[Source]:
        """Bundles at the top of every USB stick, then each peer's inbox folder."""
        from ranger_app.sync import drives
        from ranger_app.sync.preview import inbox_folders

        found = []
        for drive in drives.find_drives():
            for path in drives.bundles_in(drive.path):
                found.append(Source(_("USB stick {label}: {name}").format(
                    label=drive.label, name=path.name), (path,)))
        for code, folder in inbox_folders(self.db).items():
            files = drives.bundles_in(folder)
            if files:
                found.append(Source(ngettext(
                    "Inbox folder of {code}: {n} bundle", "Inbox folder of {code}: {n} bundles",
                    len(files)).format(code=code, n=len(files)), tuple(files)))
        return found

    def refresh_sources(self, select: tuple[Path, ...] = ()) -> None:
        """List the sources again, keeping `select` (or the first) chosen; dry-run it."""
        sources = self.found_sources() + self.extra_sources
        self.source.blockSignals(True)
        self.source.clear()
        for src in sources:
            self.source.addItem(src.label, src)
        index = next((i for i, s in enumerate(sources) if s.files == select), 0)
        self.source.setCurrentIndex(index if sources else -1)
        self.source.blockSignals(False)
        self._source_chosen()

    def _source_for(self, path: Path) -> Source:
        from ranger_app.sync import drives

        if path.is_dir():
            files = tuple(drives.bundles_in(path))
            return Source(ngettext("Folder {path}: {n} bundle", "Folder {path}: {n} bundles",
                                   len(files)).format(path=path, n=len(files)), files)
        return Source(str(path), (path,))

    def add_source(self, source: Source) -> None:
        self.extra_sources = [s for s in self.extra_sources if s.files != source.files]
        self.extra_sources.append(source)
        self.refresh_sources(select=source.files)

    def choose_file(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, _("Choose a bundle"), "", _("Bundles (*.rangerbundle);;All files (*)"))
        if path:
            self.add_source(self._source_for(Path(path)))

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, _("Choose a folder with bundles"))
        if path:
            self.add_source(self._source_for(Path(path)))

    def current_files(self) -> tuple[Path, ...]:
        src = self.source.currentData()
        return src.files if isinstance(src, Source) else ()

    def _source_chosen(self, *_args: Any) -> None:
        if self.jobs.running:
            return
        self.outcomes, self.after = [], False
        self.model.set_rows([])
        if self.current_files():
            self.start_dry_run()
        self._update()

    # --- work ------------------------------------------------------------------------------

    def _run(self, files: Sequence[Path], dry_run: bool) -> None:
        from ranger_app.domain.errors import RangerError
        from ranger_app.sync.importer import import_bundle

        db = self.db
        steps = IMPORT_STEPS[:-1] if dry_run else IMPORT_STEPS

        def job(progress: Any, cancelled: Any) -> list[Outcome]:
            out = []
            for i, path in enumerate(files):
                if cancelled():
                    out.append(Outcome(path, error=Cancelled(), imported=not dry_run))
                    continue
                hook = _hook(progress, cancelled, steps, IMPORT_CANCELLABLE,
                             offset=i * len(steps), total=len(files) * len(steps))
                try:
                    out.append(Outcome(path, import_bundle(db, path, dry_run=dry_run,
                                                           hook=hook), imported=not dry_run))
                except (RangerError, Cancelled) as err:
                    out.append(Outcome(path, error=err, imported=not dry_run))
                progress((i + 1) * len(steps), len(files) * len(steps))
            return out

        self.step_text = _(IMPORT_NEXT[0])
        self.per_file = len(steps)
        self.bar.setRange(0, len(files) * len(steps))
        self.bar.setValue(0)
        self.jobs.start(job, self._progress, lambda r: self._finished(r, dry_run),
                        self._failed, self._update)
        self._update()

    def start_dry_run(self) -> None:
        self._run(self.current_files(), dry_run=True)

    def start_import(self) -> None:
        if self.jobs.running:
            return
        files = [o.path for o in self.outcomes if o.importable]
        if files:
            self._run(files, dry_run=False)

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        step = done % self.per_file if done < total else len(IMPORT_NEXT) - 1
        self.step_text = _(IMPORT_NEXT[step])
        self._update()

    def _finished(self, outcomes: list[Outcome], dry_run: bool) -> None:
        if dry_run:
            self.outcomes, self.after = outcomes, False
        else:
            done = {o.path: o for o in outcomes}
            self.outcomes = [done.get(o.path, o) for o in self.outcomes]
            self.after = True
            if any(o.report is not None and o.report.status == "applied" for o in outcomes):
                self.imported.emit()
        self.model.set_rows(self.outcomes)
        _fit(self.table)
        if self.outcomes:
            self.table.selectRow(0)
        self._show_message()

    def _failed(self, error: BaseException) -> None:
        QMessageBox.warning(self, _("Could not do that"), describe(error))

    # --- showing ---------------------------------------------------------------------------

    def summary(self) -> str:
        """One line over every file: after an import, what happened to all of them."""
        if not self.outcomes:
            return ""
        if not self.after:
            ready = sum(o.importable for o in self.outcomes)
            return ngettext("{n} bundle can be imported.", "{n} bundles can be imported.",
                            ready).format(n=ready)
        applied = [o.report for o in self.outcomes
                   if o.report is not None and o.report.status == "applied"]
        if not applied:
            return _("No bundle was applied; the reason is below.")
        return ngettext(
            "Imported {n} bundle: {records} new records, {updated} updated, {conflicts} new "
            "conflicts.",
            "Imported {n} bundles: {records} new records, {updated} updated, {conflicts} "
            "new conflicts.", len(applied)).format(
            n=len(applied), records=sum(r.records_new + r.partner_records for r in applied),
            updated=sum(r.records_updated for r in applied),
            conflicts=sum(r.conflicts for r in applied))

    def message_text(self) -> str:
        """The explanation for the selected file (or the only one)."""
        rows = self.table.selectionModel().selectedRows()
        index = rows[0].row() if rows else 0
        if not 0 <= index < len(self.outcomes):
            return ""
        return outcome_message(self.outcomes[index], before_import=not self.after)

    def _show_message(self) -> None:
        self.message.setText(self.message_text())
        self._update()

    def _update(self) -> None:
        running = self.jobs.running
        self.bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.import_button.setEnabled(not running and not self.after
                                      and any(o.importable for o in self.outcomes))
        for w in (self.source, self.file_button, self.folder_button, self.rescan_button):
            w.setEnabled(not running)
        if running:
            self.status.setText(self.step_text)
        elif not self.current_files():
            self.status.setText(_("No bundle found on a USB stick. Plug the stick in and "
                                  "click “Look again”, or choose a file."))
        else:
            self.status.setText(self.summary())

    def closeEvent(self, event: Any) -> None:
        self.jobs.stop()
        super().closeEvent(event)

    def reject(self) -> None:
        self.jobs.stop()
        super().reject()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Import bundles"))
        self.source_label.setText(_("Bundle"))
        self.source.setPlaceholderText(_("No bundle found"))
        self.file_button.setText(_("Choose a file…"))
        self.folder_button.setText(_("Choose a folder…"))
        self.rescan_button.setText(_("Look again"))
        self.import_button.setText(_("Import"))
        self.cancel_button.setText(_("Cancel"))
        self.close_button.setText(_("Close"))
        self.model.retranslate()
        if self.outcomes:
            self.message.setText(self.message_text())
        self._update()


# === keys and trust ==============================================================================

def _peer_waiting_columns() -> list[Column]:
    return [
        Column(N_("Station code"), lambda w: w.peer.station_code or "—"),
        Column(N_("Name"), lambda w: w.peer.station_name),
        Column(N_("Role"), lambda w: _label(ROLE_LABELS, w.peer.role)),
        Column(N_("Status"), lambda w: _label(STATUS_LABELS, w.peer.status)),
        Column(N_("Waiting bundles"), lambda w: number(w.waiting, 0) if w.waiting else "",
               align_right=True),
        Column(N_("Key fingerprint"), lambda w: w.peer.fingerprint),
    ]


def _waiting_columns(tz: Callable[[], str]) -> list[Column]:
    return [
        # Kept under its ciphertext's SHA-256: the first characters are enough to tell apart.
        Column(N_("File"), lambda w: w.path.name[:12] + "…", tooltip=lambda w: str(w.path)),
        Column(N_("Sent by"), lambda w: w.station_code or "?"),
        Column(N_("Status"), lambda w: _label(STATUS_LABELS, w.status)),
        Column(N_("Received"), lambda w: datetime_short(w.received_at, tz())),
        Column(N_("Key fingerprint"), lambda w: w.fingerprint),
    ]


class KeysDialog(_Retranslating, QDialog):
    """For the administrator: this site's fingerprint and key file, and whom it trusts.

    Trusting is the one step that lets another laptop's data in, so the fingerprint is
    shown large and the admin is asked to compare it with the one read out over the phone
    or radio by the other site (no trust on first use).
    """

    imported = Signal()  # bundles that waited for a key were imported

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ranger_app.sync.identity import ensure_keys

        self.db = db
        self.jobs = _Jobs()
        self.tz = _station_tz(db)
        self.fingerprint = ensure_keys(db).fingerprint
        self.own_box = QGroupBox()
        self.station_label = QLabel()
        self.station = QLabel()
        self.fpr_label = QLabel()
        self.fpr = QLabel(self.fingerprint)
        self.fpr.setFont(fixed_font(1.6))
        self.fpr.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton()
        own = QFormLayout(self.own_box)
        own.addRow(self.station_label, self.station)
        own.addRow(self.fpr_label, self.fpr)
        export_row = QHBoxLayout()
        export_row.addWidget(self.export_button)
        export_row.addStretch(1)
        own.addRow("", export_row)

        self.peers_box = QGroupBox()
        self.peers_model = RowsModel(_peer_waiting_columns(), self)
        self.peers_table = make_table(self.peers_model)
        self.trust_button = QPushButton()
        self.revoke_button = QPushButton()
        peer_buttons = QHBoxLayout()
        peer_buttons.addWidget(self.trust_button)
        peer_buttons.addWidget(self.revoke_button)
        peer_buttons.addStretch(1)
        peers = QVBoxLayout(self.peers_box)
        peers.addWidget(self.peers_table)
        peers.addLayout(peer_buttons)

        self.waiting_box = QGroupBox()
        self.waiting_model = RowsModel(_waiting_columns(lambda: self.tz), self)
        self.waiting_table = make_table(self.waiting_model)
        self.waiting_note = _wrapped()
        waiting = QVBoxLayout(self.waiting_box)
        waiting.addWidget(self.waiting_note)
        waiting.addWidget(self.waiting_table)

        self.status = _wrapped()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.own_box)
        layout.addWidget(self.peers_box, 2)
        layout.addWidget(self.waiting_box, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(900, 640)
        self.export_button.clicked.connect(self.export_keys)
        self.trust_button.clicked.connect(self.choose_key_file)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.peers_table.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self.refresh()
        self.retranslate()

    def refresh(self) -> None:
        from ranger_app.sync.preview import peers_with_waiting, waiting_bundles

        self.peers_model.set_rows(peers_with_waiting(self.db))
        self.waiting_model.set_rows(waiting_bundles(self.db))
        for table in (self.peers_table, self.waiting_table):
            _fit(table)
        self._update()

    def selected_peer(self) -> PeerWaiting | None:
        rows = self.peers_table.selectionModel().selectedRows()
        return self.peers_model.row_at(rows[0].row()) if rows else None

    def _update(self) -> None:
        chosen = self.selected_peer()
        self.revoke_button.setEnabled(chosen is not None and chosen.peer.status != "revoked"
                                      and not self.jobs.running)
        self.trust_button.setEnabled(not self.jobs.running)
        self.waiting_table.setVisible(bool(self.waiting_model.rows))
        self._note()

    def _note(self) -> None:
        self.waiting_note.setText(
            _("Bundles from keys not confirmed yet, or waiting for earlier bundles. Trusting "
              "the key of their station imports them.") if self.waiting_model.rows else
            _("No bundle is waiting."))

    # --- actions ---------------------------------------------------------------------------

    def export_keys(self) -> None:
        from ranger_app.sync import trust

        code = trust.local_station(self.db).code or "keys"
        path, _f = QFileDialog.getSaveFileName(
            self, _("Save the public keys of this installation"),
            str(Path.home() / f"{code}-keys.json"), _("Key files (*.json);;All files (*)"))
        if path:
            self.save_keys(Path(path))

    def save_keys(self, path: Path) -> None:
        from ranger_app.domain.errors import RangerError
        from ranger_app.sync import trust

        try:
            out = trust.export_key_file(self.db, path)
        except (OSError, RangerError) as err:  # a read-only folder, keys sealed elsewhere
            self.status.setText(describe(err))
            return
        self.status.setText(_("Wrote the public keys to {path}. Send this file to the other "
                              "site and read them the fingerprint {fpr} by phone or radio."
                              ).format(path=out, fpr=self.fingerprint))

    def choose_key_file(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, _("Choose the key file of the other site"), "",
            _("Key files (*.json *.txt *.pub);;All files (*)"))
        if path:
            self.trust_file(Path(path))

    def confirm(self, fingerprint: str, who: str) -> bool:
        """Ask the admin to compare the fingerprint with the one read out by the other site."""
        text = _(
            "<p>Key of <b>{who}</b>. Its fingerprint is:</p>"
            "<p style='font-size:xx-large; font-family:monospace'>{fpr}</p>"
            "<p>Call the administrator of that site and ask them to read out the "
            "fingerprint shown in their Sync › Keys and trust window. Trust the key only "
            "if every character matches.</p>").format(who=html.escape(who),
                                                      fpr=html.escape(fingerprint))
        answer = QMessageBox.question(
            self, _("Compare the fingerprint"), text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def trust_file(self, path: Path) -> None:
        from ranger_app.domain.errors import RangerError
        from ranger_app.sync import trust
        from ranger_app.sync.importer import retry_waiting

        try:
            key = trust.read_key_file(path)
        except RangerError as err:
            self.status.setText(describe(err))
            return
        who = (f"{key.station_code} · {key.station_name}" if key.station_code
               else _label(ROLE_LABELS, key.role))
        if not self.confirm(key.public.fingerprint, who):
            self.status.setText(_("Not trusted; nothing changed."))
            return
        try:
            peer = trust.trust_key_file(self.db, path)
        except RangerError as err:
            self.status.setText(describe(err))
            return
        db = self.db

        def job(progress: Any, cancelled: Any) -> list[str]:
            return retry_waiting(db)

        self.status.setText(_("Trusted {who}. Importing the bundles that waited for this "
                              "key…").format(who=who))
        self.jobs.start(job, lambda *_a: None, lambda done: self._retried(peer, who, done),
                        self._failed, self._update)
        self._update()

    def _retried(self, peer: Peer, who: str, done: list[str]) -> None:
        text = _("Trusted {who} with the fingerprint {fpr}.").format(who=who,
                                                                   fpr=peer.fingerprint)
        if done:
            text += " " + ngettext("{n} waiting bundle was imported.",
                                   "{n} waiting bundles were imported.", len(done)).format(
                n=len(done))
            self.imported.emit()
        self.status.setText(text)
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(describe(error))
        self.refresh()

    def revoke_selected(self) -> None:
        from ranger_app.domain.errors import RangerError
        from ranger_app.sync import trust

        chosen = self.selected_peer()
        if chosen is None:
            return
        p = chosen.peer
        answer = QMessageBox.warning(
            self, _("Revoke this key?"),
            _("Revoke the key {fpr} of {code}? Bundles signed with it will be refused from "
              "now on, and it cannot be trusted again: that site will need new keys.").format(
                fpr=p.fingerprint, code=p.station_code or "?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            trust.revoke(self.db, p.fingerprint)
        except RangerError as err:
            self.status.setText(describe(err))
            return
        self.status.setText(_("Revoked {fpr} ({code}); its bundles will be refused.").format(
            fpr=p.fingerprint, code=p.station_code or "-"))
        self.refresh()

    def closeEvent(self, event: Any) -> None:
        self.jobs.stop()
        super().closeEvent(event)

    def reject(self) -> None:
        self.jobs.stop()
        super().reject()

    def retranslate(self) -> None:
        from ranger_app.sync import trust

        here = trust.local_station(self.db)
        self.setWindowTitle(_("Keys and trust"))
        self.own_box.setTitle(_("This installation"))
        self.station_label.setText(_("Station"))
        self.station.setText(f"{here.code} · {here.name} ({_label(ROLE_LABELS, here.role)})")
        self.fpr_label.setText(_("Key fingerprint"))
        self.export_button.setText(_("Save my public keys to a file…"))
        self.peers_box.setTitle(_("Keys of other sites"))
        self.trust_button.setText(_("Trust a key file…"))
        self.revoke_button.setText(_("Revoke…"))
        self.waiting_box.setTitle(_("Bundles waiting here"))
        self._note()
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        for model in (self.peers_model, self.waiting_model):
            model.retranslate()


# === conflicts ===================================================================================

def _station_tz(db: Database) -> str:
    from ranger_app.store.queries import stations

    here = db.installation().station_uuid
    return next((s.tz for s in stations(db) if s.uuid == here), "UTC")


def show_value(value: Any, tz: str) -> str:
    """A payload value as a person reads it: local dates, local decimal marks, yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        digits = len(f"{value:.6f}".rstrip("0").split(".")[1])
        return number(value, max(digits, 1))
    if isinstance(value, int):
        return number(value, 0)
    if isinstance(value, str) and len(value) == 27 and value[10] == "T" and value[-1] == "Z":
        try:
            return datetime_short(datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC), tz)
        except ValueError:
            return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:79] + "…"


def side_text(side: Side, tz: str) -> str:
    """Who, at which station, on which device, when: what an inspector weighs."""
    parts = [side.person or _("unknown person")]
    if side.station:
        parts.append(side.station)
    if side.at is not None:
        parts.append(datetime_short(side.at, tz))
    if side.device:  # last: in a narrow cell it is the part elided
        parts.append(_("device …{id}").format(id=side.device[-6:]))
    return " · ".join(parts)


def _conflict_columns(tz: Callable[[], str]) -> list[Column]:
    def value(d: ConflictDetail, which: str) -> str:
        side = d.a if which == "a" else d.b
        return f"{show_value(side.value, tz())}\n{side_text(side, tz())}"

    return [
        Column(N_("Record type"), lambda d: entity_label(d.entity)),
        Column(N_("Record"), lambda d: d.record, tooltip=lambda d: d.entity_uuid),
        Column(N_("Field"), lambda d: field_label(d.field),
               tooltip=lambda d: _label(CONFLICT_KINDS, d.kind)),
        Column(N_("One value"), lambda d: value(d, "a"), tooltip=lambda d: value(d, "a")),
        Column(N_("Other value"), lambda d: value(d, "b"), tooltip=lambda d: value(d, "b")),
        Column(N_("Holds for now"), lambda d: show_value(d.held, tz())),
    ]


class ConflictsView(_Retranslating, QWidget):
    """The inspector's queue: both values, who made them, and a choice that becomes a change.

    The record keeps a provisional winner (the later change) until someone decides; the
    decision is written as an ordinary change (`sync.resolve`), so it is in the audit
    trail and reaches every other site with the next bundle.
    """

    resolved = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db = db
        self.tz = _station_tz(db)
        self.heading = _wrapped()
        self.model = RowsModel(_conflict_columns(lambda: self.tz), self)
        self.table = make_table(self.model)
        self.choice_box = QGroupBox()
        self.kind = _wrapped()
        self.pick_a = QRadioButton()
        self.pick_b = QRadioButton()
        self.pick_other = QRadioButton()
        self.other = QLineEdit()
        self.group = QButtonGroup(self)
        for button in (self.pick_a, self.pick_b, self.pick_other):
            self.group.addButton(button)
        other_row = QHBoxLayout()
        other_row.addWidget(self.pick_other)
        other_row.addWidget(self.other, 1)
        self.resolve_button = QPushButton()
        self.resolve_button.setDefault(True)
        box = QVBoxLayout(self.choice_box)
        box.addWidget(self.kind)
        box.addWidget(self.pick_a)
        box.addWidget(self.pick_b)
        box.addLayout(other_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.resolve_button)
        box.addLayout(buttons)
        self.status = _wrapped()
        self.close_button = QPushButton()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.choice_box)
        layout.addLayout(bottom)
        self.resize(1200, 560)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.group.buttonToggled.connect(lambda *_a: self._update())
        self.other.textEdited.connect(lambda _t: self.pick_other.setChecked(True))
        self.other.textChanged.connect(lambda _t: self._update())
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.close_button.clicked.connect(self.close)
        self.refresh()
        self.retranslate()

    def refresh(self) -> None:
        from ranger_app.sync.resolve import conflict_details

        self.model.set_rows(conflict_details(self.db))
        self._layout_table()
        if self.model.rows:
            self.table.selectRow(0)
        self._selected()
        self._show_heading()

    def _layout_table(self) -> None:
        """Values with their author on a second line (no wrapping, so every row is two
        lines high whatever the width); the two value columns share the rest."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for col in range(self.model.columnCount()):
            mode = (QHeaderView.ResizeMode.Stretch if col in (3, 4)
                    else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(col, mode)
        self.table.resizeRowsToContents()

    def selected(self) -> ConflictDetail | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selected(self) -> None:
        d = self.selected()
        self.group.setExclusive(False)
        for button in (self.pick_a, self.pick_b, self.pick_other):
            button.setChecked(False)
        self.group.setExclusive(True)
        self.other.clear()
        if d is not None:
            self.other.setPlaceholderText(self._hint(d))
            self.other.setEnabled(d.kind != "delete")
            self.pick_other.setEnabled(d.kind != "delete")
        self._texts()
        self._update()

    def _hint(self, d: ConflictDetail) -> str:
        from ranger_app.sync.resolve import field_kind

        kind = field_kind(d.entity, d.field)
        return {"number": _("a number, e.g. 2.5"), "integer": _("a whole number"),
                "flag": _("yes or no"), "time": _("date and time in UTC: YYYY-MM-DD HH:MM"),
                }.get(kind, _("the value the record should hold"))

    def _texts(self) -> None:
        d = self.selected()
        self.choice_box.setEnabled(d is not None)
        if d is None:
            self.kind.setText("")
            for button in (self.pick_a, self.pick_b):
                button.setText("")
            return
        self.kind.setText(_("{type} {record}, field “{field}”: {kind}. The record holds the "
                            "later value for now; choose what it should hold.").format(
            type=entity_label(d.entity), record=d.record, field=field_label(d.field),
            kind=_label(CONFLICT_KINDS, d.kind)))
        for button, side in ((self.pick_a, d.a), (self.pick_b, d.b)):
            button.setText(_("Keep {value} — {who}").format(
                value=show_value(side.value, self.tz), who=side_text(side, self.tz)))

    def _update(self) -> None:
        ready = (self.pick_a.isChecked() or self.pick_b.isChecked()
                 or (self.pick_other.isChecked() and self.pick_other.isEnabled()))
        self.resolve_button.setEnabled(self.selected() is not None and ready)

    def _show_heading(self) -> None:
        n = len(self.model.rows)
        self.heading.setText(
            ngettext("{n} unresolved conflict. Each was found when bundles from two places "
                     "changed the same field.",
                     "{n} unresolved conflicts. Each was found when bundles from two places "
                     "changed the same field.", n).format(n=n)
            if n else _("No unresolved conflicts."))

    def chosen_value(self, d: ConflictDetail) -> Any:
        from ranger_app.sync.resolve import parse_value

        if self.pick_a.isChecked():
            return d.a.value
        if self.pick_b.isChecked():
            return d.b.value
        return parse_value(d.entity, d.field, self.other.text())

    def resolve_selected(self) -> bool:
        from ranger_app.domain.errors import RangerError
        from ranger_app.sync.resolve import resolve_conflict

        d = self.selected()
        if d is None:
            return False
        try:
            done = resolve_conflict(self.db, d.id, self.chosen_value(d))
        except RangerError as err:
            self.status.setText(describe(err))
            self.refresh()
            return False
        self.status.setText(_("Settled: {type} {record} now holds {value} in “{field}”. The "
                              "decision was saved as a new change and goes to the other "
                              "sites with the next bundle.").format(
            type=entity_label(d.entity), record=d.record, field=field_label(d.field),
            value=show_value(done.value, self.tz)))
        self.refresh()
        self.resolved.emit()
        return True

    def retranslate(self) -> None:
        self.setWindowTitle(_("Conflicts"))
        self.choice_box.setTitle(_("Decision"))
        self.pick_other.setText(_("Another value:"))
        self.resolve_button.setText(_("Save the decision"))
        self.close_button.setText(_("Close"))
        self.model.retranslate()
        self.table.resizeRowsToContents()
        self._show_heading()
        self._texts()
        d = self.selected()
        if d is not None:
            self.other.setPlaceholderText(self._hint(d))


# === the menu ====================================================================================

class SyncMenu(_Retranslating, QMenu):
    def __init__(self, window: Any) -> None:
        super().__init__(window.menuBar())
        self.main_window = window
        self.opened: dict[str, QWidget] = {}  # one window per kind: a second click raises it
        self.export_action = QAction(self)
        self.import_action = QAction(self)
        self.conflicts_action = QAction(self)
        self.keys_action = QAction(self)
        self.export_action.triggered.connect(self.open_export)
        self.import_action.triggered.connect(self.open_import)
        self.conflicts_action.triggered.connect(self.open_conflicts)
        self.keys_action.triggered.connect(self.open_keys)
        self.addAction(self.export_action)
        self.addAction(self.import_action)
        self.addSeparator()
        self.addAction(self.conflicts_action)
        self.addSeparator()
        self.addAction(self.keys_action)
        self.retranslate()

    def _show(self, name: str, make: Callable[[], QWidget]) -> QWidget:
        existing = self.opened.get(name)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        widget = make()
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        widget.destroyed.connect(lambda *_a: self.opened.pop(name, None))
        self.opened[name] = widget
        widget.show()
        return widget

    def refresh_window(self) -> None:
        """New or changed records arrived: let every built workspace reload its list."""
        tabs = getattr(self.main_window, "workspaces", None)
        for i in range(tabs.count() if tabs is not None else 0):
            refresh = getattr(tabs.widget(i), "refresh", None)
            if callable(refresh):
                refresh()

    def open_export(self) -> QWidget:
        return self._show("export", lambda: ExportWizard(self.main_window.db,
                                                         self.main_window))

    def open_import(self) -> QWidget:
        def make() -> QWidget:
            dialog = ImportDialog(self.main_window.db, self.main_window)
            dialog.imported.connect(self.refresh_window)
            return dialog

        return self._show("import", make)

    def open_conflicts(self) -> QWidget:
        def make() -> QWidget:
            view = ConflictsView(self.main_window.db, self.main_window)
            view.resolved.connect(self.refresh_window)
            return view

        return self._show("conflicts", make)

    def open_keys(self) -> QWidget:
        def make() -> QWidget:
            dialog = KeysDialog(self.main_window.db, self.main_window)
            dialog.imported.connect(self.refresh_window)
            return dialog

        return self._show("keys", make)

    def retranslate(self) -> None:
        self.setTitle(_("&Sync"))
        self.export_action.setText(_("&Export bundle…"))
        self.import_action.setText(_("&Import bundle…"))
        self.conflicts_action.setText(_("&Conflicts…"))
        self.keys_action.setText(_("&Keys and trust…"))


def add_sync_menu(window: Any) -> None:
    """Add the Sync menu to a MainWindow (its `menuBar()` and `db`), before Language.

    Safe to call again (a second `attach_database`): the menu is added once.
    """
    if getattr(window, "sync_menu", None) is not None:
        return
    menu = SyncMenu(window)
    bar = window.menuBar()
    language = getattr(window, "language_menu", None)
    if language is not None:
        bar.insertMenu(language.menuAction(), menu)
    else:
        bar.addMenu(menu)
    window.sync_menu = menu
