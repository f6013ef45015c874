"""Opening the database file: pragmas, migrations (after a backup), and write sessions.

SQLite runs in WAL mode with `synchronous=FULL` and foreign keys on: a ranger's laptop may
lose power at any moment, and a committed patrol must survive it. Write transactions start
with `BEGIN IMMEDIATE` so two writers never interleave their change-log sequence numbers.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from ranger_app.domain.errors import DatabaseNotInitialised, DatabaseTooNew, NotADatabase
from ranger_app.domain.hlc import HybridClock, Timestamp
from ranger_app.domain.ids import new_id
from ranger_app.store import changes
from ranger_app.store.changes import CONTEXT_KEY, ChangeContext
from ranger_app.store.media import MediaStore
from ranger_app.store.models import Change, Meta

SQLITE_MAGIC = b"SQLite format 3\x00"


def migrations_dir() -> Path:
    return Path(str(resources.files("ranger_app.store") / "migrations"))


def alembic_config():  # type: ignore[no-untyped-def]
    """Alembic's configuration; imported only when a migration is due."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def _revision_files() -> list[str]:
    """Revision ids from the file names (`0002_what.py` is revision "0002").

    Importing Alembic costs a third of a second at every start; the history is linear and
    named by this convention (a test checks it against Alembic's own view), so reading the
    folder is enough to know whether a migration is due.
    """
    folder = migrations_dir() / "versions"
    return sorted(p.name.split("_", 1)[0] for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def head_revision() -> str:
    files = _revision_files()
    return files[-1] if files else ""


def _known_revisions() -> set[str]:
    return set(_revision_files())


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (SQLAlchemy's recipe)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def check_is_sqlite(path: Path) -> None:
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                raise NotADatabase(str(path))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def backup_copy(path: Path, label: str) -> Path:
    """A consistent copy of the database beside it, made with `VACUUM INTO`."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.backup-{label}-{stamp}{path.suffix or '.db'}")
    raw = sqlite3.connect(path, isolation_level=None)  # VACUUM needs no open transaction
    try:
        raw.execute("VACUUM INTO ?", (str(target),))
    finally:
        raw.close()
    return target


def migrate(engine: Engine, path: Path) -> Path | None:
    """Bring the schema to head; returns the backup made first, if there was anything to keep."""
    found = current_revision(engine)
    head = head_revision()
    if found == head:
        return None
    if found is not None and found not in _known_revisions():
        raise DatabaseTooNew(str(path), found, head)
    backup = backup_copy(path, f"rev{found}") if found is not None else None
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    return backup


@dataclass(frozen=True)
class Installation:
    device: str
    epoch: int
    station_uuid: str | None
    user_uuid: str | None
    role: str  # station | hq


class Database:
    """One database file and its media folder."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.media = MediaStore(path.with_name(path.name + ".media"))
        self._clock: HybridClock | None = None
        self.last_backup: Path | None = None

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> Database:
        """Open (and migrate) a database; refuse one from a newer version of the app."""
        path = Path(path)
        if not path.exists() and not create:
            raise DatabaseNotInitialised(str(path))
        check_is_sqlite(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(path)
        db = cls(path, engine)
        try:
            db.last_backup = migrate(engine, path)
        except Exception:
            engine.dispose()
            raise
        return db

    def close(self) -> None:
        self.engine.dispose()

    # --- this installation --------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.session() as s:
            row = s.get(Meta, key)
            return row.value if row else default

    def set_meta(self, values: dict[str, str]) -> None:
        with self._sessions() as s, s.begin():
            for key, value in values.items():
                s.merge(Meta(key=key, value=value))

    def ensure_identity(self) -> Installation:
        """Give a new database its device id and epoch (once)."""
        if self.meta("device_id") is None:
            self.set_meta({"device_id": new_id(), "epoch": "1", "role": "station"})
        return self.installation()

    def installation(self) -> Installation:
        device = self.meta("device_id")
        if device is None:
            raise DatabaseNotInitialised(str(self.path))
        return Installation(
            device=device,
            epoch=int(self.meta("epoch", "1") or 1),
            station_uuid=self.meta("station_uuid"),
            user_uuid=self.meta("user_uuid"),
            role=self.meta("role", "station") or "station",
        )

    @property
    def is_initialised(self) -> bool:
        return self.meta("station_uuid") is not None

    def clock(self) -> HybridClock:
        if self._clock is None:
            inst = self.installation()
            with self.session() as s:
                last = s.execute(
                    select(Change.hlc).where(Change.device == inst.device)
                    .order_by(Change.epoch.desc(), Change.seq.desc()).limit(1)
                ).scalar()
            self._clock = HybridClock(inst.device, last=Timestamp.decode(last) if last else None)
        return self._clock

    # --- sessions -------------------------------------------------------------------------

    def session(self) -> Session:
        """A read session (a deferred transaction; WAL lets it read while another writes)."""
        return self._sessions()

    @contextmanager
    def writer(self, user: str | None = None) -> Iterator[Session]:
        """A write transaction with `BEGIN IMMEDIATE`; every change lands in the change log."""
        inst = self.installation()
        session = self._sessions()
        session.info[CONTEXT_KEY] = ChangeContext(
            device=inst.device, epoch=inst.epoch, user=user or inst.user_uuid or "",
            clock=self.clock(),
        )
        try:
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def bulk_writer(self, session: Session) -> changes.ChangeWriter:
        return changes.writer_for(session)

    def integrity_check(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
