"""Issue 13.3: the change log is anchored at HQ by signed chain heads.

An attacker with the station's database file edits a value and recomputes every hash after
it (as `test_audit_tamper.rewrite_chain` does). The local chain then verifies, but HQ holds
the head the station signed: HQ refuses the station's next bundle, and the station's own
`audit verify` names the records of the stretch against the head HQ acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from test_sync_support import carry, fire, introduce, make_site, patrol, run_cli, send, state

from ranger_app.store.audit import verify
from ranger_app.store.changes import GENESIS, canonical_json, chain_hash
from ranger_app.store.db import Database
from ranger_app.store.sync_tables import SyncAnchor


def rewrite(raw: sqlite3.Connection, device: str, uuid: str, **values: object) -> None:
    """Change an observation and its change's payload, then recompute the device's chain."""
    sets = ", ".join(f"{k} = ?" for k in values)
    raw.execute(f"UPDATE observation SET {sets} WHERE uuid = ?", (*values.values(), uuid))
    cid, payload = raw.execute("SELECT id, payload FROM change_log WHERE entity_uuid = ? "
                               "ORDER BY seq DESC LIMIT 1", (uuid,)).fetchone()
    raw.execute("UPDATE change_log SET payload = ? WHERE id = ?",
                (canonical_json(json.loads(payload) | values), cid))
    prev = GENESIS
    for row in raw.execute("SELECT id, device, epoch, seq, hlc, entity, entity_uuid, op, "
                           "base_rev, new_rev, payload, user FROM change_log WHERE device = ? "
                           "ORDER BY seq", (device,)).fetchall():
        doc = {"device": row[1], "epoch": row[2], "seq": row[3], "hlc": row[4],
               "entity": row[5], "uuid": row[6], "op": row[7], "base_rev": row[8],
               "new_rev": row[9], "payload": json.loads(row[10]), "user": row[11]}
        digest = chain_hash(prev, doc)
        raw.execute("UPDATE change_log SET prev_hash = ?, chain_hash = ? WHERE id = ?",
                    (prev, digest, row[0]))
        prev = digest


def test_a_recomputed_chain_is_caught_at_hq_and_named_at_the_station(tmp_path: Path,
                                                                     capsys) -> None:  # type: ignore[no-untyped-def]
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    introduce(hq, a)
    stick = tmp_path / "stick"
    p = patrol(a, "KED-2025-0007")
    carry(a, hq, stick)
    carry(hq, a, stick)  # HQ's ack returns the head it holds, signed by A
    with a.db.session() as s:
        assert s.query(SyncAnchor).filter_by(device=a.device).count() == 1
    a.db.close()
    with sqlite3.connect(a.db.path) as raw:  # the forger: a value, then every hash after it
        rewrite(raw, a.device, p.observations[0].uuid or "", count=9)
    a.db = Database.open(a.db.path)
    assert verify(a.db).ok  # the local chain alone no longer notices
    fire(a)  # and the station goes on working
    before = state(hq.db)
    code, message = run_cli(capsys, hq, "import-bundle", str(send(a, hq, stick)))
    assert code == 4, message
    assert "change log of station KED was rewritten" in message, message
    assert state(hq.db) == before
    code, message = run_cli(capsys, a, "audit", "verify")
    assert code == 3, message
    assert "(anchor)" in message and f"observation {p.observations[0].uuid}" in message
    code, message = run_cli(capsys, hq, "audit", "verify")  # HQ's copy still holds
    assert code == 0, message
    for site in (hq, a):
        site.db.close()
