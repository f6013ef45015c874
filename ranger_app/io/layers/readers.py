"""Vector map layers from GeoJSON, Shapefile (or a zip of one) and GeoPackage files, as
WGS84 shapely features: the one entry point the store, the CLI and the import dialog use.

Every refusal is a `LayerInvalid` with a reason code, raised before anything is stored;
`ranger_app.io.layer_errors` has the sentences. The steps: find the format (by content,
then extension), read the features in the file's own coordinate system while counting
their vertices, reproject all of them in one vectorised pass, repair what `make_valid` can,
then guess the layer's kind and label fields from its names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import shapely
from pyproj import CRS

from ranger_app.domain.errors import FileUnreadable, InvalidValue
from ranger_app.domain.layers import LAYER_KINDS, LayerFeature
from ranger_app.io.layers import guess
from ranger_app.io.layers.build import SourceLayer, Ticker, repair
from ranger_app.io.layers.crs import parse_crs, settle, to_wgs84
from ranger_app.io.layers.errors import (
    BROKEN_GEOMETRY,
    DAMAGED,
    MANY_LAYERS,
    MAX_VERTICES,
    NO_FEATURES,
    NO_PRJ,
    NO_SUCH_FIELD,
    NO_SUCH_LAYER,
    NOT_A_LAYER,
    TOO_MANY_VERTICES,
    UNKNOWN_CRS,
    LayerInvalid,
    LayerReadCancelled,
)
from ranger_app.io.layers.geojson import read_geojson
from ranger_app.io.layers.geopackage import SQLITE_MAGIC, gpkg_layers, read_geopackage
from ranger_app.io.layers.shapefiles import SHP_MAGIC, extracted, read_shapefile, zip_layers

__all__ = [
    "BROKEN_GEOMETRY", "DAMAGED", "MANY_LAYERS", "MAX_VERTICES", "NOT_A_LAYER", "NO_FEATURES",
    "NO_PRJ", "NO_SUCH_FIELD", "NO_SUCH_LAYER", "TOO_MANY_VERTICES", "UNKNOWN_CRS",
    "LayerInvalid", "LayerReadCancelled", "ReadLayer", "layer_names", "read_layer",
]

GEOJSON, SHAPEFILE, ZIP, GEOPACKAGE = "geojson", "shapefile", "zip", "geopackage"
_EXTENSIONS = {".geojson": GEOJSON, ".json": GEOJSON, ".shp": SHAPEFILE, ".zip": ZIP,
               ".gpkg": GEOPACKAGE}
_SHAPEFILE_SIDECARS = (".dbf", ".shx", ".prj", ".cpg")


@dataclass(frozen=True)
class ReadLayer:
    """A layer ready to be stored: valid geometries in WGS84 lon/lat, and the guesses the
    import dialog offers (kind, label and district fields) with what they were based on."""

    features: tuple[LayerFeature, ...]
    name: str  # GeoJSON "name", else the GeoPackage table, else the file (or .shp) stem
    kind: str  # a code of LAYER_KINDS; "other" when nothing in the names says
    label_field: str  # "" if none
    district_field: str  # "" if none
    source_crs: str  # "EPSG:28422", or the CRS name when it has no authority code
    fields: tuple[str, ...]  # attribute names in file order
    skipped: tuple[str, ...]  # "feature 12: repaired self-intersection", "feature 3: ... dropped"
    vertex_count: int


def layer_names(path: str | Path) -> list[str]:
    """GeoPackage: its feature tables (gpkg_contents); a zip: the shapefiles in it; any other
    layer file: [its stem]."""
    p, shown = _existing(path)
    fmt = _format(p, shown)
    if fmt == GEOPACKAGE:
        return gpkg_layers(p, shown)
    if fmt == ZIP:
        return list(zip_layers(p, shown))
    return [p.stem]


def read_layer(path: str | Path, *, layer: str | None = None, crs: str | None = None,
               label_field: str | None = None, kind: str | None = None,
               progress: Callable[[int, int], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> ReadLayer:
    """Read one layer. `crs` (anything pyproj reads, "EPSG:28422") replaces what the file
    says or supplies what it does not; `label_field` and `kind` replace the guesses
    (`label_field=""`: no labels; a field is found in any case, "kv" for KV).
    `progress(done, total)` and `cancelled()` are called every ~1000 features.

    Raises LayerInvalid (a bad file), LayerReadCancelled, FileUnreadable (missing or not
    readable: a pulled stick) and InvalidValue (a `kind` not in LAYER_KINDS), all but the
    cancel BadInput."""
    p, shown = _existing(path)
    if kind is not None and kind not in LAYER_KINDS:
        raise InvalidValue("kind", kind)
    override = parse_crs(crs, shown) if crs is not None else None
    ticker = Ticker(progress, cancelled)
    ticker.check(0)
    with _source(p, shown, layer, override, ticker) as source:
        result = _finish(source, shown, label_field, kind, extra_names=(p.stem,))
    ticker.check(ticker.total)
    return result


# --- which reader ----------------------------------------------------------------------------
def _existing(path: str | Path) -> tuple[Path, str]:
    p = Path(path)
    shown = str(path)
    if p.suffix.casefold() in _SHAPEFILE_SIDECARS and not p.is_dir():
        shp = next((q for q in (p.with_suffix(".shp"), p.with_suffix(".SHP")) if q.is_file()),
                   None)
        if shp is not None:  # the .dbf or .prj of a shapefile was chosen: read the .shp
            p = shp
    try:
        if not p.is_file():
            raise FileUnreadable(shown, "no such file" if not p.exists() else "not a file")
        with p.open("rb"):
            pass
    except OSError as err:
        raise FileUnreadable(shown, err.strerror or str(err)) from None
    return p, shown


def _format(p: Path, shown: str) -> str:
    """By content first (a GeoPackage renamed .db, a zip renamed .shz), then by extension."""
    with p.open("rb") as fh:
        head = fh.read(64)
    if head.startswith(SQLITE_MAGIC):
        return GEOPACKAGE
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ZIP
    if head.startswith(SHP_MAGIC):
        return SHAPEFILE
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return GEOJSON
    by_extension = _EXTENSIONS.get(p.suffix.casefold())
    if by_extension == GEOJSON:
        return GEOJSON  # the JSON parser says what is wrong with it
    if by_extension in (SHAPEFILE, ZIP, GEOPACKAGE) and len(head) < 4:
        raise LayerInvalid(shown, DAMAGED, "the file is empty or cut short")
    raise LayerInvalid(shown, NOT_A_LAYER, p.suffix or "no extension")


@contextlib.contextmanager
def _source(p: Path, shown: str, layer: str | None, override: CRS | None,
            ticker: Ticker) -> Iterator[SourceLayer]:
    fmt = _format(p, shown)
    if fmt == GEOPACKAGE:
        yield read_geopackage(p, shown, layer, override, ticker)
        return
    if fmt == ZIP:
        with extracted(p, shown, layer) as (shp, name):
            yield read_shapefile(shp, shown, override, ticker, name=name)
        return
    if layer is not None and layer != p.stem:
        raise LayerInvalid(shown, NO_SUCH_LAYER, layer)
    if fmt == SHAPEFILE:
        yield read_shapefile(p, shown, override, ticker)
    else:
        yield read_geojson(p, shown, override, ticker)


# --- from source CRS to features -----------------------------------------------------------
def _finish(source: SourceLayer, shown: str, label_field: str | None, kind: str | None,
            extra_names: tuple[str, ...]) -> ReadLayer:
    label = _chosen_field(label_field, source.fields, shown)
    kind = kind or guess.guess_kind((source.name, *extra_names), source.fields)
    if label is None:
        label = guess.guess_label_field(kind, source.fields)
    district = guess.guess_district_field(source.fields)
    notes = list(source.notes)
    if not len(source.geometries):
        raise LayerInvalid(shown, NO_FEATURES)
    source_crs, crs_text = settle(source.crs)
    geometries = to_wgs84(source.geometries, source_crs, crs_text, shown)
    geometries, keep = repair(geometries, source.numbers, notes)
    label_at = source.fields.index(label) if label else -1
    district_at = source.fields.index(district) if district else -1
    features = tuple(
        LayerFeature(geometry=g,
                     label=guess.label_text(row[label_at]) if label_at >= 0 else "",
                     district=guess.label_text(row[district_at]) if district_at >= 0 else "")
        for g, row, k in zip(geometries, source.rows, keep, strict=True) if k)
    if not features:
        raise LayerInvalid(shown, NO_FEATURES)
    kept = geometries[keep]
    return ReadLayer(
        features=features, name=source.name, kind=kind, label_field=label,
        district_field=district, source_crs=crs_text, fields=source.fields,
        skipped=tuple(_in_feature_order(notes)),
        vertex_count=int(shapely.get_num_coordinates(kept).sum()) if len(kept) else 0)


def _chosen_field(wanted: str | None, fields: tuple[str, ...], shown: str) -> str | None:
    if wanted is None:
        return None
    if wanted == "":
        return ""  # no labels, on purpose
    found = guess.find_field(wanted, fields)
    if found is None:
        raise LayerInvalid(shown, NO_SUCH_FIELD, wanted)
    return found


def _in_feature_order(notes: list[str]) -> list[str]:
    def number(note: str) -> int:
        head = note.split(":", 1)[0].removeprefix("feature ")
        return int(head) if head.isdigit() else 0
    return sorted(notes, key=number)

