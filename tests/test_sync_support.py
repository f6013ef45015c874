"""Shared helpers for the sync tests (no tests here): sites, exchanges, content hashes."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyrage
from sqlalchemy import select

from ranger_app.domain.records import LegValue, MemberValue, ObservationValue, PatrolValue
from ranger_app.store.changes import canonical_json, payload_of
from ranger_app.store.db import Database
from ranger_app.store.models import SYNCED_MODELS, Change, FireReport
from ranger_app.store.setup import StationSetup, init_station
from ranger_app.store.sync_tables import SyncConflict
from ranger_app.sync import trust
from ranger_app.sync.identity import ensure_keys, load_keys
from ranger_app.sync.importer import ImportReport, import_bundle
from ranger_app.sync.writer import export_bundle

T0 = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)


@dataclass
class Site:
    code: str
    db: Database
    keyfile: Path

    @property
    def device(self) -> str:
        return self.db.installation().device


def make_site(root: Path, code: str, name: str, person: str, hq: bool = False,
              country: str = "RU") -> Site:
    server = os.environ.get("RANGER_TEST_HQ_DB") if hq else None  # conftest: HQ on PostgreSQL
    db = Database.open(server or root / f"{code}.db", create=True)
    init_station(db, StationSetup(code, name, person, "ru", country=country, hq=hq))
    ensure_keys(db)
    keyfile = trust.export_key_file(db, root / f"{code}.keys")
    return Site(code, db, keyfile)


def introduce(a: Site, b: Site) -> None:
    trust.trust_key_file(a.db, b.keyfile)
    trust.trust_key_file(b.db, a.keyfile)


def send(src: Site, dst: Site, stick: Path, **kw: object) -> Path:
    return export_bundle(src.db, dst.code, stick, **kw).path  # type: ignore[arg-type]


def carry(src: Site, dst: Site, stick: Path) -> ImportReport:
    return import_bundle(dst.db, send(src, dst, stick))


def patrol(site: Site, number: str, *, lat: float = 43.1, lon: float = 131.2,
           notes: str = "", category: str = "SNARE") -> PatrolValue:
    from ranger_app.store.patrols import save_patrol
    from ranger_app.store.queries import people

    inst = site.db.installation()
    ranger = people(site.db, inst.station_uuid)[0]
    value = PatrolValue(
        station_uuid=inst.station_uuid, number=number, start_at=T0, notes=notes,
        end_at=T0 + timedelta(hours=6),
        legs=[LegValue("FOOT", T0, T0 + timedelta(hours=6), [MemberValue(ranger.uuid, True)])],
        observations=[ObservationValue(category, T0 + timedelta(hours=1), lat, lon,
                                       attributes={"snare_count": 3})],
    )
    return save_patrol(site.db, value)


def fire(site: Site, lat: float = 42.9, lon: float = 130.9, **values: object) -> str:
    with site.db.writer() as s:
        row = FireReport(station_uuid=site.db.installation().station_uuid,
                         detected_at=T0, lat=lat, lon=lon, fire_type="GRASS",
                         locality="падь Кедровая", **values)
        s.add(row)
        s.flush()
        return row.uuid


def edit(site: Site, model: type, uuid: str, **values: object) -> None:
    with site.db.writer() as s:
        row = s.get(model, uuid)
        for key, value in values.items():
            setattr(row, key, value)


def content(db: Database) -> dict[str, str]:
    """Per table, a hash over every record's payload columns (what the design compares)."""
    out = {}
    with db.session() as s:
        for name, model in sorted(SYNCED_MODELS.items()):
            h = hashlib.sha256()
            for row in s.scalars(select(model).order_by(model.uuid)):  # type: ignore[attr-defined]
                h.update(canonical_json(payload_of(row)).encode())
            out[name] = h.hexdigest()
    return out


def state(db: Database) -> tuple[dict[str, str], list[tuple[object, ...]], list[str]]:
    """Records, change log and conflicts: what 'the database is unchanged' means."""
    with db.session() as s:
        changes = [tuple(r) for r in s.execute(
            select(Change.device, Change.epoch, Change.seq, Change.chain_hash)
            .order_by(Change.device, Change.epoch, Change.seq))]
        conflicts = sorted(s.scalars(select(SyncConflict.id)))
    return content(db), changes, conflicts


def conflicts(db: Database) -> list[SyncConflict]:
    with db.session() as s:
        return list(s.scalars(select(SyncConflict).where(SyncConflict.status == "open")))


# --- crafting hostile bundles -------------------------------------------------------------

def decrypt_for(site: Site, bundle: Path) -> bytes:
    """The inner zip of a bundle addressed to `site` (tests play the attacker)."""
    keys = load_keys(site.db)
    return pyrage.decrypt(bundle.read_bytes(), [keys.age_identity])


def encrypt_for(site: Site, plain: bytes, out: Path) -> Path:
    recipient = pyrage.x25519.Recipient.from_str(ensure_keys(site.db).age_recipient)
    out.write_bytes(pyrage.encrypt(plain, [recipient]))
    return out


def rezip(inner: bytes, out: Path, change: dict[str, bytes | None] | None = None,
          extra: list[tuple[zipfile.ZipInfo | str, bytes]] | None = None) -> bytes:
    """Rebuild an inner zip, replacing (bytes), dropping (None) or adding members."""
    import io

    src = zipfile.ZipFile(io.BytesIO(inner))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if change and info.filename in change:
                if change[info.filename] is None:
                    continue
                data = change[info.filename]  # type: ignore[assignment]
            dst.writestr(info, data)
        for info, data in extra or []:
            dst.writestr(info, data)
    return buf.getvalue()


def manifest_of(inner: bytes) -> dict[str, object]:
    import io

    return json.loads(zipfile.ZipFile(io.BytesIO(inner)).read("manifest.json"))


def forge(signer: Site, inner: bytes, change: dict[str, bytes | None],
          manifest_edit: dict[str, object] | None = None) -> bytes:
    """What a trusted but buggy or malicious station could sign: members changed, the
    manifest's hashes recomputed and signed again with the station's own key."""
    import io

    src = zipfile.ZipFile(io.BytesIO(inner))
    members = {i.filename: src.read(i) for i in src.infolist()}
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    manifest = json.loads(members.pop("manifest.json"))
    members.pop("manifest.sig")
    manifest["files"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                         for n, d in members.items()}
    manifest.update(manifest_edit or {})
    data = canonical_json(manifest).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name, body in members.items():
            dst.writestr(name, body)
        dst.writestr("manifest.json", data)
        dst.writestr("manifest.sig", load_keys(signer.db).sign(data))
    return buf.getvalue()


def run_cli(capsys: object, site: Site, *args: str) -> tuple[int, str]:
    """`ranger-app --db <site> ARGS`: (exit code, the stderr line or else stdout)."""
    from ranger_app.cli import main

    code = main(["--db", site.db.location, *args])
    out = capsys.readouterr()  # type: ignore[attr-defined]
    return code, (out.err.strip() or out.out.strip())
