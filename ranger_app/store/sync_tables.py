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
