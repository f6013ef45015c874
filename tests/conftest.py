"""Shared fixtures. Qt runs offscreen; every database lives under tmp_path."""

from __future__ import annotations

import os
import time
import warnings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from ranger_app.i18n import set_language
from ranger_app.store.db import Database
from ranger_app.store.setup import StationSetup, init_station
from tests.camtrap_photos import camtrap_media

REPO = Path(__file__).resolve().parents[1]
# The Camtrap DP 1.0.2 schemas and example package (MIT, licence beside them) and photos the
# tests make: the suite needs nothing outside the repository.
CAMTRAP_SPEC = REPO / "tests" / "data" / "camtrapdp" / "1.0.2"
CAMTRAP_MEDIA = camtrap_media()


@pytest.fixture(autouse=True)
def _english_and_private_settings(tmp_path_factory: pytest.TempPathFactory,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts in English with its own settings and data folder."""
    home = tmp_path_factory.mktemp("userdata")
    monkeypatch.setattr("ranger_app.paths.user_data_dir", lambda: home)
    monkeypatch.setattr("ranger_app.paths.settings_file", lambda: home / "settings.json")
    set_language("en")


# --- PostgreSQL (issue 13.4) ----------------------------------------------------------------
# These modules run once on SQLite and once with the database under test on PostgreSQL
# (the `db` fixture, and the HQ site of test_sync_support.make_site). A test about the SQLite
# file itself carries `@pytest.mark.sqlite_only` and runs once.
PG_MODULES = {"test_sync_e2e", "test_sync_cli", "test_store"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if (module in PG_MODULES and "db_backend" in metafunc.fixturenames
            and metafunc.definition.get_closest_marker("sqlite_only") is None):
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The server .ci/start_postgres.sh started; absent locally means skip, in CI a failure."""
    url = os.environ.get("RANGER_TEST_PG_URL")
    if not url:
        reason = "RANGER_TEST_PG_URL is not set (run `eval \"$(.ci/start_postgres.sh)\"`)"
        if os.environ.get("RANGER_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_database(pg_url: str) -> str:
    """A fresh, empty database on that server for one test, dropped afterwards."""
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ranger_test_{secrets.token_hex(5)}"
    admin_url = make_url(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    conninfo = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.set(drivername="postgresql", database=name).render_as_string(
        hide_password=False)
    # FORCE cannot end a backend of another role (an autovacuum worker that just started on
    # the database): wait for it a few times; the server is thrown away after the run anyway.
    for attempt in range(10):
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            break
        except psycopg.errors.InsufficientPrivilege:
            if attempt == 9:
                warnings.warn(f"test database {name} left on the throwaway server",
                              stacklevel=1)
            time.sleep(0.3)


@pytest.fixture(autouse=True)
def db_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """"sqlite" unless parametrized; for "postgresql", RANGER_TEST_HQ_DB names the database."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        monkeypatch.setenv("RANGER_TEST_HQ_DB", request.getfixturevalue("pg_database"))
    return backend


@pytest.fixture
def db(tmp_path: Path, db_backend: str) -> Database:
    """A station database set up as a ranger would on first run."""
    where = os.environ["RANGER_TEST_HQ_DB"] if db_backend == "postgresql" else (
        tmp_path / "station.db")
    database = Database.open(where, create=True)
    init_station(database, StationSetup("KED", "Кедровая падь", "Иван Петров", "ru"))
    yield database
    database.close()
