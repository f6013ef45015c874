"""The store: change log in the same transaction, tombstones, audit, migrations."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from ranger_app.domain.errors import DatabaseTooNew, EndBeforeStart, NotADatabase
from ranger_app.domain.records import LegValue, MemberValue, ObservationValue, PatrolValue
from ranger_app.store import db as dbmod
from ranger_app.store.audit import verify
from ranger_app.store.changes import HardDeleteRefused, MissingChangeContext
from ranger_app.store.db import Database
from ranger_app.store.models import Change, Observation, Patrol, Station
from ranger_app.store.patrols import load_patrol, save_patrol
from ranger_app.store.queries import people

T0 = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)


def _patrol(db: Database) -> PatrolValue:
    inst = db.installation()
    ranger = people(db)[0]
    return PatrolValue(
        station_uuid=inst.station_uuid, number="KED-2025-001", start_at=T0,
        end_at=T0 + timedelta(hours=6),
        legs=[LegValue("FOOT", T0, T0 + timedelta(hours=6), [MemberValue(ranger.uuid, True)])],
        observations=[ObservationValue("SNARE", T0 + timedelta(hours=1), 43.1, 131.2,
                                       attributes={"snare_count": 3})],
    )


def _changes(db: Database) -> list[Change]:
    with db.session() as s:
        return list(s.scalars(select(Change).order_by(Change.seq)))


@pytest.mark.sqlite_only
def test_pragmas_are_set_for_power_loss(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_every_change_is_logged_and_chained(db: Database) -> None:
    before = len(_changes(db))
    saved = save_patrol(db, _patrol(db))
    logged = _changes(db)[before:]
    assert [c.entity for c in logged] == ["patrol", "patrol_leg", "leg_member", "observation"]
    assert all(c.op == "insert" and c.new_rev == 1 for c in logged)
    assert [c.seq for c in _changes(db)] == list(range(1, len(_changes(db)) + 1))
    saved.notes = "Снег глубокий"
    save_patrol(db, saved)
    last = _changes(db)[-1]
    assert (last.entity, last.op, last.base_rev, last.new_rev) == ("patrol", "update", 1, 2)
    assert json.loads(last.payload)["notes"] == "Снег глубокий"
    assert verify(db).ok


def test_saving_unchanged_patrol_writes_no_change(db: Database) -> None:
    saved = save_patrol(db, _patrol(db))
    n = len(_changes(db))
    save_patrol(db, load_patrol(db, saved.uuid or ""))
    assert len(_changes(db)) == n


def test_removed_observation_becomes_a_tombstone(db: Database) -> None:
    saved = save_patrol(db, _patrol(db))
    obs_id = saved.observations[0].uuid
    saved.observations.clear()
    save_patrol(db, saved)
    with db.session() as s:
        row = s.get(Observation, obs_id)
        assert row is not None and row.deleted
    assert _changes(db)[-1].op == "delete"
    assert load_patrol(db, saved.uuid or "").observations == []


def test_hard_delete_and_anonymous_writes_are_refused(db: Database) -> None:
    saved = save_patrol(db, _patrol(db))
    with pytest.raises(HardDeleteRefused), db.writer() as s:
        s.delete(s.get(Patrol, saved.uuid))
    with db.session() as s:
        s.add(Station(code="X", name="x"))
        with pytest.raises(MissingChangeContext):
            s.flush()


def test_bad_patrol_writes_nothing(db: Database) -> None:
    n = len(_changes(db))
    bad = _patrol(db)
    bad.end_at = T0 - timedelta(hours=1)
    with pytest.raises(EndBeforeStart):
        save_patrol(db, bad)
    assert len(_changes(db)) == n


def test_audit_names_a_value_changed_behind_the_apps_back(db: Database) -> None:
    saved = save_patrol(db, _patrol(db))
    with db.engine.begin() as raw:  # a hex editor (or psql), in effect: no change logged
        raw.execute(text("UPDATE observation SET count = 30 WHERE uuid = :u"),
                    {"u": saved.observations[0].uuid})
    db.close()
    reopened = Database.open(db.location)
    report = verify(reopened)
    assert not report.ok and report.first_break is not None
    assert report.first_break.kind == "row"
    assert report.first_break.entity_uuid == saved.observations[0].uuid


def test_audit_names_a_forged_change(db: Database) -> None:
    save_patrol(db, _patrol(db))
    with db.engine.begin() as raw:
        raw.execute(text("UPDATE change_log SET payload = replace(payload, 'SNARE', 'TRAP') "
                         "WHERE entity = 'observation'"))
    report = verify(db)
    assert report.first_break is not None and report.first_break.kind == "chain"
    assert report.first_break.entity == "observation"


@pytest.mark.sqlite_only
def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("field notes, not a database")
    with pytest.raises(NotADatabase):
        Database.open(path)
    assert path.read_text() == "field notes, not a database"


def _migrations_with_extra_revision(tmp_path: Path) -> Path:
    src = Path(dbmod.__file__).parent / "migrations"
    dst = tmp_path / "migrations"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "versions" / "0999_test_column.py").write_text(
        'from alembic import op\nimport sqlalchemy as sa\n'
        f'revision = "0999"\ndown_revision = "{dbmod.head_revision()}"\n'
        'branch_labels = None\ndepends_on = None\n'
        'def upgrade():\n'
        '    with op.batch_alter_table("patrol") as b:\n'
        '        b.add_column(sa.Column("weather", sa.Text(), nullable=True))\n'
        'def downgrade():\n    pass\n'
    )
    return dst


@pytest.mark.sqlite_only
def test_older_database_is_backed_up_then_migrated(db: Database, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    saved = save_patrol(db, _patrol(db))
    db.close()
    old_head = dbmod.head_revision()
    newer = _migrations_with_extra_revision(tmp_path)
    monkeypatch.setattr(dbmod, "migrations_dir", lambda: newer)
    upgraded = Database.open(db.path)
    assert upgraded.last_backup is not None and upgraded.last_backup.exists()
    with sqlite3.connect(upgraded.last_backup) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == old_head
        assert old.execute("SELECT count(*) FROM patrol").fetchone()[0] == 1
    with sqlite3.connect(db.path) as new:
        cols = [r[1] for r in new.execute("PRAGMA table_info(patrol)")]
        assert "weather" in cols
    assert load_patrol(upgraded, saved.uuid or "").number == "KED-2025-001"
    upgraded.close()


@pytest.mark.sqlite_only
def test_revision_ids_read_from_file_names_match_alembic() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(dbmod.alembic_config())
    assert dbmod.head_revision() == script.get_current_head()
    assert dbmod._known_revisions() == {s.revision for s in script.walk_revisions()}


@pytest.mark.sqlite_only
def test_database_from_a_newer_version_is_refused_untouched(db: Database) -> None:
    db.close()
    with sqlite3.connect(db.path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'f00d'")
    before = db.path.read_bytes()
    with pytest.raises(DatabaseTooNew) as err:
        Database.open(db.path)
    assert err.value.found == "f00d"
    assert db.path.read_bytes() == before


def test_counts_are_per_live_record(db: Database) -> None:
    save_patrol(db, _patrol(db))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Patrol)) == 1
