"""Accounts: scrypt hashes, PINs, lockout after five failures, signing keys, idle lock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ranger_app.i18n.messages import describe
from ranger_app.store import accounts as acc
from ranger_app.store.db import Database
from ranger_app.store.models import Person, UserAccount

NOW = datetime(2025, 2, 10, 2, 0, tzinfo=UTC)


def add_person(db: Database, name: str, roles: str) -> str:
    with db.writer() as s:
        person = Person(name=name, station_uuid=db.installation().station_uuid, roles=roles)
        s.add(person)
        s.flush()
        return person.uuid


def account_row(db: Database, login: str) -> UserAccount:
    with db.session() as s:
        row = s.query(UserAccount).filter_by(login=login).one()
        s.expunge(row)
        return row


def test_password_hash_is_salted_scrypt_with_its_parameters() -> None:
    one, two = acc.hash_secret("correct horse"), acc.hash_secret("correct horse")
    assert one != two  # a fresh salt each time
    assert re.fullmatch(r"scrypt\$n=16384,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}", one)
    assert acc.check_secret("correct horse", one) and acc.check_secret("correct horse", two)
    assert not acc.check_secret("correct horsE", one)
    assert not acc.check_secret("x", "md5$whatever")  # unknown schemes never match
    assert not acc.check_secret("x", "scrypt$n=1073741824,r=8,p=1$AAAA$AAAA")  # too costly


def test_password_sign_in_gives_roles_and_an_open_signing_key(db: Database) -> None:
    olga = add_person(db, "Ольга Ким", "INSPECTOR|RANGER")
    acc.set_password(db, olga, " Olga ", "tigers-2025")
    row = account_row(db, "olga")  # logins are trimmed and case-folded
    assert row.password_hash.startswith("scrypt$") and "tigers" not in row.password_hash
    session = acc.authenticate(db, "OLGA", "tigers-2025", now=NOW)
    assert session.actor.person_uuid == olga
    assert session.actor.roles == {"INSPECTOR", "RANGER"}
    assert session.signing_key is not None
    assert session.signing_key.public_key().public_bytes_raw() in acc.public_keys(db, olga)
    raw = db.meta("review.person_key." + olga) or ""
    assert session.signing_key.private_bytes_raw().hex() not in raw  # sealed, not in clear


def test_wrong_password_and_unknown_login_say_the_same(db: Database) -> None:
    olga = add_person(db, "Ольга Ким", "INSPECTOR")
    acc.set_password(db, olga, "olga", "tigers-2025")
    with pytest.raises(acc.WrongCredentials) as wrong:
        acc.authenticate(db, "olga", "leopards-2025", now=NOW)
    with pytest.raises(acc.WrongCredentials) as unknown:
        acc.authenticate(db, "nobody", "leopards-2025", now=NOW)
    assert wrong.value.attempts_left == unknown.value.attempts_left == 4
    assert describe(wrong.value) == describe(unknown.value).replace("nobody", "olga")
    assert "4 attempts left" in describe(wrong.value)


def test_five_failures_lock_the_login_for_five_minutes(db: Database) -> None:
    ivan = add_person(db, "Иван Петров", "RANGER")
    acc.set_pin(db, ivan, "ivan", "2468")
    for left in (4, 3, 2, 1):
        with pytest.raises(acc.WrongCredentials) as err:
            acc.authenticate(db, "ivan", "1111", now=NOW)
        assert err.value.attempts_left == left
    with pytest.raises(acc.AccountLocked) as locked:
        acc.authenticate(db, "ivan", "1111", now=NOW)
    assert locked.value.until == NOW + timedelta(minutes=5)
    local = locked.value.until.astimezone().strftime("%H:%M")
    assert f"locked until {local}" in describe(locked.value)
    with pytest.raises(acc.AccountLocked):  # even the right PIN waits
        acc.authenticate(db, "ivan", "2468", now=NOW + timedelta(minutes=4, seconds=59))
    assert acc.locked_until(db, "ivan", now=NOW) == NOW + timedelta(minutes=5)
    session = acc.authenticate(db, "ivan", "2468", now=NOW + timedelta(minutes=5, seconds=1))
    assert session.actor.person_uuid == ivan
    with pytest.raises(acc.WrongCredentials) as again:  # the counter starts afresh
        acc.authenticate(db, "ivan", "1111", now=NOW + timedelta(minutes=6))
    assert again.value.attempts_left == 4


def test_pins_are_four_to_six_digits_and_only_for_rangers(db: Database) -> None:
    ivan = add_person(db, "Иван Петров", "RANGER")
    olga = add_person(db, "Ольга Ким", "INSPECTOR")
    for bad in ("123", "1234567", "12a4", "１２３４"):
        with pytest.raises(acc.InvalidPin):
            acc.set_pin(db, ivan, "ivan", bad)
    acc.set_pin(db, ivan, "ivan", "123456")
    assert account_row(db, "ivan").pin_hash.startswith("scrypt$")
    session = acc.authenticate(db, "ivan", "123456", now=NOW)
    assert session.signing_key is None  # a PIN opens no signing key
    with pytest.raises(acc.PinNotAllowed) as err:
        acc.set_pin(db, olga, "olga", "2468")
    assert "password, not a PIN" in describe(err.value)


def test_password_rules_and_logins(db: Database) -> None:
    ivan = add_person(db, "Иван Петров", "RANGER")
    olga = add_person(db, "Ольга Ким", "INSPECTOR")
    with pytest.raises(acc.PasswordTooShort):
        acc.set_password(db, ivan, "ivan", "short")
    acc.set_password(db, ivan, "ivan", "long enough")
    with pytest.raises(acc.LoginTaken):
        acc.set_password(db, olga, "IVAN", "another one")
    assert [a.login for a in acc.accounts(db)] == ["ivan"]
    assert acc.has_accounts(db)


def test_a_new_password_keeps_the_key_only_with_the_old_one(db: Database) -> None:
    olga = add_person(db, "Ольга Ким", "INSPECTOR")
    acc.set_password(db, olga, "olga", "first password")
    first = acc.authenticate(db, "olga", "first password").signing_key
    acc.set_password(db, olga, "olga", "second password", old_password="first password")
    second = acc.authenticate(db, "olga", "second password").signing_key
    assert first and second and first.private_bytes_raw() == second.private_bytes_raw()
    acc.set_password(db, olga, "olga", "third password")  # reset by an admin: a new key
    third = acc.authenticate(db, "olga", "third password").signing_key
    assert third and third.private_bytes_raw() != first.private_bytes_raw()
    assert acc.public_keys(db, olga) == {first.public_key().public_bytes_raw(),
                                         third.public_key().public_bytes_raw()}
    with pytest.raises(acc.WrongCredentials):
        acc.authenticate(db, "olga", "first password")


@pytest.fixture
def signed_out() -> Iterator[None]:
    """Whatever a test signs in, the next test starts with nobody signed in."""
    from ranger_app.ui import login

    yield
    login.sign_out()


def test_first_sign_in_sets_the_admins_password_then_idle_time_locks(
        qtbot, db: Database, signed_out: None) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMainWindow

    from ranger_app.ui import login

    admin = db.installation().user_uuid or ""
    first = login.SetPasswordDialog(db, admin)
    qtbot.addWidget(first)
    first.password.setText("station-admin")
    first.repeat.setText("station-admin!")
    first.ok_button.click()
    assert "differ" in first.error.text() and not acc.has_accounts(db)
    first.repeat.setText("station-admin")
    first.ok_button.click()
    assert first.result() == first.DialogCode.Accepted
    assert login.current_session() is not None
    assert login.current_session().actor.person_uuid == admin  # type: ignore[union-attr]

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    lock = login.install_idle_lock(window, db, minutes=0.2 / 60)
    try:
        qtbot.waitUntil(lambda: lock.locked, timeout=3000)
        assert lock.cover.isVisible() and lock.dialog is not None
        lock.dialog.secret.setText("wrong password")
        lock.dialog.ok_button.click()
        assert "attempts left" in lock.dialog.error.text() and lock.locked
        lock.dialog.secret.setText("station-admin")
        lock.dialog.ok_button.click()
        assert not lock.locked and not lock.cover.isVisible()
    finally:
        lock.stop()
