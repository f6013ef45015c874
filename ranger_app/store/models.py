"""SQLAlchemy 2 typed models of every record type (design section 3).

Every synced table carries the sync columns of `Synced`; the change log row for each insert
or update is written by `store.changes` in the same flush. Codes from the vocabularies are
stored as plain strings; labels never reach the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ranger_app.store.types import UtcDateTime

UUID = String(36)


class Base(DeclarativeBase):
    pass


class Synced:
    """Columns every synced row carries; rows are never hard-deleted (`deleted` tombstone)."""

    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    rev: Mapped[int] = mapped_column(Integer, default=0)
    hlc: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(36), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(36), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


# Columns that describe the row's history rather than its content.
BOOKKEEPING = frozenset(
    {"rev", "hlc", "created_at", "created_by", "updated_at", "updated_by"}
)


# --- reference data -------------------------------------------------------------------------

class Station(Synced, Base):
    __tablename__ = "station"
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="RU")
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Vladivostok")
    is_hq: Mapped[bool] = mapped_column(Boolean, default=False)


class Person(Synced, Base):
    __tablename__ = "person"
    name: Mapped[str] = mapped_column(String(200))
    station_uuid: Mapped[str | None] = mapped_column(ForeignKey("station.uuid"))
    roles: Mapped[str] = mapped_column(String(200), default="RANGER")  # pipe list of codes
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserAccount(Synced, Base):
    __tablename__ = "user_account"
    login: Mapped[str] = mapped_column(String(100), unique=True)
    person_uuid: Mapped[str] = mapped_column(ForeignKey("person.uuid"))
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    pin_hash: Mapped[str] = mapped_column(String(300), default="")


# --- patrols --------------------------------------------------------------------------------

class Patrol(Synced, Base):
    __tablename__ = "patrol"
    number: Mapped[str] = mapped_column(String(40), default="")
    station_uuid: Mapped[str | None] = mapped_column(ForeignKey("station.uuid"))
    patrol_type: Mapped[str] = mapped_column(String(40), default="GROUND")
    mandate: Mapped[str] = mapped_column(String(40), default="ANTI_POACHING")
    armed: Mapped[bool] = mapped_column(Boolean, default=False)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Vladivostok")
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_lang: Mapped[str] = mapped_column(String(8), default="")
    status: Mapped[str] = mapped_column(String(16), default="DRAFT")
    # Denormalised figures kept current on save: the list sorts and filters on them.
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    observation_count: Mapped[int] = mapped_column(Integer, default=0)
    leader_name: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        Index("ix_patrol_start", "start_at", "uuid"),
        Index("ix_patrol_station_start", "station_uuid", "start_at"),
        Index("ix_patrol_status_start", "status", "start_at"),
    )


class PatrolLeg(Synced, Base):
    __tablename__ = "patrol_leg"
    patrol_uuid: Mapped[str] = mapped_column(ForeignKey("patrol.uuid"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer, default=1)
    transport: Mapped[str] = mapped_column(String(40), default="FOOT")
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LegMember(Synced, Base):
    __tablename__ = "leg_member"
    leg_uuid: Mapped[str] = mapped_column(ForeignKey("patrol_leg.uuid"), index=True)
    person_uuid: Mapped[str] = mapped_column(ForeignKey("person.uuid"))
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)


class Track(Synced, Base):
    __tablename__ = "track"
    patrol_uuid: Mapped[str] = mapped_column(ForeignKey("patrol.uuid"), index=True)
    leg_uuid: Mapped[str | None] = mapped_column(ForeignKey("patrol_leg.uuid"))
    name: Mapped[str] = mapped_column(String(200), default="")
    points: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # domain.track.pack_points
    point_count: Mapped[int] = mapped_column(Integer, default=0)
    flagged_count: Mapped[int] = mapped_column(Integer, default=0)
    length_m: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    moving_s: Mapped[float | None] = mapped_column(Float)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    # "track": where the patrol went; "route": a planned route (GPX <rte>), never effort
    kind: Mapped[str] = mapped_column(String(8), default="track", server_default="track")


class Observation(Synced, Base):
    __tablename__ = "observation"
    patrol_uuid: Mapped[str] = mapped_column(ForeignKey("patrol.uuid"), index=True)
    leg_uuid: Mapped[str | None] = mapped_column(ForeignKey("patrol_leg.uuid"))
    observed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    ele: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(60), default="UNCLASSIFIED")
    attributes: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    count: Mapped[int] = mapped_column(Integer, default=1)
    observer_uuid: Mapped[str | None] = mapped_column(ForeignKey("person.uuid"))
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_lang: Mapped[str] = mapped_column(String(8), default="")
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | waypoint
    waypoint_name: Mapped[str] = mapped_column(String(200), default="")


class Attachment(Synced, Base):
    """A file kept content-addressed in the media folder (`store.media`)."""

    __tablename__ = "attachment"
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo | gpx | document
    owner_entity: Mapped[str] = mapped_column(String(40))
    owner_uuid: Mapped[str] = mapped_column(String(36), index=True)
    filename: Mapped[str] = mapped_column(String(300), default="")
    mime: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(Text, default="")


class PatrolReview(Synced, Base):
    """One review action (submit, return, approve, amend) on a patrol revision."""

    __tablename__ = "patrol_review"
    patrol_uuid: Mapped[str] = mapped_column(ForeignKey("patrol.uuid"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    patrol_rev: Mapped[int] = mapped_column(Integer)
    by_person: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")


# --- fire reports ---------------------------------------------------------------------------

class FireReport(Synced, Base):
    __tablename__ = "fire_report"
    number: Mapped[str] = mapped_column(String(40), default="")
    official_number: Mapped[str] = mapped_column(String(40), default="")
    station_uuid: Mapped[str | None] = mapped_column(ForeignKey("station.uuid"))
    report_kind: Mapped[str] = mapped_column(String(16), default="INITIAL")
    detected_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    start_est_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Vladivostok")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    locality: Mapped[str] = mapped_column(String(300), default="")
    forest_district: Mapped[str] = mapped_column(String(200), default="")
    quarter: Mapped[str] = mapped_column(String(40), default="")
    land_category: Mapped[str] = mapped_column(String(40), default="")
    fire_type: Mapped[str] = mapped_column(String(40), default="")
    intensity: Mapped[str] = mapped_column(String(16), default="")
    cause: Mapped[str] = mapped_column(String(40), default="UNKNOWN")
    detection_source: Mapped[str] = mapped_column(String(40), default="")
    detected_by: Mapped[str] = mapped_column(String(200), default="")
    fire_status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    area_total_ha: Mapped[float | None] = mapped_column(Float)
    area_forest_ha: Mapped[float | None] = mapped_column(Float)
    area_nonforest_ha: Mapped[float | None] = mapped_column(Float)
    area_at_detection_ha: Mapped[float | None] = mapped_column(Float)
    people: Mapped[int | None] = mapped_column(Integer)
    vehicles: Mapped[int | None] = mapped_column(Integer)
    aircraft: Mapped[int | None] = mapped_column(Integer)
    pumps: Mapped[int | None] = mapped_column(Integer)
    wind_ms: Mapped[float | None] = mapped_column(Float)
    wind_dir_deg: Mapped[int | None] = mapped_column(Integer)
    temp_c: Mapped[float | None] = mapped_column(Float)
    humidity_pct: Mapped[float | None] = mapped_column(Float)
    fuel_type: Mapped[str] = mapped_column(String(40), default="")
    wildlife_threat_note: Mapped[str] = mapped_column(Text, default="")
    perimeter: Mapped[str] = mapped_column(Text, default="")  # JSON [[lat, lon], ...]
    perimeter_area_ha: Mapped[float | None] = mapped_column(Float)
    patrol_uuid: Mapped[str | None] = mapped_column(ForeignKey("patrol.uuid"))
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_lang: Mapped[str] = mapped_column(String(8), default="")


class FireStatusStep(Synced, Base):
    __tablename__ = "fire_status_step"
    fire_uuid: Mapped[str] = mapped_column(ForeignKey("fire_report.uuid"), index=True)
    fire_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    area_ha: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")


class FirmsHotspot(Synced, Base):
    """A NASA FIRMS satellite hotspot, kept verbatim, matched to a fire report or not."""

    __tablename__ = "firms_hotspot"
    instrument: Mapped[str] = mapped_column(String(16))  # MODIS | VIIRS
    satellite: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    acquired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    confidence: Mapped[str] = mapped_column(String(16), default="")
    frp_mw: Mapped[float | None] = mapped_column(Float)
    brightness_k: Mapped[float | None] = mapped_column(Float)
    daynight: Mapped[str] = mapped_column(String(1), default="")
    source_file: Mapped[str] = mapped_column(String(300), default="")
    raw: Mapped[str] = mapped_column(Text, default="")  # the CSV row as JSON
    matched_fire_uuid: Mapped[str | None] = mapped_column(ForeignKey("fire_report.uuid"))
    checked: Mapped[bool] = mapped_column(Boolean, default=False)


# --- ungulate winter feeding ----------------------------------------------------------------

class FeedingSite(Synced, Base):
    __tablename__ = "feeding_site"
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), default="")
    site_type: Mapped[str] = mapped_column(String(40), default="FEEDER_HAY")
    station_uuid: Mapped[str | None] = mapped_column(ForeignKey("station.uuid"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)
    target_species: Mapped[str] = mapped_column(String(200), default="")  # pipe list
    condition: Mapped[str] = mapped_column(String(40), default="GOOD")
    camera_location_uuid: Mapped[str | None] = mapped_column(ForeignKey("camera_location.uuid"))
    notes: Mapped[str] = mapped_column(Text, default="")
    forest_district: Mapped[str] = mapped_column(String(200), default="", server_default="")
    quarter: Mapped[str] = mapped_column(String(40), default="", server_default="")


class FeedingVisit(Synced, Base):
    __tablename__ = "feeding_visit"
    site_uuid: Mapped[str] = mapped_column(ForeignKey("feeding_site.uuid"), index=True)
    visited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Vladivostok")
    crew: Mapped[str] = mapped_column(String(400), default="")  # pipe list of person uuids
    transport: Mapped[str] = mapped_column(String(40), default="FOOT")
    remaining_pct: Mapped[int | None] = mapped_column(Integer)
    snow_depth_cm: Mapped[int | None] = mapped_column(Integer)
    temp_c: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_lang: Mapped[str] = mapped_column(String(8), default="")


class FeedItem(Synced, Base):
    __tablename__ = "feed_item"
    visit_uuid: Mapped[str] = mapped_column(ForeignKey("feeding_visit.uuid"), index=True)
    feed_type: Mapped[str] = mapped_column(String(40))
    kg: Mapped[float] = mapped_column(Float)


class UngulateSign(Synced, Base):
    __tablename__ = "ungulate_sign"
    visit_uuid: Mapped[str] = mapped_column(ForeignKey("feeding_visit.uuid"), index=True)
    species: Mapped[str] = mapped_column(String(16))
    sign_type: Mapped[str] = mapped_column(String(16))
    count: Mapped[int | None] = mapped_column(Integer)
    freshness: Mapped[str] = mapped_column(String(16), default="")


class PredatorSign(Synced, Base):
    __tablename__ = "predator_sign"
    visit_uuid: Mapped[str] = mapped_column(ForeignKey("feeding_visit.uuid"), index=True)
    species: Mapped[str] = mapped_column(String(16))
    sign_type: Mapped[str] = mapped_column(String(16))
    distance_m: Mapped[float | None] = mapped_column(Float)
    pad_width_cm: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    prey_species: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")


# --- camera traps ---------------------------------------------------------------------------

class CameraLocation(Synced, Base):
    __tablename__ = "camera_location"
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), default="")
    station_uuid: Mapped[str | None] = mapped_column(ForeignKey("station.uuid"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    uncertainty_m: Mapped[int | None] = mapped_column(Integer)
    habitat: Mapped[str] = mapped_column(String(40), default="")
    feature: Mapped[str] = mapped_column(String(40), default="")
    country: Mapped[str] = mapped_column(String(2), default="RU")
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Vladivostok")
    visit_interval_days: Mapped[int] = mapped_column(Integer, default=30)


class Camera(Synced, Base):
    __tablename__ = "camera"
    serial: Mapped[str] = mapped_column(String(80))
    make: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(16), default="IN_STOCK")
    station_uuid: Mapped[str | None] = mapped_column(ForeignKey("station.uuid"))
    year_purchased: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")


class Deployment(Synced, Base):
    __tablename__ = "deployment"
    location_uuid: Mapped[str] = mapped_column(ForeignKey("camera_location.uuid"), index=True)
    camera_uuid: Mapped[str] = mapped_column(ForeignKey("camera.uuid"), index=True)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opened_by_visit: Mapped[str | None] = mapped_column(String(36))
    closed_by_visit: Mapped[str | None] = mapped_column(String(36))
    bait_use: Mapped[bool] = mapped_column(Boolean, default=False)
    height_m: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[int | None] = mapped_column(Integer)
    tilt_deg: Mapped[int | None] = mapped_column(Integer)
    detection_distance_m: Mapped[float | None] = mapped_column(Float)
    delay_s: Mapped[int | None] = mapped_column(Integer)
    timestamp_issues: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceVisit(Synced, Base):
    __tablename__ = "service_visit"
    location_uuid: Mapped[str] = mapped_column(ForeignKey("camera_location.uuid"), index=True)
    camera_uuid: Mapped[str | None] = mapped_column(ForeignKey("camera.uuid"))
    deployment_uuid: Mapped[str | None] = mapped_column(ForeignKey("deployment.uuid"))
    visit_type: Mapped[str] = mapped_column(String(16), default="SERVICE")
    visited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Vladivostok")
    crew: Mapped[str] = mapped_column(String(400), default="")
    arrival_status: Mapped[str] = mapped_column(String(32), default="ACTIVE")
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    battery_type: Mapped[str] = mapped_column(String(16), default="")
    batteries_replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    sd_removed: Mapped[str] = mapped_column(String(40), default="")
    sd_inserted: Mapped[str] = mapped_column(String(40), default="")
    image_count: Mapped[int | None] = mapped_column(Integer)
    first_image_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_image_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clock_offset_s: Mapped[int | None] = mapped_column(Integer)
    clock_reset: Mapped[bool] = mapped_column(Boolean, default=False)
    settings_json: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(String(300), default="")  # pipe list of codes
    walk_test: Mapped[bool] = mapped_column(Boolean, default=False)
    theft_note: Mapped[str] = mapped_column(Text, default="")
    police_report: Mapped[str] = mapped_column(String(80), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_lang: Mapped[str] = mapped_column(String(8), default="")


# --- SMART interoperability (issue 12) -----------------------------------------------------

class SmartMapping(Synced, Base):
    """One edited row of the park's mapping from our codes to SMART keys (`io.smart.mapping`).

    Reference data written at HQ; the uuid is derived from (kind, our_code), so the same row
    edited on two installations is one record that merges, not two that compete. An empty
    `smart_key` marks a code as deliberately unmapped (export refuses it).
    """

    __tablename__ = "smart_mapping"
    kind: Mapped[str] = mapped_column(String(16))
    our_code: Mapped[str] = mapped_column(String(120))
    smart_key: Mapped[str] = mapped_column(String(300), default="")


# --- the change log and this installation ---------------------------------------------------

class Change(Base):
    """One append-only row per change of a synced record; hash-chained per device and epoch."""

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device: Mapped[str] = mapped_column(String(36))
    epoch: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    hlc: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(40))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(8))  # insert | update | delete
    base_rev: Mapped[int] = mapped_column(Integer)
    new_rev: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON of the row after the change
    user: Mapped[str] = mapped_column(String(36), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("device", "epoch", "seq", name="uq_change_device_epoch_seq"),
        Index("ix_change_entity", "entity", "entity_uuid"),
    )


class Meta(Base):
    """This installation's facts: device id, epoch, station, schema notes."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


