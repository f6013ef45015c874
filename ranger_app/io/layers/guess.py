"""What a layer probably is, and which fields carry its labels, from names alone.

HQ imports whatever the forestry or the park's GIS person sent: `kvartaly.shp` with KV and
LESNICH, `林班.gpkg` with 林班号 and 林场, `granica_oopt.geojson`. Guessing the kind and the
label field from the layer's name and its fields saves the user three choices in the common
case; the dialog shows the guess and the user can change it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

# Checked in this order: the first kind with a matching word wins. Quarters come before
# districts ("lesnichestvo_kvartaly" is a quarter grid), parks before the state border
# ("granica_oopt" is the park's boundary, not the country's).
_NAME_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("forest_quarter", ("kvartal", "kvartaly", "кварт", "quarter", "林班")),
    ("forest_district", ("lesnich", "лесничеств", "district", "林场")),
    ("park_boundary", ("boundary", "granica_oopt", "oopt", "оопт", "park", "заповедн",
                       "zapoved", "нацпарк", "保护区", "国家公园")),
    ("state_border", ("border", "granica", "граница", "国界")),
    ("road", ("road", "дорог", "doroga", "dorogi", "道路")),
    ("river", ("river", "рек", "reka", "reki", "河")),
    ("cordon", ("cordon", "kordon", "кордон")),
)
# Words matched as a whole token only: "kv" inside a longer word means nothing.
_NAME_TOKENS = {"kv": "forest_quarter"}

_QUARTER_FIELDS = ("kv", "kvartal", "num_kv", "quarter", "nomer", "number", "林班号")
_QUARTER_KIND_FIELDS = ("kv", "kvartal", "num_kv", "林班号")  # fields that alone say "quarters"
_NAME_FIELDS = ("name", "nazv", "nazvanie", "название", "назв", "名称")
_DISTRICT_FIELDS = ("district", "лесничество", "林场")
_DISTRICT_PREFIXES = ("lesnich", "лесничеств")  # dBASE cuts names at 10 bytes: LESNICHEST


def guess_kind(names: Iterable[str], fields: Iterable[str]) -> str:
    """A code of LAYER_KINDS from the layer's name(s), else from its fields; "other"."""
    for name in names:
        text = name.casefold()
        tokens = set(re.split(r"[^\w]+|_", text))
        for kind, words in _NAME_WORDS:
            if any(word in text for word in words):
                return kind
        for token, kind in _NAME_TOKENS.items():
            if token in tokens:
                return kind
    folded = [f.casefold() for f in fields]
    if any(f in _QUARTER_KIND_FIELDS for f in folded):
        return "forest_quarter"
    if any(_is_district_field(f) for f in folded):
        return "forest_district"
    return "other"


def guess_label_field(kind: str, fields: Iterable[str]) -> str:
    """A quarter's number for quarter grids, else the name field (for a district layer its
    LESNICH field is its name); "" when there is none."""
    fields = list(fields)
    wanted = (_QUARTER_FIELDS if kind == "forest_quarter" else ()) + _NAME_FIELDS
    for candidate in wanted:
        for field in fields:
            if field.casefold() == candidate:
                return field
    return guess_district_field(fields) if kind == "forest_district" else ""


def guess_district_field(fields: Iterable[str]) -> str:
    for field in fields:
        if _is_district_field(field.casefold()):
            return field
    return ""


def _is_district_field(folded: str) -> bool:
    return folded in _DISTRICT_FIELDS or folded.startswith(_DISTRICT_PREFIXES)


def find_field(wanted: str, fields: Iterable[str]) -> str | None:
    """The file's own spelling of `wanted`: exact first, then ignoring case ("kv" for KV)."""
    fields = list(fields)
    if wanted in fields:
        return wanted
    folded = wanted.casefold()
    return next((f for f in fields if f.casefold() == folded), None)


def label_text(value: object) -> str:
    """A label as the map writes it: 12.0 → "12" (dBASE numbers come back as floats),
    strings stripped, None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return label_text(float(value)) if value.is_finite() else ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()
