"""Tables of the sync layer (design section 4): peers, bundle log, conflicts, partner records.

They live in the store layer (with the other tables, on the same `Base`, in the same Alembic
history) but hold local facts only: none of them is `Synced`, so no change-log row is written
for them. `ranger_app.sync` reads and writes them; this module imports nothing from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ranger_app.store.models import Base
from ranger_app.store.types import UtcDateTime

FINGERPRINT = String(24)


class SyncPeer(Base):
    """A public key this installation knows, and what it believes that peer already has.

    `acked_vector` is the peer's own version vector as last reported in one of its signed
    bundles ({device: {epoch: seq}} JSON); export sends exactly what it does not cover.
    """

    __tablename__ = "sync_peer"
    fingerprint: Mapped[str] = mapped_column(FINGERPRINT, primary_key=True)
    device: Mapped[str] = mapped_column(String(36), default="", index=True)
    station_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    station_name: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    role: Mapped[str] = mapped_column(String(16), default="station")  # station|hq|partner|backup
    signing_key: Mapped[str] = mapped_column(Text, default="")  # base64 Ed25519 public key
    age_recipient: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="trusted")  # |quarantined|revoked
    added_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acked_vector: Mapped[str] = mapped_column(Text, default="{}")
    acked_hlc: Mapped[str] = mapped_column(String(64), default="")
    sent_vector: Mapped[str] = mapped_column(Text, default="{}")
    outbox_dir: Mapped[str] = mapped_column(Text, default="")
    inbox_dir: Mapped[str] = mapped_column(Text, default="")
    profile: Mapped[str] = mapped_column(Text, default="")  # partner profile JSON; "" = default


class SyncBundle(Base):
    """One bundle written or read: the idempotency key (ciphertext SHA-256) and its fate."""

    __tablename__ = "sync_bundle"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    bundle_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    cipher_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    peer_fingerprint: Mapped[str] = mapped_column(FINGERPRINT, default="")
    kind: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16))  # applied|pending|quarantined|exported
    file_name: Mapped[str] = mapped_column(Text, default="")
    created_hlc: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    counts: Mapped[str] = mapped_column(Text, default="{}")
    detail: Mapped[str] = mapped_column(Text, default="")


class SyncConflict(Base):
    """A disagreement found while merging: both values kept, a provisional winner named.

    The open rows of a record are recomputed from its full change history on every merge,
    so every database that holds the same changes lists the same conflicts.
    """

    __tablename__ = "sync_conflict"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(16))  # field | delete | amendment | insert
    base_value: Mapped[str] = mapped_column(Text, default="null")  # JSON
    value_a: Mapped[str] = mapped_column(Text, default="null")  # JSON
    change_a: Mapped[str] = mapped_column(String(120), default="")  # device:epoch:seq
    value_b: Mapped[str] = mapped_column(Text, default="null")
    change_b: Mapped[str] = mapped_column(String(120), default="")
    winner: Mapped[str] = mapped_column(String(1), default="b")  # a | b
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    detected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_sync_conflict_record", "entity", "entity_uuid"),)


class SyncPartnerRecord(Base):
    """A record received from the partner park: whitelisted fields only, kept apart.

    Partner records are not ours to chain or edit, so they never enter the synced tables.
    """

    __tablename__ = "sync_partner_record"
    peer_fingerprint: Mapped[str] = mapped_column(FINGERPRINT, primary_key=True)
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    fields: Mapped[str] = mapped_column(Text)  # JSON object
    bundle_id: Mapped[str] = mapped_column(String(36), default="")
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SyncHeldChange(Base):
    """A received change kept in the change log but not applied: an approval that cannot
    be accepted here yet (issue 13), or the patrol change that rests on it.

    The chain stays whole (so version vectors and acknowledgements move on and the rest of
    the bundle applies); folding a record skips its held changes (`store.held`). `status`
    is `waiting` (a certificate may still come) or `refused` (forged or broken); both are
    checked again whenever certificates change.
    """

    __tablename__ = "sync_held_change"
    device: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    new_rev: Mapped[int] = mapped_column(Integer, default=0)
    patrol_uuid: Mapped[str] = mapped_column(String(36), index=True)
    patrol_number: Mapped[str] = mapped_column(String(64), default="")
    review_uuid: Mapped[str] = mapped_column(String(36), default="")
    person_uuid: Mapped[str] = mapped_column(String(36), default="")
    person_name: Mapped[str] = mapped_column(String(200), default="")
    key_fpr: Mapped[str] = mapped_column(String(24), default="")
    reason: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))  # waiting | refused
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SyncKeyCertificate(Base):
    """HQ's signed statement that a public key is a person's, in a role, for a time.

    `body` is the canonical JSON HQ signed and `signature` its Ed25519 signature (base64);
    the other columns repeat the body for queries. A revocation, also signed by HQ, is
    kept beside it (`revocation`, `revocation_sig`). Local facts: carried in bundle
    manifests, not in the change log (docs/sync.md, "Inspector key certificates").
    """

    __tablename__ = "sync_key_certificate"
    cert_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_uuid: Mapped[str] = mapped_column(String(36), index=True)
    person_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))  # base64 raw Ed25519
    key_fpr: Mapped[str] = mapped_column(String(24), index=True)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UtcDateTime)
    issuer_fpr: Mapped[str] = mapped_column(FINGERPRINT)
    body: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revocation: Mapped[str] = mapped_column(Text, default="")
    revocation_sig: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SyncAnchor(Base):
    """A chain head signed by its device: `seq` and `chain_hash` of (device, epoch).

    HQ keeps the heads stations send with their bundles; a station keeps the heads HQ
    returns in its acknowledgements. `audit verify` demands that the chain still leads to
    every one of them (docs/sync.md, "Anchoring the change log").
    """

    __tablename__ = "sync_anchor"
    device: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_hash: Mapped[str] = mapped_column(String(64))
    hlc: Mapped[str] = mapped_column(String(64), default="")
    signature: Mapped[str] = mapped_column(Text)  # base64 Ed25519 by the device's key
    key_fpr: Mapped[str] = mapped_column(FINGERPRINT, default="")
    recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
