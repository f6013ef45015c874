"""Merging concurrent edits: fast-forward, field merge, conflicts, deletes, approval locks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from test_sync_support import (
    Site,
    carry,
    conflicts,
    content,
    edit,
    fire,
    introduce,
    make_site,
    patrol,
    send,
    state,
)

from ranger_app.store.audit import verify
from ranger_app.store.db import Database
from ranger_app.store.models import FireReport, Patrol
from ranger_app.store.patrols import load_patrol, save_patrol
from ranger_app.sync.importer import import_bundle
from ranger_app.sync.merge import Rev, resolve


@pytest.fixture
def world(tmp_path: Path) -> tuple[Site, Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Инспектор", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    b = make_site(tmp_path, "BAR", "Барсовый", "Пётр Сидоров")
    introduce(hq, a)
    introduce(hq, b)
    yield hq, a, b
    for site in (hq, a, b):
        site.db.close()


def _shared_fire(hq: Site, a: Site, b: Site, stick: Path) -> str:
    uuid = fire(hq, notes="", area_total_ha=1.0)
    carry(hq, a, stick)
    carry(hq, b, stick)
    return uuid


def _full_round(hq: Site, a: Site, b: Site, stick: Path) -> None:
    carry(a, hq, stick)
    carry(b, hq, stick)
    carry(hq, a, stick)
    carry(hq, b, stick)


def _fire(site: Site, uuid: str) -> FireReport:
    with site.db.session() as s:
        row = s.get(FireReport, uuid)
        assert row is not None
        return row


def test_same_field_at_two_stations_is_a_conflict_with_one_winner_everywhere(
        world: tuple[Site, Site, Site], tmp_path: Path) -> None:
    hq, a, b = world
    stick = tmp_path / "stick"
    uuid = _shared_fire(hq, a, b, stick)
    edit(a, FireReport, uuid, area_total_ha=2.0)
    edit(b, FireReport, uuid, area_total_ha=3.0)
    _full_round(hq, a, b, stick)
    _full_round(hq, a, b, stick)  # the merge changes travel too
    rows = conflicts(hq.db)
    assert [(c.entity, c.field) for c in rows] == [("fire_report", "area_total_ha")]
    assert {rows[0].value_a, rows[0].value_b} == {"2.0", "3.0"}  # both values kept
    winner = _fire(hq, uuid).area_total_ha
    assert winner in (2.0, 3.0)
    for site in (a, b):
        assert _fire(site, uuid).area_total_ha == winner
        assert [c.id for c in conflicts(site.db)] == [c.id for c in rows]
    assert content(a.db) == content(b.db) == content(hq.db)
    assert all(verify(s.db).ok for s in (hq, a, b))


def test_different_fields_merge_without_conflict(world: tuple[Site, Site, Site],
                                                 tmp_path: Path) -> None:
    hq, a, b = world
    stick = tmp_path / "stick"
    uuid = _shared_fire(hq, a, b, stick)
    edit(a, FireReport, uuid, area_total_ha=2.5)
    edit(b, FireReport, uuid, notes="Тушили вдвоём")
    _full_round(hq, a, b, stick)
    _full_round(hq, a, b, stick)
    for site in (hq, a, b):
        row = _fire(site, uuid)
        assert (row.area_total_ha, row.notes) == (2.5, "Тушили вдвоём")
        assert conflicts(site.db) == []
        assert verify(site.db).ok
    assert content(a.db) == content(b.db) == content(hq.db)


def test_edit_against_concurrent_delete_is_a_conflict_and_loses_nothing(
        world: tuple[Site, Site, Site], tmp_path: Path) -> None:
    hq, a, b = world
    stick = tmp_path / "stick"
    uuid = _shared_fire(hq, a, b, stick)
    edit(a, FireReport, uuid, deleted=True)
    edit(b, FireReport, uuid, notes="Огонь перешёл через дорогу")
    _full_round(hq, a, b, stick)
    _full_round(hq, a, b, stick)
    for site in (hq, a, b):
        row = _fire(site, uuid)
        assert row.deleted and row.notes == "Огонь перешёл через дорогу"  # tombstone + edit
        assert [(c.kind, c.field) for c in conflicts(site.db)] == [("delete", "deleted")]
    assert content(a.db) == content(b.db) == content(hq.db)


def test_edit_of_an_approved_patrol_becomes_an_amendment_request(
        world: tuple[Site, Site, Site], tmp_path: Path) -> None:
    hq, a, _b = world
    stick = tmp_path / "stick"
    p = patrol(a, "KED-007", notes="Обход")
    p.status = "SUBMITTED"
    save_patrol(a.db, p)
    carry(a, hq, stick)
    edit(hq, Patrol, p.uuid, status="APPROVED")  # the inspector approves rev 2
    approved = load_patrol(hq.db, p.uuid or "")
    p.notes = "Обход (исправлено задним числом)"  # A had not seen the approval
    save_patrol(a.db, p)
    carry(a, hq, stick)
    after = load_patrol(hq.db, p.uuid or "")
    assert (after.status, after.notes) == ("APPROVED", approved.notes)  # never overwritten
    rows = conflicts(hq.db)
    assert [(c.kind, c.field) for c in rows] == [("amendment", "notes")]
    assert rows[0].value_b == '"Обход (исправлено задним числом)"'  # the request is kept
    carry(hq, a, stick)
    mine = load_patrol(a.db, p.uuid or "")
    assert (mine.status, mine.notes) == ("APPROVED", approved.notes)
    assert verify(a.db).ok and verify(hq.db).ok


def test_the_same_bundles_in_any_order_give_the_same_database(
        world: tuple[Site, Site, Site], tmp_path: Path) -> None:
    hq, a, b = world
    stick = tmp_path / "stick"
    uuid = _shared_fire(hq, a, b, stick)
    bundles = []
    for n in range(2):
        edit(a, FireReport, uuid, area_total_ha=10.0 + n, notes=f"A{n}")
        patrol(a, f"KED-{n}")
        bundles.append(send(a, hq, stick / f"a{n}"))
        edit(b, FireReport, uuid, area_total_ha=20.0 + n, quarter=f"B{n}")
        bundles.append(send(b, hq, stick / f"b{n}"))
    hq.db.close()
    results = []
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        copy = tmp_path / f"hq-{order[0]}.db"
        shutil.copy(tmp_path / "HQ.db", copy)
        db = Database.open(copy)
        for i in order:
            import_bundle(db, bundles[i])
        assert verify(db).ok
        results.append((content(db), state(db)[2]))
        db.close()
    assert results[0] == results[1] == results[2]


def _rev(device: str, seq: int, hlc: str, base: int, **payload: object) -> Rev:
    body = {"uuid": "u", "created_at": None, "created_by": "", "updated_at": None,
            "updated_by": "", "deleted": False, "a": 0, "b": 0} | payload
    return Rev(device, 1, seq, hlc, "insert" if base == 0 else "update", base, base + 1, body)


def test_resolve_is_a_function_of_the_set_of_changes() -> None:
    insert = _rev("H", 1, "0000000000001-00000-H", 0)
    x = _rev("A", 1, "0000000000005-00000-A", 1, a=1)
    y = _rev("B", 1, "0000000000004-00000-B", 1, b=2)
    z = _rev("C", 1, "0000000000006-00000-C", 1, a=3)
    orders = [[insert, x, y, z], [z, y, x, insert], [y, insert, z, x]]
    results = {repr(resolve("fire_report", "u", o)) for o in orders}
    assert len(results) == 1
    res = resolve("fire_report", "u", orders[0])
    assert (res.state["a"], res.state["b"]) == (3, 2)  # later HLC wins a; b merges
    assert [(c.field, c.value_a, c.value_b, c.winner) for c in res.conflicts] == [
        ("a", 1, 3, "b")]
    assert res.needs_merge_change  # the result is no single change's payload


def test_a_fast_forward_needs_no_merge_change() -> None:
    insert = _rev("H", 1, "0000000000001-00000-H", 0)
    x = _rev("A", 1, "0000000000005-00000-A", 1, a=1)
    later = _rev("A", 2, "0000000000007-00000-A", 2, a=1, b=5)
    res = resolve("fire_report", "u", [later, insert, x])
    assert dict(res.state) == dict(later.payload) and not res.needs_merge_change
    assert res.conflicts == ()


def test_records_deleted_then_recreated_keep_their_tombstone(world: tuple[Site, Site, Site],
                                                             tmp_path: Path) -> None:
    hq, a, _b = world
    stick = tmp_path / "stick"
    first = fire(a)
    edit(a, FireReport, first, deleted=True)
    second = fire(a)  # "re-created": a new id, never the old one
    carry(a, hq, stick)
    with hq.db.session() as s:
        rows = {r.uuid: r.deleted for r in s.scalars(select(FireReport))}
    assert rows == {first: True, second: False}
