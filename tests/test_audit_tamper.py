"""Changing records behind the program's back is found by `ranger-app audit verify`.

A value edited with sqlite3 breaks "row equals its latest change"; an altered approval
signature, and even a change log rewritten with recomputed chain hashes, break the
inspector's signature: reported as kind "approval" naming the patrol, exit code non-zero.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    TrackValue,
)
from ranger_app.domain.roles import Actor
from ranger_app.domain.track import TrackPoint, pack_points, track_stats
from ranger_app.store import review
from ranger_app.store.accounts import SignedIn
from ranger_app.store.audit import verify
from ranger_app.store.changes import GENESIS, canonical_json, chain_hash
from ranger_app.store.db import Database
from ranger_app.store.models import Observation, Person
from ranger_app.store.setup import StationSetup, init_station

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 2, 10, 0, 30, tzinfo=UTC)


def audit(db: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(home), XDG_DATA_HOME=str(home),
               XDG_CONFIG_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "ranger_app", "--db", str(db), "--lang", "en",
                           "audit", "verify"], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture(scope="module")
def approved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A station database holding one signed, approved patrol with a track and a sighting."""
    folder = tmp_path_factory.mktemp("tamper")
    db = Database.open(folder / "station.db", create=True)
    init_station(db, StationSetup("KED", "Кедровая падь", "Админ", "ru"))
    station = db.installation().station_uuid
    with db.writer() as s:
        ranger = Person(name="Иван", station_uuid=station, roles="RANGER")
        inspector = Person(name="Ольга", station_uuid=station, roles="INSPECTOR")
        s.add_all([ranger, inspector])
        s.flush()
        ranger_id, inspector_id = ranger.uuid, inspector.uuid
    points = [TrackPoint(43.1 + i * 0.0003, 131.2, 300.0, T0 + timedelta(seconds=30 * i))
              for i in range(60)]
    patrol = PatrolValue(
        station_uuid=station, number="KED-2025-031", start_at=T0,
        end_at=T0 + timedelta(hours=1),
        legs=[LegValue("FOOT", T0, T0 + timedelta(hours=1), [MemberValue(ranger_id, True)])],
        tracks=[TrackValue(pack_points(points), track_stats(points), name="Маршрут",
                           leg_ordinal=1)],
        observations=[ObservationValue("TIGER", T0 + timedelta(minutes=10), 43.105, 131.2)])
    ranger = Actor(ranger_id, "Иван", frozenset({"RANGER"}), station)
    saved = review.save_as(db, ranger, patrol)
    review.submit(db, ranger, saved.uuid or "")
    inspector = SignedIn(Actor(inspector_id, "Ольга", frozenset({"INSPECTOR"}), station),
                         "olga", T0, Ed25519PrivateKey.generate())
    review.approve(db, inspector, saved.uuid or "")
    ids = {"patrol": saved.uuid or "", "track": saved.tracks[0].uuid or "",
           "observation": saved.observations[0].uuid or ""}
    assert verify(db).ok
    db.close()
    return folder / "station.db", ids


def copy_of(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    shutil.copy(source, target)
    return target


def test_an_intact_database_verifies(approved: tuple[Path, dict[str, str]],
                                     tmp_path: Path) -> None:
    done = audit(copy_of(approved[0], tmp_path), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "chains verify" in done.stdout


def test_a_value_edited_with_sqlite_is_named(approved: tuple[Path, dict[str, str]],
                                             tmp_path: Path) -> None:
    path, ids = approved
    path = copy_of(path, tmp_path)
    with sqlite3.connect(path) as raw:  # double the distance a bonus is paid on
        raw.execute("UPDATE track SET length_m = length_m * 2 WHERE uuid = ?", (ids["track"],))
    done = audit(path, tmp_path)
    assert done.returncode != 0
    assert "(row)" in done.stderr and f"track {ids['track']}" in done.stderr


def test_an_altered_approval_signature_is_reported(approved: tuple[Path, dict[str, str]],
                                                   tmp_path: Path) -> None:
    path, ids = approved
    path = copy_of(path, tmp_path)
    with sqlite3.connect(path) as raw:
        (text,) = raw.execute("SELECT signature FROM patrol_review WHERE action = 'approve'"
                              ).fetchone()
        sig = json.loads(text)
        sig["sig"] = ("B" if sig["sig"][0] == "A" else "A") + sig["sig"][1:]
        raw.execute("UPDATE patrol_review SET signature = ? WHERE action = 'approve'",
                    (canonical_json(sig),))
    done = audit(path, tmp_path)
    assert done.returncode != 0
    assert "(approval)" in done.stderr and f"patrol {ids['patrol']}" in done.stderr


def rewrite_chain(raw: sqlite3.Connection, change: str, table: str, uuid: str,
                  **values: object) -> None:
    """What a careful forger does: change row and payload, then recompute every hash."""
    sets = ", ".join(f"{k} = ?" for k in values)
    raw.execute(f"UPDATE {table} SET {sets} WHERE uuid = ?", (*values.values(), uuid))
    (cid, payload) = raw.execute(
        "SELECT id, payload FROM change_log WHERE entity = ? AND entity_uuid = ? "
        "ORDER BY seq DESC LIMIT 1", (change, uuid)).fetchone()
    body = json.loads(payload) | values
    raw.execute("UPDATE change_log SET payload = ? WHERE id = ?", (canonical_json(body), cid))
    prev = GENESIS
    for row in raw.execute("SELECT id, device, epoch, seq, hlc, entity, entity_uuid, op, "
                           "base_rev, new_rev, payload, user FROM change_log ORDER BY seq"
                           ).fetchall():
        document = {"device": row[1], "epoch": row[2], "seq": row[3], "hlc": row[4],
                    "entity": row[5], "uuid": row[6], "op": row[7], "base_rev": row[8],
                    "new_rev": row[9], "payload": json.loads(row[10]), "user": row[11]}
        digest = chain_hash(prev, document)
        raw.execute("UPDATE change_log SET prev_hash = ?, chain_hash = ? WHERE id = ?",
                    (prev, digest, row[0]))
        prev = digest


def test_a_rewritten_change_log_still_breaks_the_signature(
        approved: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, ids = approved
    path = copy_of(path, tmp_path)
    with sqlite3.connect(path) as raw:  # the approved patrol "was" longer
        rewrite_chain(raw, "patrol", "patrol", ids["patrol"], distance_m=9000.0)
    done = audit(path, tmp_path)
    assert done.returncode != 0, done.stdout
    assert "(approval)" in done.stderr and f"patrol {ids['patrol']}" in done.stderr

    path = copy_of(approved[0], tmp_path)
    with sqlite3.connect(path) as raw:  # or a track's length, forged the same way
        rewrite_chain(raw, "track", "track", ids["track"], length_m=9000.0)
    done = audit(path, tmp_path)
    assert done.returncode != 0, done.stdout
    assert "(approval)" in done.stderr and f"patrol {ids['patrol']}" in done.stderr


def test_a_part_changed_behind_the_lock_is_reported(approved: tuple[Path, dict[str, str]],
                                                    tmp_path: Path) -> None:
    """A change written with a valid chain but around the lock (not as an amendment)."""
    path, ids = approved
    path = copy_of(path, tmp_path)
    db = Database.open(path)
    try:
        with db.writer() as s:
            obs = s.get(Observation, ids["observation"])
            assert obs is not None
            obs.count = 3
        report = verify(db)
    finally:
        db.close()
    assert report.first_break is not None
    assert (report.first_break.kind, report.first_break.entity_uuid,
            report.first_break.detail) == ("approval", ids["patrol"], "changed")
