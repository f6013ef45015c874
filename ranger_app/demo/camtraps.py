"""Camera-trap locations, the camera inventory, and a year of deployments and service visits.

The rule from the records reference: a visit that touches the camera (card swap, batteries,
re-aim) closes one deployment and opens the next at the visit time; a camera found stopped
(battery dead, card full, failure) ends its deployment at its last image. Three events happen
at every scale, so small demos show them too: a dead battery, a theft (camera STOLEN, a spare
put up) and a hardware failure (camera to REPAIR, a spare put up).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ranger_app.demo.photos import PhotoShelf
from ranger_app.demo.places import TOPONYMS, random_point
from ranger_app.demo.reference import StationInfo, World
from ranger_app.demo.scales import Scale
from ranger_app.demo.seasons import SEASON_YEAR, is_winter, local
from ranger_app.demo.sink import RowSink
from ranger_app.domain.ids import new_id
from ranger_app.store.models import Attachment, Camera, CameraLocation, Deployment, ServiceVisit

# Arrival statuses after which the camera had stopped before the visit: its deployment ends
# at its last image rather than at the visit.
STOPPED = frozenset({"BATTERY_DEAD", "CARD_FULL", "CARD_ERROR", "HW_FAILURE", "WATER_DAMAGE",
                     "NOT_TRIGGERING"})
_FIRST_FEATURES = ("TRAIL_GAME", "FEEDING_SITE", "RIDGE_TRAIL", "SALT_LICK")
_FEATURES = {"TRAIL_GAME": 4, "RIDGE_TRAIL": 3, "MARKING_TREE": 3, "ROAD_DIRT": 2,
             "WATER_SOURCE": 1, "FEEDING_SITE": 1, "SALT_LICK": 1, "TRAIL_HIKING": 0.5,
             "CULVERT": 0.3}
_HABITATS = {"KOREAN_PINE_BROADLEAF": 3, "OAK_FOREST": 4, "MIXED_FOREST": 3,
             "CONIFER_FOREST": 1, "RIPARIAN": 1.5, "MEADOW": 0.5, "ROCKY_SLOPE": 1,
             "BURNT_AREA": 0.5}
_MODELS = (("Bushnell", "Core DS-4K", "BN"), ("Browning", "Dark Ops Pro XD", "BR"),
           ("Reconyx", "HyperFire 2", "RX"), ("Seelock", "S308", "SL"),
           ("Ltl Acorn", "6310WMG", "LA"))
_BATTERIES = {"AA_LITHIUM": 7, "AA_NIMH": 2, "EXT_12V": 1}
_RANDOM_ARRIVALS = {"ACTIVE": 70, "CARD_FULL": 6, "BATTERY_DEAD": 5, "NOT_TRIGGERING": 2,
                    "MOVED": 1, "WILDLIFE_DAMAGE": 1, "CARD_ERROR": 1}
_SEASON_END = date(SEASON_YEAR, 12, 20)
_BAIT_FEATURES = frozenset({"FEEDING_SITE", "SALT_LICK"})


@dataclass(frozen=True)
class LocationRef:
    """What feeding sites need to sit beside a camera."""

    uuid: str
    code: str
    station_uuid: str
    lat: float
    lon: float
    feature: str


@dataclass(frozen=True)
class CamtrapTotals:
    locations: int
    cameras: int
    deployments: int
    visits: int


@dataclass
class _Camera:
    uuid: str
    station_uuid: str
    state: str = "IN_STOCK"
    row: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Deployment:
    row: dict[str, Any]
    start: datetime
    card: str


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


class _Inventory:
    """Cameras by serial; spares are handed out when a camera is stolen or breaks."""

    def __init__(self, rng: random.Random, world: World, in_use: int, spares: int,
                 retired: int) -> None:
        self.cameras: list[_Camera] = []
        serials: set[str] = set()
        for i in range(in_use + spares + retired):
            make, model, prefix = _MODELS[i % len(_MODELS)]
            serial = f"{prefix}{rng.randint(100000, 999999)}"
            while serial in serials:
                serial = f"{prefix}{rng.randint(100000, 999999)}"
            serials.add(serial)
            station = world.stations[i % len(world.stations)]
            cam = _Camera(new_id(), station.uuid)
            cam.row = {"uuid": cam.uuid, "serial": serial, "make": make, "model": model,
                       "station_uuid": station.uuid,
                       "year_purchased": rng.randint(2016, 2023), "notes": ""}
            self.cameras.append(cam)
        self.spares = self.cameras[in_use:in_use + spares]
        for cam in self.cameras[in_use + spares:]:
            cam.state = "RETIRED"
            cam.row["year_purchased"] = 2014
            cam.row["notes"] = "Списана: не держит заряд"

    def take_spare(self) -> _Camera | None:
        return self.spares.pop(0) if self.spares else None


class _Timeline:
    """Visits at one location, keeping the deployment chain."""

    def __init__(self, rng: random.Random, world: World, sink: RowSink, shelf: PhotoShelf,
                 inventory: _Inventory, station: StationInfo, loc: dict[str, Any],
                 camera: _Camera, card_seq: list[int]) -> None:
        self.rng = rng
        self.world = world
        self.sink = sink
        self.shelf = shelf
        self.inventory = inventory
        self.station = station
        self.loc = loc
        self.camera = camera
        self.card_seq = card_seq
        self.tz = ZoneInfo(station.tz)
        self.battery = _pick(rng, _BATTERIES)
        self.delay_s = rng.choice((0, 10, 30, 60))
        self.settings = json.dumps({"mode": rng.choice(("photo", "photo+video")),
                                    "burst": rng.choice((1, 3)), "delay_s": self.delay_s,
                                    "sensitivity": rng.choice(("high", "normal")),
                                    "ir": rng.choice(("low_glow", "no_glow"))},
                                   sort_keys=True)
        self.current: _Deployment | None = None
        self.deployments = 0
        self.visits = 0

    def _card(self) -> str:
        self.card_seq[0] += 1
        return f"SD-{self.station.code}-{self.card_seq[0]:03d}"

    def _crew(self) -> str:
        pool = self.world.rangers[self.station.uuid]
        return "|".join(p.uuid for p in self.rng.sample(pool, min(len(pool), 2)))

    def _open(self, at: datetime, visit_uuid: str, camera: _Camera) -> None:
        rng = self.rng
        camera.state = "DEPLOYED"
        camera.row["station_uuid"] = self.station.uuid
        row = {
            "uuid": new_id(), "location_uuid": self.loc["uuid"], "camera_uuid": camera.uuid,
            "start_at": at, "end_at": None, "opened_by_visit": visit_uuid,
            "closed_by_visit": None, "bait_use": self.loc["feature"] in _BAIT_FEATURES,
            "height_m": round(rng.uniform(0.4, 1.0), 2), "heading_deg": rng.randrange(0, 360),
            "tilt_deg": rng.randint(-10, 0), "detection_distance_m": float(rng.randint(5, 15)),
            "delay_s": self.delay_s, "timestamp_issues": False,
        }
        self.current = _Deployment(row, at, self._card())
        self.camera = camera
        self.deployments += 1

    def _close(self, end: datetime, visit_uuid: str) -> dict[str, Any]:
        assert self.current is not None
        row = self.current.row
        row["end_at"] = end
        row["closed_by_visit"] = visit_uuid
        self.sink.add(Deployment, row)
        self.current = None
        return row

    def deploy(self, at: datetime) -> None:
        visit_uuid = new_id()
        self._open(at, visit_uuid, self.camera)
        assert self.current is not None
        self.visits += 1
        self.sink.add(ServiceVisit, self._visit_row(
            visit_uuid, at, "DEPLOY", "ACTIVE", self.current.row["uuid"],
            battery_pct=100, replaced=True, removed="", inserted=self.current.card,
            actions="", images=(None, None, None)))

    def visit(self, at: datetime, visit_type: str, arrival: str) -> None:
        rng = self.rng
        dep = self.current
        assert dep is not None
        visit_uuid = new_id()
        self.visits += 1
        days = (at - dep.start).total_seconds() / 86_400
        first = dep.start + timedelta(minutes=rng.randint(1, 5))
        if arrival in STOPPED:
            last = dep.start + timedelta(days=days * rng.uniform(0.3, 0.85),
                                         minutes=rng.randint(0, 600))
        else:
            last = at - timedelta(minutes=rng.randint(1, 10))
        active_days = (last - dep.start).total_seconds() / 86_400
        count = max(3, int(active_days * rng.uniform(5, 60)))
        if arrival == "CARD_FULL":
            count = rng.choice((7_800, 15_600, 31_200))
        battery = 0 if arrival == "BATTERY_DEAD" else max(5, int(100 - days * rng.uniform(
            0.8, 2.2)))
        actions = [a for a, p in (("LENS_CLEANED", 0.6), ("VEG_CLEARED", 0.0 if is_winter(
            at.date()) else 0.4), ("REAIMED", 0.1)) if rng.random() < p]
        if self.loc["feature"] in _BAIT_FEATURES and rng.random() < 0.5:
            actions.append("BAIT_REAPPLIED")
        if arrival == "WILDLIFE_DAMAGE":
            actions.append("HOUSING_REPLACED")
        if arrival == "MOVED":
            actions.append("REAIMED")

        if visit_type == "CHECK_ONLY":  # looked at, not touched: the deployment runs on
            self.sink.add(ServiceVisit, self._visit_row(
                visit_uuid, at, visit_type, arrival, dep.row["uuid"], battery_pct=None,
                replaced=False, removed="", inserted="", actions="",
                images=(None, None, None)))
            return

        stolen = arrival == "THEFT"
        end = last if arrival in STOPPED else at
        closed = self._close(end, visit_uuid)
        offset = None if stolen or arrival == "BATTERY_DEAD" else rng.randint(-90, 90)
        if offset is not None and rng.random() < 0.03:
            offset = 3600 + rng.randint(-30, 30)  # clock left on summer time by hand
            closed["timestamp_issues"] = True
        old_camera = self.camera
        row = self._visit_row(
            visit_uuid, at, visit_type, arrival, closed["uuid"],
            battery_pct=None if stolen else battery,
            replaced=not stolen and (battery < 40 or arrival == "BATTERY_DEAD"),
            removed="" if stolen else dep.card, inserted="",
            actions="", images=(None, None, None) if stolen else (count, first, last),
            camera_uuid=old_camera.uuid)
        row["clock_offset_s"] = offset
        row["clock_reset"] = arrival == "BATTERY_DEAD"
        if visit_type == "RETRIEVE":
            old_camera.state = "IN_STOCK"
            self.inventory.spares.append(old_camera)
            row["actions"] = "|".join(actions)
            row["notes"] = "Фотоловушка снята на склад"
            self.sink.add(ServiceVisit, row)
            return
        camera = old_camera
        if stolen or arrival == "HW_FAILURE":
            old_camera.state = "STOLEN" if stolen else "REPAIR"
            if not stolen:
                old_camera.row["notes"] = "Не включается после обслуживания, отправлена в ремонт"
            camera = self.inventory.take_spare() or old_camera
            actions.append("CAMERA_SWAPPED")
        if stolen:
            row["theft_note"] = "Фотоловушка срезана вместе с тросом, у дерева следы снегохода"
            on = at.astimezone(self.tz)
            row["police_report"] = f"КУСП № {rng.randint(1000, 9999)} от {on:%d.%m.%Y}"
            self.sink.add(Attachment, self.shelf.attachment(
                "snare", "service_visit", visit_uuid, at, self.loc["lat"], self.loc["lon"],
                caption="Срезанный трос крепления"))
        self._open(at, visit_uuid, camera)
        assert self.current is not None
        row["sd_inserted"] = self.current.card
        row["actions"] = "|".join(dict.fromkeys(actions))
        self.sink.add(ServiceVisit, row)

    def _visit_row(self, uuid: str, at: datetime, visit_type: str, arrival: str,
                   deployment_uuid: str, *, battery_pct: int | None, replaced: bool,
                   removed: str, inserted: str, actions: str,
                   images: tuple[int | None, datetime | None, datetime | None],
                   camera_uuid: str | None = None) -> dict[str, Any]:
        touched = visit_type != "CHECK_ONLY"
        return {
            "uuid": uuid, "location_uuid": self.loc["uuid"],
            "camera_uuid": camera_uuid or self.camera.uuid, "deployment_uuid": deployment_uuid,
            "visit_type": visit_type, "visited_at": at, "tz": self.station.tz,
            "crew": self._crew(), "arrival_status": arrival, "battery_pct": battery_pct,
            "battery_type": self.battery if touched else "", "batteries_replaced": replaced,
            "sd_removed": removed, "sd_inserted": inserted, "image_count": images[0],
            "first_image_at": images[1], "last_image_at": images[2],
            "clock_offset_s": None, "clock_reset": False,
            "settings_json": self.settings if touched else "", "actions": actions,
            "walk_test": touched, "theft_note": "", "police_report": "", "notes": "",
        }

    def finish(self) -> None:
        """The deployment still running at the end of the season stays open."""
        if self.current is not None:
            self.sink.add(Deployment, self.current.row)


def _forced_arrival(index: int, service_no: int) -> str | None:
    """The three events every scale shows, at the first three locations."""
    if index == 0 and service_no == 2:
        return "BATTERY_DEAD"
    if index == 1 and service_no == 2:
        return "THEFT"
    if index == 2 and service_no == 3:
        return "HW_FAILURE"
    return None


def write_camtraps(rng: random.Random, world: World, scale: Scale, shelf: PhotoShelf,
                   sink: RowSink) -> tuple[list[LocationRef], CamtrapTotals]:
    n = scale.camera_locations
    retired = 1 if scale.spare_cameras >= 4 else 0
    inventory = _Inventory(rng, world, n, scale.spare_cameras - retired, retired)
    names = list(TOPONYMS)
    rng.shuffle(names)
    refs: list[LocationRef] = []
    card_seq = [0]
    deployments = visits = 0
    for i in range(n):
        station = world.stations[i % len(world.stations)]
        feature = _FIRST_FEATURES[i] if i < len(_FIRST_FEATURES) else _pick(rng, _FEATURES)
        lat, lon = random_point(rng, station.lat, station.lon, station.radius_m)
        seq = i // len(world.stations) + 1
        loc = {"uuid": new_id(), "code": f"{station.code}-C{seq:02d}",
               "name": names[i % len(names)], "station_uuid": station.uuid,
               "lat": round(lat, 6), "lon": round(lon, 6),
               "uncertainty_m": rng.randint(3, 15), "habitat": _pick(rng, _HABITATS),
               "feature": feature, "country": "RU", "tz": station.tz,
               "visit_interval_days": rng.choice((30, 35, 40, 45))}
        sink.add(CameraLocation, loc)
        refs.append(LocationRef(loc["uuid"], loc["code"], station.uuid, loc["lat"],
                                loc["lon"], feature))

        camera = inventory.cameras[i]
        line = _Timeline(rng, world, sink, shelf, inventory, station, loc, camera, card_seq)
        tz = ZoneInfo(station.tz)
        day = date(SEASON_YEAR, 1, 10) + timedelta(days=rng.randint(0, 40))
        line.deploy(local(day, rng.uniform(10, 16), tz).replace(microsecond=0))
        service_no = 0
        while True:
            day += timedelta(days=loc["visit_interval_days"] + rng.randint(-3, 5))
            if day > _SEASON_END:
                break
            at = local(day, rng.uniform(10, 16), tz).replace(microsecond=0)
            final = day + timedelta(days=loc["visit_interval_days"] - 3) > _SEASON_END
            if i == 3 and final:
                line.visit(at, "RETRIEVE", "ACTIVE")
                break
            if service_no >= 1 and rng.random() < 0.05:
                line.visit(at, "CHECK_ONLY", "ACTIVE")
                continue
            service_no += 1
            arrival = _forced_arrival(i, service_no)
            if arrival is None:
                arrival = _pick(rng, _RANDOM_ARRIVALS)
                if is_winter(day) and rng.random() < 0.15:
                    arrival = "OBSTRUCTED_SNOW_VEG"
            line.visit(at, "SERVICE", arrival)
        line.finish()
        deployments += line.deployments
        visits += line.visits

    for cam in inventory.cameras:
        cam.row["state"] = cam.state
        sink.add(Camera, cam.row)
    return refs, CamtrapTotals(n, len(inventory.cameras), deployments, visits)
