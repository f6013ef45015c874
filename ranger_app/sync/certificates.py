"""Inspector key certificates: HQ vouches that a signing key is a person's, in a role.

Before these, an approval's key was bound to its inspector on first sight at each
installation, so a forged key that arrived first won. Now HQ issues a certificate per key
(`keys certify`): canonical JSON of

    {"format": "ranger-key-cert/1", "id": <uuid7>, "person": <uuid>, "name": <str>,
     "role": "INSPECTOR", "key": <base64 raw Ed25519 public key>, "key_fpr": <print>,
     "valid_from": <UTC time>, "valid_to": <UTC time or null>, "issued_at": <UTC time>,
     "issuer": <HQ key fingerprint>}

signed by HQ's device key (Ed25519 over those bytes). A revocation is the same kind of
statement, `{"format": "ranger-key-cert-revocation/1", "id": <certificate id>,
"revoked_at": <UTC time>, "issued_at": ..., "issuer": ...}`: approvals signed at or after
`revoked_at` are refused (an admin who fears a key was stolen earlier gives an earlier
time). Every full bundle carries all certificates and revocations its sender holds
(manifest `certificates`, `certificate_revocations`), so they reach every station through
HQ and need no trust in the carrier: each is checked against a trusted HQ key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.domain.errors import BadInput, Refused
from ranger_app.domain.ids import new_id
from ranger_app.domain.roles import INSPECTOR, parse_roles
from ranger_app.i18n import _
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.store.accounts import public_keys
from ranger_app.store.changes import canonical_json
from ranger_app.store.db import Database
from ranger_app.store.models import Change, Person
from ranger_app.store.sync_tables import SyncHeldChange, SyncKeyCertificate, SyncPeer
from ranger_app.sync.identity import LocalKeys, load_keys, verify_signature

CERT_FORMAT = "ranger-key-cert/1"
REVOCATION_FORMAT = "ranger-key-cert-revocation/1"
ROLES = {"inspector": INSPECTOR}
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


# --- refusals ------------------------------------------------------------------------------

@dataclass
class NotHQ(Refused):
    """Only HQ certifies keys."""


@dataclass
class NoKeyToCertify(BadInput):
    person: str
    found: int  # how many keys were found (0, or more than one without --key)


@dataclass
class UnknownCertificate(BadInput):
    cert_id: str


_DESCRIBE.update({
    NotHQ: lambda x: _("Only HQ certifies inspector keys; this installation is a station."),
    NoKeyToCertify: lambda x: (_(
        "No signing key of person {person} is known here: the inspector must sign in here "
        "with a password once, or their approvals must have arrived in a bundle.")
        if x.found == 0 else _(
        "Person {person} has {n} signing keys here; choose one with --key FINGERPRINT (see "
        "“keys certificates”).")).format(person=x.person, n=x.found),
    UnknownCertificate: lambda x: _(
        "No certificate {cert_id} is known here. See “keys certificates”.").format(
        cert_id=x.cert_id),
})


# --- values --------------------------------------------------------------------------------

def key_fingerprint(public: bytes) -> str:
    """A person's key as 16 base32 characters in groups of four (read over a radio)."""
    digest = hashlib.sha256(b"ranger-person-key/1\0" + public).digest()
    text = base64.b32encode(digest).decode("ascii")[:16]
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime(_TIME) if value is not None else None


def parse_time(text: Any) -> datetime | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("time")
    return datetime.strptime(text, _TIME).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Certificate:
    cert_id: str
    person: str
    name: str
    role: str
    key: bytes
    key_fpr: str
    valid_from: datetime
    valid_to: datetime | None
    issuer: str
    revoked_at: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


@dataclass(frozen=True)
class CertSet:
    """The certificates that verify here (HQ's signature checked), with revocations."""

    certs: tuple[Certificate, ...] = ()

    def status(self, person: str, key: bytes, at: datetime | None) -> str:
        """`ok`, `revoked`, `other-person` or `uncertified` for an approval signed at `at`."""
        mine = [c for c in self.certs if c.key == key and c.role == INSPECTOR]
        if not mine:
            return "uncertified"
        if all(c.person != person for c in mine):
            return "other-person"
        stamp = at or datetime.now(UTC)
        covering = [c for c in mine if c.person == person and c.covers(stamp)]
        if any(c.revoked_at is None or stamp < c.revoked_at for c in covering):
            return "ok"
        return "revoked" if covering or any(c.revoked_at for c in mine) else "uncertified"

    def is_inspector(self, person: str) -> bool:
        return any(c.person == person and c.role == INSPECTOR for c in self.certs)


# --- issuers -------------------------------------------------------------------------------