SYNCED_MODELS: dict[str, type[Synced]] = {
    m.__tablename__: m  # type: ignore[attr-defined]
    for m in (
        Station, Person, UserAccount, Patrol, PatrolLeg, LegMember, Track, Observation,
        Attachment, PatrolReview, FireReport, FireStatusStep, FirmsHotspot, FeedingSite,
        FeedingVisit,
        FeedItem, UngulateSign, PredatorSign, CameraLocation, Camera, Deployment, ServiceVisit,
        SmartMapping,
    )
}


class Basemap(Synced, Base):
    """A registered basemap archive (MBTiles / PMTiles); its bytes are a media blob.

    HQ adds one once; like a photo, the file travels in bundles as the blob `sha256` names.
    """

    __tablename__ = "basemap"
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # mbtiles | pmtiles
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)  # 2 GB overflows an INTEGER
    tile_format: Mapped[str] = mapped_column(String(8), default="")  # png | jpg | webp
    min_zoom: Mapped[int] = mapped_column(Integer, default=0)
    max_zoom: Mapped[int] = mapped_column(Integer, default=0)
    west: Mapped[float] = mapped_column(Float, default=-180.0)
    south: Mapped[float] = mapped_column(Float, default=-85.0)
    east: Mapped[float] = mapped_column(Float, default=180.0)
    north: Mapped[float] = mapped_column(Float, default=85.0)


