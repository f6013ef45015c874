"""Opening the database: pragmas, migrations (after a backup), and write sessions.

SQLite runs in WAL mode with `synchronous=FULL` and foreign keys on: a ranger's laptop may
lose power at any moment, and a committed patrol must survive it. Write transactions start
with `BEGIN IMMEDIATE` so two writers never interleave their change-log sequence numbers.

An HQ with several analysts may run on PostgreSQL (`--db postgresql://…`, psycopg 3): the
same models and migrations. There every read session is one REPEATABLE READ snapshot (a
report sees a bundle import wholly or not at all), and a write transaction runs at READ
COMMITTED after taking one transaction-level advisory lock: writers queue as they do behind
SQLite's `BEGIN IMMEDIATE`, readers never wait.
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

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ranger_app.domain.errors import (
    DatabaseNotInitialised,
    DatabaseTooNew,
    DatabaseUnreachable,
    NotADatabase,
)
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


#: Key of the advisory lock every PostgreSQL write transaction takes ("RANGER" in ASCII).
PG_WRITE_LOCK = 0x52414E474552
PG_SCHEMES = ("postgresql", "postgres")


def is_server_url(location: Path | str) -> bool:
    """True for a PostgreSQL URL (`postgresql://…`, `postgres://…`, `postgresql+psycopg://…`)."""
    text_ = str(location)
    return "://" in text_ and text_.split("://", 1)[0].split("+", 1)[0] in PG_SCHEMES


def sqlalchemy_url(location: str) -> str:
    """A plain `postgresql://` URL with psycopg 3 as the driver (SQLAlchemy's default is
    psycopg2, which the app does not ship)."""
    scheme, rest = location.split("://", 1)
    if "+" not in scheme:
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def server_files_dir(location: str) -> Path:
    """Where an HQ on PostgreSQL keeps what is not rows: photos and the sync workspace.

    `RANGER_HQ_FILES` names it (a folder every importing machine shares); by default one
    folder per server and database under the user's data folder.
    """
    chosen = os.environ.get("RANGER_HQ_FILES")
    if chosen:
        return Path(chosen)
    from ranger_app import paths

    url = make_url(sqlalchemy_url(location))
    name = f"{url.host or 'local'}_{url.port or 5432}_{url.database or 'ranger'}"
    return paths.user_data_dir() / "postgresql" / name


def make_server_engine(location: str) -> Engine:
    engine = create_engine(sqlalchemy_url(location), future=True,
                           isolation_level="REPEATABLE READ", pool_pre_ping=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("ranger_write"):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")

    return engine


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
        if not inspect(conn).has_table("alembic_version"):
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
    # PostgreSQL runs DDL inside the transaction: a failed upgrade leaves the old schema,
    # and the HQ's own pg_dump is the copy to keep (README); no file to copy here.
    on_file = engine.dialect.name == "sqlite"
    backup = backup_copy(path, f"rev{found}") if found is not None and on_file else None
    from alembic import command

    cfg = alembic_config()
    with engine.connect().execution_options(ranger_write=True) as conn:
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
    """One database (a file, or a PostgreSQL database) and its media folder.

    `path` is the file, or for PostgreSQL a name inside `server_files_dir` that the media
    folder and the sync workspace hang from; `location` is what was opened (path or URL).
    """

    def __init__(self, path: Path, engine: Engine, location: str | None = None) -> None:
        self.path = path
        self.location = location or str(path)
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.media = MediaStore(path.with_name(path.name + ".media"))
        self._clock: HybridClock | None = None
        self.last_backup: Path | None = None

    @property
    def on_server(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> Database:
        """Open (and migrate) a database; refuse one from a newer version of the app."""
        if is_server_url(path):
            return cls._open_server(str(path), create=create)
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

    @classmethod
    def _open_server(cls, location: str, *, create: bool) -> Database:
        engine = make_server_engine(location)
        files = server_files_dir(location)
        db = cls(files / (make_url(engine.url).database or "ranger"), engine, location)
        try:
            try:
                found = current_revision(engine)
            except OperationalError as exc:
                detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                raise DatabaseUnreachable(db.display_location, detail) from None
            if found is None and not create:
                raise DatabaseNotInitialised(db.display_location)
            files.mkdir(parents=True, exist_ok=True)
            db.last_backup = migrate(engine, db.path)
        except Exception:
            engine.dispose()
            raise
        return db

    @property
    def display_location(self) -> str:
        """What messages show: the file, or the URL without its password."""
        if not self.on_server:
            return str(self.path)
        return make_url(self.engine.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # --- this installation --------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.session() as s:
            row = s.get(Meta, key)
            return row.value if row else default

    def set_meta(self, values: dict[str, str]) -> None:
        with self.write_session() as s:
            for key, value in values.items():
                s.merge(Meta(key=key, value=value))
            s.commit()

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
            session.connection(execution_options=self._write_options())
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _write_options(self) -> dict[str, object]:
        if self.on_server:
            return {"isolation_level": "READ COMMITTED", "ranger_write": True}
        return {"sqlite_begin": "IMMEDIATE"}

    def write_session(self) -> Session:
        """A session whose first statement opens a write transaction (meta, drafts)."""
        session = self._sessions()
        session.connection(execution_options=self._write_options())
        return session

    def bulk_writer(self, session: Session) -> changes.ChangeWriter:
        return changes.writer_for(session)

    def integrity_check(self) -> str:
        """SQLite's page check; on PostgreSQL, that every foreign key still finds its row
        (the server checks its own pages; what a client can break is references)."""
        if not self.on_server:
            with self.engine.connect() as conn:
                return str(conn.execute(text("PRAGMA integrity_check")).scalar())
        from ranger_app.store.models import Base

        broken = []
        with self.session() as s:
            for table in Base.metadata.sorted_tables:
                for fk in table.foreign_keys:
                    parent = fk.column
                    orphan = s.execute(
                        select(fk.parent).select_from(table.outerjoin(
                            parent.table, fk.parent == parent))
                        .where(fk.parent.is_not(None), parent.is_(None)).limit(1)).first()
                    if orphan is not None:
                        broken.append(f"{table.name}.{fk.parent.name} -> {orphan[0]}")
        return "ok" if not broken else "; ".join(broken)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