def issuers(session: Session, keys: LocalKeys) -> dict[str, bytes]:
    """HQ keys whose certificates count here: our own if we are HQ, and trusted HQ peers."""
    found = {keys.fingerprint: keys.public.signing_key} if keys.role == "hq" else {}
    for row in session.scalars(select(SyncPeer).where(SyncPeer.role == "hq",
                                                      SyncPeer.status == "trusted")):
        found[row.fingerprint] = base64.b64decode(row.signing_key or "")
    return found


def _decode(entry: Any, fmt: str, issuers_: Mapping[str, bytes]) -> dict[str, Any] | None:
    """The body of a signed statement `{"body", "sig"}` when a known HQ key signed it."""
    if not isinstance(entry, Mapping):
        return None
    body, sig = entry.get("body"), entry.get("sig")
    if not isinstance(body, Mapping) or not isinstance(sig, str) or body.get("format") != fmt:
        return None
    key = issuers_.get(str(body.get("issuer")))
    if key is None:
        return None
    try:
        raw = base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not verify_signature(key, raw, canonical_json(dict(body)).encode("utf-8")):
        return None
    return dict(body)


def _certificate(body: Mapping[str, Any]) -> Certificate | None:
    try:
        key = base64.b64decode(str(body["key"]), validate=True)
        start = parse_time(body["valid_from"])
        if len(key) != 32 or start is None:
            return None
        return Certificate(str(body["id"]), str(body["person"]), str(body.get("name", "")),
                           str(body["role"]), key, key_fingerprint(key), start,
                           parse_time(body.get("valid_to")), str(body["issuer"]))
    except (KeyError, ValueError, binascii.Error):
        return None


