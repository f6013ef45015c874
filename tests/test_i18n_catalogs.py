"""The Russian and Chinese catalogs are complete, and so are the vocabulary labels.

The template is extracted afresh from the source (with the Makefile's keywords), so a string
added to the code without `make update-catalogs` and a translation fails here, not in front
of a ranger.
"""

from __future__ import annotations

import csv
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[1]
LOCALES = ("ru", "zh_Hans")
VOCAB_FILES = [*sorted((REPO / "resources" / "vocab").glob("*.csv")),
               REPO / "resources" / "vocab_meta" / "observation_attributes.csv"]


def makefile_keywords() -> list[str]:
    """The `-k` options of the Makefile's `extract` target, so test and build agree."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^extract:.*?\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe, "no extract target in the Makefile"
    keywords = re.findall(r"-k\s+(\S+)", recipe.group(1))
    assert keywords, "the extract target names no keywords"
    return keywords


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    out = tmp_path_factory.mktemp("pot") / "ranger_app.pot"
    args = ["pybabel", "--quiet", "extract", "-F", str(REPO / "babel.cfg"), "--no-location",
            "-o", str(out)]
    for keyword in makefile_keywords():
        args += ["-k", keyword]
    CommandLineInterface().run([*args, str(REPO / "ranger_app")])
    with out.open("rb") as fh:
        catalog = read_po(fh)
    assert len(catalog) > 100, "extraction found almost nothing: check babel.cfg"
    return catalog


def load_po(locale: str) -> Catalog:
    path = REPO / "translations" / locale / "LC_MESSAGES" / "ranger_app.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def placeholders(text: str) -> list[str]:
    """`{name}` and `{m:02d}` fields, sorted (a translation may reorder them)."""
    fields = [f"{name}:{spec}" for _lit, name, spec, _conv in string.Formatter().parse(text)
              if name is not None]
    return sorted(fields)


def label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"[{message.context}] {msgid!r}" if message.context else repr(msgid)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(template: Catalog, locale: str) -> None:
    catalog = load_po(locale)
    problems: list[str] = []
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id, context=source.context)
        if message is None:
            problems.append(f"missing {label(source)} (run make update-catalogs)")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy {label(source)}")
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            problems.append(f"untranslated {label(source)}")
            continue
        if source.pluralizable and locale == "ru" and len(forms) != 3:
            problems.append(f"{label(source)} needs 3 Russian plural forms, has {len(forms)}")
        ids = source.id if isinstance(source.id, tuple) else (source.id,)
        wanted = placeholders(ids[-1])
        for form in forms:
            if placeholders(form) != wanted:
                problems.append(f"placeholders differ in {label(source)}: {form!r}")
    assert not problems, f"{locale}: " + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_header(locale: str) -> None:
    catalog = load_po(locale)
    assert not catalog.fuzzy, f"{locale}: the catalog header is marked fuzzy"
    assert catalog.num_plurals == (3 if locale == "ru" else 1)


@pytest.mark.parametrize("path", VOCAB_FILES, ids=lambda p: p.name)
def test_every_vocabulary_term_has_three_labels(path: Path) -> None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, f"{path.name} is empty"
    missing = []
    for row in rows:
        key = (row.get("code") or "").strip() or (
            f"{row.get('category', '')}.{row.get('key', '')}")
        if key.startswith("#"):
            continue
        missing += [f"{key}: no {lang} label" for lang in ("ru", "zh", "en")
                    if not (row.get(lang) or "").strip()]
    assert not missing, f"{path.name}: " + "; ".join(missing)
