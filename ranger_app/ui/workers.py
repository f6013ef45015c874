"""Long work off the UI thread: a plain callable run on QThreadPool, reporting by signals.

The callable receives `progress(done, total)` and `cancelled()` and knows nothing of Qt; its
return value arrives in `finished_ok`, its exception in `failed` (on the GUI thread).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


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
