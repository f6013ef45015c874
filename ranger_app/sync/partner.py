"""Bundles for the partner park across the border: whitelisted record types and fields only.

The partner is another organisation in another country, so it gets the *current state* of
chosen records — never our change log, people, patrol routes, photos or camera positions.
A profile names, per record type, the fields that may leave and a filter. The default:

* fire reports within 20 km of the border (position, time, type, status, area, cause);
* tiger and leopard observations: time, category and count — no position.

The same profile is enforced again on import (the receiving park's own profile for that
partner): a record type, field or record outside it rejects the whole bundle. Received
records are kept apart in `sync_partner_record`, not mixed into our own chained records.
The border line below is a simplified trace of the Primorye–Jilin border near the park
(good to about a kilometre); a profile stored on the peer can replace it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.store.changes import canonical_json, payload_of
from ranger_app.store.db import Database
from ranger_app.store.models import SYNCED_MODELS
from ranger_app.store.sync_tables import SyncPartnerRecord
from ranger_app.sync import trust
from ranger_app.sync.bundle_format import Limits, Manifest, changes_name, member_kind
from ranger_app.sync.errors import BundleMalformed, PolicyViolation
from ranger_app.sync.identity import LocalKeys
from ranger_app.sync.packing import Built, ZipOut, make_manifest, seal
from ranger_app.sync.reader import iter_lines
from ranger_app.sync.vectors import VersionVector

BORDER: tuple[tuple[float, float], ...] = (
    (42.43, 130.64), (42.60, 130.58), (42.80, 130.62), (43.00, 130.80), (43.20, 130.95),
    (43.40, 131.10), (43.70, 131.20), (44.00, 131.15),
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class EntityRule:
    fields: tuple[str, ...]
    near_border_km: float | None = None
    category_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    entities: Mapping[str, EntityRule]
    border: tuple[tuple[float, float], ...] = BORDER


DEFAULT_PROFILE = Profile({
    "fire_report": EntityRule(
        ("uuid", "report_kind", "detected_at", "lat", "lon", "fire_type", "fire_status",
         "area_total_ha", "cause", "deleted"), near_border_km=20.0),
    "observation": EntityRule(("uuid", "observed_at", "category", "count", "deleted"),
                              category_prefixes=("TIGER", "LEOPARD")),
})


def profile_for(peer: trust.Peer) -> Profile:
    """The peer's stored profile (JSON), or the default one."""
    if not peer.profile:
        return DEFAULT_PROFILE
    obj = json.loads(peer.profile)
    rules = {name: EntityRule(tuple(r["fields"]), r.get("near_border_km"),
                              tuple(r.get("category_prefixes", ())))
             for name, r in obj["entities"].items() if name in SYNCED_MODELS}
    border = tuple(tuple(p) for p in obj.get("border", BORDER))
    return Profile(rules, border)  # type: ignore[arg-type]


def border_distance_km(lat: float, lon: float, border: tuple[tuple[float, float], ...]) -> float:
    """Distance to the nearest border segment, on a local flat projection (km)."""
    k = 111.195
    cos = math.cos(math.radians(lat))

    def xy(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[1] - lon) * k * cos, (p[0] - lat) * k)

    best = math.inf
    for a, b in itertools.pairwise(border):
        (ax, ay), (bx, by) = xy(a), xy(b)
        dx, dy = bx - ax, by - ay
        seg = dx * dx + dy * dy
        t = 0.0 if seg == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def _passes(rule: EntityRule, record: Mapping[str, Any], border: Any) -> bool:
    if rule.category_prefixes:
        category = str(record.get("category", ""))
        if not any(category == p or category.startswith(p + "_")
                   for p in rule.category_prefixes):
            return False
    if rule.near_border_km is not None:
        lat, lon = record.get("lat"), record.get("lon")
        if lat is None or lon is None:
            return False
        if border_distance_km(float(lat), float(lon), border) > rule.near_border_km:
            return False
    return True


# --- export --------------------------------------------------------------------------------

def build_partner_zip(db: Database, keys: LocalKeys, peer: trust.Peer, work: Path) -> Built:
    profile = profile_for(peer)
    z = ZipOut(work / "bundle.zip")
    lines: list[bytes] = []
    counts: dict[str, int] = {}
    with db.session() as s:
        for entity, rule in sorted(profile.entities.items()):
            model = SYNCED_MODELS[entity]
            for row in s.scalars(select(model).execution_options(yield_per=1000)):
                payload = payload_of(row)
                if not _passes(rule, payload, profile.border):
                    continue
                fields = {f: payload[f] for f in rule.fields if f in payload}
                lines.append(canonical_json({"entity": entity, "uuid": row.uuid,
                                             "fields": fields}).encode("utf-8") + b"\n")
                counts[entity] = counts.get(entity, 0) + 1
    if lines:
        z.add_bytes(changes_name(1), b"".join(lines))
    manifest = make_manifest(db, keys, peer, "data", "partner", (), VersionVector(),
                             {"changes": 0, "blobs": 0, "blob_bytes": 0, "records": counts},
                             z.files)
    seal(z, keys, manifest)
    return Built(manifest, z.path, len(lines), 0, 0)


# --- import --------------------------------------------------------------------------------

def import_partner_bundle(db: Database, zf: zipfile.ZipFile, m: Manifest, signer: trust.Peer,
                          shown: str, limits: Limits, dry_run: bool,
                          log: Callable[[Session], None]) -> int:
    """Check every record against our profile for this partner, then upsert them all."""
    if signer.role != "partner":
        raise PolicyViolation(shown, "partner bundle", "from a non-partner key")
    profile = profile_for(signer)
    for name in m.files:
        if member_kind(name) != "changes":
            raise PolicyViolation(shown, name, "")
    records: list[tuple[str, str, dict[str, Any]]] = []
    for member, line in iter_lines(zf, m, shown, limits):
        try:
            obj = json.loads(line)
            entity, uuid, fields = obj["entity"], obj["uuid"], obj["fields"]
            if set(obj) != {"entity", "uuid", "fields"} or not isinstance(fields, dict) or (
                    not isinstance(uuid, str) or not _UUID.fullmatch(uuid)):
                raise ValueError("record shape")
        except (ValueError, KeyError, TypeError) as exc:
            raise BundleMalformed(shown, f"{member}: {exc}") from None
        rule = profile.entities.get(entity)
        if rule is None:
            raise PolicyViolation(shown, str(entity), "")
        extra = sorted(set(fields) - set(rule.fields))
        if extra:
            raise PolicyViolation(shown, entity, extra[0])
        if not _passes(rule, fields, profile.border):
            raise PolicyViolation(shown, entity, uuid)
        records.append((entity, uuid, fields))
    if dry_run:
        return len(records)
    now = datetime.now(UTC)
    with db.writer() as s:
        for entity, uuid, fields in records:
            row = s.get(SyncPartnerRecord, (signer.fingerprint, entity, uuid))
            if row is None:
                row = SyncPartnerRecord(peer_fingerprint=signer.fingerprint, entity=entity,
                                        uuid=uuid)
                s.add(row)
            row.fields = canonical_json(fields)
            row.bundle_id = m.bundle_id
            row.received_at = now
        log(s)
    return len(records)


def partner_records(db: Database, entity: str | None = None) -> list[dict[str, Any]]:
    with db.session() as s:
        q = select(SyncPartnerRecord)
        if entity:
            q = q.where(SyncPartnerRecord.entity == entity)
        return [{"peer": r.peer_fingerprint, "entity": r.entity, "uuid": r.uuid,
                 **json.loads(r.fields)} for r in s.scalars(q)]
