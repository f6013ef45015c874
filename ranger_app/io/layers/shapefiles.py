"""Shapefiles (.shp with .dbf, .shx, .prj, .cpg beside it, or all of them in a .zip).

The geometry is read with pyshp. A shapefile says its coordinate system only in the .prj
(ESRI WKT) and its text encoding only in the .cpg or, in older files, the dBASE language
byte; Russian forestry files are mostly cp1251 without either, so text that is not UTF-8
is read as cp1251. The .dbf is opened as latin-1 (which never fails) and each text value
re-decoded, so trying another encoding does not re-read the file.
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import os
import re
import shutil
import struct
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import numpy as np
import shapefile
import shapely
from pyproj import CRS
from shapely import GeometryType

from ranger_app.i18n import _
from ranger_app.io.layers.build import Collector, SourceLayer, Ticker, VertexBudget, broken
from ranger_app.io.layers.crs import parse_wkt
from ranger_app.io.layers.errors import (
    DAMAGED,
    MANY_LAYERS,
    NO_PRJ,
    NO_SUCH_LAYER,
    NOT_A_LAYER,
    LayerInvalid,
)

SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_ZIP_LIMIT = 1 << 30  # bytes extracted from one zip: a shapefile near MAX_VERTICES is ~20 MB
# dBASE language driver byte → codec, for the files that have no .cpg (Russian, Chinese)
_LDID = {0x26: "cp866", 0x65: "cp866", 0xC9: "cp1251", 0x4D: "gbk", 0x7A: "gbk"}
# what pyshp raises on a damaged file (KeyError: a dBASE field type byte it does not know)
_DAMAGE = (shapefile.ShapefileException, struct.error, EOFError, ValueError, IndexError,
           KeyError, OverflowError)

_POINTS = {1, 11, 21}
_MULTIPOINTS = {8, 18, 28}
_LINES = {3, 13, 23}
_POLYGONS = {5, 15, 25}


def read_shapefile(shp: Path, shown: str, crs: CRS | None, ticker: Ticker,
                   name: str | None = None) -> SourceLayer:
    """`crs`, when given, is used instead of the .prj (and makes a missing one no matter)."""
    with shp.open("rb") as fh:
        head = fh.read(100)
    if head[:4] != SHP_MAGIC:
        raise LayerInvalid(shown, NOT_A_LAYER, "not a .shp file")
    if len(head) < 100:
        raise LayerInvalid(shown, DAMAGED, "the .shp header is cut short")
    source_crs = crs if crs is not None else _prj_crs(shp, shown)
    dbf_path = sibling(shp, ".dbf")
    with contextlib.ExitStack() as stack:
        files: dict[str, BinaryIO] = {"shp": stack.enter_context(shp.open("rb"))}
        for ext in ("shx", "dbf"):
            path = sibling(shp, "." + ext)
            if path is not None:
                files[ext] = stack.enter_context(path.open("rb"))
        # pyshp warns of header sizes it then reads past (its own writer leaves such files)
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        try:
            reader = shapefile.Reader(encoding="latin-1", **files)
            stack.callback(reader.close)
            fields, rows = _attributes(reader, dbf_path) if "dbf" in files else ((), None)
            return _shapes(reader, shp, shown, source_crs, fields, rows, ticker, name)
        except _DAMAGE as err:
            raise LayerInvalid(shown, DAMAGED, str(err) or type(err).__name__) from None


def sibling(shp: Path, ext: str) -> Path | None:
    """The file beside `shp` with the same stem and extension `ext`, in either case
    (KV.SHP with kv.prj comes from Windows)."""
    exact = shp.with_suffix(ext)
    if exact.is_file():
        return exact
    stem = shp.stem.casefold()
    with contextlib.suppress(OSError):
        for entry in os.scandir(shp.parent):
            p = Path(entry.path)
            if p.stem.casefold() == stem and p.suffix.casefold() == ext and entry.is_file():
                return p
    return None


def _prj_crs(shp: Path, shown: str) -> CRS:
    prj = sibling(shp, ".prj")
    if prj is None:
        raise LayerInvalid(shown, NO_PRJ)
    text = prj.read_bytes().decode("utf-8", "replace").strip()
    if not text:
        raise LayerInvalid(shown, NO_PRJ, "the .prj file is empty")
    return parse_wkt(text, shown)


# --- attributes ----------------------------------------------------------------------------
def _attributes(reader: shapefile.Reader,
                dbf: Path | None) -> tuple[tuple[str, ...], list[list[Any] | None]]:
    """Field names and each record's values (None for a record marked deleted)."""
    raw_names = [f[0] for f in reader.fields if f[0] != "DeletionFlag"]
    try:  # pyshp 3: a deleted record stays in place as None, so rows keep their shapes
        records = list(reader.iterRecords(deleted_as_None=True))
    except TypeError:  # pyshp 2 skips deleted records; ask for each one by its number
        records = [reader.record(i) for i in range(reader.numRecords)]
    rows = [list(r) if r is not None else None for r in records]
    at = [(i, j) for i, row in enumerate(rows) if row is not None
          for j, v in enumerate(row) if isinstance(v, str)]
    texts = [*raw_names, *(rows[i][j] for i, j in at)]  # type: ignore[index]
    decoded = _decoded(texts, [_cpg_encoding(dbf), _ldid_encoding(dbf), "utf-8", "cp1251"])
    for (i, j), text in zip(at, decoded[len(raw_names):], strict=True):
        rows[i][j] = text.strip()  # type: ignore[index]
    return tuple(decoded[: len(raw_names)]), rows


