"""Export the camera-trap records as a Camera Trap Data Package (Camtrap DP 1.0.2).

The package is `datapackage.json` with `deployments.csv`, `media.csv`, `observations.csv` and
the image files under `media/`, plus the service visits as an extra resource
`service-visits` whose own table schema has a foreign key to `deploymentID` (the pattern the
Camtrap DP FAQ gives for extra measurements).

- Times carry their offset, in the zone of the camera location.
- A location where a tiger or a leopard was detected (a classified camera-trap image, or a
  predator sign at a feeding site the location watches) is exported with its coordinates
  rounded to `precision` degrees and `coordinateUncertainty` widened to cover the rounding.
- A deployment still running ends, in the export, at the last time the camera was known to be
  working (its latest check or image), tagged `running:true`.
- Observations are event-level (images less than two minutes apart form an event):
  `unclassified` unless an image of the event was classified.
- An image dated outside every deployment of its camera at its location (a camera clock that
  was wrong and not corrected at import) stays with the deployment of its visit, which gets
  `timestampIssues=true`; the image carries a `mediaComments` note and its event an
  `observationComments` note saying so.
- `licenses` holds one licence of scope `data` and one of scope `media`: the defaults of
  `resources/vocab_meta/camtrapdp_package.json`, or the SPDX ids HQ set in the database's meta
  keys `camtrapdp.license.data` and `camtrapdp.license.media`.
- A package of one station is named after the station; one spanning several stations after
  the park (`camtrapdp.park`, default in the same resource file).

The package is written under a temporary name beside the target, every file fsynced, then
renamed into place: a stick pulled out mid-export leaves no half package behind.
"""

from __future__ import annotations

import bisect
import csv
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ranger_app.domain.camtraps import (
    EVENT_GAP_S,
    SETUP_WINDOW_S,
    STOPPED,
    DeploymentValue,
    NothingToExport,
    OutputNotEmpty,
    ServiceVisitValue,
    classification,
    group_events,
    is_sensitive,
    round_position,
)
from ranger_app.domain.ids import new_id
from ranger_app.domain.records import PhotoValue
from ranger_app.domain.vocab import vocabulary
from ranger_app.paths import resources_dir
from ranger_app.store.camtraps import CamtrapData, camtrap_data
from ranger_app.store.db import Database

VERSION = "1.0.2"
BASE_URL = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{VERSION}"
PROFILE_URL = f"{BASE_URL}/camtrap-dp-profile.json"
SCHEMA_URLS = {name: f"{BASE_URL}/{name}-table-schema.json"
               for name in ("deployments", "media", "observations")}
DEFAULT_PRECISION = 0.01  # degrees: about 1.1 km north-south
Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]

DEPLOYMENT_FIELDS = (
    "deploymentID", "locationID", "locationName", "latitude", "longitude",
    "coordinateUncertainty", "deploymentStart", "deploymentEnd", "setupBy", "cameraID",
    "cameraModel", "cameraDelay", "cameraHeight", "cameraDepth", "cameraTilt", "cameraHeading",
    "detectionDistance", "timestampIssues", "baitUse", "featureType", "habitat",
    "deploymentGroups", "deploymentTags", "deploymentComments",
)
MEDIA_FIELDS = (
    "mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "filePublic",
    "fileName", "fileMediatype", "exifData", "favorite", "mediaComments",
)
OBSERVATION_FIELDS = (
    "observationID", "deploymentID", "mediaID", "eventID", "eventStart", "eventEnd",
    "observationLevel", "observationType", "cameraSetupType", "scientificName", "count",
    "lifeStage", "sex", "behavior", "individualID", "individualPositionRadius",
    "individualPositionAngle", "individualSpeed", "bboxX", "bboxY", "bboxWidth", "bboxHeight",
    "classificationMethod", "classifiedBy", "classificationTimestamp",
    "classificationProbability", "observationTags", "observationComments",
)
_DATETIME = {"type": "datetime", "format": "%Y-%m-%dT%H:%M:%S%z"}
OUTSIDE_NOTE = "timestamp outside the deployment ({start} - {end}): camera clock suspect"
OUTSIDE_EVENT_NOTE = "event dated outside the deployment: camera clock suspect"


# --- package metadata: park and licences ----------------------------------------------------

