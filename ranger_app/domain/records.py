"""Record values as plain dataclasses: what services return and editors edit.

No ORM objects cross the boundary into the UI; a patrol is loaded as a `PatrolValue`,
edited, and handed back to `store.patrols.save_patrol`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ranger_app.domain.track import TrackStats


@dataclass
class MemberValue:
    person_uuid: str
    is_leader: bool = False
    uuid: str | None = None


@dataclass
class LegValue:
    transport: str = "FOOT"
    start_at: datetime | None = None
    end_at: datetime | None = None
    members: list[MemberValue] = field(default_factory=list)
    ordinal: int = 1
    uuid: str | None = None


@dataclass
class PhotoValue:
    """An attachment row: the original lives content-addressed in the media folder."""

    sha256: str
    filename: str = ""
    mime: str = "image/jpeg"
    size: int = 0
    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    width: int | None = None
    height: int | None = None
    caption: str = ""
    kind: str = "photo"
    uuid: str | None = None


@dataclass
class ObservationValue:
    category: str = "UNCLASSIFIED"
    observed_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    ele: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    count: int = 1
    observer_uuid: str | None = None
    notes: str = ""
    notes_lang: str = ""
    source: str = "manual"  # manual | waypoint
    waypoint_name: str = ""
    leg_uuid: str | None = None
    photos: list[PhotoValue] = field(default_factory=list)
    uuid: str | None = None


@dataclass
class TrackValue:
    points: bytes  # domain.track.pack_points
    stats: TrackStats
    name: str = ""
    leg_uuid: str | None = None
    leg_ordinal: int | None = None  # used before the leg has an id
    source_sha256: str = ""
    uuid: str | None = None
    kind: str = "track"  # or "route": a planned route, shown dashed, never effort

    @property
    def is_route(self) -> bool:
        return self.kind == "route"


@dataclass
class PatrolValue:
    station_uuid: str | None = None
    number: str = ""
    patrol_type: str = "GROUND"
    mandate: str = "ANTI_POACHING"
    armed: bool = False
    start_at: datetime | None = None
    end_at: datetime | None = None
    tz: str = "Asia/Vladivostok"
    notes: str = ""
    notes_lang: str = ""
    status: str = "DRAFT"
    legs: list[LegValue] = field(default_factory=list)
    observations: list[ObservationValue] = field(default_factory=list)
    tracks: list[TrackValue] = field(default_factory=list)
    attachments: list[PhotoValue] = field(default_factory=list)  # GPX originals and the like
    uuid: str | None = None
    rev: int = 0


@dataclass(frozen=True)
class PatrolRow:
    """One line of the patrol list."""

    uuid: str
    number: str
    station_code: str
    start_at: datetime | None
    end_at: datetime | None
    tz: str
    patrol_type: str
    status: str
    leader_name: str
    distance_km: float
    observation_count: int


@dataclass(frozen=True)
class PatrolFilter:
    date_from: datetime | None = None
    date_to: datetime | None = None
    station_uuid: str | None = None
    status: str | None = None
    text: str = ""
    # only these patrols (e.g. those through a forest quarter, `reports.area_filter`);
    # None: no such restriction
    patrol_uuids: frozenset[str] | None = None


@dataclass(frozen=True)
class StationValue:
    uuid: str
    code: str
    name: str
    country: str
    tz: str
    is_hq: bool = False


@dataclass(frozen=True)
class PersonValue:
    uuid: str
    name: str
    station_uuid: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class StationSetup:
    """What the first run (or `ranger-app init`) asks for."""

    station_code: str
    station_name: str
    person_name: str
    language: str = "ru"
    country: str = "RU"
    hq: bool = False
