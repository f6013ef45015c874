"""The command line is a contract (design section 8): commands, exit codes, languages."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ranger(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(home), XDG_DATA_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "ranger_app", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_init_import_export_and_exit_codes(tmp_path: Path) -> None:
    db = str(tmp_path / "ked.db")
    done = ranger("--db", db, "init", "--station", "KED", "--name", "Кедровая падь",
                  home=tmp_path)
    assert done.returncode == 0, done.stderr

    gpx = tmp_path / "walk.gpx"
    gpx.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="43.10" lon="131.20"><time>2025-02-10T01:00:00Z</time></trkpt>'
        '<trkpt lat="43.11" lon="131.20"><time>2025-02-10T01:20:00Z</time></trkpt>'
        "</trkseg></trk></gpx>", encoding="utf-8")
    done = ranger("--db", db, "import-gpx", str(gpx), home=tmp_path)
    assert done.returncode == 0, done.stderr
    patrol = done.stdout.split()[1].rstrip(":")
    assert "2 " in done.stdout and "1.11" in done.stdout  # points and km

    out = tmp_path / "out.gpx"
    assert ranger("--db", db, "export-gpx", patrol, str(out), home=tmp_path).returncode == 0
    assert "<trkpt" in out.read_text(encoding="utf-8")

    stats = json.loads(ranger("--db", db, "stats", "--json", home=tmp_path).stdout)
    assert stats["records"]["patrol"] == 1 and stats["track_points"] == 2
    assert ranger("--db", db, "audit", "verify", home=tmp_path).returncode == 0

    # 2: usage; 3: bad input (one line, in the chosen language); nothing written
    assert ranger("--db", db, "no-such-command", home=tmp_path).returncode == 2
    bad = tmp_path / "bad.gpx"
    bad.write_text("<gpx><trk>", encoding="utf-8")
    before = json.loads(ranger("--db", db, "stats", "--json", home=tmp_path).stdout)
    failed = ranger("--db", db, "--lang", "ru", "import-gpx", str(bad), home=tmp_path)
    assert failed.returncode == 3
    assert len(failed.stderr.strip().splitlines()) == 1
    assert "GPX" in failed.stderr and any("а" <= ch <= "я" for ch in failed.stderr)
    assert json.loads(ranger("--db", db, "stats", "--json", home=tmp_path).stdout) == before
    missing = ranger("--db", db, "import-gpx", str(tmp_path / "nowhere.gpx"), home=tmp_path)
    assert missing.returncode == 3

    # 4: refused by policy: a database from a newer version is not touched
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    refused = ranger("--db", db, "stats", "--json", home=tmp_path)
    assert refused.returncode == 4 and "newer" in refused.stderr


def test_camtrapdp_export_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    assert ranger("--db", db, "demo", "--scale", "small", home=tmp_path).returncode == 0
    done = ranger("--db", db, "export-camtrapdp", str(tmp_path / "cdp"), home=tmp_path)
    assert done.returncode == 0, done.stderr
    package = json.loads((tmp_path / "cdp" / "datapackage.json").read_text(encoding="utf-8"))
    assert "camtrap-dp/1.0.2" in package["profile"]
    assert json.loads(done.stdout)["deployments"] > 0
