"""The trust registry: which public keys this installation accepts bundles from and sends to.

No trust on first use. A peer becomes trusted only when an admin imports its key file
(`keys trust FILE`) after comparing the fingerprint out of band (phone, radio, in person).
A bundle signed by an unknown key records a *quarantined* peer and waits; a revoked key is
refused for good (a re-keyed station gets a new fingerprint).

A peer's role comes from its key file: `hq`, `station`, or — when its country differs
from ours — `partner` (the park across the border gets only whitelisted records).
A plain age recipient file (`age-keygen` output) registers a cold `backup` key, to which
bundles for HQ are also encrypted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyrage
from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.store.changes import canonical_json
from ranger_app.store.db import Database
from ranger_app.store.models import Station
from ranger_app.store.sync_tables import SyncPeer
from ranger_app.sync.errors import (
    KeyFileInvalid,
    RevokedKeyTrust,
    UnknownFingerprint,
    UnknownPeer,
)
from ranger_app.sync.identity import (
    PublicKeys,
    ensure_keys,
    fingerprint,
    load_keys,
    meta_values,
    normalise_fingerprint,
    verify_signature,
)
from ranger_app.sync.vectors import VersionVector

KEY_FORMAT = "ranger-keys/1"
MAX_KEY_FILE = 64 * 1024
TRUSTED, QUARANTINED, REVOKED = "trusted", "quarantined", "revoked"
ROLES = frozenset({"station", "hq", "partner", "backup"})
_AGE_RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}")


@dataclass(frozen=True)
class Peer:
    fingerprint: str
    device: str
    station_code: str
    station_name: str
    country: str
    role: str
    signing_key: bytes
    age_recipient: str
    status: str
    acked: VersionVector
    acked_hlc: str
    outbox_dir: str
    inbox_dir: str
    profile: str

    @property
    def trusted(self) -> bool:
        return self.status == TRUSTED


@dataclass(frozen=True)
class LocalStation:
    code: str
    name: str
    country: str
    role: str  # station | hq


def _peer(row: SyncPeer) -> Peer:
    return Peer(
        fingerprint=row.fingerprint, device=row.device, station_code=row.station_code,
        station_name=row.station_name, country=row.country, role=row.role,
        signing_key=base64.b64decode(row.signing_key or ""), age_recipient=row.age_recipient,
        status=row.status, acked=VersionVector.from_json(row.acked_vector),
        acked_hlc=row.acked_hlc, outbox_dir=row.outbox_dir, inbox_dir=row.inbox_dir,
        profile=row.profile,
    )


def local_station(db: Database) -> LocalStation:
    found = meta_values(db, "station_uuid", "role")
    with db.session() as s:
        uuid = found.get("station_uuid")
        st = s.get(Station, uuid) if uuid else None
        return LocalStation(st.code if st else "", st.name if st else "",
                            st.country if st else "", found.get("role", "station"))


# --- key files -----------------------------------------------------------------------------

def export_key_file(db: Database, out: Path) -> Path:
    """Write this installation's public keys, station code and name, self-signed."""
    keys = load_keys(db)
    here = local_station(db)
    body = {
        "format": KEY_FORMAT, "device": keys.device, "station_code": here.code,
        "station_name": here.name, "country": here.country, "role": here.role,
        "signing_key": base64.b64encode(keys.public.signing_key).decode("ascii"),
        "age_recipient": keys.public.age_recipient, "fingerprint": keys.fingerprint,
    }
    body["signature"] = base64.b64encode(
        keys.sign(canonical_json(body).encode("utf-8"))).decode("ascii")
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


@dataclass(frozen=True)
class KeyFile:
    device: str
    station_code: str
    station_name: str
    country: str
    role: str
    public: PublicKeys


def read_key_file(path: Path) -> KeyFile:
    """Parse and check a key file (ours, self-signed) or a bare age recipient (backup)."""
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise KeyFileInvalid(str(path), "too large")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KeyFileInvalid(str(path), "not text") from None
    if not text.lstrip().startswith("{"):
        found = _AGE_RECIPIENT.search(text)
        if not found:
            raise KeyFileInvalid(str(path), "no age recipient")
        return KeyFile("", "", "", "", "backup", PublicKeys(b"", found.group(0)))
    try:
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("format") != KEY_FORMAT:
            raise ValueError("unknown format")
        signature = base64.b64decode(body.pop("signature"), validate=True)
        signing_key = base64.b64decode(body["signing_key"], validate=True)
        recipient = str(body["age_recipient"])
        pyrage.x25519.Recipient.from_str(recipient)
        role = str(body.get("role", "station"))
        fields = {k: str(body.get(k, "")) for k in ("device", "station_code", "station_name",
                                                   "country")}
    except (ValueError, KeyError, TypeError, binascii.Error, pyrage.RecipientError) as exc:
        raise KeyFileInvalid(str(path), str(exc) or type(exc).__name__) from None
    public = PublicKeys(signing_key, recipient)
    if role not in ROLES or role in ("partner", "backup"):
        raise KeyFileInvalid(str(path), f"role {role!r}")
    if body.get("fingerprint") != public.fingerprint:
        raise KeyFileInvalid(str(path), "fingerprint does not match the keys")
    if not verify_signature(signing_key, signature, canonical_json(body).encode("utf-8")):
        raise KeyFileInvalid(str(path), "self-signature does not verify")
    return KeyFile(fields["device"], fields["station_code"], fields["station_name"],
                   fields["country"], role, public)


def _backup_fingerprint(recipient: str) -> str:
    return fingerprint(b"", recipient)


