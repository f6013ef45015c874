"""Long work off the UI thread: a plain callable run on QThreadPool, reporting by signals.

The callable receives `progress(done, total)` and `cancelled()` and knows nothing of Qt; its
return value arrives in `finished_ok`, its exception in `failed` (on the GUI thread).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

PROGRESS_STEPS = 1000


class WorkerSignals(QObject):
    progress = Signal(int, int)
    finished_ok = Signal(object)
    failed = Signal(object)  # the exception
    done = Signal()


class Worker(QRunnable):
    def __init__(self, job: Callable[..., Any]) -> None:
        super().__init__()
        self.job = job
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)  # we keep it until `done`, so its signals stay alive

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            result = self.job(progress=self.signals.progress.emit, cancelled=self.cancelled)
        except BaseException as exc:
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.finished_ok.emit(result)
        finally:
            self.signals.done.emit()


_running: set[Worker] = set()


def start(worker: Worker) -> Worker:
    """Run on the global pool; keeps a reference until the job is done."""
    _running.add(worker)
    worker.signals.done.connect(lambda: _running.discard(worker))
    QThreadPool.globalInstance().start(worker)
    return worker


def wait_for_all(msecs: int = 30_000) -> bool:
    return QThreadPool.globalInstance().waitForDone(msecs)


def with_progress(parent: QWidget, label: str, worker: Worker, title: str = "") -> Worker:
    """Show a window-modal progress dialog for `worker`: it follows progress, Cancel cancels
    the job, and it closes when the job is done. Returns the worker, not yet started."""
    from ranger_app.i18n import _

    dialog = QProgressDialog(label, _("Cancel"), 0, PROGRESS_STEPS, parent)
    if title:
        dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)  # quick jobs never flash a dialog
    worker.signals.progress.connect(
        lambda done, total: dialog.setValue(int(PROGRESS_STEPS * done / max(total, 1))))
    dialog.canceled.connect(worker.cancel)
    worker.signals.done.connect(dialog.close)
    return worker
