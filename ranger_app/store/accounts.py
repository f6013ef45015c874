"""Accounts: passwords and PINs hashed with scrypt, lockout, roles, personal signing keys.

* **Hashes.** `hashlib.scrypt` (n=2**14, r=8, p=1, 16-byte random salt, 32-byte key), kept as
  `scrypt$n=16384,r=8,p=1$<salt>$<key>` (base64) in `UserAccount.password_hash` or
  `pin_hash`, so the parameters can be raised later without breaking old hashes.
* **PINs** (4–6 digits) are for rangers on a shared laptop. Inspectors and admins sign with
  a password: their signing key is sealed with it, and a six-digit PIN is too few guesses.
* **Lockout.** Five wrong attempts lock a login for five minutes. The schema has no column
  for it, so the counter lives in the local `meta` table (`account.failures.<login>`); it is
  per laptop, which is where the guessing happens.
* **Signing keys.** `set_password` gives the person an Ed25519 key for approvals. The private
  half is sealed with AES-256-GCM under a key derived from the password (scrypt, own salt)
  and kept in `meta` (`review.person_key.<person uuid>`), never in the clear; it is opened
  at sign-in and kept only in memory (`SignedIn.signing_key`). See docs/review.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from ranger_app.domain.errors import BadInput, RecordNotFound, Refused
from ranger_app.domain.roles import ADMIN, INSPECTOR, Actor, parse_roles
from ranger_app.i18n import _, babel_locale, ngettext
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.store.db import Database
from ranger_app.store.models import Person, UserAccount

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAX_N = 2**20  # refuse hashes that would make a login take minutes (a planted row)
MIN_PASSWORD = 8
PIN_DIGITS = (4, 6)
MAX_FAILURES = 5
LOCK_MINUTES = 5
_FAILURES = "account.failures."
_PERSON_KEY = "review.person_key."


# --- refusals ------------------------------------------------------------------------------

@dataclass
class WrongCredentials(Refused):
    login: str
    attempts_left: int


@dataclass
class AccountLocked(Refused):
    login: str
    until: datetime  # aware UTC


@dataclass
class PasswordTooShort(BadInput):
    minimum: int


@dataclass
class InvalidPin(BadInput):
    pass


@dataclass
class PinNotAllowed(Refused):
    """Inspectors and admins sign approvals: they need a password."""


@dataclass
class LoginTaken(Refused):
    login: str


@dataclass
class SigningKeyUnavailable(Refused):
    """No personal key is open: signed in with a PIN, or no password set yet."""


def _clock(until: datetime) -> str:
    from babel.dates import format_time

    return format_time(until.astimezone(), "short", locale=babel_locale())


_DESCRIBE.update({
    WrongCredentials: lambda x: _("Wrong login, password or PIN.") + " " + ngettext(
        "{n} attempt left before the account is locked.",
        "{n} attempts left before the account is locked.", x.attempts_left).format(
        n=x.attempts_left),
    AccountLocked: lambda x: _(
        "Too many wrong attempts: the account {login} is locked until {time}.").format(
        login=x.login, time=_clock(x.until)),
    PasswordTooShort: lambda x: _("A password needs at least {n} characters.").format(
        n=x.minimum),
    InvalidPin: lambda x: _("A PIN is 4 to 6 digits."),
    PinNotAllowed: lambda x: _(
        "Inspectors and admins sign in with a password, not a PIN: their approvals are "
        "signed with it."),
    LoginTaken: lambda x: _("The login {login} belongs to someone else.").format(
        login=x.login),
    SigningKeyUnavailable: lambda x: _(
        "Approving needs your signing key: sign in with your password (not a PIN)."),
})


# --- hashing -------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * 1024 * 1024, dklen=32)


def hash_secret(secret: str) -> str:
    """`scrypt$n=16384,r=8,p=1$<salt b64>$<key b64>`."""
    salt = secrets.token_bytes(16)
    key = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, params, salt, key = encoded.split("$")
        values = dict(item.split("=") for item in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
        if scheme != "scrypt" or not (1 < n <= _MAX_N and 0 < r <= 32 and 0 < p <= 16):
            return None
        return n, r, p, base64.b64decode(salt), base64.b64decode(key)
    except (ValueError, KeyError):
        return None


def check_secret(secret: str, encoded: str) -> bool:
    """True when `secret` matches the stored hash (constant-time comparison)."""
    parsed = _parse(encoded)
    if parsed is None:
        return False
    n, r, p, salt, key = parsed
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), key)


_DUMMY: list[str] = []


def _waste_time(secret: str) -> None:
    """Answer an unknown login as slowly as a known one (no login enumeration by timing)."""
    if not _DUMMY:
        _DUMMY.append(hash_secret(secrets.token_hex(8)))
    check_secret(secret, _DUMMY[0])


def is_pin(secret: str) -> bool:
    return secret.isascii() and secret.isdigit() and PIN_DIGITS[0] <= len(secret) <= PIN_DIGITS[1]


def normalise_login(login: str) -> str:
    return login.strip().casefold()


# --- accounts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountRow:
    login: str
    person_uuid: str
    name: str
    roles: frozenset[str]
    has_password: bool
    has_pin: bool


@dataclass(frozen=True)
class SignedIn:
    """A session: who signed in, and (with a password) their open signing key."""

    actor: Actor
    login: str
    at: datetime
    signing_key: Ed25519PrivateKey | None = field(default=None, repr=False, compare=False)


def accounts(db: Database) -> list[AccountRow]:
    """Active people who can sign in, by name (what the login dialog lists)."""
    with db.session() as s:
        rows = s.execute(
            select(UserAccount, Person).join(Person, Person.uuid == UserAccount.person_uuid)
            .where(UserAccount.deleted.is_(False), Person.deleted.is_(False),
                   Person.active.is_(True))
            .order_by(Person.name)).all()
        return [AccountRow(a.login, p.uuid, p.name, parse_roles(p.roles),
                           bool(a.password_hash), bool(a.pin_hash)) for a, p in rows]


def has_accounts(db: Database) -> bool:
    return any(a.has_password or a.has_pin for a in accounts(db))


def actor_for(db: Database, person_uuid: str) -> Actor:
    with db.session() as s:
        person = s.get(Person, person_uuid)
        if person is None or person.deleted:
            raise RecordNotFound("person", person_uuid)
        return Actor(person.uuid, person.name, parse_roles(person.roles), person.station_uuid)


def _save_account(db: Database, person_uuid: str, login: str, by: str | None,
                  **hashes: str) -> Actor:
    login = normalise_login(login)
    if not login:
        raise LoginTaken(login)
    with db.writer(by or person_uuid) as s:
        person = s.get(Person, person_uuid)
        if person is None or person.deleted:
            raise RecordNotFound("person", person_uuid)
        taken = s.scalar(select(UserAccount).where(UserAccount.login == login))
        if taken is not None and taken.person_uuid != person_uuid:
            raise LoginTaken(login)
        account = taken or s.scalar(select(UserAccount).where(
            UserAccount.person_uuid == person_uuid, UserAccount.deleted.is_(False)))
        if account is None:
            account = UserAccount(login=login, person_uuid=person_uuid)
            s.add(account)
        account.login = login
        for name, value in hashes.items():
            setattr(account, name, value)
        account.deleted = False
        return Actor(person.uuid, person.name, parse_roles(person.roles), person.station_uuid)


def set_password(db: Database, person_uuid: str, login: str, password: str, *,
                 by: str | None = None, old_password: str | None = None) -> None:
    """Give a person a login and password, and a signing key sealed with that password.

    With the right `old_password` the existing signing key is kept (re-sealed); otherwise a
    new key is made and the old public key stays listed, so old approvals still verify.
    """
    if len(password) < MIN_PASSWORD:
        raise PasswordTooShort(MIN_PASSWORD)
    _save_account(db, person_uuid, login, by, password_hash=hash_secret(password))
    _reseal_or_make_key(db, person_uuid, password, old_password)
    clear_failures(db, login)


def set_pin(db: Database, person_uuid: str, login: str, pin: str, *,
            by: str | None = None) -> None:
    """A 4–6 digit PIN for a ranger on a shared laptop (same KDF as passwords)."""
    if not is_pin(pin):
        raise InvalidPin()
    if not actor_for(db, person_uuid).roles.isdisjoint({INSPECTOR, ADMIN}):
        raise PinNotAllowed()
    _save_account(db, person_uuid, login, by, pin_hash=hash_secret(pin))
    clear_failures(db, login)


# --- lockout (local meta, keyed by login) -------------------------------------------------

@dataclass(frozen=True)
class _Failures:
    count: int = 0
    locked_until: datetime | None = None


def _failures(db: Database, login: str) -> _Failures:
    raw = db.meta(_FAILURES + login)
    if not raw:
        return _Failures()
    data = json.loads(raw)
    until = data.get("locked_until")
    return _Failures(int(data.get("count", 0)),
                     datetime.fromisoformat(until) if until else None)


def _write_failures(db: Database, login: str, state: _Failures) -> None:
    db.set_meta({_FAILURES + login: json.dumps({
        "count": state.count,
        "locked_until": state.locked_until.isoformat() if state.locked_until else ""})})


def clear_failures(db: Database, login: str) -> None:
    login = normalise_login(login)
    if _failures(db, login) != _Failures():
        _write_failures(db, login, _Failures())


def locked_until(db: Database, login: str, now: datetime | None = None) -> datetime | None:
    until = _failures(db, normalise_login(login)).locked_until
    return until if until and until > (now or datetime.now(UTC)) else None


def authenticate(db: Database, login: str, secret: str,
                 now: datetime | None = None) -> SignedIn:
    """Check a login and password (or PIN); return the session or raise why not."""
    now = now or datetime.now(UTC)
    login = normalise_login(login)
    state = _failures(db, login)
    if state.locked_until and state.locked_until > now:
        raise AccountLocked(login, state.locked_until)
    with db.session() as s:
        row = s.execute(
            select(UserAccount, Person).join(Person, Person.uuid == UserAccount.person_uuid)
            .where(UserAccount.login == login, UserAccount.deleted.is_(False),
                   Person.deleted.is_(False), Person.active.is_(True))).first()
    kind = None
    if row is None:
        _waste_time(secret)
    else:
        account = row[0]
        if account.password_hash and check_secret(secret, account.password_hash):
            kind = "password"
        elif account.pin_hash and is_pin(secret) and check_secret(secret, account.pin_hash):
            kind = "pin"
    if kind is None:
        count = state.count + 1
        if count >= MAX_FAILURES:
            until = now + timedelta(minutes=LOCK_MINUTES)
            _write_failures(db, login, _Failures(0, until))
            raise AccountLocked(login, until)
        _write_failures(db, login, _Failures(count, None))
        raise WrongCredentials(login, MAX_FAILURES - count)
    if state != _Failures():
        _write_failures(db, login, _Failures())
    person = row[1]
    actor = Actor(person.uuid, person.name, parse_roles(person.roles), person.station_uuid)
    key = open_signing_key(db, person.uuid, secret) if kind == "password" else None
    return SignedIn(actor, login, now, key)


# --- personal signing keys ----------------------------------------------------------------

def _aad(person_uuid: str) -> bytes:
    return f"ranger-person-key/1:{person_uuid}".encode()


def _key_record(db: Database, person_uuid: str) -> dict | None:
    raw = db.meta(_PERSON_KEY + person_uuid)
    return json.loads(raw) if raw else None


def public_keys(db: Database, person_uuid: str) -> set[bytes]:
    """Every public key this person has had on this installation (current and past)."""
    record = _key_record(db, person_uuid)
    if record is None:
        return set()
    return {base64.b64decode(k) for k in [record["public"], *record.get("past", [])]}


def _seal(person_uuid: str, password: str, key: Ed25519PrivateKey,
          past: list[str]) -> dict:
    salt = secrets.token_bytes(16)
    kek = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(kek).encrypt(nonce, key.private_bytes_raw(), _aad(person_uuid))
    return {"public": _b64(key.public_key().public_bytes_raw()), "sealed": _b64(nonce + sealed),
            "salt": _b64(salt), "kdf": f"scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}",
            "past": past}


def _unseal(person_uuid: str, password: str, record: dict) -> Ed25519PrivateKey | None:
    parsed = _parse(f"{record['kdf']}${record['salt']}$")
    if parsed is None:
        return None
    n, r, p, salt, _empty = parsed
    raw = base64.b64decode(record["sealed"])
    try:
        secret = AESGCM(_scrypt(password, salt, n, r, p)).decrypt(
            raw[:12], raw[12:], _aad(person_uuid))
    except Exception:  # InvalidTag: another password, or a damaged value
        return None
    return Ed25519PrivateKey.from_private_bytes(secret)


def _reseal_or_make_key(db: Database, person_uuid: str, password: str,
                        old_password: str | None) -> None:
    record = _key_record(db, person_uuid)
    key = None
    past: list[str] = []
    if record is not None:
        past = list(record.get("past", []))
        if old_password is not None:
            key = _unseal(person_uuid, old_password, record)
        if key is None:
            past.append(record["public"])
    key = key or Ed25519PrivateKey.generate()
    db.set_meta({_PERSON_KEY + person_uuid: json.dumps(_seal(person_uuid, password, key, past))})


def new_signing_key(db: Database, person_uuid: str, secret: str) -> Ed25519PrivateKey:
    """A new signing key for the person, sealed with `secret`; earlier public keys stay
    listed, so what they signed still verifies (the demo's inspectors use this)."""
    _reseal_or_make_key(db, person_uuid, secret, None)
    record = _key_record(db, person_uuid)
    assert record is not None
    key = _unseal(person_uuid, secret, record)
    assert key is not None
    return key


def open_signing_key(db: Database, person_uuid: str,
                     password: str) -> Ed25519PrivateKey | None:
    """The person's private key, opened with their password (made now if they have none)."""
    record = _key_record(db, person_uuid)
    if record is None:
        _reseal_or_make_key(db, person_uuid, password, None)
        record = _key_record(db, person_uuid)
        assert record is not None
    return _unseal(person_uuid, password, record)
