"""Writing a record's child rows: only what changed, tombstones for what is gone.

Every save service (patrols, fires, feeding, camera traps) diffs an edited value against its
rows with these, so an unchanged save writes no change-log row and nothing is hard-deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.domain.ids import new_id
from ranger_app.domain.records import PhotoValue
from ranger_app.store.models import Attachment, Synced

M = TypeVar("M", bound=Synced)


def live_rows(session: Session, model: type[M], *where: object) -> list[M]:
    """Rows of `model` matching `where` that are not tombstones."""
    return list(
        session.scalars(select(model).where(*where, model.deleted.is_(False)))  # type: ignore[attr-defined]
    )


def assign_changed(row: object, values: dict[str, object]) -> None:
    """Set only what differs, so an unchanged row writes no change."""
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def tombstone_missing(existing: Iterable[M], wanted_ids: set[str]) -> dict[str, M]:
    """Tombstone rows no longer wanted; return the live ones by id."""
    live = {}
    for row in existing:
        if row.uuid in wanted_ids:
            live[row.uuid] = row
        else:
            row.deleted = True
    return live


def photo_value(a: Attachment) -> PhotoValue:
    return PhotoValue(
        sha256=a.sha256, filename=a.filename, mime=a.mime, size=a.size, taken_at=a.taken_at,
        lat=a.lat, lon=a.lon, width=a.width, height=a.height, caption=a.caption, kind=a.kind,
        uuid=a.uuid,
    )


def save_attachments(session: Session, owner_entity: str, owner_uuid: str,
                     photos: list[PhotoValue]) -> None:
    """The attachments of one record, as the editor left them."""
    existing = live_rows(session, Attachment, Attachment.owner_uuid == owner_uuid)
    live = tombstone_missing(existing, {p.uuid for p in photos if p.uuid})
    for photo in photos:
        values = dict(
            sha256=photo.sha256, kind=photo.kind, owner_entity=owner_entity,
            owner_uuid=owner_uuid, filename=photo.filename, mime=photo.mime, size=photo.size,
            taken_at=photo.taken_at, lat=photo.lat, lon=photo.lon, width=photo.width,
            height=photo.height, caption=photo.caption,
        )
        row = live.get(photo.uuid or "")
        if row is None:
            row = Attachment(uuid=photo.uuid or new_id(), **values)
            session.add(row)
            photo.uuid = row.uuid
        else:
            assign_changed(row, values)
