"""Our patrols as SMART 1.4 patrol XML documents, one file per patrol.

Every code a document needs is looked up in the park's mapping first, for every patrol of
the export: one unmapped code refuses the whole export (`UnmappedCodes`, with the list) and
nothing is written, rather than SMART receiving a wrong key. Each file is written with lxml
to `.part`, fsynced and renamed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from lxml import etree

from ranger_app.domain.errors import CannotWrite, MissingValue
from ranger_app.domain.records import LegValue, ObservationValue, PatrolValue
from ranger_app.domain.track import (
    TimeWindow,
    TrackPoint,
    assign_to_window,
    track_stats,
    unpack_points,
)
from ranger_app.domain.vocab import attributes_for
from ranger_app.io.smart import NS
from ranger_app.io.smart.days import LegDay, assign_points, split_days
from ranger_app.io.smart.errors import UnmappedCodes
from ranger_app.io.smart.mapping import COUNT_ATTRIBUTE, SmartMapping, unmapped
from ranger_app.io.smart.wkb import encode_track

EXTRA_TYPE = "rangerfieldlog"  # our extraData: the patrol's uuid and time zone
ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


class ExportCancelled(Exception):
    """The user cancelled; nothing was left in the folder."""


@dataclass(frozen=True)
class Context:
    """What a document needs beyond the patrol: names, the station, the mapping."""

    mapping: SmartMapping
    names: dict[str, str]  # person uuid → name
    station_names: dict[str, str]  # station uuid → name
    language: str = "en"


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


# --- which codes a patrol needs ------------------------------------------------------------

def _attribute_kind(category: str, key: str) -> str | None:
    for spec in attributes_for(category):
        if spec.key == key:
            return spec.kind
    return None


def needed_codes(patrol: PatrolValue) -> list[tuple[str, str]]:
    """Every (kind, code) the patrol's document would carry."""
    codes = [("patrol_type", patrol.patrol_type), ("mandate", patrol.mandate)]
    codes += [("transport", leg.transport) for leg in patrol.legs]
    for obs in patrol.observations:
        codes.append(("category", obs.category))
        if obs.count != 1:
            codes.append(("attribute", COUNT_ATTRIBUTE))
        for key, value in obs.attributes.items():
            if value is None or value == "":
                continue
            codes.append(("attribute", key))
            if _attribute_kind(obs.category, key) == "choice":
                for item in value if isinstance(value, list) else [value]:
                    codes.append(("list_item", f"{key}.{item}"))
    return codes


def check_mapped(patrols: Iterable[PatrolValue], mapping: SmartMapping) -> None:
    missing = unmapped(mapping, (c for p in patrols for c in needed_codes(p)))
    if missing:
        raise UnmappedCodes(missing)


# --- the document --------------------------------------------------------------------------

def _b(v: bool) -> str:
    return "true" if v else "false"


