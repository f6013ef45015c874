"""A trainer's first exercise, through the command line as a new user types it (issue 13.1).

HQ and two stations are set up and trust each other's keys; the demo season is made at
station A; A's bundle goes to HQ, where the demo inspectors' approvals wait until HQ
certifies their keys (issue 13.2), and HQ's bundle goes to B. Every step must succeed, and B
must end up holding A's approved patrols with approvals that verify.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class Cli:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(root),
                    "XDG_DATA_HOME": str(root / "data"), "XDG_CONFIG_HOME": str(root / "cfg")}

    def __call__(self, db: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ranger_app", "--db", str(self.root / db), *args],
            capture_output=True, text=True, env=self.env, cwd=self.root, timeout=300)

    def ok(self, db: str, *args: str) -> str:
        run = self(db, *args)
        assert run.returncode == 0, (args, run.stdout, run.stderr)
        return run.stdout


def _bundle(cli: Cli, src: str, to: str, name: str) -> Path:
    out = cli.root / name
    out.mkdir()
    return Path(cli.ok(src, "export-bundle", "--to", to, "--out", str(out)).splitlines()[0])


def test_demo_season_at_a_station_reaches_hq_and_the_other_station(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("hq.db", "init", "--hq", "--name", "Дирекция")
    cli.ok("a.db", "init", "--station", "BAR", "--name", "Барсовый")
    cli.ok("b.db", "init", "--station", "KED", "--name", "Кедровая падь")
    cli.ok("hq.db", "keys", "export", str(tmp_path / "hq.keys"))
    for station in ("a", "b"):
        cli.ok(f"{station}.db", "keys", "export", str(tmp_path / f"{station}.keys"))
        cli.ok("hq.db", "keys", "trust", str(tmp_path / f"{station}.keys"))
        cli.ok(f"{station}.db", "keys", "trust", str(tmp_path / "hq.keys"))

    summary = json.loads(cli.ok("a.db", "demo", "--scale", "small"))
    approved = summary["patrol_status"]["APPROVED"]
    assert approved > 0

    run = cli("hq.db", "import-bundle", str(_bundle(cli, "a.db", "HQ", "to-hq")))
    assert run.returncode == 0, run.stderr
    # The demo inspectors' keys were made at A: HQ has not certified them yet, so their
    # approvals wait (named, with what to do) while the rest of the season is imported.
    waiting = run.stderr.splitlines()
    assert len(waiting) == approved, run.stderr
    assert all(re.search(r"approval of patrol \S*BAR-\S+ by .* waits", line) for line in waiting)
    people = sorted(set(re.findall(r"keys certify --person (\S+) --role inspector",
                                   run.stderr)))
    assert people
    assert json.loads(cli.ok("hq.db", "stats", "--json"))["patrol_status"].get(
        "APPROVED") is None
    released = "".join(cli.ok("hq.db", "keys", "certify", "--person", person, "--role",
                              "inspector") for person in people)
    assert released.count("is now applied") == approved
    cli.ok("b.db", "import-bundle", str(_bundle(cli, "hq.db", "KED", "to-b")))

    for db in ("hq.db", "b.db"):
        stats = json.loads(cli.ok(db, "stats", "--json"))
        assert stats["patrol_status"].get("APPROVED") == approved, (db, stats)
        audit = cli.ok(db, "audit", "verify")
        assert "chains verify" in audit and "before approvals were signed" not in audit

    # the demo's other cordon is marked as A's, so it never takes a real code (B is KED)
    stations = json.loads(cli.ok("b.db", "stats", "--json"))["records"]["station"]
    assert stations == 4  # HQ, KED, BAR and A's demo cordon KED-DEMO-BAR

