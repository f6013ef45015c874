"""The park's mapping between our codes and SMART keys.

A CSV `kind,our_code,smart_key` (HQ edits it in a spreadsheet or in the mapping editor);
the default for our vocabularies ships in `resources/smart/mapping_default.csv`, and rows
edited at HQ live in the database as synced reference data (`store.smart_mapping`) and
override it. Kinds:

- `category`: observation category code → SMART category key (`hkey`, e.g. `threat.snare`)
- `attribute`: attribute key (and `count`, our observation count) → SMART attribute key
- `list_item`: `<attribute key>.<item code>` → SMART list item key
- `transport`, `mandate`: code → the SMART name (SMART carries these as labels)
- `patrol_type`: code → GROUND | AIR | MARINE

Several of our codes may share one SMART key; reading back, the first row wins.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ranger_app.domain.vocab import attribute_specs, vocabulary
from ranger_app.io.smart.errors import MalformedMapping
from ranger_app.paths import resources_dir

KINDS = ("category", "attribute", "list_item", "transport", "mandate", "patrol_type")
SMART_PATROL_TYPES = ("GROUND", "AIR", "MARINE")
COUNT_ATTRIBUTE = "count"


def default_mapping_path() -> Path:
    return resources_dir() / "smart" / "mapping_default.csv"


@dataclass(frozen=True)
class MappingEntry:
    kind: str
    our_code: str
    smart_key: str  # "" when deliberately unmapped


@dataclass
class SmartMapping:
    """Our code ↔ SMART key, both ways, per kind."""

    entries: list[MappingEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._out: dict[tuple[str, str], str] = {}
        self._in: dict[tuple[str, str], str] = {}
        for e in self.entries:
            self._out[(e.kind, e.our_code)] = e.smart_key
        for e in self.entries:  # the first row with a key wins when reading back
            if e.smart_key and self._out.get((e.kind, e.our_code)) == e.smart_key:
                self._in.setdefault((e.kind, _in_key(e)), e.our_code)

    def smart_key(self, kind: str, code: str) -> str | None:
        """SMART key of our code; None when unmapped."""
        return self._out.get((kind, code)) or None

    def our_code(self, kind: str, key: str, attribute: str = "") -> str | None:
        """Our code of a SMART key (a list item needs its attribute, ours)."""
        probe = f"{attribute}.{key}" if kind == "list_item" else key
        code = self._in.get((kind, probe))
        if code is not None and kind == "list_item":
            return code.split(".", 1)[1]
        return code

    def with_overrides(self, rows: Mapping[tuple[str, str], str]) -> SmartMapping:
        """This mapping with (kind, our_code) → key rows replacing or adding entries."""
        merged = {(e.kind, e.our_code): e.smart_key for e in self.entries}
        merged.update(rows)
        return SmartMapping([MappingEntry(k, c, v) for (k, c), v in merged.items()])


def _in_key(e: MappingEntry) -> str:
    if e.kind == "list_item":
        attribute = e.our_code.split(".", 1)[0]
        return f"{attribute}.{e.smart_key}"
    return e.smart_key


def read_mapping(path: Path) -> SmartMapping:
    """A mapping CSV; a bad kind or a missing column is refused with its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedMapping(str(path), 1, f"not UTF-8: {exc.reason}") from None
    reader = csv.DictReader(text.splitlines())
    missing = {"kind", "our_code", "smart_key"} - set(reader.fieldnames or ())
    if missing:
        raise MalformedMapping(str(path), 1, "missing columns " + ", ".join(sorted(missing)))
    entries = []
    for line, row in enumerate(reader, start=2):
        kind = (row.get("kind") or "").strip()
        code = (row.get("our_code") or "").strip()
        if not kind or kind.startswith("#"):
            continue
        if kind not in KINDS:
            raise MalformedMapping(str(path), line, f"unknown kind {kind!r}")
        if not code:
            raise MalformedMapping(str(path), line, "empty our_code")
        key = (row.get("smart_key") or "").strip()
        if kind == "patrol_type" and key and key not in SMART_PATROL_TYPES:
            raise MalformedMapping(str(path), line, f"patrol type {key!r} is not "
                                   + "/".join(SMART_PATROL_TYPES))
        entries.append(MappingEntry(kind, code, key))
    return SmartMapping(entries)


def write_mapping(mapping: SmartMapping, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["kind", "our_code", "smart_key"])
        for e in mapping.entries:
            w.writerow([e.kind, e.our_code, e.smart_key])


