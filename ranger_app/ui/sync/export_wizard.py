"""Export a bundle: recipient → stick or folder → what will go → write and check → done.

Cancel is honoured only before the bundle is renamed into place on the stick; after that the
write finishes, because a half-stopped write would be worse than a finished one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n.formats import number
from ranger_app.i18n.messages import describe
from ranger_app.ui.record_lists import Column, RowsModel, make_table
from ranger_app.ui.sync.common import (
    WARNING_STYLE,
    Cancelled,
    Jobs,
    Retranslating,
    fit_columns,
    fixed_font,
    step_hook,
    wrapped,
)
from ranger_app.ui.sync.labels import (
    ENTITY_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
    entity_label,
    label_for,
    size_text,
)

if TYPE_CHECKING:
    from ranger_app.store.db import Database
    from ranger_app.sync.preview import ExportPlan
    from ranger_app.sync.trust import Peer
    from ranger_app.sync.writer import ExportResult


EXPORT_STEPS = ("zipped", "encrypted", "part-written", "renamed", "verified", "recorded")
EXPORT_CANCELLABLE = frozenset({"zipped", "encrypted", "part-written"})
# What is happening after each step (the hook reports a step once it is done).
EXPORT_NEXT = (N_("Packing the records and photos…"), N_("Encrypting onto the stick…"),
               N_("Writing to the stick…"), N_("Writing to the stick…"),
               N_("Reading the bundle back from the stick to check it…"),
               N_("Recording the export…"), N_("Done."))


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
        Column(N_("Role"), lambda p: label_for(ROLE_LABELS, p.role)),
        Column(N_("Key fingerprint"), lambda p: p.fingerprint),
    ]


class _RecipientPage(Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.intro = wrapped()
        self.model = RowsModel(_peer_columns(), self)
        self.table = make_table(self.model)
        self.table.setFont(self.font())
        self.empty = wrapped()
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
        fit_columns(self.table)
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


class _DestinationPage(Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.chosen: list[Destination] = []
        self.intro = wrapped()
        self.list = QListWidget()
        self.list.setIconSize(self.list.iconSize() * 1.5)
        self.empty = wrapped()
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


class _SummaryPage(Retranslating, QWizardPage):
    """What will go: counted by the same rule as the export, before anything is written."""

    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.jobs = Jobs()
        self.error: BaseException | None = None
        self.heading = wrapped()
        heading_font = self.heading.font()
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.model = RowsModel(_plan_columns(), self)
        self.table = make_table(self.model)
        self.files = wrapped()
        self.where = wrapped()
        self.warning = wrapped()
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
            code=plan.peer, name=plan.peer_name, kind=label_for(KIND_LABELS, plan.kind)))
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


class _WritePage(Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.jobs = Jobs()
        self.step = 0
        self.error: BaseException | None = None
        self.status = wrapped()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.message = wrapped()
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
            hook = step_hook(progress, cancelled, EXPORT_STEPS, EXPORT_CANCELLABLE)
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


class _DonePage(Retranslating, QWizardPage):
    def __init__(self, state: _ExportState) -> None:
        super().__init__()
        self.state = state
        self.file_label = QLabel()
        self.file_name = QLabel()
        self.file_name.setFont(fixed_font())
        self.file_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label = QLabel()
        self.folder = wrapped()
        self.contents_label = QLabel()
        self.contents = wrapped()
        self.safe = wrapped()
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


class ExportWizard(Retranslating, QWizard):
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

    def _jobs(self) -> list[Jobs]:
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