SYNCED_MODELS["basemap"] = Basemap


class MapLayer(Synced, Base):
    """A registered vector layer (park boundary, border, quarters...): its features, already
    in WGS84, are one media blob (domain.layers.encode_features), so the row stays small and
    the features travel in bundles like a photo. `style` is JSON (domain.layers)."""

    __tablename__ = "map_layer"
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # a code of resources/vocab/layer_kinds.csv
    style: Mapped[str] = mapped_column(Text, default="{}")
    feature_count: Mapped[int] = mapped_column(Integer, default=0)
    west: Mapped[float] = mapped_column(Float, default=0.0)
    south: Mapped[float] = mapped_column(Float, default=0.0)
    east: Mapped[float] = mapped_column(Float, default=0.0)
    north: Mapped[float] = mapped_column(Float, default=0.0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    source_name: Mapped[str] = mapped_column(String(260), default="")  # the file it came from


SYNCED_MODELS["map_layer"] = MapLayer

# Which field of a synced row names a media blob: the bundle writer packs those blobs, the
# importer waits for them, retention and the workspace keep them.
BLOB_FIELDS: dict[str, str] = {
    "attachment": "sha256", "track": "source_sha256", "basemap": "sha256",
    "map_layer": "sha256",
}

class LocalDraft(Base):
    """Unsaved editor state, written every few seconds; local only, never synced."""

    __tablename__ = "local_draft"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # entity:uuid-or-new-id
    entity: Mapped[str] = mapped_column(String(40))
    record_uuid: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)  # JSON
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)


# The sync layer's local tables share this Base (and the Alembic history).
from ranger_app.store import sync_tables  # noqa: E402,F401
