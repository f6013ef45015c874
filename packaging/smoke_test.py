"""Smoke test of the FROZEN app: run `dist/ranger-app/ranger-app --self-test` as a laptop would.

    python3 packaging/smoke_test.py [dist/ranger-app]     # what `make package-test` runs

Standard library only, so any Python can run it against a built folder. The executable runs
with Qt offscreen, in a throwaway HOME/APPDATA/TMP, with no LANG and no PYTHONPATH (a frozen
app must need neither), from a copy of the folder so that the build itself is never touched.
Checks: `--self-test` exits 0 and reports every check; `--version`; a headless sub-command
(`init`, `stats --json`) in portable mode (`portable.txt` beside the executable puts the data
in `data/` there); and that running wrote nothing into the application folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_APP = REPO / "dist" / "ranger-app"
TIMEOUT = 300
EXPECTED_CHECKS = ("build", "resources", "qt", "cjk font", "timezones", "database",
                   "language ru", "language zh", "language en", "gpx import", "main window",
                   "photos", "crypto", "bundle")


class Failed(Exception):
    pass


def executable(folder: Path) -> Path:
    """The console executable: on Windows the GUI one has no stdout."""
    names = ["ranger-app-cli.exe", "ranger-app.exe"] if os.name == "nt" else ["ranger-app"]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise Failed(f"no {' or '.join(names)} in {folder}: build it with `make package`")


def clean_env(home: Path) -> dict[str, str]:
    keep = ("PATH", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "DISPLAY")
    env = {k: v for k, v in os.environ.items() if k in keep}
    for name in ("HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "XDG_DATA_HOME",
                 "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "TMPDIR", "TEMP",
                 "TMP"):
        env[name] = str(home / name.lower())
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    (home / "xdg_runtime_dir").chmod(0o700)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as err:
        raise Failed(f"`{' '.join(cmd[1:])}` did not finish in {TIMEOUT} s") from err
    print(f"$ {Path(cmd[0]).name} {' '.join(cmd[1:])}  -> exit {done.returncode} "
          f"in {time.perf_counter() - started:.1f} s")
    return done


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size
            for p in folder.rglob("*") if p.is_file()}


def smoke(app: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ranger-smoke-") as tmp:
        tmp_path = Path(tmp)
        home = tmp_path / "home"
        copy = tmp_path / "app"
        shutil.copytree(app, copy, symlinks=True)
        exe = executable(copy)
        env = clean_env(home)
        before = snapshot(copy)

        # 1. the self-test: every check passes (or is skipped with a reason)
        done = run([str(exe), "--self-test"], env, tmp_path)
        print(done.stdout, end="")
        noise = [line for line in done.stderr.splitlines()
                 if "propagateSizeHints" not in line]
        if noise:
            print("stderr:\n  " + "\n  ".join(noise[-40:]))
        if done.returncode != 0:
            raise Failed(f"--self-test exited {done.returncode}")
        reported = {line[6:].split(":", 1)[0] for line in done.stdout.splitlines()
                    if line[:6] in ("ok    ", "skip  ")}
        absent = [name for name in EXPECTED_CHECKS if name not in reported]
        if absent or "self-test: passed" not in done.stdout:
            raise Failed(f"--self-test did not report {absent or 'passed'}")
        if "not frozen" in done.stdout:
            raise Failed("the self-test did not run frozen")

        # 2. the version
        done = run([str(exe), "--version"], env, tmp_path)
        version = done.stdout.strip()
        if done.returncode != 0 or not version:
            raise Failed(f"--version: exit {done.returncode}, {done.stderr.strip()[-300:]}")
        print(f"  version {version}")

        # 3. headless sub-commands in portable mode: data lands in data/ beside the exe
        (copy / "portable.txt").write_text("portable\n", encoding="utf-8")
        done = run([str(exe), "--lang", "ru", "init", "--station", "SMK",
                    "--name", "Smoke"], env, tmp_path)
        if done.returncode != 0:
            raise Failed(f"init: exit {done.returncode}, {done.stderr.strip()[-300:]}")
        print(f"  {done.stdout.strip()}")
        portable_db = copy / "data" / "ranger.db"
        if not portable_db.is_file():
            raise Failed(f"portable mode: no {portable_db}")
        done = run([str(exe), "stats", "--json"], env, tmp_path)
        if done.returncode != 0:
            raise Failed(f"stats: exit {done.returncode}, {done.stderr.strip()[-300:]}")
        stats = json.loads(done.stdout)
        if stats["records"].get("station") != 1:
            raise Failed(f"stats after init: {stats['records']}")
        print(f"  portable database {portable_db.relative_to(copy)}: "
              f"{stats['records']['station']} station, {stats['changes']} changes")
        shutil.rmtree(copy / "data")
        (copy / "portable.txt").unlink()

        # 4. nothing written into the application folder (it may be read-only)
        after = snapshot(copy)
        changed = sorted(set(after) ^ set(before)) + sorted(
            k for k in set(after) & set(before) if after[k] != before[k])
        if changed:
            raise Failed(f"running wrote into the app folder: {changed[:10]}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    app = Path(args[0]) if args else DEFAULT_APP
    started = time.perf_counter()
    try:
        smoke(app.resolve())
    except Failed as err:
        print(f"SMOKE TEST FAILED: {err}")
        return 1
    print(f"smoke test passed in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
