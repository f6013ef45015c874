"""Why a layer file was refused, as a reason code with the facts (no sentences here).

`ranger_app.io.layer_errors` turns each reason into a sentence in the user's language;
`readers` re-exports everything below, which is the public name to import from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ranger_app.domain.errors import BadInput

NOT_A_LAYER = "not_a_layer"  # neither GeoJSON, shapefile (or a zip of one) nor GeoPackage
DAMAGED = "damaged"  # the right kind of file, but cut short or corrupt
NO_PRJ = "no_prj"  # a shapefile without the .prj that says its coordinate system
UNKNOWN_CRS = "unknown_crs"  # a system pyproj cannot read, or one the coordinates do not fit
BROKEN_GEOMETRY = "broken_geometry"  # beyond make_valid: a 2-point ring, NaN, text as numbers
TOO_MANY_VERTICES = "too_many_vertices"  # more than MAX_VERTICES points
NO_FEATURES = "no_features"  # nothing with a geometry left
MANY_LAYERS = "many_layers"  # several layers in the file and none chosen
NO_SUCH_LAYER = "no_such_layer"  # the chosen layer is not in the file
NO_SUCH_FIELD = "no_such_field"  # the chosen label field is not in the file

REASONS = (NOT_A_LAYER, DAMAGED, NO_PRJ, UNKNOWN_CRS, BROKEN_GEOMETRY, TOO_MANY_VERTICES,
           NO_FEATURES, MANY_LAYERS, NO_SUCH_LAYER, NO_SUCH_FIELD)

# More points than the map draws smoothly or the store should hold for one layer; a forestry's
# whole quarter grid is a few hundred thousand.
MAX_VERTICES = 1_000_000


@dataclass
class LayerInvalid(BadInput):
    """`detail`: the layer names (MANY_LAYERS), the field (NO_SUCH_FIELD), the layer asked
    for (NO_SUCH_LAYER), the CRS text (UNKNOWN_CRS), "feature N: ..." (BROKEN_GEOMETRY)."""

    path: str
    reason: str
    detail: str = ""


class LayerReadCancelled(Exception):
    """The user pressed Cancel; nothing was read or kept."""
