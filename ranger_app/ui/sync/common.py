"""What the sync screens share: Cancel, the step hook, one worker at a time, small widgets.

A Cancel takes effect only at the steps a screen lists as cancellable (`step_hook`), where
stopping leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QTableView

from ranger_app.ui import workers

if TYPE_CHECKING:
    from ranger_app.store.db import Database


WARNING_STYLE = "color: #c92a2a;"


class Cancelled(Exception):
    """Raised from a sync hook when the user pressed Cancel; the sync code cleans up."""


def fixed_font(scale: float = 1.0) -> QFont:
    """Fingerprints are read aloud character by character: a fixed-width face helps."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    return font


def wrapped(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def step_hook(progress: Callable[[int, int], None], cancelled: Callable[[], bool],
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


class Jobs:
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


class Retranslating:
    """Widgets rebuild their text on QEvent.LanguageChange (mixed into QWidget classes)."""

    def retranslate(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)  # type: ignore[misc]


def fit_columns(view: QTableView) -> None:
    view.resizeColumnsToContents()
    view.horizontalHeader().setStretchLastSection(True)


def station_tz(db: Database) -> str:
    from ranger_app.store.queries import stations

    here = db.installation().station_uuid
    return next((s.tz for s in stations(db) if s.uuid == here), "UTC")