def _decoded(texts: list[str], candidates: list[str | None]) -> list[str]:
    """All texts (latin-1 as read) in the first encoding that decodes every one of them:
    the .cpg's, else the language byte's, else UTF-8, else cp1251."""
    for encoding in dict.fromkeys(c for c in candidates if c):
        try:
            return [t.encode("latin-1").decode(encoding) for t in texts]
        except UnicodeError:
            continue
    # every byte but one is a letter in cp1251; that one is replaced
    return [t.encode("latin-1").decode("cp1251", "replace") for t in texts]


def _cpg_encoding(dbf: Path | None) -> str | None:
    cpg = sibling(dbf, ".cpg") if dbf is not None else None
    if cpg is None:
        return None
    text = cpg.read_bytes()[:64].decode("ascii", "ignore").strip().lower()
    number = re.fullmatch(r"(?:ansi\s*|cp\s*|windows-?)?(\d+)", text)
    if number:
        text = {"65001": "utf-8", "936": "gbk"}.get(number.group(1), "cp" + number.group(1))
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None


def _ldid_encoding(dbf: Path | None) -> str | None:
    if dbf is None:
        return None
    with dbf.open("rb") as fh:
        head = fh.read(30)
    return _LDID.get(head[29]) if len(head) == 30 else None


# --- geometry ------------------------------------------------------------------------------
def _shapes(reader: shapefile.Reader, shp: Path, shown: str, crs: CRS,
            fields: tuple[str, ...], rows: list[list[Any] | None] | None, ticker: Ticker,
            name: str | None) -> SourceLayer:
    """`rows` None: no .dbf, so no attributes. A record the .dbf marks deleted drops its
    shape, as GDAL and QGIS do."""
    collector = Collector(shown, VertexBudget(shown))
    numbers: list[int] = []
    kept: list[tuple[Any, ...]] = []
    notes: list[str] = []
    ticker.start(len(rows) if rows is not None else _shape_count(reader))
    for index, shape in enumerate(reader.iterShapes()):
        number = index + 1
        ticker.tick(index)
        row: tuple[Any, ...] = ()
        if rows is not None:
            if index >= len(rows):
                raise LayerInvalid(shown, DAMAGED, f"the .dbf has only {len(rows)} records")
            if rows[index] is None:
                notes.append(_("feature {n}: deleted in the .dbf; dropped").format(n=number))
                continue
            row = tuple(rows[index])  # type: ignore[arg-type]
        if not _add(collector, number, shape, shown):
            notes.append(_("feature {n}: no geometry; dropped").format(n=number))
            continue
        numbers.append(number)
        kept.append(row)
    return SourceLayer(name=name or shp.stem, fields=fields, crs=crs, numbers=numbers,
                       geometries=collector.build(), rows=kept,
                       notes=[*notes, *collector.notes])


def _shape_count(reader: shapefile.Reader) -> int:
    try:
        return len(reader)
    except _DAMAGE:
        return 0


def _add(collector: Collector, number: int, shape: Any, shown: str) -> bool:
    kind = shape.shapeType
    points = shape.points
    if kind == 0 or not points:
        return False
    if kind in _POINTS:
        collector.add(number, GeometryType.POINT, tuple(points[0][:2]))
    elif kind in _MULTIPOINTS:
        collector.add(number, GeometryType.MULTIPOINT, points)
    elif kind in _LINES:
        parts = _split(points, shape.parts, shown, number)
        if len(parts) == 1:
            collector.add(number, GeometryType.LINESTRING, parts[0])
        else:
            collector.add(number, GeometryType.MULTILINESTRING, parts)
    elif kind in _POLYGONS:
        polygons = _polygons(_split(points, shape.parts, shown, number))
        if len(polygons) == 1:
            collector.add(number, GeometryType.POLYGON, polygons[0])
        else:
            collector.add(number, GeometryType.MULTIPOLYGON, polygons)
    else:
        raise broken(shown, number, _("shape type {kind} (multipatch) is not supported")
                     .format(kind=kind))
    return True


