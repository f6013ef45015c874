"""Starting the window: language, first run, the database, drafts left by a crash."""

from __future__ import annotations

import gc
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from ranger_app import paths
from ranger_app.domain.errors import RangerError
from ranger_app.i18n import _, set_language
from ranger_app.i18n.messages import describe
from ranger_app.i18n.qt import apply_language
from ranger_app.settings import Settings
from ranger_app.ui import fonts, workers
from ranger_app.ui.main_window import MainWindow
from ranger_app.ui.platform_libs import check_display_libraries

if TYPE_CHECKING:  # the database layer is imported after the window has painted
    from ranger_app.store.db import Database

log = logging.getLogger(__name__)


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Ranger Field Log")
        app.setOrganizationName("Land of Big Cats")
        fonts.install_cjk_fallback()
    return app


def _excepthook(kind: type[BaseException], error: BaseException,
                tb: TracebackType | None) -> None:
    """Uncaught errors: into the log file, and a dialog the ranger can photograph."""
    text = "".join(traceback.format_exception(kind, error, tb))
    log.error("uncaught: %s", text)
    box = QMessageBox(QMessageBox.Icon.Critical, _("Unexpected error"),
                      describe(error) if isinstance(error, RangerError)
                      else _("Something went wrong. Your saved records are safe."))
    box.setDetailedText(text)
    box.exec()


def make_demo_database(path: Path) -> Database:
    """Fill a demo database in a worker, with a progress dialog."""
    from ranger_app.demo import generate
    from ranger_app.store.db import Database

    db = Database.open(path, create=True)
    dialog = QProgressDialog(_("Making the demo database…"), "", 0, 100)
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    worker = workers.Worker(lambda progress, cancelled: generate(db, "season",
                                                                 progress=progress))
    worker.signals.progress.connect(lambda d, t: dialog.setValue(int(100 * d / max(t, 1))))
    worker.signals.done.connect(dialog.close)
    failures: list[BaseException] = []
    worker.signals.failed.connect(failures.append)
    workers.start(worker)
    dialog.exec()
    workers.wait_for_all()
    if failures:
        raise failures[0]
    return db


def open_database(db_path: Path | None, settings: Settings) -> Database | None:
    """The database to show; runs the first-run dialog when there is none yet."""
    from ranger_app.store.db import Database
    from ranger_app.store.setup import init_station
    from ranger_app.ui.first_run import FirstRunDialog

    path = db_path or (Path(settings.database) if settings.database else
                       paths.default_database())
    if path.exists():
        db = Database.open(path)
        if db.is_initialised:
            return db
        db.close()
    dialog = FirstRunDialog()
    if dialog.exec() != FirstRunDialog.DialogCode.Accepted:
        return None
    choice = dialog.choice()
    settings.language = choice.language
    if choice.demo:
        path = path.with_name("demo.db") if db_path is None else path
        db = make_demo_database(path)
    else:
        assert choice.setup is not None
        db = Database.open(path, create=True)
        init_station(db, choice.setup)
    settings.database = str(path)
    settings.save()
    return db


def sign_in(window: MainWindow, db: Database) -> bool:
    """Who is at the keyboard (a demo database has nobody to sign in); then lock when idle."""
    from ranger_app.ui.login import ensure_signed_in, install_idle_lock

    if db.meta("demo") == "1":
        return True
    if ensure_signed_in(db, window) is None:
        return False
    install_idle_lock(window, db)
    return True


def show_window(settings: Settings) -> MainWindow:
    """The main window, painted before the database layer loads: feedback comes first."""
    window = MainWindow(settings=settings)
    window.show()
    QApplication.processEvents()
    return window


def run(db_path: Path | None = None, lang: str | None = None,
        settings: Settings | None = None, self_test: bool = False) -> int:
    if self_test:  # the frozen build's smoke test (packaging/smoke_test.py)
        from ranger_app.ui.selftest import run_self_test
        return run_self_test(db_path=db_path, lang=lang)
    settings = settings or Settings.load()
    set_language(lang or settings.language or "ru")
    missing = check_display_libraries()  # before Qt can abort on a missing xcb library
    if missing is not None:
        return missing
    app = application()
    if paths.user_data_dir().exists():
        logging.basicConfig(filename=str(paths.user_data_dir() / "ranger-app.log"),
                            level=logging.INFO)
    apply_language(lang or settings.language or "ru")
    sys.excepthook = _excepthook
    window = show_window(settings)
    try:
        db = open_database(db_path, settings)
    except RangerError as err:
        QMessageBox.critical(window, _("Cannot open the database"), describe(err))
        return err.exit_code
    if db is None:
        return 0
    window.attach_database(db)
    if not sign_in(window, db):
        return 0
    window.restore_drafts()
    # What start-up built (Qt wrappers, SQLAlchemy's mappers, vocabularies) lives as long as
    # the window: out of the collector's sight, a full collection no longer stalls a pan.
    gc.collect()
    gc.freeze()
    code = app.exec()
    workers.wait_for_all()
    db.close()
    return code
