"""What rangers write down on a patrol: a category by season and its attributes.

Attributes follow `resources/vocab_meta/observation_attributes.csv` (inherited from parent
categories), so every key the demo stores is one the editor knows and every choice is a code
of the named vocabulary.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from ranger_app.domain.vocab import AttributeSpec, attributes_for, vocabulary

# Weights of leaf categories: (winter Dec–Mar, spring Apr–May, summer Jun–Aug, autumn Sep–Nov).
_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "SNARE": (8, 4, 2, 8), "TRAP": (3, 1, 0.5, 2), "CAMP": (2, 2, 2, 3), "SHOT": (2, 1, 0.5, 3),
    "LOGGING": (3, 2, 1, 2), "FISHING": (0.2, 1, 3, 2), "VEHICLE": (1, 1, 1, 1.5),
    "FIRE_USE": (0.5, 4, 0.5, 3), "NTFP": (0, 1, 1.5, 6),
    "TIGER_TRACK": (7, 2, 1, 3), "TIGER_SCAT": (1, 1, 1, 1), "TIGER_SCRAPE": (1, 1.5, 1, 1.5),
    "TIGER_KILL": (1, 0.3, 0.2, 0.4), "TIGER_SIGHTING": (0.2, 0.2, 0.2, 0.2),
    "TIGER_HAIR": (0.2, 0.2, 0.1, 0.2),
    "LEOPARD_TRACK": (6, 1.5, 0.8, 2.5), "LEOPARD_SCAT": (1, 1, 1, 1),
    "LEOPARD_SCRAPE": (1, 1.5, 1, 1.5), "LEOPARD_KILL": (0.8, 0.3, 0.2, 0.4),
    "LEOPARD_SIGHTING": (0.2, 0.2, 0.2, 0.2), "LEOPARD_HAIR": (0.1, 0.1, 0.1, 0.1),
    "SIKA_DEER": (8, 6, 5, 6), "ROE_DEER": (7, 5, 4, 5), "WILD_BOAR": (5, 4, 3, 5),
    "RED_DEER": (2, 1.5, 1, 1.5), "MOOSE": (0.3, 0.2, 0.1, 0.2), "MUSK_DEER": (0.5, 0.3, 0.2, 0.3),
    "GORAL": (0.2, 0.2, 0.1, 0.2), "BADGER": (0, 1, 1.5, 1),
    "BROWN_BEAR": (0, 1, 1.5, 1.5), "BLACK_BEAR": (0, 1, 2, 2), "WOLF": (0.5, 0.2, 0.1, 0.3),
    "LYNX": (0.5, 0.2, 0.2, 0.3),
    "PEOPLE_MET": (1, 2, 3, 3), "DOGS": (1, 1, 1, 1), "LIVESTOCK": (0, 1.5, 3, 1.5),
    "HUNTERS_LEGAL": (1, 0, 0, 2), "TOURISTS": (0.3, 1.5, 3, 2), "LITTER": (0.5, 2, 3, 2),
    "CARCASS": (0.8, 0.5, 0.3, 0.5), "CARCASS_TIGER": (0.01, 0.01, 0.01, 0.01),
    "CARCASS_LEOPARD": (0.01, 0.01, 0.01, 0.01),
}
PHOTO_WORTHY = frozenset({"SNARE", "TRAP", "CAMP", "TIGER_TRACK", "LEOPARD_TRACK", "TIGER_KILL",
                          "LEOPARD_KILL", "LOGGING"})

_INT_RANGES = {
    "snare_count": (1, 12), "trap_count": (1, 5), "people_count": (1, 5), "shots_count": (1, 6),
    "direction_deg": (0, 359), "trees_count": (1, 30), "nets_count": (1, 4),
    "age_days": (1, 60),
}
# Field reality: sex often undetermined, snares mostly steel cable, most snares removed.
_CHOICE_WEIGHTS: dict[str, dict[str, float]] = {
    "sex": {"MALE": 3, "FEMALE": 2, "UNKNOWN": 5},
    "age_class": {"ADULT": 6, "SUBADULT": 1, "CUB": 1, "UNKNOWN": 2},
    "sign_age": {"FRESH": 5, "D1_3": 3},
    "action": {"REMOVED": 6, "DESTROYED": 2},
    "material": {"WIRE": 3, "CABLE": 5},
    "prey_species": {"CENI": 4, "CAPY": 3, "SUSC": 4, "CECA": 1},
}
_PLATE_LETTERS = "АВЕКМНОРСТУХ"
_CAUSES = ("браконьерство", "задавлен тигром", "истощение", "причина не установлена",
           "ДТП на трассе", "огнестрельное ранение")
_NOTES: dict[str, tuple[str, ...]] = {
    "SNARE": ("Петли сняты, место отмечено на карте", "Петли на звериной тропе у ключа"),
    "CAMP": ("Стоянка старая, кострище холодное", "Балаган из плёнки, следы двух человек"),
    "SHOT": ("Выстрелы со стороны дороги", "Два выстрела из нарезного оружия"),
    "TIGER_TRACK": ("След свежий, идёт вдоль ключа", "След по дороге, замерен отпечаток"),
    "LEOPARD_TRACK": ("След леопарда по гребню", "Свежий след, переход через распадок"),
    "TIGER_KILL": ("Задавленный кабан, тигр ушёл вверх по пади",),
    "LOGGING": ("Свежие пни дуба, вывезено трактором",),
}


def season_index(month: int) -> int:
    if month in (12, 1, 2, 3):
        return 0
    if month in (4, 5):
        return 1
    if month in (6, 7, 8):
        return 2
    return 3


@cache
def _table(season: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    cats = vocabulary("observation_categories")
    codes = tuple(code for code in _WEIGHTS if code in cats and _WEIGHTS[code][season] > 0)
    return codes, tuple(_WEIGHTS[c][season] for c in codes)


@cache
def _specs(category: str) -> tuple[AttributeSpec, ...]:
    return tuple(attributes_for(category))


@cache
def _codes(name: str) -> tuple[str, ...]:
    return tuple(vocabulary(name).codes())


@dataclass(frozen=True)
class ObservationDraft:
    """A category with its attributes, before it gets a time and a place."""

    category: str
    attributes: str  # JSON, keys sorted (as `store.patrols.save_patrol` writes them)
    count: int
    notes: str


def pick_category(rng: random.Random, month: int) -> str:
    codes, weights = _table(season_index(month))
    return rng.choices(codes, weights)[0]


def _choice(rng: random.Random, key: str, vocab: str) -> str:
    codes = _codes(vocab)
    weights = _CHOICE_WEIGHTS.get(key)
    if not weights:
        return rng.choice(codes)
    return rng.choices(codes, [weights.get(c, 1) for c in codes])[0]


def _pad_width(rng: random.Random, category: str, attrs: dict[str, Any]) -> float:
    """Front pad width in cm: tigers 7–13 (males widest), leopards 5.5–9."""
    tiger = category.startswith("TIGER")
    if attrs.get("age_class") == "CUB":
        low, high = (6.5, 8.5) if tiger else (5.0, 6.5)
    elif attrs.get("sex") == "MALE":
        low, high = (10.5, 12.8) if tiger else (7.5, 9.0)
    elif attrs.get("sex") == "FEMALE":
        low, high = (8.8, 10.5) if tiger else (6.2, 7.5)
    else:
        low, high = (8.5, 12.5) if tiger else (6.0, 8.8)
    return round(rng.uniform(low, high), 1)


def _value(rng: random.Random, spec: AttributeSpec, category: str) -> Any:
    if spec.kind == "choice":
        return _choice(rng, spec.key, spec.choices)
    if spec.kind == "int":
        if spec.key == "individuals":
            prey = category in ("SIKA_DEER", "ROE_DEER", "WILD_BOAR", "RED_DEER")
            return rng.randint(1, 9 if prey else 2) if prey or rng.random() < 0.2 else 1
        low, high = _INT_RANGES.get(spec.key, (1, 5))
        return rng.randint(low, high)
    if spec.kind == "float":
        if spec.key == "volume_m3":
            return round(rng.uniform(0.5, 25), 1)
        if spec.key == "amount_kg":
            return round(rng.uniform(2, 60), 1)
        return round(rng.uniform(1, 10), 1)
    if spec.kind == "bool":
        return rng.random() < 0.3
    if spec.key == "plate_number":
        letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(3))
        return f"{letters[0]}{rng.randint(100, 999)}{letters[1:]} {rng.choice(('25', '125'))}"
    if spec.key == "cause_note":
        return rng.choice(_CAUSES)
    return ""


def draft(rng: random.Random, month: int) -> ObservationDraft:
    category = pick_category(rng, month)
    attrs: dict[str, Any] = {}
    for spec in _specs(category):
        if spec.key == "pad_width_cm":
            continue
        if spec.kind == "choice" and spec.key in ("sex", "age_class") and rng.random() < 0.15:
            continue  # not determined in the field
        attrs[spec.key] = _value(rng, spec, category)
    if any(s.key == "pad_width_cm" for s in _specs(category)):
        attrs["pad_width_cm"] = _pad_width(rng, category, attrs)
    count = int(attrs.get("individuals") or attrs.get("snare_count") or attrs.get("trap_count")
                or attrs.get("nets_count") or 1)
    notes = rng.choice(_NOTES[category]) if category in _NOTES and rng.random() < 0.4 else ""
    return ObservationDraft(category, json.dumps(attrs, sort_keys=True, ensure_ascii=False),
                            count, notes)