def _split(points: list[Any], parts: list[int], shown: str, number: int) -> list[list[Any]]:
    """The shape's points cut at its part starts, which must begin at 0 and increase."""
    parts = list(parts)
    if parts in ([], [0]):  # most quarters: one ring, no copy
        return [points]
    bounds = [*parts, len(points)]
    if parts[0] != 0 or any(b <= a for a, b in itertools.pairwise(bounds)):
        raise broken(shown, number, _("its parts do not fit its points (a damaged .shp)"))
    return [points[a:b] for a, b in itertools.pairwise(bounds)]


def _polygons(rings: list[list[Any]]) -> list[list[list[Any]]]:
    """Rings grouped into polygons: clockwise rings are outer (the shapefile rule), each
    counter-clockwise one a hole of the outer ring that covers it."""
    if len(rings) == 1:
        return [rings]
    areas = [_signed_area(r) for r in rings]
    outers = [i for i, a in enumerate(areas) if a < 0]
    if not outers:  # a writer that wound every ring the other way: each is its own polygon
        return [[r] for r in rings]
    polygons = {i: [rings[i]] for i in outers}
    shells = {i: shapely.Polygon(rings[i]) if len(rings[i]) >= 4 else None for i in outers}
    for i, ring in enumerate(rings):
        if i in polygons:
            continue
        owner = outers[0] if len(outers) == 1 else next(
            (o for o in outers if shells[o] is not None and len(ring)
             and shells[o].covers(shapely.Point(ring[0][:2]))), None)
        if owner is None:
            polygons[i] = [ring]  # a hole in nothing: keep it as an area of its own
        else:
            polygons[owner].append(ring)
    return list(polygons.values())


def _signed_area(ring: list[Any]) -> float:
    """Twice the signed area, negative for clockwise; relative to the first point, so that
    Gauss-Krüger eastings of 22,000,000 m lose no precision."""
    if len(ring) < 3:
        return 0.0
    xy = np.asarray([p[:2] for p in ring], dtype=np.float64)
    xy -= xy[0]
    x, y = xy[:, 0], xy[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


# --- zip -----------------------------------------------------------------------------------
def zip_layers(path: Path, shown: str) -> dict[str, dict[str, zipfile.ZipInfo]]:
    """Shapefiles in a zip: stem → {".shp": member, ".dbf": member, ...}, in zip order."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise LayerInvalid(shown, DAMAGED, str(err)) from None
    groups: dict[str, dict[str, zipfile.ZipInfo]] = {}
    stems: dict[str, str] = {}
    for info in members:
        member = PurePosixPath(_member_name(info))
        if info.is_dir() or "__MACOSX" in member.parts or member.name.startswith("._"):
            continue
        ext = member.suffix.casefold()
        if ext not in _SIDECARS:
            continue
        key = str(member.with_suffix("")).casefold()
        if ext == ".shp":
            stems.setdefault(key, member.stem)
        groups.setdefault(key, {}).setdefault(ext, info)
    layers = {stems[k]: groups[k] for k in stems}
    if not layers:
        raise LayerInvalid(shown, NOT_A_LAYER, "the zip holds no shapefile")
    return layers


def _member_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag are cp437 to zipfile, but most such zips (Linux, macOS
    and many Windows tools) wrote UTF-8: кварталы.shp, not ¬ó¬Ñ.shp."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


@contextlib.contextmanager
def extracted(path: Path, shown: str, layer: str | None) -> Iterator[tuple[Path, str]]:
    """The chosen shapefile of a zip, copied to a temporary folder under fixed names (a
    member called ../../x cannot write outside it); yields its .shp and its layer name."""
    layers = zip_layers(path, shown)
    if layer is None:
        if len(layers) > 1:
            raise LayerInvalid(shown, MANY_LAYERS, ", ".join(layers))
        layer = next(iter(layers))
    if layer not in layers:
        raise LayerInvalid(shown, NO_SUCH_LAYER, layer)
    members = layers[layer]
    if sum(m.file_size for m in members.values()) > _ZIP_LIMIT:
        raise LayerInvalid(shown, DAMAGED, "the zip unpacks to more than 1 GB")
    with tempfile.TemporaryDirectory(prefix="ranger-layer-") as tmp:
        try:
            with zipfile.ZipFile(path) as zf:
                for ext, info in members.items():
                    with zf.open(info) as src, open(Path(tmp) / f"layer{ext}", "wb") as dst:
                        shutil.copyfileobj(src, dst)
        # NotImplementedError: a compression zipfile lacks; OSError: an offset past the end
        except (zipfile.BadZipFile, zlib.error, RuntimeError, ValueError, EOFError,
                NotImplementedError, OSError) as err:
            raise LayerInvalid(shown, DAMAGED, str(err)) from None
        yield Path(tmp) / "layer.shp", layer
