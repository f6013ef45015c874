"""SMART patrol XML (one file, or a zip of them as SMART's "export patrols" writes) in.

Three passes, so a bad file writes nothing: read every document (a secure parser: no DTD,
no entities, no network, no huge trees; caps on zip members), turn each into a
`PatrolValue` with the park's mapping (every unknown key is collected and the import
refused with the list), then write all new patrols in one transaction through
`store.patrols.write_patrol`, the code every edit goes through, so each row gets its change
log entry. Ids are derived from SMART's own patrol id (or our uuid, for our exports), so the
same file imported twice finds its patrols already there and changes nothing.
"""

from __future__ import annotations

import uuid as _uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from ranger_app.domain.errors import FileTooLarge, MalformedFile
from ranger_app.domain.geo import check_position
from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    TrackValue,
)
from ranger_app.domain.track import flag_speed, pack_points, track_stats
from ranger_app.domain.validation import validate_patrol
from ranger_app.domain.vocab import attributes_for, vocabulary
from ranger_app.io.smart import NS
from ranger_app.io.smart.days import join_days
from ranger_app.io.smart.errors import NotSmartPatrol, UnknownSmartKeys
from ranger_app.io.smart.export import EXTRA_TYPE
from ranger_app.io.smart.mapping import COUNT_ATTRIBUTE, SmartMapping
from ranger_app.io.smart.wkb import WkbError, decode_track

MAX_XML_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_TOTAL = 2 * 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200  # a member more compressed than this is a bomb, not a patrol
_ID_NS = _uuid.UUID("0b8e4f5c-2d3a-4b7e-8f61-5a9c3e2d1b40")
ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]


class ImportCancelled(Exception):
    """The user cancelled; nothing was written."""


@dataclass(frozen=True)
class Document:
    name: str  # the file, or file!member for a zip member
    data: bytes


@dataclass(frozen=True)
class ImportResult:
    documents: int
    imported: tuple[str, ...]  # uuids of patrols new to this database
    already_present: tuple[str, ...]
    people_added: int
    observations: int
    track_points: int


# --- reading the files ----------------------------------------------------------------------

def _zip_documents(path: Path) -> list[Document]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist()
                     if not i.is_dir() and i.filename.lower().endswith(".xml")]
            if len(infos) > MAX_ZIP_MEMBERS:
                raise MalformedFile(str(path), "zip", f"{len(infos)} members")
            if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
                raise FileTooLarge(str(path), sum(i.file_size for i in infos), MAX_ZIP_TOTAL)
            docs = []
            for info in infos:
                if info.file_size > MAX_XML_BYTES or (
                        info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO):
                    raise MalformedFile(str(path), "zip",
                                        f"{info.filename}: {info.file_size} bytes unpacked")
                with zf.open(info) as fh:
                    data = fh.read(MAX_XML_BYTES + 1)
                if len(data) > info.file_size:  # the header lied about the size
                    raise MalformedFile(str(path), "zip", f"{info.filename}: size mismatch")
                docs.append(Document(f"{path.name}!{info.filename}", data))
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise MalformedFile(str(path), "zip", str(exc) or type(exc).__name__) from None
    if not docs:
        raise NotSmartPatrol(str(path), "no patrol XML inside the zip")
    return docs


def read_documents(paths: Iterable[Path]) -> list[Document]:
    """Every XML document of the given files (zips opened, members read with caps)."""
    docs: list[Document] = []
    for path in map(Path, paths):
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
        if head.startswith(b"PK"):
            docs += _zip_documents(path)
            continue
        if size > MAX_XML_BYTES:
            raise FileTooLarge(str(path), size, MAX_XML_BYTES)
        docs.append(Document(str(path), path.read_bytes()))
    return docs


# A DTD (where entity bombs and external entities live) is refused before parsing; the
# parser below would not expand or fetch them either.
_DOCTYPE = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def _parser() -> etree.XMLParser:
    # No DTD is loaded, no entity resolved, nothing fetched; libxml2's size limits stay on.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_pis=True)


