"""The sync commands of design §8: names, options, output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_sync_support import Site, edit, fire, introduce, make_site, patrol, run_cli, state

from ranger_app.store.models import FireReport
from ranger_app.sync.identity import ensure_keys


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван")
    yield hq, a
    hq.db.close()
    a.db.close()


def test_keys_show_export_trust_revoke(pair: tuple[Site, Site], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    hq, a = pair
    fpr = ensure_keys(a.db).fingerprint
    code, out = run_cli(capsys, a, "keys", "show")
    assert code == 0 and fpr in out and "KED" in out and "age1" in out
    out_file = tmp_path / "ked.keys"
    assert run_cli(capsys, a, "keys", "export", str(out_file))[0] == 0
    body = json.loads(out_file.read_text())
    assert (body["station_code"], body["station_name"], body["fingerprint"]) == (
        "KED", "Кедровая падь", fpr)
    assert "secret" not in out_file.read_text().lower()
    code, out = run_cli(capsys, hq, "keys", "trust", str(out_file))
    assert code == 0 and fpr in out
    assert fpr in run_cli(capsys, hq, "keys", "show")[1]
    code, out = run_cli(capsys, hq, "keys", "revoke", fpr.replace("-", " "))
    assert code == 0 and "Revoked" in out
    assert run_cli(capsys, hq, "keys", "trust", str(out_file))[0] == 4  # revocation is final
    assert run_cli(capsys, hq, "keys", "revoke", "AAAA-BBBB-CCCC-DDDD")[0] == 3
    junk = tmp_path / "junk.keys"
    junk.write_text('{"format": "ranger-keys/1", "signing_key": "eA=="}')
    code, out = run_cli(capsys, hq, "keys", "trust", str(junk))
    assert code == 3 and "not a key file" in out
    body["station_name"] = "Подмена"  # a key file altered on the way
    junk.write_text(json.dumps(body))
    assert run_cli(capsys, hq, "keys", "trust", str(junk))[0] == 3


def test_export_import_dry_run_and_conflicts(pair: tuple[Site, Site], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    hq, a = pair
    assert run_cli(capsys, a, "export-bundle", "--to", "HQ", "--out", str(tmp_path))[0] == 4
    introduce(hq, a)
    shared = fire(hq)
    code, out = run_cli(capsys, hq, "export-bundle", "--to", "KED", "--out", str(tmp_path))
    path = out.splitlines()[0]
    assert code == 0 and path.endswith(".rangerbundle") and "ack bundle for KED" in out
    assert run_cli(capsys, a, "import-bundle", path)[0] == 0
    edit(a, FireReport, shared, notes="A")
    edit(hq, FireReport, shared, notes="HQ")
    patrol(a, "KED-1")
    code, out = run_cli(capsys, a, "export-bundle", "--to", "HQ", "--out", str(tmp_path / "s"))
    path = out.splitlines()[0]
    before = state(hq.db)
    code, out = run_cli(capsys, hq, "import-bundle", "--dry-run", path)
    assert code == 0 and out.startswith("Dry run, nothing was written")
    assert "1 new conflicts" in out
    assert state(hq.db) == before
    code, out = run_cli(capsys, hq, "conflicts")
    assert (code, out) == (0, "No unresolved conflicts.")
    assert run_cli(capsys, hq, "import-bundle", path)[0] == 0
    code, out = run_cli(capsys, hq, "conflicts", "--json")
    rows = json.loads(out)
    assert [(r["entity"], r["field"], r["kind"]) for r in rows] == [
        ("fire_report", "notes", "field")]
    assert {rows[0]["value_a"], rows[0]["value_b"]} == {"A", "HQ"}
    assert "notes (field)" in run_cli(capsys, hq, "conflicts")[1]


def test_usage_errors_exit_2(pair: tuple[Site, Site], capsys: pytest.CaptureFixture[str]) -> None:
    _hq, a = pair
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, a, "export-bundle", "--out", "x")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, a, "keys")
    assert exc.value.code == 2
