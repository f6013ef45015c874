"""Signing in: the login dialog, the first password, and the lock after idle time.

One session at a time per window (`current_session`): on a shared station laptop the next
ranger signs in over the last one. `IdleLock` watches every input event of the application
and, after N idle minutes (default 10; `meta` key `security.idle_lock_minutes` per
database), hides the windows behind a cover and asks for a sign-in again.

The first run does not ask for a password (the first-run dialog has no database yet): the
first time the window opens on a database without accounts, `ensure_signed_in` asks its
first person (the admin `init` made) to choose a login and password.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.domain.roles import Actor
from ranger_app.i18n import _, pgettext
from ranger_app.i18n.messages import describe
from ranger_app.store.accounts import (
    MIN_PASSWORD,
    SignedIn,
    accounts,
    actor_for,
    authenticate,
    has_accounts,
    set_password,
)
from ranger_app.store.db import Database

DEFAULT_IDLE_MINUTES = 10.0
IDLE_META_KEY = "security.idle_lock_minutes"
ERROR_STYLE = "color: #c92a2a;"


class SessionHub(QObject):
    """Holds the signed-in session; `changed` fires when someone signs in or out."""

    changed = Signal(object)  # SignedIn | None

    def __init__(self) -> None:
        super().__init__()
        self.session: SignedIn | None = None

    def set(self, session: SignedIn | None) -> None:
        self.session = session
        self.changed.emit(session)


_hub: SessionHub | None = None


def hub() -> SessionHub:
    global _hub
    if _hub is None:
        _hub = SessionHub()
    return _hub


def current_session() -> SignedIn | None:
    return hub().session


def sign_out() -> None:
    hub().set(None)


def current_actor(db: Database) -> Actor | None:
    """Who acts: the signed-in person, else (before sign-in is wired) this laptop's user."""
    session = current_session()
    if session is not None:
        return session.actor
    user = db.installation().user_uuid
    return actor_for(db, user) if user else None


# --- dialogs -------------------------------------------------------------------------------