def trust_key_file(db: Database, path: Path) -> Peer:
    """Trust the keys in `path` (an admin has compared the fingerprint out of band)."""
    ensure_keys(db)
    kf = read_key_file(path)
    here = local_station(db)
    role = kf.role
    if role != "backup" and kf.country and here.country and kf.country != here.country:
        role = "partner"
    fpr = kf.public.fingerprint if role != "backup" else _backup_fingerprint(
        kf.public.age_recipient)
    now = datetime.now(UTC)
    with db.writer() as s:
        row = s.get(SyncPeer, fpr)
        if row is not None and row.status == REVOKED:
            raise RevokedKeyTrust(fpr)
        if row is None:
            row = SyncPeer(fingerprint=fpr, added_at=now, acked_vector="{}", sent_vector="{}",
                           acked_hlc="", outbox_dir="", inbox_dir="", profile="")
            s.add(row)
        row.device = kf.device
        row.station_code = kf.station_code
        row.station_name = kf.station_name
        row.country = kf.country
        row.role = role
        row.signing_key = base64.b64encode(kf.public.signing_key).decode("ascii")
        row.age_recipient = kf.public.age_recipient
        row.status = TRUSTED
        row.status_at = now
        s.flush()
        return _peer(row)


def revoke(db: Database, fpr: str) -> Peer:
    fpr = normalise_fingerprint(fpr)
    with db.writer() as s:
        row = s.get(SyncPeer, fpr)
        if row is None:
            raise UnknownFingerprint(fpr)
        row.status = REVOKED
        row.status_at = datetime.now(UTC)
        s.flush()
        return _peer(row)


def mark_revoked(session: Session, fingerprints: list[str]) -> int:
    """Apply HQ's list of revoked keys (from an ack bundle); unknown ones are recorded too,
    so a bundle signed by them later is refused rather than quarantined."""
    now = datetime.now(UTC)
    changed = 0
    for fpr in fingerprints:
        row = session.get(SyncPeer, fpr)
        if row is None:
            session.add(SyncPeer(fingerprint=fpr, status=REVOKED, added_at=now, status_at=now,
                                 role="station", acked_vector="{}", sent_vector="{}"))
            changed += 1
        elif row.status != REVOKED:
            row.status, row.status_at = REVOKED, now
            changed += 1
    return changed


def record_quarantined(db: Database, public: PublicKeys, device: str, code: str,
                       role: str) -> None:
    """Remember an unknown signer so `keys show` lists it for an admin to confirm."""
    with db.writer() as s:
        if s.get(SyncPeer, public.fingerprint) is None:
            now = datetime.now(UTC)
            s.add(SyncPeer(
                fingerprint=public.fingerprint, device=device, station_code=code,
                role=role if role in ("station", "hq") else "station",
                signing_key=base64.b64encode(public.signing_key).decode("ascii"),
                age_recipient=public.age_recipient, status=QUARANTINED, added_at=now,
                status_at=now, acked_vector="{}", sent_vector="{}"))


# --- queries -------------------------------------------------------------------------------

def peers(db: Database) -> list[Peer]:
    with db.session() as s:
        rows = s.scalars(select(SyncPeer).order_by(SyncPeer.station_code,
                                                   SyncPeer.fingerprint))
        return [_peer(r) for r in rows]


def peer_by_fingerprint(session: Session, fpr: str) -> Peer | None:
    row = session.get(SyncPeer, fpr)
    return _peer(row) if row else None


def peer_by_code(db: Database, code: str) -> Peer:
    """The trusted peer with this station code (the most recently trusted, if re-keyed)."""
    with db.session() as s:
        row = s.scalars(
            select(SyncPeer).where(SyncPeer.station_code == code, SyncPeer.status == TRUSTED,
                                   SyncPeer.role != "backup")
            .order_by(SyncPeer.status_at.desc()).limit(1)).first()
        if row is None:
            raise UnknownPeer(code)
        return _peer(row)


def backup_recipients(db: Database) -> list[Peer]:
    with db.session() as s:
        rows = s.scalars(select(SyncPeer).where(SyncPeer.role == "backup",
                                                SyncPeer.status == TRUSTED))
        return [_peer(r) for r in rows]


def revoked_fingerprints(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(SyncPeer.fingerprint)
                                .where(SyncPeer.status == REVOKED)))


def trusted_devices(session: Session) -> set[str]:
    return set(session.scalars(select(SyncPeer.device).where(
        SyncPeer.status == TRUSTED, SyncPeer.device != "")))


def record_acked(session: Session, fpr: str, vector: VersionVector, created_hlc: str) -> None:
    """Take a peer's reported vector as what it has; knowledge only grows (max-merge)."""
    row = session.get(SyncPeer, fpr)
    if row is None:
        return
    row.acked_vector = VersionVector.from_json(row.acked_vector).merged(vector).to_json()
    row.acked_hlc = max(row.acked_hlc or "", created_hlc)


def record_sent(session: Session, fpr: str, vector: VersionVector) -> None:
    row = session.get(SyncPeer, fpr)
    if row is not None:
        row.sent_vector = VersionVector.from_json(row.sent_vector).merged(vector).to_json()


def set_folders(db: Database, fpr: str, outbox: str, inbox: str) -> None:
    with db.writer() as s:
        row = s.get(SyncPeer, fpr)
        if row is None:
            raise UnknownFingerprint(fpr)
        row.outbox_dir, row.inbox_dir = outbox, inbox


def set_profile(db: Database, fpr: str, profile_json: str) -> None:
    with db.writer() as s:
        row = s.get(SyncPeer, fpr)
        if row is None:
            raise UnknownFingerprint(fpr)
        row.profile = profile_json
