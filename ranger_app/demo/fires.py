"""Spring and autumn fire reports with their status timelines and walked perimeters.

Spring grass fires crossing from farmland and from across the border are the park's usual
season; a late-autumn peat fire is left smouldering under watch (MONITORED), so the list
shows both ends of a timeline.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ranger_app.demo.layers import place_in_grid
from ranger_app.demo.patrols import PatrolRef
from ranger_app.demo.photos import PhotoShelf
from ranger_app.demo.places import (
    SETTLEMENTS,
    locality,
    offset,
    random_point,
)
from ranger_app.demo.reference import World
from ranger_app.demo.scales import Scale
from ranger_app.demo.seasons import SEASON_YEAR, local, random_day
from ranger_app.demo.sink import RowSink
from ranger_app.domain.geo import polygon_area_ha
from ranger_app.domain.ids import new_id
from ranger_app.store.models import Attachment, FireReport, FireStatusStep

_TYPES = {"spring": {"GRASS": 5, "SURFACE": 4, "CROWN": 0.3, "GROUND_PEAT": 0.2},
          "autumn": {"GRASS": 4, "SURFACE": 4, "CROWN": 0.5, "GROUND_PEAT": 0.7}}
_AREA_LOG = {"GRASS": (2.5, 1.2), "SURFACE": (2.0, 1.2), "CROWN": (3.0, 1.0),
             "GROUND_PEAT": (0.3, 1.0)}  # ln(ha): mean, sd
_FOREST_SHARE = {"GRASS": (0.0, 0.25), "SURFACE": (0.6, 1.0), "CROWN": (1.0, 1.0),
                 "GROUND_PEAT": (0.3, 0.9)}
_FUEL = {"GRASS": {"GRASS_SHRUB": 1}, "SURFACE": {"BROADLEAF": 4, "MIXED": 2, "CONIFER": 1},
         "CROWN": {"CONIFER": 2, "MIXED": 1}, "GROUND_PEAT": {"PEAT": 1}}
_INTENSITY = {"GRASS": {"LOW": 3, "MEDIUM": 2}, "SURFACE": {"LOW": 2, "MEDIUM": 3, "HIGH": 1},
              "CROWN": {"HIGH": 1}, "GROUND_PEAT": {"LOW": 2, "MEDIUM": 1}}
_CAUSES = {"AGRI_BURN": 4, "CITIZENS": 3, "CROSS_BORDER": 2, "POWERLINE": 0.5, "ARSON": 0.7,
           "LIGHTNING": 0.3, "LOGGING": 0.3, "UNKNOWN": 1.5}
_SOURCES = {"GROUND_PATROL": 3, "SATELLITE": 2, "LOOKOUT_CAMERA": 3, "AIR_PATROL": 1,
            "PUBLIC": 1, "RANGER": 1.5}
_LAND = {"PA_CORE": 2, "PA_BUFFER": 3, "FOREST_FUND": 2, "AGRI": 1.5, "OTHER": 0.5}
_THREATS = ("Пожар в местах постоянного обитания леопарда",
            "Огонь подходил к подкормочной площадке",
            "Угроза кедровнику — кормовой базе кабана", "")
_NOTES = {"AGRI_BURN": "Пал с сельхозугодий перешёл на территорию парка",
          "CROSS_BORDER": "Огонь перешёл с сопредельной территории КНР",
          "CITIZENS": "Непотушенный костёр у дороги", "POWERLINE": "Возгорание под ЛЭП"}
_STEP_NOTES = {"ACTIVE": "Обнаружен, направлена группа",
               "LOCALIZED": "Кромка локализована, проложена минерализованная полоса",
               "EXTINGUISHED": "Пожар ликвидирован",
               "MONITORED": "Тление торфа, ведётся наблюдение"}


@dataclass(frozen=True)
class FireRef:
    """What satellite hotspots need to fall on a fire: where, and when it burned."""

    uuid: str
    lat: float
    lon: float
    detected_at: datetime
    localized_at: datetime
    area_ha: float
    satellite: bool  # detected from space, so hotspots exist for certain


@dataclass(frozen=True)
class FireShape:
    centre: tuple[float, float]
    ring: list[list[float]]  # closed: the first point is repeated at the end
    area_ha: float


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def perimeter(rng: random.Random, centre: tuple[float, float], area_ha: float,
              wind_dir_deg: int) -> FireShape:
    """An irregular ring stretched downwind, scaled so its area is the reported one."""
    n = rng.randint(14, 22)
    stretch = rng.uniform(1.0, 2.5)
    axis = math.radians(wind_dir_deg + 180)  # fire runs away from where the wind comes from
    offsets = []
    for k in range(n):
        a = 2 * math.pi * k / n
        r = rng.uniform(0.75, 1.25)
        along, across = r * math.cos(a) * stretch, r * math.sin(a)
        dist = math.hypot(along, across)
        offsets.append((dist, axis + math.atan2(across, along)))

    def ring_at(scale_m: float) -> list[tuple[float, float]]:
        return [offset(centre[0], centre[1], d * scale_m, b) for d, b in offsets]

    first = ring_at(100.0)
    scale_m = 100.0 * math.sqrt(area_ha / max(polygon_area_ha(first), 1e-9))
    ring = [[round(lat, 6), round(lon, 6)] for lat, lon in ring_at(scale_m)]
    ring.append(list(ring[0]))
    return FireShape(centre, ring, round(polygon_area_ha([(p[0], p[1]) for p in ring]), 2))


def _linked_patrol(patrols: list[PatrolRef], station_uuid: str,
                   detected: datetime) -> str | None:
    near = [p for p in patrols if p.station_uuid == station_uuid
            and abs((p.start_at - detected).total_seconds()) < 86_400]
    near.sort(key=lambda p: (p.patrol_type != "FIRE_PATROL",
                             abs((p.start_at - detected).total_seconds())))
    return near[0].uuid if near else None


def write_fires(rng: random.Random, world: World, scale: Scale, shelf: PhotoShelf,
                sink: RowSink, patrols: list[PatrolRef]) -> list[FireRef]:
    n = scale.fires
    refs: list[FireRef] = []
    n_spring = max(1, round(n * 0.65)) if n > 1 else n
    seq: dict[str, int] = {}
    days = sorted([random_day(rng, date(SEASON_YEAR, 3, 20), date(SEASON_YEAR, 5, 25))
                   for _ in range(n_spring)]) + sorted(
        [random_day(rng, date(SEASON_YEAR, 9, 28), date(SEASON_YEAR, 11, 15))
         for _ in range(n - n_spring)])
    for i, day in enumerate(days):
        spring = i < n_spring
        last = i == n - 1 and not spring  # the late-autumn peat fire still under watch
        station = rng.choice(world.stations)
        tz = ZoneInfo(station.tz)
        seq[station.code] = seq.get(station.code, 0) + 1
        fire_type = "GROUND_PEAT" if last else _pick(rng, _TYPES["spring" if spring else
                                                                 "autumn"])
        detected = local(day, rng.uniform(11, 18), tz).replace(microsecond=0)
        total = round(min(900.0, max(0.2, math.exp(rng.gauss(*_AREA_LOG[fire_type])))), 1)
        share = rng.uniform(*_FOREST_SHARE[fire_type])
        forest = round(total * share, 1)
        at_detection = round(max(0.1, total * rng.uniform(0.05, 0.4)), 1)
        wind_dir = rng.randrange(0, 360, 10)
        centre = random_point(rng, station.lat, station.lon, station.radius_m)
        shape = perimeter(rng, centre, total, wind_dir) if rng.random() < 0.75 or i == 0 \
            else None
        source = _pick(rng, _SOURCES)
        cause = _pick(rng, _CAUSES)
        crew = world.rangers[station.uuid]
        detected_by = {
            "GROUND_PATROL": rng.choice(crew).name, "RANGER": rng.choice(crew).name,
            "SATELLITE": "ИСДМ-Рослесхоз", "LOOKOUT_CAMERA": "Оператор видеонаблюдения",
            "AIR_PATROL": "Авиалесоохрана",
            "PUBLIC": f"Житель {rng.choice(SETTLEMENTS)}",
        }[source]
        statuses = ["ACTIVE", "LOCALIZED", "MONITORED" if fire_type == "GROUND_PEAT" and (
            last or rng.random() < 0.6) else "EXTINGUISHED"]
        fire_uuid = new_id()
        at = localized = detected
        for k, status in enumerate(statuses):
            if k == 1:
                at += timedelta(hours=rng.uniform(2, 30))
                localized = at
            elif k == 2:
                at += timedelta(hours=rng.uniform(4, 72))
            area = at_detection if k == 0 else total if k == 2 else round(
                total * rng.uniform(0.85, 1.0), 1)
            sink.add(FireStatusStep, {"fire_uuid": fire_uuid, "fire_status": status,
                                      "at": at.replace(microsecond=0), "area_ha": area,
                                      "note": _STEP_NOTES[status]})
        people = max(4, min(60, int(6 + math.sqrt(total) * rng.uniform(1.5, 3))))
        district, number = place_in_grid(round(centre[0], 6), round(centre[1], 6))
        sink.add(FireReport, {
            "uuid": fire_uuid, "number": f"{station.code}-{SEASON_YEAR}-F{seq[station.code]:02d}",
            "official_number": f"ИСДМ-{day:%m%d}-{rng.randint(1, 99):02d}"
            if source == "SATELLITE" or rng.random() < 0.4 else "",
            "station_uuid": station.uuid,
            "report_kind": "FINAL" if statuses[-1] == "EXTINGUISHED" else "UPDATE",
            "detected_at": detected,
            "start_est_at": detected - timedelta(minutes=rng.randint(30, 360)),
            "tz": station.tz, "lat": round(centre[0], 6), "lon": round(centre[1], 6),
            "locality": locality(rng), "forest_district": district, "quarter": number,
            "land_category": _pick(rng, _LAND),
            "fire_type": fire_type, "intensity": _pick(rng, _INTENSITY[fire_type]),
            "cause": cause, "detection_source": source, "detected_by": detected_by,
            "fire_status": statuses[-1], "area_total_ha": total, "area_forest_ha": forest,
            "area_nonforest_ha": round(total - forest, 1) + 0.0,
            "area_at_detection_ha": at_detection, "people": people,
            "vehicles": rng.randint(1, 3 + people // 10),
            "aircraft": 1 if total > 150 and rng.random() < 0.6 else 0,
            "pumps": rng.randint(2, 12), "wind_ms": round(rng.uniform(1, 12), 1),
            "wind_dir_deg": wind_dir,
            "temp_c": round(rng.uniform(6, 22) if spring else rng.uniform(2, 16), 1),
            "humidity_pct": round(rng.uniform(18, 55)),
            "fuel_type": _pick(rng, _FUEL[fire_type]),
            "wildlife_threat_note": rng.choice(_THREATS),
            "perimeter": json.dumps(shape.ring) if shape else "",
            "perimeter_area_ha": shape.area_ha if shape else None,
            "patrol_uuid": _linked_patrol(patrols, station.uuid, detected)
            if source in ("GROUND_PATROL", "RANGER", "LOOKOUT_CAMERA") else None,
            "notes": (note := _NOTES.get(cause, "")), "notes_lang": "ru" if note else "",
        })
        refs.append(FireRef(fire_uuid, centre[0], centre[1], detected, localized, total,
                            source == "SATELLITE"))
        if i == 0:
            sink.add(Attachment, shelf.attachment("fire", "fire_report", fire_uuid,
                                                  detected + timedelta(hours=1), *centre,
                                                  caption="Кромка пожара"))
    return refs