@cache
def package_defaults() -> dict[str, Any]:
    """The park and licences a package gets unless the database's meta says otherwise."""
    path = resources_dir() / "vocab_meta" / "camtrapdp_package.json"
    with path.open(encoding="utf-8") as fh:
        defaults: dict[str, Any] = json.load(fh)
    return defaults


def park_name(settings: Mapping[str, str]) -> str:
    return settings.get("camtrapdp.park") or str(package_defaults()["park"])


def license_entry(spdx: str, scope: str) -> dict[str, str]:
    """A Data Package licence: name, and path and title when the id is a known one.

    An id outside `known_licenses` goes out with its name only (a consumer resolves SPDX ids
    itself); characters the Data Package name pattern refuses become `-`, and the id as typed
    is kept as the title then.
    """
    spdx = spdx.strip()
    name = re.sub(r"[^-a-zA-Z0-9._]+", "-", spdx).strip("-") or "other"
    entry = {"name": name}
    known = package_defaults()["known_licenses"].get(spdx)
    if known:
        entry["path"], entry["title"] = known[0], known[1]
    elif name != spdx:
        entry["title"] = spdx
    entry["scope"] = scope
    return entry


def package_licenses(settings: Mapping[str, str]) -> list[dict[str, str]]:
    """One licence for the data, one for the media files (what Camtrap DP asks for)."""
    defaults = package_defaults()["licenses"]
    return [license_entry(settings.get(f"camtrapdp.license.{scope}") or defaults[scope], scope)
            for scope in ("data", "media")]


def _vocab_enum(name: str) -> list[str]:
    return vocabulary(name).codes()


def service_visit_schema() -> dict[str, Any]:
    """The table schema of the `service-visits` resource (not part of Camtrap DP itself)."""

    def f(name: str, kind: str, description: str, required: bool = False,
          **constraints: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": name, "description": description}
        spec.update(_DATETIME if kind == "datetime" else {"type": kind})
        spec["constraints"] = {"required": required, **constraints}
        return spec

    return {
        "name": "service-visits",
        "title": "Service visits",
        "description": "One row per visit to a camera: what the crew found and did. Each visit "
                       "belongs to the deployment it closed (or, for a check, the one running "
                       "then; for a first deployment, the one it opened).",
        "fields": [
            f("visitID", "string", "Unique identifier of the visit.", True, unique=True),
            f("deploymentID", "string", "Deployment the visit belongs to.", True),
            f("openedDeploymentID", "string", "Deployment the visit started, if any."),
            f("locationID", "string", "Camera location code."),
            f("cameraID", "string", "Serial number of the visited camera."),
            f("visitType", "string", "Kind of visit.", True,
              enum=_vocab_enum("service_visit_types")),
            f("visitTimestamp", "datetime", "When the crew was at the camera.", True),
            f("crew", "string", "Names of the crew, pipe-separated."),
            f("arrivalStatus", "string", "State of the camera on arrival.", True,
              enum=_vocab_enum("camera_arrival_status")),
            f("batteryPercent", "integer", "Battery charge on arrival (%).",
              minimum=0, maximum=100),
            f("batteryType", "string", "Type of battery.", enum=_vocab_enum("battery_types")),
            f("batteriesReplaced", "boolean", "Whether the batteries were replaced."),
            f("sdCardRemoved", "string", "Label of the memory card taken out."),
            f("sdCardInserted", "string", "Label of the memory card put in."),
            f("imageCount", "integer", "Images on the card taken out.", minimum=0),
            f("firstImageTimestamp", "datetime", "First image on the card (corrected time)."),
            f("lastImageTimestamp", "datetime", "Last image on the card (corrected time)."),
            f("clockOffsetSeconds", "integer",
              "Camera clock minus true time, in seconds (image times are corrected by it)."),
            f("clockReset", "boolean", "Whether the camera clock was reset."),
            f("cameraSettings", "object", "Camera settings as a JSON object."),
            f("actions", "string", "What was done, pipe-separated codes."),
            f("walkTest", "boolean", "Whether a walk test was done."),
            f("theftNote", "string", "What was found after a theft or damage."),
            f("policeReport", "string", "Police report number."),
            f("visitComments", "string", "Notes of the crew."),
        ],
        "missingValues": [""],
        "primaryKey": "visitID",
        "foreignKeys": [{"fields": "deploymentID",
                         "reference": {"resource": "deployments", "fields": "deploymentID"}}],
    }


SERVICE_VISIT_FIELDS = tuple(f["name"] for f in service_visit_schema()["fields"])


@dataclass(frozen=True)
class ExportSummary:
    path: str
    deployments: int
    running_deployments: int
    media: int
    media_without_time: int
    observations: int
    service_visits: int
    rounded_locations: int
    cancelled: bool = False
    media_outside_deployment: int = 0  # flagged: timestampIssues on their deployment

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Package:
    """Everything the export writes, as plain data (the tests read it too)."""

    descriptor: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]  # resource name -> rows
    files: list[tuple[str, str]]  # (sha256, relative path under the package)
    running: int
    without_time: int
    rounded: int
    outside: int = 0  # images dated outside every deployment of their camera


