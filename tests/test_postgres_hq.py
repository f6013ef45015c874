"""HQ on PostgreSQL (issue 13.4): the CLI on a server URL, and a bundle import that readers
running `stats` at the same time see wholly or not at all."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from test_sync_support import Site, introduce, make_site, patrol, send

from ranger_app.cli import main
from ranger_app.domain.errors import DatabaseNotInitialised
from ranger_app.store.db import Database, is_server_url, sqlalchemy_url
from ranger_app.store.queries import record_counts
from ranger_app.sync.importer import import_bundle


@pytest.fixture
def hq_url(pg_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("RANGER_TEST_HQ_DB", pg_database)
    monkeypatch.setenv("RANGER_HQ_FILES", str(tmp_path / "hq-files"))
    return pg_database


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_urls_are_told_from_files() -> None:
    assert is_server_url("postgresql://hq:pw@db.park.example/ranger")
    assert is_server_url("postgres://hq@localhost/ranger")
    assert not is_server_url("C:/Users/anna/ranger.db")
    assert sqlalchemy_url("postgresql://h/r") == "postgresql+psycopg://h/r"
    assert sqlalchemy_url("postgres://h/r") == "postgresql+psycopg://h/r"
    assert sqlalchemy_url("postgresql+psycopg://h/r") == "postgresql+psycopg://h/r"


def test_every_hq_command_runs_on_a_server_url(hq_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _cli(capsys, "--db", hq_url, "stats", "--json")
    assert code == 3 and "has not been set up yet" in err  # nothing there yet
    assert ":ranger@" not in err and ":***@" in err  # the password is not shown
    code, out, _err = _cli(capsys, "--db", hq_url, "init", "--hq", "--user", "Анна Инспектор")
    assert code == 0 and "HQ" in out and ":***@" in out  # the URL shown without password
    station = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    hq_db = Database.open(hq_url)
    hq = Site("HQ", hq_db, tmp_path / "HQ.keys")
    _cli(capsys, "--db", hq_url, "keys", "export", str(hq.keyfile))
    introduce(hq, station)
    patrol(station, "KED-001")
    bundle = send(station, hq, tmp_path / "stick")
    code, out, err = _cli(capsys, "--db", hq_url, "import-bundle", str(bundle))
    assert code == 0, err
    code, out, _err = _cli(capsys, "--db", hq_url, "stats", "--json")
    counts = json.loads(out)
    assert code == 0 and counts["records"]["patrol"] == 1 and counts["records"]["station"] == 2
    code, out, _err = _cli(capsys, "--db", hq_url, "audit", "verify")
    assert code == 0 and out.startswith("All 2 chains verify")
    hq_db.close()
    station.db.close()


def test_open_without_init_is_refused(hq_url: str) -> None:
    with pytest.raises(DatabaseNotInitialised):
        Database.open(hq_url)


def test_a_server_that_refuses_is_one_line_and_exit_3(
        hq_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = hq_url.rsplit("/", 1)[0] + "/no_such_database"  # the test server trusts logins
    code, _out, err = _cli(capsys, "--lang", "ru", "--db", wrong, "stats")
    assert code == 3 and len(err.strip().splitlines()) == 1, err
    assert "Не удалось подключиться к серверу базы данных" in err and "no_such_database" in err
    assert ":ranger@" not in err


def test_readers_see_an_import_wholly_or_not_at_all(hq_url: str, tmp_path: Path) -> None:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Инспектор", hq=True)
    station = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    introduce(hq, station)
    for i in range(120):
        patrol(station, f"KED-{i:03d}")
    bundle = send(station, hq, tmp_path / "stick")

    analyst = Database.open(hq_url)  # another analyst's connection pool
    before = record_counts(analyst)
    seen: list[dict[str, object]] = []
    errors: list[BaseException] = []
    importing = threading.Event()
    done = threading.Event()

    def read_in_a_loop() -> None:
        try:
            while not done.is_set():
                counts = record_counts(analyst)
                seen.append({"during": importing.is_set(), **counts})
        except BaseException as exc:  # the test reports it
            errors.append(exc)

    reader = threading.Thread(target=read_in_a_loop)
    reader.start()
    try:
        importing.set()
        report = import_bundle(hq.db, bundle)
    finally:
        done.set()
        reader.join(timeout=60)
    after = record_counts(analyst)
    assert not errors, errors
    assert report.status == "applied" and after["records"]["patrol"] == 120
    assert sum(1 for s in seen if s["during"]) >= 3  # the readers really ran alongside
    for s in seen:
        counts = {k: v for k, v in s.items() if k != "during"}
        assert counts in (before, after), counts  # never half a bundle
    analyst.close()
    hq.db.close()
    station.db.close()
