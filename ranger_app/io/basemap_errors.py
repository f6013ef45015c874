"""Sentences for `BasemapInvalid`, in the user's language (importing registers them)."""

from __future__ import annotations

from ranger_app.i18n import N_, _
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.io import basemaps as b

_REASONS = {
    b.NOT_A_BASEMAP: N_("it is neither an MBTiles (SQLite) nor a PMTiles file"),
    b.NO_TILES_TABLE: N_("it is an SQLite database without an MBTiles “tiles” table"),
    b.NO_TILES: N_("it holds no tiles"),
    b.TRUNCATED: N_("the file is cut short, probably an unfinished copy"),
    b.DAMAGED: N_("the file is damaged"),
    b.VECTOR_TILES: N_("it holds vector tiles; only raster tiles (PNG, JPEG, WebP) can be shown"),
    b.UNSUPPORTED: N_("it uses a variant this version cannot read"),
}


def _basemap_invalid(x: b.BasemapInvalid) -> str:
    reason = _(_REASONS.get(x.reason, _REASONS[b.NOT_A_BASEMAP]))
    return _("The file {path} cannot be used as a basemap: {reason}. Export the map again "
             "as MBTiles or PMTiles (for example with QGIS “Generate XYZ tiles”); nothing "
             "was added.").format(path=x.path, reason=reason)


_DESCRIBE[b.BasemapInvalid] = _basemap_invalid