def _rows_as_entries(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    certs, revocations = [], []
    for row in session.scalars(select(SyncKeyCertificate).order_by(SyncKeyCertificate.cert_id)):
        certs.append({"body": json.loads(row.body), "sig": row.signature})
        if row.revocation:
            revocations.append({"body": json.loads(row.revocation), "sig": row.revocation_sig})
    return certs, revocations


def cert_set(session: Session, keys: LocalKeys, extra_certs: Iterable[Any] = (),
             extra_revocations: Iterable[Any] = ()) -> CertSet:
    """What verifies here: the stored statements plus those of a bundle being imported."""
    known = issuers(session, keys)
    stored_c, stored_r = _rows_as_entries(session)
    by_id: dict[str, Certificate] = {}
    for entry in [*stored_c, *extra_certs]:
        body = _decode(entry, CERT_FORMAT, known)
        cert = _certificate(body) if body is not None else None
        if cert is not None:
            by_id.setdefault(cert.cert_id, cert)
    for entry in [*stored_r, *extra_revocations]:
        body = _decode(entry, REVOCATION_FORMAT, known)
        if body is None or str(body.get("id")) not in by_id:
            continue
        try:
            at = parse_time(body.get("revoked_at"))
        except ValueError:
            continue
        cert = by_id[str(body["id"])]
        if at is not None and (cert.revoked_at is None or at < cert.revoked_at):
            by_id[cert.cert_id] = Certificate(**{**cert.__dict__, "revoked_at": at})
    return CertSet(tuple(sorted(by_id.values(), key=lambda c: c.cert_id)))


def manifest_entries(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a bundle carries: every certificate and revocation held here, as signed."""
    with db.session() as s:
        return _rows_as_entries(s)


def store_entries(session: Session, keys: LocalKeys, certs: Iterable[Any],
                  revocations: Iterable[Any]) -> int:
    """Keep the statements of a bundle that verify against a trusted HQ key; how many new."""
    known = issuers(session, keys)
    now = datetime.now(UTC)
    added = 0
    for entry in certs:
        body = _decode(entry, CERT_FORMAT, known)
        cert = _certificate(body) if body is not None else None
        if cert is None or session.get(SyncKeyCertificate, cert.cert_id) is not None:
            continue
        session.add(_row(cert, canonical_json(body), str(entry["sig"]), now))
        added += 1
    session.flush()
    for entry in revocations:
        body = _decode(entry, REVOCATION_FORMAT, known)
        row = session.get(SyncKeyCertificate, str(body.get("id"))) if body else None
        if body is None or row is None or row.revocation:
            continue
        try:
            row.revoked_at = parse_time(body.get("revoked_at"))
        except ValueError:
            continue
        row.revocation, row.revocation_sig = canonical_json(body), str(entry["sig"])
        added += 1
    return added


def _row(cert: Certificate, body: str, sig: str, now: datetime) -> SyncKeyCertificate:
    return SyncKeyCertificate(
        cert_id=cert.cert_id, person_uuid=cert.person, person_name=cert.name, role=cert.role,
        public_key=base64.b64encode(cert.key).decode("ascii"), key_fpr=cert.key_fpr,
        valid_from=cert.valid_from, valid_to=cert.valid_to, issuer_fpr=cert.issuer,
        body=body, signature=sig, received_at=now)


# --- HQ: certify and revoke ----------------------------------------------------------------

def candidate_keys(db: Database, person_uuid: str) -> dict[str, bytes]:
    """Keys of the person known here: their own (signed in here) and those of the approvals
    held for them (arrived in bundles); by fingerprint."""
    found = {key_fingerprint(k): k for k in public_keys(db, person_uuid)}
    with db.session() as s:
        for device, epoch, seq in s.execute(select(
                SyncHeldChange.device, SyncHeldChange.epoch, SyncHeldChange.seq).where(
                SyncHeldChange.person_uuid == person_uuid,
                SyncHeldChange.entity == "patrol_review")):
            text = s.scalar(select(Change.payload).where(
                Change.device == device, Change.epoch == epoch, Change.seq == seq))
            try:
                key = base64.b64decode(json.loads(json.loads(text or "{}")["signature"])["key"])
            except (ValueError, KeyError, TypeError):
                continue
            found[key_fingerprint(key)] = key
    return found


def certify(db: Database, person_uuid: str, role: str = "inspector", key_fpr: str = "",
            valid_from: datetime | None = None,
            valid_to: datetime | None = None) -> Certificate:
    """HQ certifies one of the person's keys (the only one known, or `key_fpr`)."""
    keys = load_keys(db)
    if keys.role != "hq":
        raise NotHQ()
    with db.session() as s:
        person = s.get(Person, person_uuid)
        name = person.name if person is not None else ""
    candidates = candidate_keys(db, person_uuid)
    if key_fpr:
        wanted = key_fpr.strip().upper()
        candidates = {f: k for f, k in candidates.items() if f == wanted}
        if not candidates:
            raise NoKeyToCertify(person_uuid, 0)
    if len(candidates) > 1 and not key_fpr:
        raise NoKeyToCertify(person_uuid, len(candidates))
    if not candidates:
        raise NoKeyToCertify(person_uuid, 0)
    ((fpr, key),) = candidates.items()
    now = datetime.now(UTC)
    body = {"format": CERT_FORMAT, "id": new_id(), "person": person_uuid, "name": name,
            "role": ROLES.get(role, role.upper()),
            "key": base64.b64encode(key).decode("ascii"), "key_fpr": fpr,
            "valid_from": when(valid_from or datetime(2000, 1, 1, tzinfo=UTC)),
            "valid_to": when(valid_to), "issued_at": when(now), "issuer": keys.fingerprint}
    text = canonical_json(body)
    sig = base64.b64encode(keys.sign(text.encode("utf-8"))).decode("ascii")
    cert = _certificate(body)
    assert cert is not None
    with db.writer() as s:
        s.add(_row(cert, text, sig, now))
    return cert


def revoke(db: Database, cert_id: str, at: datetime | None = None) -> Certificate:
    """HQ revokes a certificate from `at` (now unless given) on."""
    keys = load_keys(db)
    if keys.role != "hq":
        raise NotHQ()
    now = datetime.now(UTC)
    with db.writer() as s:
        row = s.get(SyncKeyCertificate, cert_id)
        if row is None:
            raise UnknownCertificate(cert_id)
        body = {"format": REVOCATION_FORMAT, "id": cert_id, "revoked_at": when(at or now),
                "issued_at": when(now), "issuer": keys.fingerprint}
        text = canonical_json(body)
        row.revocation = text
        row.revocation_sig = base64.b64encode(keys.sign(text.encode("utf-8"))).decode("ascii")
        row.revoked_at = at or now
        cert = _certificate(json.loads(row.body))
    assert cert is not None
    return Certificate(**{**cert.__dict__, "revoked_at": at or now})


@dataclass(frozen=True)
class CertificateRow:
    cert_id: str
    person: str
    name: str
    role: str
    key_fpr: str
    valid_from: datetime | None
    valid_to: datetime | None
    revoked_at: datetime | None
    issuer: str


def listing(db: Database) -> list[CertificateRow]:
    with db.session() as s:
        return [CertificateRow(r.cert_id, r.person_uuid, r.person_name, r.role, r.key_fpr,
                               r.valid_from, r.valid_to, r.revoked_at, r.issuer_fpr)
                for r in s.scalars(select(SyncKeyCertificate).order_by(
                    SyncKeyCertificate.person_name, SyncKeyCertificate.valid_from))]


def uncertified_inspector_keys(db: Database) -> list[tuple[str, str, str]]:
    """(person uuid, name, key fingerprint) of inspectors with a key here and no
    certificate for it: what HQ's admin still has to certify."""
    with db.session() as s:
        people = [(p.uuid, p.name) for p in s.scalars(select(Person).where(
            Person.deleted.is_(False))) if INSPECTOR in parse_roles(p.roles)]
        certified = set(s.scalars(select(SyncKeyCertificate.key_fpr)))
    out = []
    for uuid, name in people:
        for fpr in sorted(candidate_keys(db, uuid)):
            if fpr not in certified:
                out.append((uuid, name, fpr))
    return out