def parse_document(doc: Document) -> etree._Element:
    """The root `<patrol>` of a SMART 1.4 document; anything else is refused."""
    if any(mark in doc.data[:65536] for mark in _DOCTYPE):
        raise NotSmartPatrol(doc.name, "it declares a document type (DTD), which SMART "
                             "never writes")
    try:
        root = etree.fromstring(doc.data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedFile(doc.name, "xml", str(exc)) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise NotSmartPatrol(doc.name, "it declares a document type (DTD), which SMART "
                             "never writes")
    if root.tag != f"{{{NS}}}patrol":
        qname = etree.QName(root)
        if qname.localname == "patrol" and "smartconservationsoftware" in (qname.namespace or ""):
            raise NotSmartPatrol(doc.name, f"SMART namespace {qname.namespace}; this program "
                                 "reads 1.4")
        raise NotSmartPatrol(doc.name, f"root element <{qname.localname}>")
    return root


# --- one document into a patrol -------------------------------------------------------------

def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _bool(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1")


def _float(doc: Document, what: str, text: str | None) -> float:
    try:
        return float(text or "")
    except ValueError:
        raise MalformedFile(doc.name, "xml", f"{what}: {text!r} is not a number") from None


def _date(doc: Document, text: str | None) -> date:
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError:
        raise MalformedFile(doc.name, "xml", f"date {text!r}") from None


def _time(doc: Document, text: str | None) -> time:
    raw = (text or "00:00:00").strip()
    try:
        t = time.fromisoformat(raw[:8])
    except ValueError:
        raise MalformedFile(doc.name, "xml", f"time {text!r}") from None
    return t


def derived_id(base: str, part: str) -> str:
    return str(_uuid.uuid5(_uuid.UUID(base), part))


@dataclass
class People:
    """Members matched to our people by employee id (our uuid in our exports), then by
    name; someone new becomes a person of this station with an id derived from SMART's."""

    names: dict[str, str]  # uuid → name, as stored
    station_uuid: str | None
    new: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_name = {}
        for uuid, name in self.names.items():
            self._by_name.setdefault(name.casefold(), uuid)

    def resolve(self, el: etree._Element) -> str | None:
        given, family = el.get("givenName", "").strip(), el.get("familyName", "").strip()
        employee = el.get("employeeId", "").strip()
        name = " ".join(p for p in (given, family) if p)
        if employee in self.names or employee in self.new:
            return employee
        if name and name.casefold() in self._by_name:
            return self._by_name[name.casefold()]
        if not name and not employee:
            return None
        uuid = str(_uuid.uuid5(_ID_NS, f"smart-employee:{employee or name}"))
        if uuid not in self.names:
            self.new[uuid] = name or employee
            self._by_name[(name or employee).casefold()] = uuid
        return uuid


@dataclass
class Converter:
    mapping: SmartMapping
    people: People
    default_tz: str
    unknown: dict[tuple[str, str], None] = field(default_factory=dict)

    def _ours(self, kind: str, key: str, attribute: str = "") -> str:
        code = self.mapping.our_code(kind, key, attribute)
        if code is None:
            shown = f"{attribute}.{key}" if kind == "list_item" else key
            self.unknown[(kind, shown)] = None
            return ""
        return code

    def patrol(self, doc: Document, root: etree._Element) -> PatrolValue:
        extra = _extra(root)
        tz_name = extra.get("timeZone") or self.default_tz
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            tz, tz_name = ZoneInfo(self.default_tz), self.default_tz
        smart_id = root.get("id", "")
        puuid = patrol_uuid(root, extra)
        types = self._ours("patrol_type", root.get("patrolType", "GROUND"))
        patrol = PatrolValue(station_uuid=self.people.station_uuid, number=smart_id[:40],
                             patrol_type=types, armed=_bool(root.get("isArmed")), tz=tz_name,
                             uuid=puuid)
        comment = root.find(_q("comment"))
        patrol.notes = (comment.text or "") if comment is not None else ""
        mandates = []
        for i, leg_el in enumerate(root.findall(_q("legs")), start=1):
            self._leg(doc, patrol, leg_el, i, tz, mandates)
        patrol.mandate = mandates[0] if mandates else "OTHER"
        starts = [leg.start_at for leg in patrol.legs if leg.start_at]
        ends = [leg.end_at for leg in patrol.legs if leg.end_at]
        patrol.start_at = _instant(extra.get("startAt")) or (min(starts) if starts else None)
        patrol.end_at = _instant(extra.get("endAt")) or (max(ends) if ends else None)
        if patrol.start_at is None:
            d = _date(doc, root.get("startDate"))
            patrol.start_at = datetime.combine(d, time(0), tz)
        return patrol

    def _leg(self, doc: Document, patrol: PatrolValue, el: etree._Element, i: int,
             tz: ZoneInfo, mandates: list[str]) -> None:
        assert patrol.uuid
        t = el.find(_q("transportType"))
        transport = self._ours("transport", t.get("value", "") if t is not None else "")
        m = el.find(_q("mandate"))
        if m is not None:
            mandates.append(self._ours("mandate", m.get("value", "")))
        leg = LegValue(transport=transport, ordinal=i, uuid=derived_id(patrol.uuid, f"leg:{i}"))
        for k, mem in enumerate(el.findall(_q("members"))):
            person = self.people.resolve(mem)
            if person and all(x.person_uuid != person for x in leg.members):
                leg.members.append(MemberValue(person, _bool(mem.get("isLeader")),
                                               derived_id(leg.uuid or "", f"member:{k}")))
        day_points = []
        for day_el in el.findall(_q("days")):
            d = _date(doc, day_el.get("date"))
            start = datetime.combine(d, _time(doc, day_el.get("startTime")), tz)
            end = datetime.combine(d, _time(doc, day_el.get("endTime") or "23:59:59"), tz)
            leg.start_at = min(leg.start_at, start) if leg.start_at else start
            leg.end_at = max(leg.end_at, end) if leg.end_at else end
            for wp in day_el.findall(_q("waypoints")):
                self._waypoint(doc, patrol, leg, wp, d, tz)
            track = day_el.find(_q("track"))
            if track is not None and track.get("geom"):
                try:
                    pts = decode_track(track.get("geom", ""))
                except WkbError as exc:
                    raise MalformedFile(doc.name, "xml", f"track of {d}: {exc}") from None
                for p in pts:
                    check_position(p.lat, p.lon, "track")
                day_points.append(pts)
        patrol.legs.append(leg)
        points = join_days(day_points)
        if points:
            limit = _max_speed(transport)
            points = flag_speed(points, limit)
            patrol.tracks.append(TrackValue(
                points=pack_points(points), stats=track_stats(points), name=f"SMART {i}",
                leg_uuid=leg.uuid, leg_ordinal=i, uuid=derived_id(patrol.uuid, f"track:{i}")))

    def _waypoint(self, doc: Document, patrol: PatrolValue, leg: LegValue,
                  wp: etree._Element, d: date, tz: ZoneInfo) -> None:
        assert patrol.uuid
        x, y = wp.get("x"), wp.get("y")
        lon = _float(doc, "x", x) if x not in (None, "") else None
        lat = _float(doc, "y", y) if y not in (None, "") else None
        when = datetime.combine(d, _time(doc, wp.get("time")), tz)
        comment = wp.find(_q("comment"))
        notes = (comment.text or "") if comment is not None else ""
        for obs_el in wp.iter(_q("observations")):
            n = len(patrol.observations)
            category = self._ours("category", obs_el.get("categoryKey", ""))
            obs = ObservationValue(category=category, observed_at=when, lat=lat, lon=lon,
                                   notes=notes, source="waypoint",
                                   waypoint_name=wp.get("id", "")[:200], leg_uuid=leg.uuid,
                                   uuid=derived_id(patrol.uuid, f"obs:{n}"))
            for att in obs_el.findall(_q("attributes")):
                self._attribute(doc, obs, att)
            observer = obs_el.find(_q("observer"))
            if observer is not None:
                obs.observer_uuid = self.people.resolve(observer)
            patrol.observations.append(obs)

    def _attribute(self, doc: Document, obs: ObservationValue, att: etree._Element) -> None:
        key = self._ours("attribute", att.get("attributeKey", ""))
        if not key:
            return
        items = [i.text or "" for i in att.findall(_q("itemKey"))]
        d, s, b = att.find(_q("dValue")), att.find(_q("sValue")), att.find(_q("bValue"))
        if key == COUNT_ATTRIBUTE:
            obs.count = int(_float(doc, key, d.text if d is not None else s.text
                                   if s is not None else "1"))
            return
        kind = next((a.kind for a in attributes_for(obs.category) if a.key == key), None)
        if items:
            codes = [self._ours("list_item", item, key) for item in items]
            obs.attributes[key] = codes[0] if len(codes) == 1 else codes
        elif b is not None:
            obs.attributes[key] = _bool(b.text)
        elif d is not None:
            value = _float(doc, key, d.text)
            obs.attributes[key] = int(value) if kind == "int" and value.is_integer() else value
        elif s is not None:
            obs.attributes[key] = s.text or ""


def _extra(root: etree._Element) -> dict[str, str]:
    return {str(s.get("key")): s.get("value", "") for x in root.iter(_q("extraData"))
            if x.get("type") == EXTRA_TYPE for s in x.iter(_q("stringKey"))}


def patrol_uuid(root: etree._Element, extra: dict[str, str] | None = None) -> str:
    """Our uuid, carried by our own exports; else one derived from SMART's patrol id and
    start date, the same on every import of the file."""
    extra = _extra(root) if extra is None else extra
    try:
        return str(_uuid.UUID(extra.get("uuid", "")))
    except ValueError:
        return str(_uuid.uuid5(_ID_NS, f"smart-patrol:{root.get('id', '')}:"
                                       f"{root.get('startDate')}"))


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else None


def _max_speed(transport: str) -> float | None:
    if transport not in vocabulary("transports"):
        return None
    raw = vocabulary("transports").get(transport).extra.get("max_speed_kmh", "")
    return float(raw) if raw else None


# --- the service ------------------------------------------------------------------------------

def convert(docs: Sequence[Document], mapping: SmartMapping, people: People, default_tz: str,
            progress: ProgressCallback | None = None, cancel: CancelCallback | None = None,
            known: Callable[[str], bool] | None = None,
            skipped: list[str] | None = None) -> list[PatrolValue]:
    """Every document as a patrol; unknown keys (of all documents) refuse the lot. A
    document whose patrol is `known` here already is only parsed (its id goes to
    `skipped`): it will not be written, so its keys do not matter."""
    conv = Converter(mapping, people, default_tz)
    patrols = []
    for i, doc in enumerate(docs):
        if cancel is not None and cancel():
            raise ImportCancelled()
        root = parse_document(doc)
        if known is not None and known(uuid := patrol_uuid(root)):
            if skipped is not None:
                skipped.append(uuid)
            continue
        before = len(conv.unknown)
        patrol = conv.patrol(doc, root)
        if len(conv.unknown) == before:
            validate_patrol(patrol)
        patrols.append(patrol)
        if progress is not None:
            progress(i + 1, len(docs))
    if conv.unknown:
        where = docs[0].name if len(docs) == 1 else ", ".join(sorted({
            d.name.split("!")[0] for d in docs}))
        raise UnknownSmartKeys(where, tuple(conv.unknown))
    return patrols


def import_smart(db: object, paths: Sequence[Path], mapping_csv: Path | None = None,
                 user: str | None = None, progress: ProgressCallback | None = None,
                 cancel: CancelCallback | None = None) -> ImportResult:
    """`import-smart FILE...`: all or nothing; patrols already here are left as they are."""
    from ranger_app.io.smart.mapping import park_mapping
    from ranger_app.store.queries import stations
    from ranger_app.store.smart_mapping import patrol_ids_present, person_names, write_imported

    docs = read_documents(paths)
    station_uuid = db.installation().station_uuid  # type: ignore[attr-defined]
    tz = next((s.tz for s in stations(db)  # type: ignore[arg-type]
               if s.uuid == station_uuid), "Asia/Vladivostok")
    people = People(person_names(db), station_uuid)  # type: ignore[arg-type]
    present_before = patrol_ids_present(db)  # type: ignore[arg-type]
    skipped: list[str] = []
    patrols = convert(docs, park_mapping(db, mapping_csv), people, tz, progress, cancel,
                      known=present_before.__contains__, skipped=skipped)
    if cancel is not None and cancel():
        raise ImportCancelled()
    new, present, added = write_imported(db, patrols, people.new, station_uuid,  # type: ignore[arg-type]
                                         user)
    present = skipped + present
    fresh = [p for p in patrols if p.uuid in set(new)]
    return ImportResult(len(docs), tuple(new), tuple(present), added,
                        sum(len(p.observations) for p in fresh),
                        sum(t.stats.points for p in fresh for t in p.tracks))
