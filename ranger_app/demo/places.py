"""Geography and names of the demo world: the Land of the Leopard, its two cordons, its people.

Everything the other demo modules place on the map goes through `random_point` or `offset`,
which keep positions inside `PARK`, so a demo map never shows a patrol in the sea.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ranger_app.domain.geo import EARTH_RADIUS_M, BBox

# The park as the brief draws it (south-west Primorye, along the Chinese border).
PARK = BBox(south=42.6, west=130.6, north=43.4, east=131.6)
# Random walks turn back here, a little inside the park, so GPS noise and jumps stay inside.
INNER = BBox(south=42.64, west=130.65, north=43.36, east=131.55)
PARK_CENTRE = ((PARK.south + PARK.north) / 2, (PARK.west + PARK.east) / 2)
TZ_NAME = "Asia/Vladivostok"
M_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180


@dataclass(frozen=True)
class StationSpec:
    """A cordon the demo knows: its code, name and the middle of the area it patrols."""

    code: str
    name: str
    lat: float
    lon: float
    radius_m: float


STATION_SPECS: tuple[StationSpec, ...] = (
    StationSpec("KED", "Кедровая падь", 43.11, 131.42, 18_000),
    StationSpec("BAR", "Барсовый", 42.88, 131.02, 22_000),
)
HQ_CODE = "HQ"
HQ_NAME = "Дирекция ФГБУ «Земля леопарда»"

# Toponyms of the area (streams, valleys, hills) used in names and localities.
TOPONYMS: tuple[str, ...] = (
    "Медвежий ключ", "Кедровая падь", "верховья р. Нарва", "падь Сухая", "Чёрные скалы",
    "ключ Каменистый", "падь Широкая", "Борисовское плато", "р. Барабашевка", "ключ Светлый",
    "падь Глубокая", "сопка Круглая", "Синий утёс", "падь Поперечная", "ключ Холодный",
    "р. Пойма", "Гаккелевский хребет", "падь Голубиная", "ключ Кривой", "Лысая сопка",
    "р. Амба", "падь Кабанья", "ключ Тигровый", "хребет Чёрные горы", "падь Дубовая",
    "р. Грязная", "ключ Осиновый", "падь Ореховая",
)
SETTLEMENTS: tuple[str, ...] = (
    "с. Барабаш", "пос. Безверхово", "с. Нарва", "с. Филипповка", "с. Рязановка",
    "с. Кравцовка", "пос. Приморский", "с. Цуканово", "с. Овчинниково",
)
FOREST_DISTRICTS: tuple[str, ...] = (
    "Барабашское участковое лесничество", "Нарвинское участковое лесничество",
    "Кедровое участковое лесничество", "Рязановское участковое лесничество",
    "Хасанское лесничество",
)
COMPASS_RU: tuple[str, ...] = ("С", "СВ", "В", "ЮВ", "Ю", "ЮЗ", "З", "СЗ")

MALE_FIRST = ("Алексей", "Андрей", "Сергей", "Дмитрий", "Иван", "Николай", "Виктор",
              "Владимир", "Евгений", "Михаил", "Павел", "Юрий", "Олег", "Роман",
              "Константин", "Григорий", "Артём", "Василий")
FEMALE_FIRST = ("Ольга", "Елена", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна")
SURNAMES = ("Петров", "Смирнов", "Кузнецов", "Васильев", "Фёдоров", "Морозов", "Волков",
            "Соколов", "Лебедев", "Козлов", "Новиков", "Пестриков", "Дьяченко", "Шевченко",
            "Ткаченко", "Бондаренко", "Ким", "Пак", "Литвинов", "Тарасов", "Медведев",
            "Рыбаков", "Зайцев", "Белов", "Сидоренко", "Гончаров")

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))


def female_surname(surname: str) -> str:
    """Russian surnames in -ов/-ев/-ин take -а for a woman; the rest do not change."""
    return surname + "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else surname


def person_names(rng: random.Random, count: int, female_share: float = 0.15) -> list[str]:
    """`count` distinct "Имя Фамилия" names."""
    names: list[str] = []
    surnames = list(SURNAMES)
    rng.shuffle(surnames)
    for i in range(count):
        surname = surnames[i % len(surnames)]
        if rng.random() < female_share:
            name = f"{rng.choice(FEMALE_FIRST)} {female_surname(surname)}"
        else:
            name = f"{rng.choice(MALE_FIRST)} {surname}"
        while name in names:
            name = f"{rng.choice(MALE_FIRST)} {surname}"
        names.append(name)
    return names


def login_for(name: str) -> str:
    """`Иван Петров` -> `i.petrov`: what a station admin would type."""
    first, _, last = name.partition(" ")
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in last.lower())
    return f"{_TRANSLIT.get(first[:1].lower(), 'x')}.{latin}"


def clamp(lat: float, lon: float, box: BBox = INNER) -> tuple[float, float]:
    return (min(max(lat, box.south), box.north), min(max(lon, box.west), box.east))


def offset(lat: float, lon: float, distance_m: float, bearing_rad: float) -> tuple[float, float]:
    """The point `distance_m` away on `bearing_rad` (flat-earth; fine for a few km)."""
    dlat = distance_m * math.cos(bearing_rad) / M_PER_DEG_LAT
    dlon = distance_m * math.sin(bearing_rad) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def random_point(rng: random.Random, lat: float, lon: float,
                 radius_m: float) -> tuple[float, float]:
    """A point uniformly inside a circle around (lat, lon), clamped into the park."""
    r = radius_m * math.sqrt(rng.random())
    return clamp(*offset(lat, lon, r, rng.uniform(0, 2 * math.pi)))


def locality(rng: random.Random) -> str:
    """How a fire report names a place: "4 км ЮЗ с. Нарва, падь Сухая"."""
    return (f"{rng.randint(1, 15)} км {rng.choice(COMPASS_RU)} {rng.choice(SETTLEMENTS)}, "
            f"{rng.choice(TOPONYMS)}")