def _num(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else f"{float(v):.1f}"


def _split_name(name: str) -> tuple[str, str]:
    given, _sep, family = name.strip().partition(" ")
    return given, family.strip()


def _member(tag: str, person_uuid: str, ctx: Context, leader: bool) -> etree._Element:
    given, family = _split_name(ctx.names.get(person_uuid, ""))
    return etree.Element(_q(tag), givenName=given, familyName=family, employeeId=person_uuid,
                         isPilot="false", isLeader=_b(leader))


def _label(tag: str, value: str, ctx: Context) -> etree._Element:
    return etree.Element(_q(tag), languageCode=ctx.language, value=value)


def _leg_interval(leg: LegValue, patrol: PatrolValue) -> tuple[datetime, datetime]:
    start = leg.start_at or patrol.start_at
    end = leg.end_at or patrol.end_at or start
    if start is None or end is None:
        raise MissingValue("start_at")
    return start, end


def _leg_of(times: list[datetime | None], legs: Sequence[LegValue], patrol: PatrolValue,
            leg_uuid: str | None) -> int:
    for i, leg in enumerate(legs):
        if leg_uuid and leg.uuid == leg_uuid:
            return i
    windows = [TimeWindow(str(i), *_leg_interval(leg, patrol)) for i, leg in enumerate(legs)]
    key = assign_to_window(times, windows)
    return int(key) if key is not None else 0


def _day_index(days: Sequence[LegDay], when: datetime | None, tz: ZoneInfo) -> int:
    if when is None:
        return 0
    d = when.astimezone(tz).date()
    for i, day in enumerate(days):
        if day.day == d:
            return i
    return 0 if d < days[0].day else len(days) - 1


def _observation(obs: ObservationValue, ctx: Context) -> etree._Element:
    m = ctx.mapping
    el = etree.Element(_q("observations"), categoryKey=m.smart_key("category", obs.category) or "")
    values: list[tuple[str, Any]] = sorted(obs.attributes.items())
    if obs.count != 1:
        values.append((COUNT_ATTRIBUTE, obs.count))
    for key, value in values:
        if value is None or value == "":
            continue
        att = etree.SubElement(el, _q("attributes"),
                               attributeKey=m.smart_key("attribute", key) or "")
        kind = _attribute_kind(obs.category, key)
        if kind == "choice":
            for item in value if isinstance(value, list) else [value]:
                etree.SubElement(att, _q("itemKey")).text = m.smart_key(
                    "list_item", f"{key}.{item}")
        elif isinstance(value, bool):
            etree.SubElement(att, _q("bValue")).text = _b(value)
        elif isinstance(value, int | float):
            etree.SubElement(att, _q("dValue")).text = _num(value)
        else:
            etree.SubElement(att, _q("sValue")).text = str(value)
    for photo in obs.photos:
        etree.SubElement(el, _q("attachments"), filename=photo.filename or photo.sha256)
    if obs.observer_uuid:
        el.append(_member("observer", obs.observer_uuid, ctx, False))
    return el


def _waypoint(n: int, obs: ObservationValue, day: LegDay, tz: ZoneInfo,
              ctx: Context) -> etree._Element:
    when = obs.observed_at.astimezone(tz) if obs.observed_at else day.start
    attrs = {"id": obs.waypoint_name or str(n)}
    if obs.lon is not None and obs.lat is not None:
        attrs.update(x=repr(obs.lon), y=repr(obs.lat))
    attrs["time"] = when.strftime("%H:%M:%S")
    wp = etree.Element(_q("waypoints"), attrs)
    if obs.notes:
        etree.SubElement(wp, _q("comment")).text = obs.notes
    group = etree.SubElement(wp, _q("groups"))
    group.append(_observation(obs, ctx))
    return wp


def write_patrol_xml(fh: IO[bytes], patrol: PatrolValue, ctx: Context) -> None:
    """One patrol as a SMART 1.4 document written to `fh` (codes must be mapped).

    Built as one tree, not streamed with `xmlfile`: subtrees written into an `xmlfile`
    each repeat the namespace declaration, and one patrol's tree is small (a 10,000-point
    track is about 0.5 MB of hex)."""
    tz = ZoneInfo(patrol.tz)
    m = ctx.mapping
    legs = patrol.legs or [LegValue(start_at=patrol.start_at, end_at=patrol.end_at)]
    intervals = [_leg_interval(leg, patrol) for leg in legs]
    leg_days = [split_days(s, e, tz) for s, e in intervals]
    points: list[list[TrackPoint]] = [[] for _ in legs]
    for t in patrol.tracks:
        if t.is_route:
            continue  # a planned route is not where the patrol went; SMART has no plans
        pts = unpack_points(t.points)
        points[_leg_of([p.time for p in pts], legs, patrol, t.leg_uuid)].extend(pts)
    for i, pts in enumerate(points):
        pts.sort(key=lambda p: (p.time is None, p.time))
        assign_points(leg_days[i], pts, tz)
    waypoints: list[list[list[ObservationValue]]] = [[[] for _ in d] for d in leg_days]
    for obs in patrol.observations:
        i = _leg_of([obs.observed_at], legs, patrol, obs.leg_uuid)
        waypoints[i][_day_index(leg_days[i], obs.observed_at, tz)].append(obs)

    start = patrol.start_at.astimezone(tz) if patrol.start_at else intervals[0][0].astimezone(tz)
    end = (patrol.end_at or intervals[-1][1]).astimezone(tz)
    root = etree.Element(_q("patrol"), nsmap={None: NS}, attrib={
        "patrolType": m.smart_key("patrol_type", patrol.patrol_type) or "GROUND",
        "startDate": start.date().isoformat(), "endDate": end.date().isoformat(),
        "isArmed": _b(patrol.armed), "id": patrol.number or (patrol.uuid or "")})
    station = ctx.station_names.get(patrol.station_uuid or "")
    if station:
        root.append(_label("station", station, ctx))
    n = 0
    for i, leg in enumerate(legs):
        s, e = intervals[i]
        leg_el = etree.SubElement(root, _q("legs"), id=str(i + 1),
                                  startDate=s.astimezone(tz).date().isoformat(),
                                  endDate=e.astimezone(tz).date().isoformat())
        leg_el.append(_label("transportType", m.smart_key("transport", leg.transport) or "",
                             ctx))
        for member in leg.members:
            leg_el.append(_member("members", member.person_uuid, ctx, member.is_leader))
        for k, day in enumerate(leg_days[i]):
            stats = track_stats(day.points) if len(day.points) > 1 else None
            rest = stats.rest_s / 60 if stats and stats.rest_s is not None else 0.0
            day_el = etree.SubElement(leg_el, _q("days"), date=day.day.isoformat(),
                                      startTime=day.start.strftime("%H:%M:%S"),
                                      endTime=_end_time(day), restMinutes=_num(round(rest, 1)))
            for obs in waypoints[i][k]:
                n += 1
                day_el.append(_waypoint(n, obs, day, tz, ctx))
            if day.points:
                etree.SubElement(day_el, _q("track"), geom=encode_track(day.points),
                                 distance=repr((stats.length_m if stats else 0.0) / 1000))
        leg_el.append(_label("mandate", m.smart_key("mandate", patrol.mandate) or "", ctx))
    if patrol.notes:
        etree.SubElement(root, _q("comment")).text = patrol.notes
    extra = etree.SubElement(root, _q("extraData"), type=EXTRA_TYPE)
    etree.SubElement(extra, _q("stringKey"), key="uuid", value=patrol.uuid or "")
    etree.SubElement(extra, _q("stringKey"), key="timeZone", value=patrol.tz)
    for key, when in (("startAt", patrol.start_at), ("endAt", patrol.end_at)):
        if when is not None:
            etree.SubElement(extra, _q("stringKey"), key=key, value=when.isoformat())
    etree.ElementTree(root).write(fh, xml_declaration=True, encoding="UTF-8")


def _end_time(day: LegDay) -> str:
    """A day that ends at the next midnight ends at 23:59:59 (xs:time has no 24:00 that
    every reader accepts)."""
    if day.end.date() != day.day:
        return "23:59:59"
    return day.end.strftime("%H:%M:%S")


# --- to files ------------------------------------------------------------------------------

def file_name(patrol: PatrolValue) -> str:
    return f"patrol-{patrol.uuid}.xml"


def write_files(patrols: Sequence[PatrolValue], outdir: Path, ctx: Context,
                progress: ProgressCallback | None = None,
                cancel: CancelCallback | None = None) -> list[Path]:
    """Every patrol to `outdir/<file_name>`; all codes checked first, then each file via
    `.part`; a failure or Cancel removes what this call wrote."""
    check_mapped(patrols, ctx.mapping)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotWrite(str(outdir), exc.strerror or str(exc)) from None
    if not outdir.is_dir():
        raise CannotWrite(str(outdir), "not a folder")
    written: list[Path] = []
    try:
        for i, patrol in enumerate(patrols):
            if cancel is not None and cancel():
                raise ExportCancelled()
            final = outdir / file_name(patrol)
            tmp = final.with_name(final.name + ".part")
            with tmp.open("wb") as fh:
                write_patrol_xml(fh, patrol, ctx)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(final)
            written.append(final)
            if progress is not None:
                progress(i + 1, len(patrols))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        for part in outdir.glob("*.xml.part"):
            part.unlink(missing_ok=True)
        raise
    return written


# --- the service the CLI and the window call -----------------------------------------------

@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    patrols: int
    observations: int
    track_points: int


def export_smart(db: Any, patrol_ids: Sequence[str] | None, outdir: Path,
                 mapping_csv: Path | None = None, language: str = "en",
                 progress: ProgressCallback | None = None,
                 cancel: CancelCallback | None = None) -> ExportResult:
    """`export-smart`: the given patrols (every live one for None) into `outdir`."""
    from ranger_app.io.smart.mapping import park_mapping
    from ranger_app.store.patrols import load_patrol
    from ranger_app.store.queries import stations
    from ranger_app.store.smart_mapping import live_patrol_ids, person_names

    ids = list(patrol_ids) if patrol_ids is not None else live_patrol_ids(db)
    patrols = [load_patrol(db, uuid) for uuid in ids]
    ctx = Context(park_mapping(db, mapping_csv), person_names(db),
                  {s.uuid: s.name for s in stations(db)}, language)
    files = write_files(patrols, Path(outdir), ctx, progress, cancel)
    return ExportResult(tuple(files), len(patrols),
                        sum(len(p.observations) for p in patrols),
                        sum(t.stats.points for p in patrols for t in p.tracks if not t.is_route))
