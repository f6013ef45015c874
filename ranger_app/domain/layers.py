"""Vector map layers as values: a park boundary, the state border, the forest-quarter grid.

What a layer *is*, apart from the file it came from (GeoJSON, Shapefile, GeoPackage) and how
it is stored or drawn. Geometries are shapely objects in WGS84 longitude/latitude
(EPSG:4326), already reprojected and valid; the store keeps them as WKB, the map draws
them, the review checks and the quarter lookup query them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry

# Codes, not words: labels live in resources/vocab/layer_kinds.csv.
LAYER_KINDS = (
    "park_boundary",   # охраняемая территория / 保护区边界
    "state_border",    # государственная граница / 国界
    "forest_quarter",  # лесной квартал / 林班
    "forest_district",  # лесничество / 林场
    "road",
    "river",
    "cordon",
    "other",
)


@dataclass(frozen=True)
class LayerStyle:
    """How a layer is drawn. Colours are "#rrggbb" or "#rrggbbaa"; widths in device pixels."""

    stroke: str = "#555555"
    width: float = 1.0
    fill: str | None = None
    dashed: bool = False
    label_min_zoom: float | None = None  # labels shown from this web-mercator zoom on


DEFAULT_STYLES: dict[str, LayerStyle] = {
    "park_boundary": LayerStyle(stroke="#1b7f3b", width=2.5, fill="#1b7f3b14"),
    "state_border": LayerStyle(stroke="#c0392b", width=2.5, dashed=True),
    "forest_quarter": LayerStyle(stroke="#7a5c2e", width=0.8, label_min_zoom=12.0),
    "forest_district": LayerStyle(stroke="#7a5c2e", width=1.6, label_min_zoom=10.0),
    "road": LayerStyle(stroke="#b36b00", width=1.4),
    "river": LayerStyle(stroke="#2e86c1", width=1.4),
    "cordon": LayerStyle(stroke="#000000", width=1.0, fill="#ffffff", label_min_zoom=11.0),
    "other": LayerStyle(),
}


def default_style(kind: str) -> LayerStyle:
    return DEFAULT_STYLES.get(kind, DEFAULT_STYLES["other"])


@dataclass(frozen=True)
class LayerFeature:
    """One shape of a layer. `label` is what the map writes (a quarter's number, a road's
    name); `district` names the forest district a quarter belongs to, when the file says."""

    geometry: BaseGeometry
    label: str = ""
    district: str = ""


@dataclass(frozen=True)
class MapLayer:
    """A named, styled set of features of one kind, as HQ imported it."""

    uuid: str
    name: str
    kind: str
    style: LayerStyle
    features: tuple[LayerFeature, ...] = field(default=())

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of every feature; (0, 0, 0, 0) for an empty layer."""
        boxes = [f.geometry.bounds for f in self.features if not f.geometry.is_empty]
        if not boxes:
            return (0.0, 0.0, 0.0, 0.0)
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))
