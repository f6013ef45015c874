"""Where the windows get the park's map layers from: one function, so every view asks the
same way and a test can hand in layers of its own.

The layers come from `ranger_app.io.layers.service.map_layers` (import, store, sync: the
layers-core work). Until that service exists in this build there are no layers, and every
check or filter that needs one says so instead of failing.
"""

from __future__ import annotations

from ranger_app.domain.layers import MapLayer
from ranger_app.store.db import Database


def map_layers(db: Database) -> list[MapLayer]:
    """Every live map layer of the database, features decoded (an empty list without any)."""
    try:
        from ranger_app.io.layers.service import map_layers as load
    except ImportError:  # the layer store is not in this build yet
        return []
    return list(load(db))


def layers_of_kind(db: Database, *kinds: str) -> list[MapLayer]:
    return [layer for layer in map_layers(db) if layer.kind in kinds]
