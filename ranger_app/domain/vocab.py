"""Vocabularies: coded terms with Russian, Chinese and English labels.

Records store codes, never labels, so a patrol typed in Russian reads in Chinese at the
partner park. Each vocabulary is one CSV file in `resources/vocab/` that translators can edit
in a spreadsheet: `code,parent,ru,zh,en,latin`, plus extra columns some lists need (for
transports `max_speed_kmh`). `parent` builds trees (observation categories).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ranger_app.domain.errors import UnknownCode
from ranger_app.paths import resources_dir

LANGS = ("ru", "zh", "en")
BASE_COLUMNS = ("code", "parent", "ru", "zh", "en", "latin")


@dataclass(frozen=True)
class Term:
    code: str
    parent: str | None
    labels: dict[str, str] = field(hash=False, compare=False)
    latin: str = ""
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.code


class Vocabulary:
    """An ordered list of terms, optionally a tree."""

    def __init__(self, name: str, terms: list[Term]) -> None:
        self.name = name
        self._terms = terms
        self._by_code = {t.code: t for t in terms}

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Term:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownCode(self.name, code) from None

    def codes(self) -> list[str]:
        return [t.code for t in self._terms]

    def label(self, code: str | None, lang: str) -> str:
        if not code:
            return ""
        term = self._by_code.get(code)
        return term.label(lang) if term else code

    def children(self, parent: str | None) -> list[Term]:
        return [t for t in self._terms if t.parent == parent]

    def ancestors(self, code: str) -> list[Term]:
        """From the root down to the term itself."""
        chain: list[Term] = []
        term: Term | None = self.get(code)
        while term is not None:
            chain.append(term)
            term = self._by_code.get(term.parent) if term.parent else None
        return list(reversed(chain))

    def path_label(self, code: str | None, lang: str, sep: str = " › ") -> str:
        if not code:
            return ""
        if code not in self._by_code:
            return code
        return sep.join(t.label(lang) for t in self.ancestors(code))

    def is_leaf(self, code: str) -> bool:
        return not any(t.parent == code for t in self._terms)


def vocab_dir() -> Path:
    return resources_dir() / "vocab"


def read_vocabulary(path: Path) -> Vocabulary:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        terms = []
        for row in reader:
            code = (row.get("code") or "").strip()
            if not code or code.startswith("#"):
                continue
            terms.append(
                Term(
                    code=code,
                    parent=(row.get("parent") or "").strip() or None,
                    labels={lang: (row.get(lang) or "").strip() for lang in LANGS},
                    latin=(row.get("latin") or "").strip(),
                    extra={k: (v or "").strip() for k, v in row.items()
                           if k and k not in BASE_COLUMNS},
                )
            )
    return Vocabulary(path.stem, terms)


@cache
def vocabulary(name: str) -> Vocabulary:
    """The vocabulary `resources/vocab/<name>.csv`, read once per process."""
    return read_vocabulary(vocab_dir() / f"{name}.csv")


def all_vocabularies() -> dict[str, Vocabulary]:
    return {p.stem: vocabulary(p.stem) for p in sorted(vocab_dir().glob("*.csv"))}


@dataclass(frozen=True)
class AttributeSpec:
    """A per-category observation attribute (e.g. a snare's material, a pad width)."""

    category: str  # applies to this category and every descendant
    key: str
    kind: str  # int | float | text | bool | choice
    choices: str  # vocabulary name when kind == "choice"
    unit: str
    labels: dict[str, str] = field(hash=False, compare=False)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.key


@cache
def attribute_specs() -> tuple[AttributeSpec, ...]:
    path = resources_dir() / "vocab_meta" / "observation_attributes.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return tuple(
            AttributeSpec(
                category=row["category"].strip(),
                key=row["key"].strip(),
                kind=row["kind"].strip(),
                choices=(row.get("choices") or "").strip(),
                unit=(row.get("unit") or "").strip(),
                labels={lang: (row.get(lang) or "").strip() for lang in LANGS},
            )
            for row in csv.DictReader(fh)
            if row.get("key")
        )


def attributes_for(category: str | None) -> list[AttributeSpec]:
    """Attributes of a category, inherited from its ancestors (root first)."""
    if not category:
        return []
    cats = vocabulary("observation_categories")
    chain = [t.code for t in cats.ancestors(category)] if category in cats else [category]
    return [spec for code in chain for spec in attribute_specs() if spec.category == code]