class _Dialog(QDialog):
    """Shared layout: a title, a form, an error line, OK and Cancel."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.signed_in: SignedIn | None = None
        self.setMinimumWidth(420)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    @property
    def ok_button(self) -> Any:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def cancel_button(self) -> Any:
        return self.buttons.button(QDialogButtonBox.StandardButton.Cancel)

    def _accept(self) -> None:
        raise NotImplementedError

    def retranslate(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _secret_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class LoginDialog(_Dialog):
    """Choose your name, type your password or PIN."""

    def __init__(self, db: Database, parent: QWidget | None = None,
                 locked: bool = False) -> None:
        super().__init__(db, parent)
        self.locked = locked
        self.person = QComboBox()
        for row in accounts(db):
            self.person.addItem(row.name, row.login)
        self.secret = _secret_edit()
        self.labels = {k: QLabel() for k in ("person", "secret")}
        self.form.addRow(self.labels["person"], self.person)
        self.form.addRow(self.labels["secret"], self.secret)
        self.secret.setFocus()
        self.retranslate()

    def choose(self, name_or_login: str) -> None:
        """Select a person by name or login (for scripts and tests)."""
        for i in range(self.person.count()):
            if name_or_login in (self.person.itemText(i), self.person.itemData(i)):
                self.person.setCurrentIndex(i)
                return

    def _accept(self) -> None:
        login = self.person.currentData()
        if not login:
            return
        try:
            self.signed_in = authenticate(self.db, login, self.secret.text())
        except RangerError as err:
            self.error.setText(describe(err))
            self.secret.clear()
            self.secret.setFocus()
            return
        hub().set(self.signed_in)
        self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Sign in"))
        self.intro.setText(
            _("The window was locked after a while without use. Sign in to go on.")
            if self.locked else _("Choose your name and type your password or PIN."))
        self.labels["person"].setText(_("Your name"))
        self.labels["secret"].setText(_("Password or PIN"))
        self.ok_button.setText(pgettext("button", "Sign in"))
        self.cancel_button.setText(_("Cancel"))


class SetPasswordDialog(_Dialog):
    """The first sign-in on a new database: its first person chooses a login and password."""

    def __init__(self, db: Database, person_uuid: str, parent: QWidget | None = None) -> None:
        super().__init__(db, parent)
        self.person_uuid = person_uuid
        self.name = QLabel(actor_for(db, person_uuid).name)
        self.login = QLineEdit("admin")
        self.password = _secret_edit()
        self.repeat = _secret_edit()
        self.labels = {k: QLabel() for k in ("name", "login", "password", "repeat")}
        for key, widget in (("name", self.name), ("login", self.login),
                            ("password", self.password), ("repeat", self.repeat)):
            self.form.addRow(self.labels[key], widget)
        self.retranslate()

    def _accept(self) -> None:
        password = self.password.text()
        if password != self.repeat.text():
            self.error.setText(_("The two passwords differ. Type them again."))
            self.repeat.clear()
            return
        try:
            set_password(self.db, self.person_uuid, self.login.text(), password)
            self.signed_in = authenticate(self.db, self.login.text(), password)
        except RangerError as err:
            self.error.setText(describe(err))
            return
        hub().set(self.signed_in)
        self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Set a password"))
        self.intro.setText(_(
            "Nobody has a password on this database yet. Choose a login and a password of at "
            "least {n} characters: it protects the records and signs your approvals.").format(
            n=MIN_PASSWORD))
        self.labels["name"].setText(_("Your name"))
        self.labels["login"].setText(_("Login"))
        self.labels["password"].setText(_("Password"))
        self.labels["repeat"].setText(_("Password again"))
        self.ok_button.setText(_("Set password"))
        self.cancel_button.setText(_("Cancel"))


def ensure_signed_in(db: Database, parent: QWidget | None = None) -> SignedIn | None:
    """Ask for a sign-in (or the very first password); None when the user cancels."""
    if has_accounts(db):
        dialog: _Dialog = LoginDialog(db, parent)
    else:
        user = db.installation().user_uuid
        if user is None:
            return None
        dialog = SetPasswordDialog(db, user, parent)
    return dialog.signed_in if dialog.exec() == QDialog.DialogCode.Accepted else None


# --- locking after idle time ---------------------------------------------------------------

def idle_minutes(db: Database) -> float:
    """Minutes without input before the window locks (meta `security.idle_lock_minutes`)."""
    try:
        return float(db.meta(IDLE_META_KEY) or DEFAULT_IDLE_MINUTES)
    except ValueError:
        return DEFAULT_IDLE_MINUTES


_INPUT = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})


class IdleLock(QObject):
    """Locks `window` (and hides the app's other windows) after `seconds` without input."""

    locked_changed = Signal(bool)

    def __init__(self, window: QWidget, db: Database, seconds: float | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.db = db
        self.seconds = seconds if seconds is not None else idle_minutes(db) * 60
        self.last_input = time.monotonic()
        self.locked = False
        self.dialog: LoginDialog | None = None
        self._hidden: list[QWidget] = []
        self.cover = QLabel(window)
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cover.setAutoFillBackground(True)
        self.cover.setStyleSheet("background: #343a40; color: white; font-size: 18px;")
        self.cover.hide()
        self.timer = QTimer(self)
        self.timer.setInterval(int(max(0.05, min(15.0, self.seconds / 4)) * 1000))
        self.timer.timeout.connect(self.check)
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            self.last_input = time.monotonic()
        return False

    def check(self) -> None:
        if not self.locked and time.monotonic() - self.last_input >= self.seconds:
            self.lock()

    def lock(self) -> None:
        """Cover the window, hide the others, and ask for a sign-in."""
        if self.locked:
            return
        self.locked = True
        app = QApplication.instance()
        others = app.topLevelWidgets() if isinstance(app, QApplication) else []
        self._hidden = [w for w in others if w is not self.window and w.isVisible()
                        and w.isWindow() and not isinstance(w, QDialog)]
        for w in self._hidden:
            w.hide()
        self.cover.setText(_("Locked. Sign in to go on."))
        self.cover.setGeometry(self.window.rect())
        self.cover.raise_()
        self.cover.show()
        self.locked_changed.emit(True)
        self._ask()

    def _ask(self) -> None:
        self.dialog = LoginDialog(self.db, self.window, locked=True)
        self.dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.dialog.finished.connect(self._finished)
        self.dialog.open()

    def _finished(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            QTimer.singleShot(0, self._ask)  # stays locked until someone signs in
            return
        self.unlock()

    def unlock(self) -> None:
        self.locked = False
        self.cover.hide()
        for w in self._hidden:
            w.show()
        self._hidden = []
        self.last_input = time.monotonic()
        self.dialog = None
        self.locked_changed.emit(False)

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


def install_idle_lock(window: QWidget, db: Database, minutes: float | None = None) -> IdleLock:
    """Lock `window` after `minutes` (default: the database's setting, else 10) idle."""
    lock = IdleLock(window, db, None if minutes is None else minutes * 60)
    window.idle_lock = lock  # type: ignore[attr-defined]
    return lock
