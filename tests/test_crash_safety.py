"""A writer killed mid-save (SIGKILL: a flat battery, in effect) loses nothing committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ranger_app.store.audit import verify
from ranger_app.store.db import Database
from ranger_app.store.patrols import load_patrol
from ranger_app.store.queries import record_counts

WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from ranger_app.domain.records import LegValue, ObservationValue, PatrolValue
    from ranger_app.store.db import Database
    from ranger_app.store.patrols import save_patrol

    db = Database.open(sys.argv[1])
    station = db.installation().station_uuid
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    i = 0
    while True:
        i += 1
        start = t0 + timedelta(hours=i)
        p = PatrolValue(station_uuid=station, number=f"N-{i}", start_at=start,
                        end_at=start + timedelta(hours=3),
                        legs=[LegValue("FOOT", start, start + timedelta(hours=3))],
                        observations=[ObservationValue("SNARE", start, 43.0, 131.0,
                                                       notes="x" * 5000)
                                      for _ in range(20)])
        save_patrol(db, p)
        print(p.uuid, flush=True)  # printed only after the commit returned
""")


@pytest.mark.parametrize("delay", [0.05, 0.23, 0.61])
def test_sigkill_mid_save_keeps_every_committed_patrol(db: Database, tmp_path: Path,
                                                       delay: float) -> None:
    db.close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, str(script), str(db.path)],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # it is writing now
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    out, _err = proc.communicate()
    committed = [first.strip(), *out.split()]
    assert len(committed) >= 1
    reopened = Database.open(db.path)
    try:
        assert reopened.integrity_check() == "ok"
        for uuid in committed:
            patrol = load_patrol(reopened, uuid)
            assert len(patrol.observations) == 20
        patrols = record_counts(reopened)["records"]["patrol"]
        # the one being written when the process died is either all there or not at all
        assert patrols in (len(committed), len(committed) + 1)
        assert record_counts(reopened)["records"]["observation"] == 20 * patrols
        assert verify(reopened).ok
    finally:
        reopened.close()
