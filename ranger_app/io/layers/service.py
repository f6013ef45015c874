"""Adding vector layers to the database and reading them back for the maps and checks.

The file is read and reprojected in full (`readers.read_layer`) before anything is
written, so a bad file changes nothing; the features then go into the media store as one
blob (domain.layers.encode_features) and one synced row names it, which is what carries the
layer to stations in the next bundles, its hash checked on arrival.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ranger_app.domain.layers import (
    LayerBlobError,
    LayerFeature,
    MapLayer,
    decode_features,
)
from ranger_app.io import layer_errors  # noqa: F401  (registers the sentences)
from ranger_app.io.layers.readers import ReadLayer, read_layer
from ranger_app.store.db import Database
from ranger_app.store.layers import LayerRecord, layer_records, register_features

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)

__all__ = ["AddedLayer", "add_layer", "map_layers"]


@dataclass(frozen=True)
class AddedLayer:
    record: LayerRecord
    created: bool  # False: the same features were registered already
    read: ReadLayer  # what the file held: its CRS, the fields used, what was repaired


def add_layer(db: Database, path: Path, *, name: str | None = None, kind: str | None = None,
              label_field: str | None = None, crs: str | None = None,
              layer: str | None = None, user: str | None = None,
              progress: Progress | None = None,
              cancelled: Callable[[], bool] | None = None) -> AddedLayer:
    """Read, reproject, register. Raises readers.LayerInvalid on a bad file (nothing
    written) and readers.LayerReadCancelled when `cancelled()` turns true."""
    read = read_layer(path, layer=layer, crs=crs, label_field=label_field, kind=kind,
                      progress=progress, cancelled=cancelled)
    added = register_features(db, read.features, name=(name or "").strip() or read.name,
                              kind=kind or read.kind, source_name=Path(path).name,
                              user=user)
    return AddedLayer(added.record, added.created, read)


# Decoding 20,000 quarters takes a while and every map asks; the blob of a layer never
# changes (a new file is a new blob), so decoded features are kept by hash.
_DECODED: OrderedDict[str, tuple[LayerFeature, ...]] = OrderedDict()
_DECODED_MAX = 16
_LOCK = threading.Lock()


def _features(db: Database, record: LayerRecord) -> tuple[LayerFeature, ...] | None:
    with _LOCK:
        cached = _DECODED.get(record.sha256)
        if cached is not None:
            _DECODED.move_to_end(record.sha256)
            return cached
    if not db.media.has(record.sha256):
        return None  # the row came in a bundle, the blob is on its way
    try:
        features = decode_features(db.media.read_bytes(record.sha256))
    except (OSError, LayerBlobError) as err:
        log.warning("map layer %s (%s) cannot be read: %s", record.name, record.sha256, err)
        return None
    with _LOCK:
        _DECODED[record.sha256] = features
        while len(_DECODED) > _DECODED_MAX:
            _DECODED.popitem(last=False)
    return features


def map_layers(db: Database) -> list[MapLayer]:
    """Every live layer whose features are here, decoded; a layer whose blob is missing or
    damaged is left out (and logged), never the whole map."""
    out = []
    for record in layer_records(db):
        features = _features(db, record)
        if features is not None:
            out.append(MapLayer(record.uuid, record.name, record.kind, record.style, features))
    return out
