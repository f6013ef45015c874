"""What every record editor shares: dirty state, a draft kept every few seconds, save, close.

An editor holds one record value (a dataclass) as its single source of truth. Subclasses say
which value they edit (`value`), how to keep it as a draft (`draft_json`), how to write it
(`store`) and what to ask before closing unsaved (`close_question`); they build their own
widgets and place `bottom_row()` under them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from ranger_app.domain.errors import InvalidValue, RangerError
from ranger_app.domain.geo import parse_coordinate
from ranger_app.domain.records import PhotoValue
from ranger_app.i18n import _
from ranger_app.i18n.messages import describe
from ranger_app.io.photos import attach_photo, make_thumbnail
from ranger_app.store.db import Database
from ranger_app.store.drafts import discard_draft, save_draft
from ranger_app.ui import workers

AUTOSAVE_MS = 2000
THUMB = 96  # photo strip icons; thumbnails are made at twice this for sharp screens
INVALID_STYLE = "border: 2px solid #c92a2a;"


class RecordEditor(QWidget):
    saved = Signal(str)
    entity = ""  # the draft's entity name

    def __init__(self, db: Database, draft_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db = db
        self.draft_key = draft_key
        self.dirty = False
        self._loading = False
        self._workers: list[workers.Worker] = []
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_draft_now)
        self.status_label = QLabel()
        self.save_button = QPushButton()
        self.save_button.setDefault(True)
        self.close_button = QPushButton()
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)

    def bottom_row(self) -> QHBoxLayout:
        self._retranslate_buttons()
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.close_button)
        return row

    def _retranslate_buttons(self) -> None:
        self.save_button.setText(_("Save"))
        self.close_button.setText(_("Close"))

    # --- what subclasses provide ----------------------------------------------------------

    def value(self) -> Any:
        raise NotImplementedError

    def draft_json(self) -> str:
        raise NotImplementedError

    def store(self) -> None:
        """Write the value (raises a RangerError with the reason when it cannot)."""
        raise NotImplementedError

    def close_question(self) -> str:
        raise NotImplementedError

    def ready_to_save(self) -> bool:
        """A last check of the widgets before saving (e.g. fields that do not parse)."""
        return True

    def refresh_all(self) -> None:
        raise NotImplementedError

    def retranslate(self) -> None:
        raise NotImplementedError

    # --- state ----------------------------------------------------------------------------

    def mark_dirty(self) -> None:
        if self._loading:
            return
        self.dirty = True
        self.autosave.start()
        self.status_label.setText(_("Unsaved changes"))

    def set_value(self, target: Any, name: str, value: Any) -> None:
        """Write one field of the value being edited, if it changed."""
        if self._loading or getattr(target, name) == value:
            return
        setattr(target, name, value)
        self.mark_dirty()

    def save_draft_now(self) -> None:
        if self.dirty:
            save_draft(self.db, self.draft_key, self.entity, self.value().uuid,
                       self.draft_json())
            self.status_label.setText(_("Draft kept at {time}").format(
                time=datetime.now().strftime("%H:%M:%S")))

    def save(self) -> bool:
        self.autosave.stop()
        if not self.ready_to_save():
            return False
        try:
            self.store()
        except RangerError as err:
            self.show_error(err)
            return False
        discard_draft(self.db, self.draft_key)
        self.dirty = False
        self.status_label.setText(_("Saved"))
        self.refresh_all()
        self.saved.emit(self.value().uuid or "")
        return True

    def closeEvent(self, event: Any) -> None:
        workers.wait_for_all()
        if self.dirty:
            answer = QMessageBox.question(
                self, _("Unsaved changes"), self.close_question(),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Save and not self.save():
                event.ignore()
                return
            if answer == QMessageBox.StandardButton.Discard:
                self.save_draft_now()
        self.autosave.stop()
        super().closeEvent(event)

    # --- helpers --------------------------------------------------------------------------

    def run(self, worker: workers.Worker) -> workers.Worker:
        """Run long work off the UI thread, keeping the worker alive until it is done."""
        self._workers.append(worker)
        worker.signals.done.connect(lambda: self._workers.remove(worker))
        return workers.start(worker)

    def choose_photos(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("Attach photos"), "", _("Images (*.jpg *.jpeg *.png *.tif *.tiff)"))
        if paths:
            self.attach_photos([Path(p) for p in paths])

    def attach_photos(self, paths: list[Path]) -> workers.Worker | None:
        """Subclasses say where photos go (usually via `import_photos`)."""
        raise NotImplementedError

    def import_photos(self, paths: list[Path], tz: str,
                      on_ready: Callable[[list[PhotoValue]], None]) -> workers.Worker:
        """Check, store and thumbnail photos in a worker; `on_ready` gets them on the GUI
        thread. A file that is not a photo stops the batch with a message."""
        media = self.db.media

        def job(progress: Any, cancelled: Any) -> list[PhotoValue]:
            out = []
            for i, path in enumerate(paths):
                if cancelled():
                    break
                photo = attach_photo(media, path, tz)
                make_thumbnail(media, photo.sha256, THUMB * 2)
                out.append(photo)
                progress(i + 1, len(paths))
            return out

        worker = workers.Worker(job)
        worker.signals.finished_ok.connect(on_ready)
        worker.signals.failed.connect(self.show_error)
        return self.run(worker)

    def show_error(self, error: BaseException) -> None:
        QMessageBox.warning(self, _("Could not do that"), describe(error))

    def position_edited(self, edit: QLineEdit, axis: str,
                        apply: Callable[[float | None], None]) -> None:
        """Parse a typed coordinate (decimal or degrees-minutes); mark the field if wrong."""
        if self._loading:
            return
        text = edit.text().strip()
        try:
            value = parse_coordinate(text, axis) if text else None
        except InvalidValue as err:
            edit.setStyleSheet(INVALID_STYLE)
            edit.setToolTip(describe(err))
            return
        edit.setStyleSheet("")
        edit.setToolTip("")
        apply(value)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            dirty = self.dirty  # repainting in another language is not an edit
            self._retranslate_buttons()
            self.retranslate()
            self.refresh_all()
            self.dirty = dirty
        super().changeEvent(event)