def default_mapping() -> SmartMapping:
    return read_mapping(default_mapping_path())


def park_mapping(db: object, csv_path: Path | None = None) -> SmartMapping:
    """What export and import use: the CSV (the shipped default unless one is given) with
    the rows edited at HQ on top."""
    from ranger_app.store.smart_mapping import mapping_rows

    base = read_mapping(csv_path) if csv_path else default_mapping()
    return base.with_overrides(mapping_rows(db))  # type: ignore[arg-type]


def our_codes() -> list[tuple[str, str]]:
    """Every (kind, code) our vocabularies can put into an export, in editor order."""
    out = [("category", t.code) for t in vocabulary("observation_categories")]
    keys = list(dict.fromkeys(s.key for s in attribute_specs()))
    out += [("attribute", k) for k in keys] + [("attribute", COUNT_ATTRIBUTE)]
    seen: set[str] = set()
    for spec in attribute_specs():
        if spec.kind == "choice" and spec.key not in seen:
            seen.add(spec.key)
            out += [("list_item", f"{spec.key}.{t.code}") for t in vocabulary(spec.choices)]
    for kind, vocab in (("transport", "transports"), ("mandate", "mandates"),
                        ("patrol_type", "patrol_types")):
        out += [(kind, t.code) for t in vocabulary(vocab)]
    return out


def unmapped(mapping: SmartMapping,
             codes: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The (kind, code) pairs without a SMART key, each once, in the order met."""
    return tuple(dict.fromkeys(c for c in codes if mapping.smart_key(*c) is None))


# --- what the mapping editor shows and saves ------------------------------------------------

@dataclass(frozen=True)
class EditorRow:
    kind: str
    our_code: str
    smart_key: str  # effective: the park's edit, else the default
    default_key: str


def editor_rows(db: object) -> list[EditorRow]:
    """Every code we can export (then any extra mapped one), with its effective key."""
    from ranger_app.store.smart_mapping import mapping_rows

    default = default_mapping()
    edits = mapping_rows(db)  # type: ignore[arg-type]
    codes = list(dict.fromkeys(our_codes() + [(e.kind, e.our_code) for e in default.entries]
                               + list(edits)))
    return [EditorRow(k, c, edits.get((k, c), default.smart_key(k, c) or ""),
                      default.smart_key(k, c) or "") for k, c in codes]


def save_editor_rows(db: object, rows: Iterable[tuple[str, str, str]],
                     user: str | None = None) -> int:
    """Store the rows whose key differs from what is in force; returns how many changed."""
    from ranger_app.store.smart_mapping import mapping_rows, save_mapping_rows

    current = {(r.kind, r.our_code): r.smart_key for r in editor_rows(db)}
    edited = mapping_rows(db)  # type: ignore[arg-type]
    changed = [(k, c, key.strip()) for k, c, key in rows
               if current.get((k, c), "") != key.strip() or (k, c) in edited]
    return save_mapping_rows(db, changed, user)  # type: ignore[arg-type]


def code_label(kind: str, code: str, lang: str) -> str:
    """Our code as the user reads it (a list item as "attribute: item")."""
    from ranger_app.domain.vocab import attribute_specs

    vocab = {"category": "observation_categories", "transport": "transports",
             "mandate": "mandates", "patrol_type": "patrol_types"}.get(kind)
    if vocab is not None:
        return vocabulary(vocab).path_label(code, lang)
    specs = {s.key: s for s in attribute_specs()}
    if kind == "attribute":
        return specs[code].label(lang) if code in specs else code
    attribute, _sep, item = code.partition(".")
    spec = specs.get(attribute)
    if spec is None or not spec.choices:
        return code
    return f"{spec.label(lang)}: {vocabulary(spec.choices).label(item, lang)}"


def export_mapping_csv(db: object, path: Path) -> int:
    """The mapping in force (defaults and HQ's edits) as a CSV for a spreadsheet."""
    rows = editor_rows(db)
    tmp = path.with_name(path.name + ".part")
    write_mapping(SmartMapping([MappingEntry(r.kind, r.our_code, r.smart_key) for r in rows]),
                  tmp)
    tmp.replace(path)
    return len(rows)


def load_mapping_csv(db: object, path: Path, user: str | None = None) -> int:
    """An edited CSV into the synced mapping rows (checked whole first); returns how many
    rows changed. Rows the CSV leaves out keep their key."""
    mapping = read_mapping(path)
    return save_editor_rows(db, [(e.kind, e.our_code, e.smart_key) for e in mapping.entries],
                            user)
