"""Camera traps as plain values, and the deployment rule as pure functions.

A *deployment* is the interval from when the camera was last touched until it stopped or was
touched again (tdwg/camtrap-dp#392). So a service visit that touches the camera (a card swap,
batteries, a re-aim or any other action, DEPLOY, RETRIEVE) closes the open deployment and,
unless the camera was retrieved or is gone (stolen or lost), opens the next one at the visit
time. A camera found stopped (battery dead, card full, a failure) ends its deployment at its
last image, not at the visit (RCSC 8.1.4). A CHECK_ONLY visit touches nothing; a theft ends the
deployment whatever the visit type, because the thief touched the camera.

A camera-trap image (an attachment of kind ``camtrap``) is classified when its caption holds an
observation-category code (``TIGER``, ``SIKA_DEER``, ``PEOPLE_MET``…); an empty caption means
unclassified. The typed errors below carry codes and serials; their translated messages are
registered with `ranger_app.i18n.messages` at the end of this module.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ranger_app.domain.errors import (
    BadInput,
    EndBeforeStart,
    InvalidValue,
    MissingValue,
)
from ranger_app.domain.geo import check_position
from ranger_app.domain.records import PhotoValue
from ranger_app.domain.serial import json_to_dict, value_to_json
from ranger_app.domain.validation import check_not_future
from ranger_app.domain.vocab import vocabulary

# --- vocabulary facts the rule depends on ---------------------------------------------------

VISIT_TYPES = ("DEPLOY", "SERVICE", "RETRIEVE", "CHECK_ONLY")
# Arrival statuses after which the camera had stopped before the visit: the deployment ends at
# its last image (when known) rather than at the visit.
STOPPED = frozenset({"BATTERY_DEAD", "CARD_FULL", "CARD_ERROR", "HW_FAILURE", "WATER_DAMAGE",
                     "NOT_TRIGGERING", "UNKNOWN_FAILURE", "THEFT"})
# Statuses that leave no camera on the tree.
GONE = frozenset({"THEFT"})
GONE_STATES = frozenset({"STOLEN", "LOST"})
# Statuses after which a camera taken down goes to repair rather than back on the shelf.
DAMAGED = frozenset({"HW_FAILURE", "WATER_DAMAGE", "WILDLIFE_DAMAGE", "VANDALISM"})
# Camera states in which a camera cannot be put up.
UNAVAILABLE_STATES = frozenset({"STOLEN", "LOST", "RETIRED", "REPAIR"})
SWAP_ACTION = "CAMERA_SWAPPED"
BAIT_FEATURES = frozenset({"FEEDING_SITE", "SALT_LICK"})

# Camera settings kept with each visit (`settings_json`); the placement keys also describe
# the deployment the visit opens.
SETTING_MODES = ("photo", "video", "photo+video")
SETTING_SENSITIVITY = ("low", "normal", "high")
SETTING_IR = ("low_glow", "no_glow", "white_flash")
PLACEMENT_KEYS = ("height_m", "heading_deg", "tilt_deg", "detection_distance_m")
_SETTING_RANGES: dict[str, tuple[float, float]] = {
    "burst": (1, 30), "delay_s": (0, 86_400), "height_m": (0, 20), "heading_deg": (0, 360),
    "tilt_deg": (-90, 90), "detection_distance_m": (0, 200),
}
_SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "mode": SETTING_MODES, "sensitivity": SETTING_SENSITIVITY, "ir": SETTING_IR,
}

# Observation categories a camera-trap image can be classified as, and what they become in
# Camtrap DP. Animal categories take the scientific name of their nearest named ancestor.
CAMTRAP_CATEGORIES = (
    "TIGER", "LEOPARD", "SIKA_DEER", "ROE_DEER", "WILD_BOAR", "RED_DEER", "MOOSE", "MUSK_DEER",
    "GORAL", "BADGER", "BROWN_BEAR", "BLACK_BEAR", "WOLF", "LYNX", "DOGS", "LIVESTOCK",
    "PEOPLE_MET", "HUNTERS_LEGAL", "TOURISTS", "VEHICLE",
)
_HUMAN_CATEGORIES = frozenset({"PEOPLE_MET", "HUNTERS_LEGAL", "TOURISTS", "CAMP"})
_VEHICLE_CATEGORIES = frozenset({"VEHICLE"})
# Detections that make a location's coordinates sensitive (rounded on export).
SENSITIVE_CATEGORIES = frozenset({"TIGER", "LEOPARD", "CARCASS_TIGER", "CARCASS_LEOPARD"})
SENSITIVE_PREDATORS = frozenset({"PTAL", "PPOR"})  # predator_species codes

EVENT_GAP_S = 120  # images closer than this form one event (a "sequence")
SETUP_WINDOW_S = 15 * 60  # images this close to a visit show the crew: cameraSetupType=setup


# --- typed errors ----------------------------------------------------------------------------

@dataclass
class VisitBeforeDeployment(BadInput):
    """A visit dated before the start of the deployment it would close or check."""

    visited_at: str
    deployment_start: str
    location: str
    camera: str
    tz: str = "UTC"


@dataclass
class NoOpenDeployment(BadInput):
    """A service or retrieval where no camera is deployed (it needs a DEPLOY visit first)."""

    location: str
    camera: str


@dataclass
class CameraAlreadyDeployed(BadInput):
    camera: str
    location: str


@dataclass
class CameraUnavailable(BadInput):
    camera: str
    state: str


@dataclass
class VisitHasLaterVisits(BadInput):
    """Type, time, camera or outcome of a visit can change only while it is the latest one."""

    location: str
    camera: str


@dataclass
class DamagedImage(BadInput):
    """An image whose header reads but whose data is cut short or corrupt."""

    path: str


@dataclass
class DuplicateImage(BadInput):
    path: str
    same_as: str


@dataclass
class NotAFolder(BadInput):
    path: str


@dataclass
class NothingToExport(BadInput):
    what: str  # "deployments"


@dataclass
class OutputNotEmpty(BadInput):
    path: str


# --- values ----------------------------------------------------------------------------------

@dataclass
class LocationValue:
    code: str = ""
    name: str = ""
    station_uuid: str | None = None
    lat: float | None = None
    lon: float | None = None
    uncertainty_m: int | None = None
    habitat: str = ""
    feature: str = ""
    country: str = "RU"
    tz: str = "Asia/Vladivostok"
    visit_interval_days: int = 30
    uuid: str | None = None


@dataclass
class CameraValue:
    serial: str = ""
    make: str = ""
    model: str = ""
    state: str = "IN_STOCK"
    station_uuid: str | None = None
    year_purchased: int | None = None
    notes: str = ""
    uuid: str | None = None


@dataclass
class DeploymentValue:
    location_uuid: str
    camera_uuid: str
    start_at: datetime | None = None
    end_at: datetime | None = None
    opened_by_visit: str | None = None
    closed_by_visit: str | None = None
    bait_use: bool = False
    height_m: float | None = None
    heading_deg: int | None = None
    tilt_deg: int | None = None
    detection_distance_m: float | None = None
    delay_s: int | None = None
    timestamp_issues: bool = False
    uuid: str | None = None


@dataclass
class ServiceVisitValue:
    """One visit to a camera location, as the editor edits it and the store saves it.

    `images` are the camera-trap images from the card (kind ``camtrap``; their times already
    corrected by `clock_offset_s`); `photos` are the crew's own photos of the site. The
    replacement camera, when one was put up, is the camera of the deployment the visit opens.
    """

    location_uuid: str | None = None
    camera_uuid: str | None = None
    visit_type: str = "SERVICE"
    visited_at: datetime | None = None
    tz: str = "Asia/Vladivostok"
    crew: list[str] = field(default_factory=list)  # person uuids
    arrival_status: str = "ACTIVE"
    battery_pct: int | None = None
    battery_type: str = ""
    batteries_replaced: bool = False
    sd_removed: str = ""
    sd_inserted: str = ""
    image_count: int | None = None
    first_image_at: datetime | None = None
    last_image_at: datetime | None = None
    clock_offset_s: int | None = None  # camera clock minus true time
    clock_reset: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    walk_test: bool = False
    theft_note: str = ""
    police_report: str = ""
    notes: str = ""
    notes_lang: str = ""
    replacement_camera_uuid: str | None = None
    images: list[PhotoValue] = field(default_factory=list)
    photos: list[PhotoValue] = field(default_factory=list)
    deployment_uuid: str | None = None  # the deployment the visit closed or checked (on save)
    opened_deployment_uuid: str | None = None  # the deployment the visit opened (on save)
    uuid: str | None = None
    rev: int = 0


@dataclass(frozen=True)
class OpenDeployment:
    """What the rule needs to know of the deployment a visit finds running."""

    uuid: str
    camera_uuid: str
    start_at: datetime


@dataclass(frozen=True)
class DeploymentPlan:
    """What saving a visit does to the deployments and cameras."""

    touches: bool
    close_uuid: str | None  # the deployment to close
    close_at: datetime | None
    open_camera_uuid: str | None  # the camera of the deployment to open (None: open nothing)
    open_at: datetime | None
    belongs_to: str | None  # the deployment the visit is filed under (None: the one opened)
    camera_states: dict[str, str]  # camera uuid -> its state after the visit


# --- plain rows for lists ---------------------------------------------------------------------

@dataclass(frozen=True)
class LocationRow:
    uuid: str
    code: str
    name: str
    lat: float
    lon: float
    station_code: str
    feature: str
    habitat: str
    tz: str
    visit_interval_days: int
    cameras: tuple[str, ...]  # serials of cameras deployed there now
    last_visit_at: datetime | None
    next_due: date | None
    days_overdue: int


@dataclass(frozen=True)
class CameraRow:
    uuid: str
    serial: str
    make: str
    model: str
    state: str
    location_code: str  # where it is deployed now ("" when not)
    last_visit_at: datetime | None
    tz: str
    notes: str


@dataclass(frozen=True)
class VisitRow:
    uuid: str
    location_uuid: str
    location_code: str
    camera_serial: str
    visited_at: datetime | None
    tz: str
    visit_type: str
    arrival_status: str
    image_count: int | None
    battery_pct: int | None


@dataclass(frozen=True)
class DeploymentRow:
    uuid: str
    location_code: str
    camera_serial: str
    start_at: datetime | None
    end_at: datetime | None
    tz: str


# --- the deployment rule ----------------------------------------------------------------------

def touches_camera(visit: ServiceVisitValue) -> bool:
    """Whether the visit ends the running deployment (CHECK_ONLY never does, a theft always)."""
    if visit.arrival_status in GONE:
        return True
    if visit.visit_type == "CHECK_ONLY":
        return False
    if visit.visit_type in ("DEPLOY", "RETRIEVE"):
        return True
    return bool(visit.sd_removed or visit.sd_inserted or visit.batteries_replaced
                or visit.actions or visit.clock_reset or visit.replacement_camera_uuid)


def deployment_end(visit: ServiceVisitValue, start: datetime) -> datetime:
    """When the closed deployment ended: the last image for a camera found stopped."""
    assert visit.visited_at is not None
    if visit.arrival_status in STOPPED and visit.last_image_at is not None:
        return min(max(visit.last_image_at, start), visit.visited_at)
    return visit.visited_at


def _state_taken_down(visit: ServiceVisitValue) -> str:
    return "REPAIR" if visit.arrival_status in DAMAGED else "IN_STOCK"


def plan_visit(visit: ServiceVisitValue, running: OpenDeployment | None, *,
               camera_state: str = "", location: str = "", camera: str = "") -> DeploymentPlan:
    """The deployment rule for one visit, given the deployment it finds running (if any).

    `camera_state` is the visited camera's state before the visit; `location` and `camera`
    (a code and a serial) only name things in the errors raised.
    """
    if visit.visited_at is None:
        raise MissingValue("visited_at")
    if running is not None and visit.visited_at < running.start_at:
        raise VisitBeforeDeployment(visit.visited_at.isoformat(),
                                    running.start_at.isoformat(), location, camera, visit.tz)
    touches = touches_camera(visit)
    if not touches:
        return DeploymentPlan(False, None, None, None, None,
                              running.uuid if running else None, {})
    if running is None and visit.visit_type != "DEPLOY":
        raise NoOpenDeployment(location, camera)

    states: dict[str, str] = {}
    visited = visit.camera_uuid or (running.camera_uuid if running else None)
    close_at = deployment_end(visit, running.start_at) if running else None
    # A camera reported lost stays down; putting it up (DEPLOY) is checked by the store.
    gone = visit.arrival_status in GONE or (camera_state in GONE_STATES
                                            and visit.visit_type != "DEPLOY")
    replacement = visit.replacement_camera_uuid
    if visit.visit_type == "RETRIEVE":
        next_camera = None
    elif replacement:
        next_camera = replacement
    else:
        next_camera = None if gone else visited
    if visited and visited != next_camera:
        if visit.arrival_status in GONE:
            states[visited] = "STOLEN"
        elif camera_state in GONE_STATES:
            states[visited] = camera_state  # reported lost before: it stays lost
        else:
            states[visited] = _state_taken_down(visit)
    if next_camera:
        states[next_camera] = "DEPLOYED"
    return DeploymentPlan(
        touches=True,
        close_uuid=running.uuid if running else None,
        close_at=close_at,
        open_camera_uuid=next_camera,
        open_at=visit.visited_at if next_camera else None,
        belongs_to=running.uuid if running else None,
        camera_states=states,
    )


def deployment_setup(visit: ServiceVisitValue, feature: str) -> dict[str, Any]:
    """How the deployment a visit opens is set up, from the visit's settings."""
    s = visit.settings

    def num(key: str, kind: Callable[[Any], Any]) -> Any:
        value = s.get(key)
        return None if value in (None, "") else kind(value)

    return {
        "bait_use": feature in BAIT_FEATURES or "BAIT_REAPPLIED" in visit.actions,
        "height_m": num("height_m", float),
        "heading_deg": num("heading_deg", lambda v: round(float(v)) % 360),
        "tilt_deg": num("tilt_deg", lambda v: round(float(v))),
        "detection_distance_m": num("detection_distance_m", float),
        "delay_s": num("delay_s", lambda v: round(float(v))),
    }


