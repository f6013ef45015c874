"""Coordinate systems of layer files, and their reprojection to WGS84 longitude/latitude.

Russian forestry layers come in Pulkovo-1942 / GSK-2011 Gauss-Krüger zones (EPSG:28422...),
Chinese ones in CGCS2000 (EPSG:4490, 4547...); the map, the store and the checks want
EPSG:4326 with x = longitude. pyproj picks the datum shift; `always_xy` keeps x = easting /
longitude whatever axis order the EPSG definition has.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from ranger_app.io.layers.errors import UNKNOWN_CRS, LayerInvalid

_TOLERANCE = 1e-9  # degrees: a longitude of 180.0000000001 from rounding is still fine


def wgs84() -> CRS:
    """A new EPSG:4326 each time: pyproj objects are best not shared between threads (the
    import dialog reads in a worker)."""
    return CRS.from_epsg(4326)


def parse_crs(text: str, path: str) -> CRS:
    """Any text pyproj reads ("EPSG:28422", a WKT, a PROJ string, an OGC URN)."""
    try:
        return CRS.from_user_input(text.strip())
    except (CRSError, TypeError, ValueError):
        raise LayerInvalid(path, UNKNOWN_CRS, _shorten(text)) from None


def parse_wkt(text: str, path: str) -> CRS:
    """The WKT of a .prj file (ESRI WKT1) or of a GeoPackage's gpkg_spatial_ref_sys."""
    try:
        return CRS.from_wkt(text.strip())
    except (CRSError, TypeError, ValueError):
        raise LayerInvalid(path, UNKNOWN_CRS, _shorten(text)) from None


def settle(crs: CRS) -> tuple[CRS, str]:
    """The CRS to reproject from, and its label ("EPSG:28422", else the CRS name).

    A .prj is ESRI WKT without authority codes; when PROJ identifies it as an EPSG system
    with full confidence, that EPSG definition is used instead: PROJ then picks the
    registered datum transformation, and finds it four times faster. A CRS with its own
    TOWGS84 (a bound CRS, as GDAL writes Pulkovo 1942 in WKT1) keeps its own shift.
    """
    try:
        exact = None if crs.is_bound else crs.to_authority(min_confidence=90)
        if exact is not None:
            crs = CRS.from_user_input(f"{exact[0]}:{exact[1]}")
        label = exact or crs.to_authority() or (
            crs.source_crs.to_authority() if crs.is_bound and crs.source_crs else None)
    except CRSError:
        label = None
    return crs, f"{label[0]}:{label[1]}" if label else (crs.name or "unknown")


def is_wgs84(crs: CRS) -> bool:
    """Geographic WGS84 in either axis order (EPSG:4326, OGC:CRS84): nothing to transform."""
    return crs.equals(wgs84(), ignore_axis_order=True)


def to_wgs84(geometries: np.ndarray, source: CRS, label: str, path: str) -> np.ndarray:
    """Every geometry reprojected in one vectorised pass, then checked to be on the globe.

    Coordinates that do not land in longitude −180..180 and latitude −90..90 mean the file
    (or the user) named the wrong system, e.g. Gauss-Krüger metres in a GeoJSON that says
    nothing and so is taken as degrees: that is refused as UNKNOWN_CRS, not drawn in space.
    """
    if not is_wgs84(source):
        transformer = Transformer.from_crs(source, wgs84(), always_xy=True)

        def project(xy: np.ndarray) -> np.ndarray:
            lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack((lon, lat))

        geometries = shapely.transform(geometries, project)
    _check_on_globe(geometries, label, path)
    return geometries


def _check_on_globe(geometries: np.ndarray, label: str, path: str) -> None:
    xy = shapely.get_coordinates(geometries)
    if not len(xy):
        return
    lon, lat = xy[:, 0], xy[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180 + _TOLERANCE)
            & (np.abs(lat) <= 90 + _TOLERANCE))
    if bad.any():
        raise LayerInvalid(path, UNKNOWN_CRS, label)


def _shorten(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