# --- formatting ------------------------------------------------------------------------------

def timestamp(value: datetime | None, tz: str) -> str:
    """ISO 8601 with the offset of the location's zone: 2025-02-10T10:30:00+10:00."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).replace(microsecond=0).isoformat()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 7))
    return str(value)


def _safe_name(text: str) -> str:
    """A Data Package name (^[a-z0-9._-]+$): other characters (Cyrillic, spaces) become one
    `-`."""
    name = re.sub(r"-{2,}", "-", re.sub(r"[^-a-z0-9._]+", "-", text.lower())).strip("-.")
    return name or "station"


_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "image/webp": ".webp"}


# --- building the package ---------------------------------------------------------------------

class _Deployments:
    """Deployments by location and camera, to file each image under the one that took it."""

    def __init__(self, deployments: Sequence[DeploymentValue], ends: dict[str, datetime]) -> None:
        self.ends = ends
        self._by_key: dict[tuple[str, str], list[DeploymentValue]] = {}
        for d in deployments:
            if d.start_at is not None and d.uuid:
                self._by_key.setdefault((d.location_uuid, d.camera_uuid), []).append(d)
        for items in self._by_key.values():
            items.sort(key=lambda d: d.start_at or datetime.min.replace(tzinfo=UTC))
        self._starts = {k: [d.start_at for d in v] for k, v in self._by_key.items()}

    def containing(self, location: str, camera: str | None, when: datetime,
                   slack: timedelta) -> str | None:
        key = (location, camera or "")
        items = self._by_key.get(key, [])
        if not items:
            return None
        i = bisect.bisect_right(self._starts[key], when + slack) - 1
        for d in items[max(0, i - 1):i + 1][::-1]:
            assert d.start_at is not None and d.uuid is not None
            if d.start_at - slack <= when <= self.ends[d.uuid] + slack:
                return d.uuid
        return None


def _deployment_ends(data: CamtrapData,
                     visits_of: dict[str, list[ServiceVisitValue]],
                     images_of: dict[str, list[datetime]]) -> dict[str, datetime]:
    """The end of every deployment; a running one ends at its last sign of life."""
    ends: dict[str, datetime] = {}
    for d in data.deployments:
        assert d.uuid is not None and d.start_at is not None
        if d.end_at is not None:
            ends[d.uuid] = d.end_at
            continue
        alive = [v.visited_at for v in visits_of.get(d.uuid, ())
                 if v.visited_at is not None and v.arrival_status not in STOPPED]
        alive += images_of.get(d.uuid, [])
        ends[d.uuid] = max([d.start_at, *alive])
    return ends


def _camera_model(make: str, model: str) -> str:
    return "-".join(part for part in (make.strip(), model.strip()) if part)


def _tags(pairs: Iterable[tuple[str, Any]]) -> str:
    return " | ".join(f"{k}:{v}" for k, v in pairs if v not in (None, ""))


def build_package(data: CamtrapData, *, round_sensitive: bool = True,
                  precision: float = DEFAULT_PRECISION, now: datetime | None = None,
                  package_id: str | None = None) -> Package:
    """The descriptor and the rows of every table; nothing is written."""
    deployments = [d for d in data.deployments
                   if d.uuid and d.start_at is not None and d.location_uuid in data.locations]
    if not deployments:
        raise NothingToExport("deployments")
    exported = {d.uuid for d in deployments}
    visits = {v.uuid: v for v in data.visits if v.uuid}
    visits_of: dict[str, list[ServiceVisitValue]] = {}
    for v in data.visits:
        if v.deployment_uuid:
            visits_of.setdefault(v.deployment_uuid, []).append(v)
    image_times: dict[str, list[datetime]] = {}
    slack = timedelta(seconds=SETUP_WINDOW_S)
    for owner, image in data.images:
        v = visits.get(owner)
        if v is None or not v.deployment_uuid or image.taken_at is None:
            continue
        if v.visited_at is not None and image.taken_at > v.visited_at + slack:
            continue  # dated after the card left the camera: a wrong clock, not a sign of life
        image_times.setdefault(v.deployment_uuid, []).append(image.taken_at)
    ends = _deployment_ends(data, visits_of, image_times)
    index = _Deployments(deployments, ends)

    # --- coordinates (rounded where a tiger or a leopard was seen) --------------------------
    positions: dict[str, tuple[float, float, int | None]] = {}
    for uuid, loc in data.locations.items():
        assert loc.lat is not None and loc.lon is not None
        if round_sensitive and uuid in data.sensitive_locations:
            positions[uuid] = round_position(loc.lat, loc.lon, precision, loc.uncertainty_m)
        else:
            positions[uuid] = (round(loc.lat, 6), round(loc.lon, 6), loc.uncertainty_m)

    features = vocabulary("camera_features")
    habitats = vocabulary("habitats")

    def crew_names(visit: ServiceVisitValue | None) -> str:
        if visit is None:
            return ""
        return " | ".join(data.people.get(p, "") for p in visit.crew if data.people.get(p))

    dep_rows: list[dict[str, Any]] = []
    for d in deployments:
        assert d.uuid is not None
        loc = data.locations[d.location_uuid]
        cam = data.cameras.get(d.camera_uuid)
        lat, lon, uncertainty = positions[d.location_uuid]
        opening = visits.get(d.opened_by_visit or "")
        closing = visits.get(d.closed_by_visit or "")
        feature = features.get(loc.feature).extra.get("camtrapdp", "") if (
            loc.feature and loc.feature in features) else ""
        tags = [("feature", loc.feature if loc.feature and not feature else ""),
                ("running", "true" if d.end_at is None else "")]
        if closing is not None:
            tags += [("statusEnd", closing.arrival_status), ("batteryEnd", closing.battery_pct),
                     ("images", closing.image_count), ("cardOut", closing.sd_removed)]
        if opening is not None:
            tags += [("cardIn", opening.sd_inserted)]
        dep_rows.append({
            "deploymentID": d.uuid, "locationID": loc.code, "locationName": loc.name,
            "latitude": lat, "longitude": lon, "coordinateUncertainty": uncertainty,
            "deploymentStart": timestamp(d.start_at, loc.tz),
            "deploymentEnd": timestamp(ends[d.uuid], loc.tz),
            "setupBy": crew_names(opening), "cameraID": cam.serial if cam else "",
            "cameraModel": _camera_model(cam.make, cam.model) if cam else "",
            "cameraDelay": d.delay_s, "cameraHeight": d.height_m, "cameraDepth": None,
            "cameraTilt": d.tilt_deg, "cameraHeading": d.heading_deg,
            "detectionDistance": d.detection_distance_m, "timestampIssues": d.timestamp_issues,
            "baitUse": d.bait_use, "featureType": feature,
            "habitat": habitats.label(loc.habitat, "en") if loc.habitat else "",
            "deploymentGroups": _tags([("station", data.stations.get(loc.station_uuid or "")),
                                       ("country", loc.country)]),
            "deploymentTags": _tags(tags),
            "deploymentComments": "",
        })

    # --- media and event-level observations --------------------------------------------------
    media_rows: list[dict[str, Any]] = []
    files: list[tuple[str, str]] = []
    without_time = 0
    per_deployment: dict[str, list[tuple[PhotoValue, datetime]]] = {}
    dep_by_uuid = {d.uuid: d for d in deployments}
    outside: dict[str, int] = {}  # deployment -> images filed under it though dated outside
    outside_images: set[str] = set()
    for owner, image in data.images:
        v = visits.get(owner)
        if v is None or v.location_uuid not in data.locations:
            continue
        if image.taken_at is None:
            without_time += 1
            continue
        dep = index.containing(v.location_uuid or "", v.camera_uuid, image.taken_at, slack)
        misdated = dep is None
        dep = dep or v.deployment_uuid  # deploymentID is required: the visit's deployment
        if dep not in exported:
            without_time += 1
            continue
        assert dep is not None and image.uuid is not None
        loc = data.locations[v.location_uuid or ""]
        comment = ""
        if misdated:
            outside[dep] = outside.get(dep, 0) + 1
            outside_images.add(image.uuid)
            comment = OUTSIDE_NOTE.format(start=timestamp(dep_by_uuid[dep].start_at, loc.tz),
                                          end=timestamp(ends[dep], loc.tz))
        kind, _latin = classification(image.caption)
        public = kind == "animal" and not is_sensitive(image.caption)
        path = f"media/{image.sha256}{_EXT.get(image.mime, '.jpg')}"
        files.append((image.sha256, path))
        media_rows.append({
            "mediaID": image.uuid, "deploymentID": dep, "captureMethod": "activityDetection",
            "timestamp": timestamp(image.taken_at, loc.tz), "filePath": path,
            "filePublic": public, "fileName": image.filename.rsplit("/", 1)[-1],
            "fileMediatype": image.mime or "image/jpeg", "exifData": None, "favorite": None,
            "mediaComments": comment,
        })
        per_deployment.setdefault(dep, []).append((image, image.taken_at))

    obs_rows: list[dict[str, Any]] = []
    taxa: dict[str, str] = {}  # scientific name -> category code
    for dep_uuid, items in per_deployment.items():
        d = dep_by_uuid[dep_uuid]
        tz = data.locations[d.location_uuid].tz
        visit_times = [v.visited_at for v in (visits.get(d.opened_by_visit or ""),
                                              visits.get(d.closed_by_visit or ""))
                       if v is not None and v.visited_at is not None]
        for event in group_events(items, EVENT_GAP_S):
            first_image, start = event[0]
            end = event[-1][1]
            assert first_image.uuid is not None
            event_id = first_image.uuid
            setup = any(abs((t - start).total_seconds()) <= SETUP_WINDOW_S
                        or abs((t - end).total_seconds()) <= SETUP_WINDOW_S
                        for t in visit_times)
            codes = list(dict.fromkeys(
                image.caption.strip() for image, _t in event
                if classification(image.caption)[0] != "unclassified"))
            kinds = [(code, *classification(code)) for code in codes] or [
                ("", "unclassified", "")]
            misdated = any(image.uuid in outside_images for image, _t in event)
            for n, (code, kind, latin) in enumerate(kinds, start=1):
                if latin and code:
                    taxa.setdefault(latin, code)
                obs_rows.append({
                    "observationID": f"{event_id}-{n}", "deploymentID": dep_uuid,
                    "mediaID": None, "eventID": event_id,
                    "eventStart": timestamp(start, tz), "eventEnd": timestamp(end, tz),
                    "observationLevel": "event", "observationType": kind,
                    "cameraSetupType": "setup" if setup else None,
                    "scientificName": latin or None,
                    "classificationMethod": "human" if code else None,
                    "observationTags": f"category:{code}" if code else None,
                    "observationComments": OUTSIDE_EVENT_NOTE if misdated else None,
                })

    # --- service visits --------------------------------------------------------------------
    visit_rows: list[dict[str, Any]] = []
    for v in data.visits:
        if v.location_uuid not in data.locations:
            continue
        if v.deployment_uuid not in exported:
            continue
        loc = data.locations[v.location_uuid or ""]
        cam = data.cameras.get(v.camera_uuid or "")
        visit_rows.append({
            "visitID": v.uuid, "deploymentID": v.deployment_uuid,
            "openedDeploymentID": v.opened_deployment_uuid
            if v.opened_deployment_uuid in exported else None,
            "locationID": loc.code, "cameraID": cam.serial if cam else "",
            "visitType": v.visit_type, "visitTimestamp": timestamp(v.visited_at, loc.tz),
            "crew": crew_names(v), "arrivalStatus": v.arrival_status,
            "batteryPercent": v.battery_pct, "batteryType": v.battery_type or None,
            "batteriesReplaced": v.batteries_replaced, "sdCardRemoved": v.sd_removed,
            "sdCardInserted": v.sd_inserted, "imageCount": v.image_count,
            "firstImageTimestamp": timestamp(v.first_image_at, loc.tz),
            "lastImageTimestamp": timestamp(v.last_image_at, loc.tz),
            "clockOffsetSeconds": v.clock_offset_s, "clockReset": v.clock_reset,
            "cameraSettings": json.dumps(v.settings, sort_keys=True, ensure_ascii=False)
            if v.settings else None,
            "actions": "|".join(v.actions), "walkTest": v.walk_test,
            "theftNote": v.theft_note, "policeReport": v.police_report,
            "visitComments": v.notes,
        })

    for row in dep_rows:  # the media are filed, so the deployments they landed on are known
        n = outside.get(row["deploymentID"], 0)
        if n:
            row["timestampIssues"] = True
            row["deploymentComments"] = (
                f"{n} media file{'s' if n > 1 else ''} dated outside the deployment "
                "(camera clock suspect), kept here because the card came from it")

    descriptor = _descriptor(data, dep_rows, deployments, ends, taxa, now, package_id)
    return Package(
        descriptor=descriptor,
        tables={"deployments": dep_rows, "media": media_rows, "observations": obs_rows,
                "service-visits": visit_rows},
        files=files, running=sum(1 for d in deployments if d.end_at is None),
        without_time=without_time,
        rounded=len({d.location_uuid for d in deployments} & data.sensitive_locations)
        if round_sensitive else 0,
        outside=sum(outside.values()),
    )


def _taxon(latin: str, code: str) -> dict[str, Any]:
    term = vocabulary("observation_categories").get(code)
    chain = [t for t in vocabulary("observation_categories").ancestors(code) if t.latin]
    if chain:
        term = chain[-1]
    names = {"eng": term.label("en"), "rus": term.label("ru"), "zho": term.label("zh")}
    rank = "subspecies" if len(latin.split()) >= 3 else (
        "species" if len(latin.split()) == 2 else "genus")
    return {"scientificName": latin, "taxonRank": rank,
            "vernacularNames": {k: v for k, v in names.items() if v}}


def _descriptor(data: CamtrapData, dep_rows: list[dict[str, Any]],
                deployments: list[DeploymentValue], ends: dict[str, datetime],
                taxa: dict[str, str], now: datetime | None,
                package_id: str | None) -> dict[str, Any]:
    lats = [float(r["latitude"]) for r in dep_rows]
    lons = [float(r["longitude"]) for r in dep_rows]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    if north - south < 1e-6:
        south, north = south - 0.0005, north + 0.0005
    if east - west < 1e-6:
        west, east = west - 0.0005, east + 0.0005
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]

    def local_date(d: DeploymentValue, when: datetime) -> str:
        return when.astimezone(ZoneInfo(data.locations[d.location_uuid].tz)).date().isoformat()

    starts = [local_date(d, d.start_at) for d in deployments if d.start_at is not None]
    finish = [local_date(d, ends[d.uuid]) for d in deployments if d.uuid]
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    used = sorted({s for d in deployments
                   if (s := data.locations[d.location_uuid].station_uuid)})
    if len(used) > 1:  # several stations: the package is the park's
        station = park_name(data.settings)
        name = _safe_name(f"ranger-field-log-camera-traps-{station}")
        title = f"Camera traps: {station}, {min(starts)} to {max(finish)}"
        contributors = [{"title": station, "role": "rightsHolder"}] + [
            {"title": data.station_names.get(s) or data.stations.get(s) or s,
             "role": "contributor"} for s in used]
    else:
        station = data.station_name or data.station_code or "Ranger Field Log"
        name = _safe_name(f"ranger-field-log-camera-traps-{data.station_code}")
        title = f"Camera traps: {station}"
        contributors = [{"title": station, "role": "rightsHolder"}]
    resources: list[dict[str, Any]] = [
        {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource",
         "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
         "schema": SCHEMA_URLS[name]}
        for name in ("deployments", "media", "observations")
    ]
    resources.append({
        "name": "service-visits", "path": "service-visits.csv",
        "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": "Custom table, not part of the Camtrap DP model: the service visits to "
                       "each camera, keyed by deploymentID.",
        "schema": service_visit_schema(),
    })
    return {
        "resources": resources,
        "profile": PROFILE_URL,
        "name": name,
        "id": package_id or new_id(),
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": title,
        "description": "Camera-trap deployments, images and service visits exported by Ranger "
                       "Field Log. Locations where Amur tigers or leopards were detected have "
                       "rounded coordinates (see coordinateUncertainty). Deployments tagged "
                       "running:true were still running at export; they end at the last time "
                       "the camera was known to be working. Media dated outside every "
                       "deployment of their camera stay with the deployment their memory "
                       "card came from, which is marked timestampIssues; mediaComments "
                       "says so.",
        "contributors": contributors,
        "licenses": package_licenses(data.settings),
        "version": "1.0",
        "project": {
            "title": f"Amur tiger and leopard camera trapping: {station}",
            "samplingDesign": "targeted",
            "captureMethod": ["activityDetection"],
            "individualAnimals": False,
            "observationLevel": ["event"],
        },
        "spatial": {"type": "Polygon", "coordinates": [ring]},
        "temporal": {"start": min(starts), "end": max(finish)},
        "taxonomic": [_taxon(latin, code) for latin, code in sorted(taxa.items())],
    }


# --- writing ----------------------------------------------------------------------------------

def _write_csv(path: Path, fields: Sequence[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in fields])
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_blob(source: Path, target: Path) -> None:
    """A hard link when the media folder is on the same disk, else a copy (fsynced)."""
    try:
        os.link(source, target)
        return
    except OSError:
        pass
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def _check_target(outdir: Path) -> None:
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise OutputNotEmpty(str(outdir))


def export_camtrapdp(db: Database, outdir: Path | str, *, round_sensitive: bool = True,
                     precision: float = DEFAULT_PRECISION,
                     progress: Progress | None = None, cancel: Cancel | None = None,
                     now: datetime | None = None) -> ExportSummary:
    """Write the package into `outdir` (new or empty); returns what it holds."""
    outdir = Path(outdir)
    _check_target(outdir)
    package = build_package(camtrap_data(db), round_sensitive=round_sensitive,
                            precision=precision, now=now)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.part-", dir=outdir.parent))
    try:
        unique = dict.fromkeys(package.files)
        total = len(unique) + 1
        if unique:
            (tmp / "media").mkdir()
        for done, (sha, rel) in enumerate(unique, start=1):
            if cancel is not None and cancel():
                shutil.rmtree(tmp, ignore_errors=True)
                return _summary(outdir, package, cancelled=True)
            _copy_blob(db.media.path_for(sha), tmp / rel)
            if progress is not None:
                progress(done, total)
        if unique:
            _fsync_dir(tmp / "media")
        fields = {"deployments": DEPLOYMENT_FIELDS, "media": MEDIA_FIELDS,
                  "observations": OBSERVATION_FIELDS, "service-visits": SERVICE_VISIT_FIELDS}
        for name, rows in package.tables.items():
            _write_csv(tmp / f"{name}.csv", fields[name], rows)
        with (tmp / "datapackage.json").open("w", encoding="utf-8") as fh:
            json.dump(package.descriptor, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        os.chmod(tmp, 0o755)
        _check_target(outdir)  # nothing appeared there meanwhile
        if outdir.exists():
            outdir.rmdir()
        os.replace(tmp, outdir)
        _fsync_dir(outdir.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if progress is not None:
        progress(total, total)
    return _summary(outdir, package)


def _summary(outdir: Path, package: Package, cancelled: bool = False) -> ExportSummary:
    return ExportSummary(
        path=str(outdir), deployments=len(package.tables["deployments"]),
        running_deployments=package.running, media=len(package.tables["media"]),
        media_without_time=package.without_time,
        observations=len(package.tables["observations"]),
        service_visits=len(package.tables["service-visits"]),
        rounded_locations=package.rounded, cancelled=cancelled,
        media_outside_deployment=package.outside)


def run_export_camtrapdp(db: Database, outdir: Path | str) -> dict[str, Any]:
    """For the `export-camtrapdp OUTDIR` command: export, and return a JSON-able summary."""
    return export_camtrapdp(db, outdir).as_dict()