# --- validation -------------------------------------------------------------------------------

def _check_code(vocab: str, code: str) -> None:
    vocabulary(vocab).get(code)


def validate_settings(settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        if value in (None, ""):
            continue
        if key in _SETTING_RANGES:
            low, high = _SETTING_RANGES[key]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InvalidValue(key, str(value)) from None
            if not (math.isfinite(number) and low <= number <= high):
                raise InvalidValue(key, str(value))
        elif key in _SETTING_CHOICES and value not in _SETTING_CHOICES[key]:
            raise InvalidValue(key, str(value))


def validate_visit(visit: ServiceVisitValue, now: datetime | None = None) -> None:
    """Checks of the visit on its own (the rule checks it against the deployments)."""
    if not visit.location_uuid:
        raise MissingValue("location")
    if visit.visited_at is None:
        raise MissingValue("visited_at")
    check_not_future(visit.visited_at, now)
    _check_code("service_visit_types", visit.visit_type)
    _check_code("camera_arrival_status", visit.arrival_status)
    if visit.battery_type:
        _check_code("battery_types", visit.battery_type)
    for action in visit.actions:
        _check_code("camera_actions", action)
    if visit.visit_type == "DEPLOY" and not visit.camera_uuid:
        raise MissingValue("camera")
    if SWAP_ACTION in visit.actions and not visit.replacement_camera_uuid:
        raise MissingValue("replacement_camera")
    if visit.replacement_camera_uuid and visit.replacement_camera_uuid == visit.camera_uuid:
        raise InvalidValue("replacement_camera", visit.replacement_camera_uuid)
    if visit.battery_pct is not None and not 0 <= visit.battery_pct <= 100:
        raise InvalidValue("battery_pct", str(visit.battery_pct))
    if visit.image_count is not None and visit.image_count < 0:
        raise InvalidValue("image_count", str(visit.image_count))
    if visit.clock_offset_s is not None and abs(visit.clock_offset_s) > 10 * 365 * 86_400:
        raise InvalidValue("clock_offset_s", str(visit.clock_offset_s))
    if (visit.first_image_at is not None and visit.last_image_at is not None
            and visit.last_image_at < visit.first_image_at):
        raise EndBeforeStart(visit.first_image_at.isoformat(), visit.last_image_at.isoformat(),
                             "images")
    validate_settings(visit.settings)


def validate_location(loc: LocationValue) -> None:
    if not loc.code.strip():
        raise MissingValue("code")
    if loc.lat is None or loc.lon is None:
        raise MissingValue("position")
    check_position(loc.lat, loc.lon, "camera location")
    if loc.habitat:
        _check_code("habitats", loc.habitat)
    if loc.feature:
        _check_code("camera_features", loc.feature)
    _check_code("countries", loc.country)
    try:
        ZoneInfo(loc.tz)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise InvalidValue("tz", loc.tz) from None
    if not 1 <= loc.visit_interval_days <= 366:
        raise InvalidValue("visit_interval_days", str(loc.visit_interval_days))
    if loc.uncertainty_m is not None and loc.uncertainty_m < 1:
        raise InvalidValue("uncertainty_m", str(loc.uncertainty_m))


def validate_camera(cam: CameraValue) -> None:
    if not cam.serial.strip():
        raise MissingValue("serial")
    _check_code("camera_states", cam.state)


# --- times ------------------------------------------------------------------------------------

def next_visit_due(last_visit_at: datetime, interval_days: int, tz: str) -> date:
    """The local date by which the next visit is due."""
    return last_visit_at.astimezone(ZoneInfo(tz)).date() + timedelta(days=interval_days)


def days_overdue(due: date | None, today: date) -> int:
    """Days past the due date (0 when not overdue): overdue when due < today."""
    return max(0, (today - due).days) if due is not None else 0


def local_today(tz: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()


def true_time(camera_time: datetime | None, clock_offset_s: int | None) -> datetime | None:
    """A camera timestamp corrected by the offset (camera clock minus true time)."""
    if camera_time is None or not clock_offset_s:
        return camera_time
    return camera_time - timedelta(seconds=clock_offset_s)


def shift_images(visit: ServiceVisitValue, old_offset: int | None,
                 new_offset: int | None) -> None:
    """Re-correct imported image times after the clock offset was changed."""
    delta = timedelta(seconds=(old_offset or 0) - (new_offset or 0))
    if not delta:
        return
    for image in visit.images:
        if image.taken_at is not None:
            image.taken_at += delta
    if visit.first_image_at is not None:
        visit.first_image_at += delta
    if visit.last_image_at is not None:
        visit.last_image_at += delta


def image_span(images: Iterable[PhotoValue]) -> tuple[datetime | None, datetime | None, int]:
    """First and last image time and how many images there are."""
    times = []
    count = 0
    for image in images:
        count += 1
        if image.taken_at is not None:
            times.append(image.taken_at)
    return (min(times) if times else None, max(times) if times else None, count)


# --- classification and events ----------------------------------------------------------------

def classification(code: str) -> tuple[str, str]:
    """An image's caption as (Camtrap DP observationType, scientificName)."""
    code = code.strip()
    cats = vocabulary("observation_categories")
    if not code or code not in cats or code == "UNCLASSIFIED":
        return "unclassified", ""
    if code in _VEHICLE_CATEGORIES:
        return "vehicle", ""
    if code in _HUMAN_CATEGORIES:
        return "human", "Homo sapiens"
    chain = cats.ancestors(code)
    if chain[0].code == "HUMAN_ACTIVITY":
        return ("animal", "") if code in ("DOGS", "LIVESTOCK") else ("human", "Homo sapiens")
    if chain[0].code != "WILDLIFE":
        return "unknown", ""
    latin = next((t.latin for t in reversed(chain) if t.latin), "")
    return "animal", latin


def is_sensitive(code: str) -> bool:
    cats = vocabulary("observation_categories")
    code = code.strip()
    if code not in cats:
        return False
    return any(t.code in SENSITIVE_CATEGORIES for t in cats.ancestors(code))


K = TypeVar("K")


def group_events(items: Sequence[tuple[K, datetime]],
                 gap_s: int = EVENT_GAP_S) -> list[list[tuple[K, datetime]]]:
    """Images closer in time than `gap_s` form one event; items in any order."""
    events: list[list[tuple[K, datetime]]] = []
    for item in sorted(items, key=lambda kv: kv[1]):
        if events and (item[1] - events[-1][-1][1]).total_seconds() <= gap_s:
            events[-1].append(item)
        else:
            events.append([item])
    return events


# --- coordinates ------------------------------------------------------------------------------

METRES_PER_DEGREE = 111_320.0


def round_position(lat: float, lon: float, precision: float,
                   uncertainty_m: int | None) -> tuple[float, float, int]:
    """Coordinates rounded to a grid of `precision` degrees, and the uncertainty that covers
    both the original uncertainty and the worst rounding error (half a cell's diagonal)."""
    decimals = max(0, round(-math.log10(precision))) if precision < 1 else 0
    r_lat = round(round(lat / precision) * precision, decimals)
    r_lon = round(round(lon / precision) * precision, decimals)
    half = precision / 2
    dy = half * METRES_PER_DEGREE
    dx = half * METRES_PER_DEGREE * math.cos(math.radians(lat))
    return r_lat, r_lon, math.ceil(math.hypot(dx, dy) + (uncertainty_m or 0))


# --- drafts: a visit to JSON and back -------------------------------------------------------

def visit_to_json(visit: ServiceVisitValue) -> str:
    return value_to_json(visit)


def visit_from_json(text: str) -> ServiceVisitValue:
    d = json_to_dict(text)
    images = [PhotoValue(**p) for p in d.pop("images", [])]
    photos = [PhotoValue(**p) for p in d.pop("photos", [])]
    known = {f.name for f in dataclasses.fields(ServiceVisitValue)}
    return ServiceVisitValue(**{k: v for k, v in d.items() if k in known},
                             images=images, photos=photos)


# --- messages ---------------------------------------------------------------------------------

def _register_messages() -> None:
    """Each error above as one translated sentence (what is wrong, what to do)."""
    from ranger_app.i18n import _, current_language
    from ranger_app.i18n.messages import _DESCRIBE

    def when(value: str, tz: str) -> str:
        from ranger_app.i18n.formats import datetime_short

        try:
            return datetime_short(datetime.fromisoformat(value), tz)
        except (ValueError, KeyError):
            return value

    def state(code: str) -> str:
        return vocabulary("camera_states").label(code, current_language())

    _DESCRIBE.update({
        VisitBeforeDeployment: lambda x: _(
            "The visit ({visited}) is dated before the camera at {location} was put up "
            "({start}). Check the date of the visit."
        ).format(visited=when(x.visited_at, x.tz), start=when(x.deployment_start, x.tz),
                 location=x.location or "—"),
        NoOpenDeployment: lambda x: _(
            "No camera is deployed at {location}. Choose the visit type “Deploy” to put "
            "one up."
        ).format(location=x.location or "—"),
        CameraAlreadyDeployed: lambda x: _(
            "Camera {camera} is still deployed at {location}. Retrieve it there first, or "
            "choose another camera."
        ).format(camera=x.camera, location=x.location),
        CameraUnavailable: lambda x: _(
            "Camera {camera} cannot be put up: it is marked “{state}”."
        ).format(camera=x.camera, state=state(x.state)),
        VisitHasLaterVisits: lambda x: _(
            "Later visits at {location} follow this one, so its type, time, camera and status "
            "can no longer change. Only notes, photos and card details can be edited."
        ).format(location=x.location or "—"),
        DamagedImage: lambda x: _(
            "The image {path} is damaged or cut short (a card pulled out while writing?); it "
            "was skipped."
        ).format(path=x.path),
        DuplicateImage: lambda x: (_(
            "The image {path} is the same as {same}; it was added once."
        ) if x.same_as else _(
            "The image {path} was imported into this visit before; it was not added again."
        )).format(path=x.path, same=x.same_as),
        NotAFolder: lambda x: _(
            "{path} is not a folder that can be read. Choose the folder of the memory card."
        ).format(path=x.path),
        NothingToExport: lambda x: _(
            "There are no camera deployments to export yet."
        ),
        OutputNotEmpty: lambda x: _(
            "The folder {path} is not empty. Choose a new or empty folder for the export."
        ).format(path=x.path),
    })


_register_messages()
