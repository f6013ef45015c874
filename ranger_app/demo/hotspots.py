"""NASA FIRMS hotspots as an HQ import would leave them: most matched to a fire report, a few
left over (a farm burn, a false alarm) for the analyst to check.

Values follow the FIRMS CSV attributes (MODIS: brightness, satellite A/T, confidence 0–100;
VIIRS: bright_ti4, confidence l/n/h), and each row keeps its CSV line as JSON in `raw`.
Matched hotspots fall within the reference's rule: 1 km (MODIS) or 0.5 km (VIIRS) of the fire,
while it was active.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from ranger_app.demo.fires import FireRef
from ranger_app.demo.places import offset, random_point
from ranger_app.demo.reference import World
from ranger_app.demo.seasons import TZ
from ranger_app.demo.sink import RowSink
from ranger_app.store.models import FirmsHotspot

# satellite code -> (instrument, FIRMS file product code)
_SATELLITES = {"N": ("VIIRS", "SV-C2"), "N20": ("VIIRS", "J1V-C2"), "N21": ("VIIRS", "J2V-C2"),
               "A": ("MODIS", "M-C61"), "T": ("MODIS", "M-C61")}
_RADIUS_M = {"VIIRS": 450.0, "MODIS": 900.0}


def _overpass(rng: random.Random, after: datetime, before: datetime) -> datetime:
    """A time between the two near a polar orbiter's pass (about 13:30 or 01:30 local)."""
    t = after + (before - after) * rng.random()
    local_t = t.astimezone(TZ)
    hour = 13.5 if 7 <= local_t.hour < 19 else 1.5
    base = local_t.replace(hour=0, minute=0, second=0, microsecond=0)
    t = (base + timedelta(hours=hour + rng.uniform(-1, 1))).astimezone(UTC)
    return t.replace(second=0, microsecond=0)


def _row(rng: random.Random, lat: float, lon: float, at: datetime, satellite: str,
         source_no: int, fire_uuid: str | None) -> dict[str, Any]:
    instrument, product = _SATELLITES[satellite]
    daynight = "D" if 7 <= at.astimezone(TZ).hour < 19 else "N"
    modis = instrument == "MODIS"
    brightness = round(rng.uniform(305, 400) if modis else rng.uniform(300, 367), 2)
    frp = round(rng.uniform(5, 120) if modis else rng.uniform(0.5, 40), 2)
    confidence = str(rng.randint(30, 100)) if modis else rng.choices("lnh", (1, 6, 3))[0]
    lat, lon = round(lat, 5), round(lon, 5)
    scan = round(rng.uniform(1.0, 2.5) if modis else rng.uniform(0.32, 0.6), 2)
    raw = {"latitude": f"{lat:.5f}", "longitude": f"{lon:.5f}",
           "bright_ti4" if not modis else "brightness": f"{brightness:.2f}",
           "scan": f"{scan:.2f}", "track": f"{scan * rng.uniform(0.8, 1.0):.2f}",
           "acq_date": f"{at:%Y-%m-%d}", "acq_time": f"{at:%H%M}", "satellite": satellite,
           "instrument": instrument, "confidence": confidence,
           "version": "6.1NRT" if modis else "2.0NRT",
           "bright_t31" if modis else "bright_ti5": f"{rng.uniform(270, 300):.2f}",
           "frp": f"{frp:.2f}", "daynight": daynight}
    return {"instrument": instrument, "satellite": satellite, "lat": lat, "lon": lon,
            "acquired_at": at, "confidence": confidence, "frp_mw": frp,
            "brightness_k": brightness, "daynight": daynight,
            "source_file": f"fire_nrt_{product}_{source_no}.csv",
            "raw": json.dumps(raw, ensure_ascii=False),
            "matched_fire_uuid": fire_uuid, "checked": fire_uuid is not None or
            rng.random() < 0.5}


def write_hotspots(rng: random.Random, world: World, fires: list[FireRef],
                   sink: RowSink) -> int:
    n = 0
    source_no = 400_000 + rng.randint(0, 99_999)
    for fire in fires:
        if not fire.satellite and fire.area_ha < 5 and rng.random() < 0.6:
            continue  # too small or too short to be seen from orbit
        for _ in range(rng.randint(1, 4)):
            satellite = rng.choice(list(_SATELLITES))
            radius = _RADIUS_M[_SATELLITES[satellite][0]] * math.sqrt(rng.random())
            lat, lon = offset(fire.lat, fire.lon, radius, rng.uniform(0, 2 * math.pi))
            at = _overpass(rng, fire.detected_at - timedelta(hours=3), fire.localized_at)
            sink.add(FirmsHotspot, _row(rng, lat, lon, at, satellite, source_no, fire.uuid))
            n += 1
    # Unmatched: a burn on a field inside the boundary, a hot roof, left for checking.
    for _ in range(max(1, len(fires) // 4)):
        station = rng.choice(world.stations)
        lat, lon = random_point(rng, station.lat, station.lon, station.radius_m)
        at = fires[0].detected_at + timedelta(days=rng.randint(1, 40)) if fires else datetime(
            2024, 4, 10, 4, 0, tzinfo=UTC)
        sink.add(FirmsHotspot, _row(rng, lat, lon, _overpass(rng, at, at + timedelta(hours=12)),
                                    rng.choice(list(_SATELLITES)), source_no + 1, None))
        n += 1
    return n
