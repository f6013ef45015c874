"""The map-layer registry: one synced row per layer, its features one media blob.

HQ registers a layer once; the row and the blob reach every station in the next bundles,
like a basemap. Removing a layer is a synced deletion (the row is kept, marked deleted), so
stations drop it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ranger_app.domain.ids import new_id
from ranger_app.domain.layers import (
    LayerFeature,
    LayerStyle,
    default_style,
    encode_features,
    features_bounds,
    style_from_json,
    style_to_json,
)
from ranger_app.store.db import Database
from ranger_app.store.models import MapLayer as MapLayerRow


@dataclass(frozen=True)
class LayerRecord:
    uuid: str
    name: str
    kind: str
    style: LayerStyle
    feature_count: int
    bounds: tuple[float, float, float, float]  # west, south, east, north
    sha256: str
    size: int
    source_name: str


@dataclass(frozen=True)
class AddedLayer:
    record: LayerRecord
    created: bool  # False: these very features were registered already


def _value(row: MapLayerRow) -> LayerRecord:
    return LayerRecord(row.uuid, row.name, row.kind, style_from_json(row.style, row.kind),
                       row.feature_count, (row.west, row.south, row.east, row.north),
                       row.sha256, row.size, row.source_name)


def layer_records(db: Database) -> list[LayerRecord]:
    """Every live layer, by name."""
    with db.session() as s:
        rows = s.scalars(select(MapLayerRow).where(MapLayerRow.deleted.is_(False))
                         .order_by(MapLayerRow.name, MapLayerRow.uuid))
        return [_value(r) for r in rows]


def layer_by_sha(db: Database, sha256: str) -> LayerRecord | None:
    with db.session() as s:
        row = s.scalar(select(MapLayerRow).where(MapLayerRow.sha256 == sha256,
                                                 MapLayerRow.deleted.is_(False)).limit(1))
        return _value(row) if row is not None else None


def insert_layer(db: Database, record: LayerRecord, user: str | None = None) -> LayerRecord:
    """Write a new registry row (the blob must already be in the media store)."""
    w, s_, e, n = record.bounds
    with db.writer(user) as s:
        row = MapLayerRow(uuid=record.uuid or new_id(), name=record.name, kind=record.kind,
                          style=style_to_json(record.style),
                          feature_count=record.feature_count, west=w, south=s_, east=e,
                          north=n, sha256=record.sha256, size=record.size,
                          source_name=record.source_name)
        s.add(row)
        s.flush()
        return _value(row)


def remove_layer(db: Database, uuid: str, user: str | None = None) -> bool:
    """Mark the layer deleted (synced); False when there is no such live layer."""
    with db.writer(user) as s:
        row = s.get(MapLayerRow, uuid)
        if row is None or row.deleted:
            return False
        row.deleted = True
        return True


def register_features(db: Database, features: Sequence[LayerFeature], *, name: str,
                      kind: str, source_name: str = "", style: LayerStyle | None = None,
                      user: str | None = None) -> AddedLayer:
    """Store the features as one blob and register them; the same features twice (the same
    file added again) give the same blob, and the existing layer is returned."""
    blob = encode_features(features)
    sha, size = db.media.put_bytes(blob)
    existing = layer_by_sha(db, sha)
    if existing is not None:
        return AddedLayer(existing, created=False)
    record = LayerRecord("", name, kind, style or default_style(kind), len(features),
                         features_bounds(features), sha, size, source_name[:260])
    return AddedLayer(insert_layer(db, record, user), created=True)
