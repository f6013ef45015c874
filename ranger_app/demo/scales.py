"""How much the demo writes at each scale.

`large` exists to load the app the way years of patrols from two cordons would; its minimum
counts (patrols, observations, track points) are met by pacing, not by luck.
"""

from __future__ import annotations

from dataclasses import dataclass

from ranger_app.domain.errors import InvalidValue


@dataclass(frozen=True)
class Scale:
    name: str
    patrols: int
    years: int  # patrols spread over this many years, ending with the season's year
    track_share: float  # share of patrols carried with a GPS track (the rest: notebook only)
    min_track_points: int  # pacing floor for the whole run (0: no floor)
    obs_per_patrol: tuple[int, int]
    min_observations: int
    photos: int  # attachments on patrol observations
    fires: int
    feeding_sites: int
    feeding_every_days: tuple[int, int]
    camera_locations: int
    spare_cameras: int
    patrols_per_batch: int


SCALES: dict[str, Scale] = {
    "small": Scale("small", patrols=8, years=1, track_share=0.9, min_track_points=0,
                   obs_per_patrol=(2, 6), min_observations=0, photos=2, fires=2,
                   feeding_sites=3, feeding_every_days=(20, 30), camera_locations=3,
                   spare_cameras=2, patrols_per_batch=500),
    "season": Scale("season", patrols=300, years=1, track_share=0.93, min_track_points=0,
                    obs_per_patrol=(0, 12), min_observations=0, photos=12, fires=14,
                    feeding_sites=13, feeding_every_days=(7, 14), camera_locations=26,
                    spare_cameras=5, patrols_per_batch=500),
    "large": Scale("large", patrols=20_000, years=8, track_share=0.2,
                   min_track_points=5_150_000, obs_per_patrol=(5, 17),
                   min_observations=205_000, photos=40, fires=14, feeding_sites=13,
                   feeding_every_days=(7, 14), camera_locations=26, spare_cameras=5,
                   patrols_per_batch=500),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise InvalidValue("scale", name) from None
