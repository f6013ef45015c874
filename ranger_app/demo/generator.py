"""`generate`: fills a database with a realistic season (or more) of demo records.

Each part draws from its own random stream (`seed:part`), so the same seed gives the same
records, and changing how many patrols a scale has does not reshuffle the fires.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ranger_app.demo.basemap import add_demo_basemap
from ranger_app.demo.camtraps import write_camtraps
from ranger_app.demo.feeding import write_feeding
from ranger_app.demo.fires import write_fires
from ranger_app.demo.hotspots import write_hotspots
from ranger_app.demo.layers import add_demo_layers
from ranger_app.demo.patrols import write_patrols
from ranger_app.demo.photos import PhotoShelf
from ranger_app.demo.reference import build_world, finish_installation
from ranger_app.demo.scales import get_scale
from ranger_app.store.db import Database

Progress = Callable[[int, int], None]
_OTHER_STEPS = 4  # reference data, camera traps, feeding, fires with their hotspots


def _random(seed: int, part: str) -> random.Random:
    return random.Random(f"{seed}:{part}")


def generate(db: Database, scale: str = "season", seed: int = 1,
             progress: Progress | None = None) -> dict[str, Any]:
    """Write demo records; returns a JSON-able summary of what was added."""
    sc = get_scale(scale)
    total = sc.patrols + _OTHER_STEPS
    done = 0

    def step(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(min(done, total), total)

    world, sink = build_world(db, _random(seed, "people"))
    sink.flush()
    finish_installation(db, world)
    step()

    shelf = PhotoShelf(db)
    locations, camtraps = write_camtraps(_random(seed, "camtraps"), world, sc, shelf, sink)
    sink.flush()
    step()
    feeding = write_feeding(_random(seed, "feeding"), world, sc, sink, locations)
    sink.flush()
    step()

    reported = 0

    def patrols_done(n: int) -> None:
        nonlocal reported
        step(n - reported)
        reported = n

    patrols = write_patrols(_random(seed, "patrols"), world, sc, shelf, sink, patrols_done)
    fires = write_fires(_random(seed, "fires"), world, sc, shelf, sink, patrols.season)
    hotspots = write_hotspots(_random(seed, "hotspots"), world, fires, sink)
    sink.flush()
    add_demo_basemap(db, seed)  # a made-up topographic map under every view
    add_demo_layers(db)  # park boundary, state border, forest quarters, cordons
    step()

    return {
        "scale": sc.name,
        "seed": seed,
        "stations": [s.code for s in world.stations],
        "patrols": patrols.patrols,
        "observations": patrols.observations,
        "track_points": patrols.track_points,
        "patrol_status": dict(sorted(patrols.statuses.items())),
        "fires": len(fires),
        "firms_hotspots": hotspots,
        "feeding_sites": feeding.sites,
        "feeding_visits": feeding.visits,
        "camera_locations": camtraps.locations,
        "cameras": camtraps.cameras,
        "deployments": camtraps.deployments,
        "service_visits": camtraps.visits,
        "records": dict(sorted(sink.counts.items())),
    }
