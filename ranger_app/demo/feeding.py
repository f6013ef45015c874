"""Ungulate feeding sites and a winter of visits: feed put out, signs of deer and boar, and
predators drawn to them (including a tiger kill close to a site, the case the alert exists for).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from ranger_app.demo.camtraps import LocationRef
from ranger_app.demo.layers import place_in_grid
from ranger_app.demo.places import TOPONYMS, offset, random_point
from ranger_app.demo.reference import World
from ranger_app.demo.scales import Scale
from ranger_app.demo.seasons import (
    FEEDING_END,
    FEEDING_START,
    air_temp_c,
    is_winter,
    local,
    snow_depth_cm,
)
from ranger_app.demo.sink import RowSink
from ranger_app.domain.ids import new_id
from ranger_app.store.models import (
    FeedingSite,
    FeedingVisit,
    FeedItem,
    PredatorSign,
    UngulateSign,
)

_FIRST_TYPES = ("FEEDER_HAY", "SALT_LICK", "FEED_POINT", "GRAIN_TROUGH", "FEED_FIELD",
                "BROWSE_FELL")
_MORE_TYPES = {"FEEDER_HAY": 3, "FEED_POINT": 3, "SALT_LICK": 3, "GRAIN_TROUGH": 2,
               "FEED_FIELD": 1, "BROWSE_FELL": 1}
_SHORT = {"FEEDER_HAY": "Кормушка", "FEED_POINT": "Подкормочная площадка",
          "SALT_LICK": "Солонец", "FEED_FIELD": "Кормовое поле", "BROWSE_FELL": "Подрубка осины",
          "GRAIN_TROUGH": "Кормушка для зерна"}
_TARGETS = {"FEEDER_HAY": ("CENI", "CECA", "CAPY"), "FEED_POINT": ("SUSC", "CENI"),
            "SALT_LICK": ("CENI", "CAPY", "CECA"), "FEED_FIELD": ("SUSC", "CENI", "CAPY"),
            "BROWSE_FELL": ("CECA", "ALAL", "CAPY"), "GRAIN_TROUGH": ("SUSC", "CENI")}
# What goes out at each kind of site: feed type -> kg range.
_FEEDS: dict[str, dict[str, tuple[float, float]]] = {
    "FEEDER_HAY": {"HAY": (80, 300), "OATS": (20, 60)},
    "FEED_POINT": {"MAIZE": (50, 200), "SOY": (20, 80), "ACORNS": (30, 100), "ROOTS": (40, 150)},
    "SALT_LICK": {"SALT": (10, 50), "MINERAL_MIX": (5, 20)},
    "FEED_FIELD": {"ROOTS": (50, 200)},
    "BROWSE_FELL": {"BROWSE": (100, 400)},
    "GRAIN_TROUGH": {"OATS": (30, 100), "MAIZE": (30, 120), "CONCENTRATE": (20, 60)},
}
_UNGULATE_SIGNS = {"TRACKS": 5, "FEEDING": 3, "DUNG": 2, "BED": 1, "SEEN": 1}
_FRESHNESS = {"FRESH_24H": 3, "D1_3": 3, "OLD": 1}
_VISIT_NOTES = ("Корм съеден полностью", "Подсыпали соль", "Дорогу замело, шли пешком",
                "Кабаны разрыли площадку", "", "", "")


@dataclass(frozen=True)
class _Site:
    uuid: str
    site_type: str
    station_uuid: str
    lat: float
    lon: float
    has_camera: bool
    targets: tuple[str, ...]


@dataclass(frozen=True)
class FeedingTotals:
    sites: int
    visits: int


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _sites(rng: random.Random, world: World, scale: Scale, sink: RowSink,
           locations: list[LocationRef]) -> list[_Site]:
    free = [loc for loc in locations if loc.feature in ("FEEDING_SITE", "SALT_LICK")]
    names = list(TOPONYMS)
    rng.shuffle(names)
    sites = []
    for i in range(scale.feeding_sites):
        station = world.stations[i % len(world.stations)]
        site_type = _FIRST_TYPES[i] if i < len(_FIRST_TYPES) else _pick(rng, _MORE_TYPES)
        camera = next((loc for loc in free if loc.station_uuid == station.uuid), None)
        if camera is not None and site_type in ("FEEDER_HAY", "SALT_LICK", "FEED_POINT"):
            free.remove(camera)
            lat, lon = offset(camera.lat, camera.lon, rng.uniform(15, 40),
                              rng.uniform(0, 2 * math.pi))
        else:
            camera = None
            lat, lon = random_point(rng, station.lat, station.lon, station.radius_m)
        uuid = new_id()
        targets = _TARGETS[site_type]
        district, number = place_in_grid(round(lat, 6), round(lon, 6))
        sink.add(FeedingSite, {
            "uuid": uuid, "code": f"{station.code}-FS{i // len(world.stations) + 1:02d}",
            "name": f"{_SHORT[site_type]} — {names[i % len(names)]}", "site_type": site_type,
            "station_uuid": station.uuid, "lat": round(lat, 6), "lon": round(lon, 6),
            "capacity": rng.randint(10, 40), "target_species": "|".join(targets),
            "condition": "NEEDS_REPAIR" if i == 3 else "GOOD",
            "camera_location_uuid": camera.uuid if camera else None,
            "notes": "Навес требует ремонта" if i == 3 else "",
            "forest_district": district, "quarter": number,
        })
        sites.append(_Site(uuid, site_type, station.uuid, lat, lon, camera is not None,
                           targets))
    return sites


def _transport(rng: random.Random, day: date) -> str:
    if is_winter(day):
        return _pick(rng, {"SNOWMOBILE": 5, "VEHICLE": 3, "FOOT": 2})
    return _pick(rng, {"VEHICLE": 3, "FOOT": 1})


def _predator(rng: random.Random, site: _Site, visit_uuid: str, day: date,
              sink: RowSink) -> None:
    species_w = {"PTAL": 3, "PPOR": 3, "CALU": 1, "LYLY": 1}
    if day.month in (11, 4) or (day.month == 3 and day.day > 20):
        species_w |= {"URAR": 0.5, "URTH": 0.5}  # bears about before and after their dens
    species = _pick(rng, species_w)
    signs = {"TRACKS": 5, "SCAT": 1, "SCRAPE": 1, "HAIR": 0.3, "KILL": 0.5}
    if site.has_camera:
        signs["CAMERA"] = 1
    sign = _pick(rng, signs)
    _add_predator(rng, site, visit_uuid, sink, species, sign, rng.uniform(20, 1500))


def _add_predator(rng: random.Random, site: _Site, visit_uuid: str, sink: RowSink,
                  species: str, sign: str, distance: float, note: str = "",
                  prey: str = "") -> None:
    lat, lon = offset(site.lat, site.lon, distance, rng.uniform(0, 2 * math.pi))
    pad = None
    if sign == "TRACKS" and species == "PTAL":
        pad = round(rng.uniform(8.5, 12.5), 1)
    elif sign == "TRACKS" and species == "PPOR":
        pad = round(rng.uniform(6.0, 9.0), 1)
    sink.add(PredatorSign, {
        "visit_uuid": visit_uuid, "species": species, "sign_type": sign,
        "distance_m": round(distance), "pad_width_cm": pad, "lat": round(lat, 6),
        "lon": round(lon, 6),
        "prey_species": prey or _pick(rng, {"SUSC": 3, "CENI": 3, "CAPY": 1, "CECA": 1})
        if sign == "KILL" else "",
        "note": note,
    })


def write_feeding(rng: random.Random, world: World, scale: Scale, sink: RowSink,
                  locations: list[LocationRef]) -> FeedingTotals:
    sites = _sites(rng, world, scale, sink, locations)
    visits: list[tuple[date, _Site, str]] = []
    for site in sites:
        crew_pool = world.rangers[site.station_uuid]
        tz = ZoneInfo(next(s.tz for s in world.stations if s.uuid == site.station_uuid))
        lo, hi = scale.feeding_every_days
        if site.site_type in ("SALT_LICK", "FEED_FIELD", "BROWSE_FELL"):
            lo, hi = lo * 2, hi * 2  # checked less often than feeders
        day = FEEDING_START + timedelta(days=rng.randint(0, 6))
        while day <= FEEDING_END:
            uuid = new_id()
            crew = rng.sample(crew_pool, min(len(crew_pool), rng.randint(2, 3)))
            feeds = _FEEDS[site.site_type]
            items = rng.sample(list(feeds), min(len(feeds), rng.randint(1, 2)))
            if site.site_type == "FEED_FIELD" and rng.random() < 0.6:
                items = []  # an inspection only: the field was sown in summer
            sink.add(FeedingVisit, {
                "uuid": uuid, "site_uuid": site.uuid,
                "visited_at": local(day, rng.uniform(9, 15), tz).replace(microsecond=0),
                "tz": str(tz), "crew": "|".join(p.uuid for p in crew),
                "transport": _transport(rng, day),
                "remaining_pct": None if site.site_type in ("FEED_FIELD", "BROWSE_FELL")
                else rng.randint(0, 70),
                "snow_depth_cm": snow_depth_cm(rng, day), "temp_c": air_temp_c(rng, day),
                "notes": (note := rng.choice(_VISIT_NOTES)), "notes_lang": "ru" if note else "",
            })
            for feed in items:
                sink.add(FeedItem, {"visit_uuid": uuid, "feed_type": feed,
                                    "kg": round(rng.uniform(*feeds[feed]), 1)})
            for species in rng.sample(site.targets, rng.randint(1, len(site.targets))):
                sign = _pick(rng, _UNGULATE_SIGNS | ({"CAMERA": 1} if site.has_camera else {}))
                sink.add(UngulateSign, {
                    "visit_uuid": uuid, "species": species, "sign_type": sign,
                    "count": rng.randint(1, 6) if sign == "SEEN" else rng.randint(1, 25),
                    "freshness": _pick(rng, _FRESHNESS),
                })
            if rng.random() < 0.1:
                _predator(rng, site, uuid, day, sink)
            visits.append((day, site, uuid))
            day += timedelta(days=rng.randint(lo, hi))

    # The case the alert rule is for: a tiger kill a few hundred metres from a site.
    target = date(FEEDING_START.year + 1, 1, 15)
    day, site, uuid = min(visits, key=lambda v: abs((v[0] - target).days))
    _add_predator(rng, site, uuid, sink, "PTAL", "KILL", rng.uniform(120, 450),
                  "Тигр задавил кабана у площадки — проверить размещение подкормки", "SUSC")
    return FeedingTotals(len(sites), len(visits))
