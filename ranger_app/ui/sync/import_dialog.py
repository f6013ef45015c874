"""Import bundles: choose a file (or an inbox folder) → dry-run report → import → report.

Cancel is honoured only before the transaction commits: a bundle is imported whole or not
at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n.formats import number
from ranger_app.i18n.messages import describe
from ranger_app.ui.record_lists import Column, RowsModel, make_table
from ranger_app.ui.sync.common import (
    Cancelled,
    Jobs,
    Retranslating,
    fit_columns,
    step_hook,
    wrapped,
)

if TYPE_CHECKING:
    from ranger_app.store.db import Database
    from ranger_app.sync.importer import ImportReport


IMPORT_STEPS = ("staged", "decrypted", "verified", "changes-inserted", "folded", "committed")
IMPORT_CANCELLABLE = frozenset({"staged", "decrypted", "verified", "changes-inserted",
                                "folded"})
# What is happening after each step (the hook reports a step once it is done).
IMPORT_NEXT = (N_("Copying the bundle from the stick…"), N_("Decrypting…"),
               N_("Checking the signature and every file…"), N_("Applying the changes…"),
               N_("Merging records edited at several places…"), N_("Saving…"), N_("Done."))


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
    if o.report.status == "applied" and o.report.held:
        return ngettext("Imported; {n} approval held", "Imported; {n} approvals held",
                        len(o.report.held)).format(n=len(o.report.held))
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
    if r.held:
        from ranger_app.sync.approvals_check import describe_held

        parts += [describe_held(h, r.at_hq, imported=r.status == "applied") for h in r.held]
    if r.released:
        parts.append(ngettext(
            "The held approval of patrol {patrols} is now applied.",
            "The held approvals of patrols {patrols} are now applied.",
            len(r.released)).format(patrols=", ".join(r.released)))
    if r.also_applied:
        parts.append(ngettext(
            "{n} bundle that was waiting for this one was imported too.",
            "{n} bundles that were waiting for this one were imported too.",
            len(r.also_applied)).format(n=len(r.also_applied)))
    return " ".join(parts)


class ImportDialog(Retranslating, QDialog):
    """Import bundles: choose a file (or an inbox folder) → dry-run report → import → report."""

    imported = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None,
                 path: Path | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.jobs = Jobs()
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
        self.message = wrapped()
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
                hook = step_hook(progress, cancelled, steps, IMPORT_CANCELLABLE,
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
        fit_columns(self.table)
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
