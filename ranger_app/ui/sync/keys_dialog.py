"""Keys and trust, for the administrator: this site's fingerprint and key file, whom it trusts."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n.formats import datetime_short, number
from ranger_app.i18n.messages import describe
from ranger_app.ui.record_lists import Column, RowsModel, make_table
from ranger_app.ui.sync.common import (
    Jobs,
    Retranslating,
    fit_columns,
    fixed_font,
    station_tz,
    wrapped,
)
from ranger_app.ui.sync.labels import ROLE_LABELS, STATUS_LABELS, label_for

if TYPE_CHECKING:
    from ranger_app.store.db import Database
    from ranger_app.sync.preview import PeerWaiting
    from ranger_app.sync.trust import Peer


def _peer_waiting_columns() -> list[Column]:
    return [
        Column(N_("Station code"), lambda w: w.peer.station_code or "—"),
        Column(N_("Name"), lambda w: w.peer.station_name),
        Column(N_("Role"), lambda w: label_for(ROLE_LABELS, w.peer.role)),
        Column(N_("Status"), lambda w: label_for(STATUS_LABELS, w.peer.status)),
        Column(N_("Waiting bundles"), lambda w: number(w.waiting, 0) if w.waiting else "",
               align_right=True),
        Column(N_("Key fingerprint"), lambda w: w.peer.fingerprint),
    ]


def _waiting_columns(tz: Callable[[], str]) -> list[Column]:
    return [
        # Kept under its ciphertext's SHA-256: the first characters are enough to tell apart.
        Column(N_("File"), lambda w: w.path.name[:12] + "…", tooltip=lambda w: str(w.path)),
        Column(N_("Sent by"), lambda w: w.station_code or "?"),
        Column(N_("Status"), lambda w: label_for(STATUS_LABELS, w.status)),
        Column(N_("Received"), lambda w: datetime_short(w.received_at, tz())),
        Column(N_("Key fingerprint"), lambda w: w.fingerprint),
    ]


class KeysDialog(Retranslating, QDialog):
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
        self.jobs = Jobs()
        self.tz = station_tz(db)
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
        self.waiting_note = wrapped()
        waiting = QVBoxLayout(self.waiting_box)
        waiting.addWidget(self.waiting_note)
        waiting.addWidget(self.waiting_table)

        self.status = wrapped()
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
            fit_columns(table)
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
               else label_for(ROLE_LABELS, key.role))
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
        self.station.setText(f"{here.code} · {here.name} ({label_for(ROLE_LABELS, here.role)})")
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
