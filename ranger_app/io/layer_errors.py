"""Sentences for `LayerInvalid`, in the user's language (importing registers them)."""

from __future__ import annotations

import re

from ranger_app.i18n import N_, _
from ranger_app.i18n.formats import number
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.io.layers import readers as r

_REASONS = {
    r.NOT_A_LAYER: N_("it is not a GeoJSON, shapefile (.shp, or a .zip of one) or GeoPackage "
                      "file; export the layer from QGIS in one of these formats"),
    r.DAMAGED: N_("the file is damaged or cut short ({detail}); copy it again from the "
                  "original"),
    r.NO_PRJ: N_("the shapefile has no .prj file beside it that says its coordinate system; "
                 "copy the .prj with it, or give the system with --crs (for example --crs "
                 "EPSG:28422)"),
    r.UNKNOWN_CRS: N_("its coordinate system ({detail}) is unknown or does not fit its "
                      "coordinates; give the right one with --crs (for example --crs "
                      "EPSG:28422)"),
    r.BROKEN_GEOMETRY: N_("a shape cannot be repaired ({detail}); fix it in QGIS (Processing "
                          "Toolbox ▸ Fix geometries, or delete the shape) and export again"),
    r.TOO_MANY_VERTICES: N_("it has more than {limit} points, more than the maps can draw "
                            "smoothly; simplify it in QGIS first (Vector ▸ Geometry Tools ▸ "
                            "Simplify)"),
    r.NO_FEATURES: N_("it holds no shapes; check that the right file or layer was chosen"),
    r.MANY_LAYERS: N_("the file holds several layers ({detail}); choose one with --layer"),
    r.NO_SUCH_LAYER: N_("it has no layer named “{detail}”; check the name (without --layer, "
                        "a file of several layers lists them)"),
    r.NO_SUCH_FIELD: N_("it has no attribute field named “{detail}”; choose one of its fields "
                        "for the labels"),
}


def _layer_invalid(x: r.LayerInvalid) -> str:
    reason = _(_REASONS.get(x.reason, _REASONS[r.NOT_A_LAYER]))
    if not x.detail:  # an error made without one: no empty brackets
        reason = re.sub(r"\s*[(（]{detail}[)）]", "", reason)
    reason = reason.format(detail=x.detail, limit=number(r.MAX_VERTICES, 0))
    return _("The file {path} cannot be read as a map layer: {reason}; nothing was "
             "added.").format(path=x.path, reason=reason)


_DESCRIBE[r.LayerInvalid] = _layer_invalid
