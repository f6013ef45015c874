"""`pip install .` works: the wheel carries resources/ and compiled catalogs, and runs.

The wheel is built from a clean copy of the source (what `git clone` gives: no `.mo`, no
build folder), without build isolation so it works offline (setuptools and Babel come from
the project venv). It is installed, without pip resolving anything, into a fresh venv whose
only other path is the project venv's site-packages (for the dependencies: a plain path, so
the editable install's finder there is not run). Every command runs from that venv's own
`ranger-app` script in an empty folder: nothing of the source tree is on its path.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[1]
IGNORED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                 "*.pyc", "*.mo", "*.db", ".pytest_cache", ".ruff_cache",
                                 ".hypothesis", ".import_linter_cache", "screenshots")


def clean_copy(target: Path) -> Path:
    """The source files a clone would have (git's list when there is one)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=False) if shutil.which("git") else None
    if listed is None or listed.returncode != 0:
        shutil.copytree(REPO, target, ignore=IGNORED)
        return target
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file() and not name.endswith(".mo"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def translated(lang: str, msgid: str) -> str:
    with (REPO / "translations" / lang / "LC_MESSAGES" / "ranger_app.po").open("rb") as fh:
        message = read_po(fh).get(msgid)
    assert message is not None and message.string, (lang, msgid)
    return str(message.string)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    source = clean_copy(root / "src")
    assert not list(source.rglob("*.mo"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(root / "dist")],
        capture_output=True, text=True, timeout=120, cwd=root)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("ranger_app-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for lang in ("ru", "zh_Hans"):
        assert f"ranger_app/translations/{lang}/LC_MESSAGES/ranger_app.mo" in names
    assert "ranger_app/resources/vocab/transports.csv" in names
    assert "ranger_app/store/migrations/versions/0001_initial_schema.py" in names

    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True,
                   timeout=60)
    python = env_dir / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)], capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stderr
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                          "['purelib'])"], capture_output=True, text=True, check=True)
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(own.stdout.strip()) / "ranger-deps.pth").write_text("\n".join(deps) + "\n")
    return env_dir


def ranger(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(cwd), XDG_DATA_HOME=str(cwd), XDG_CONFIG_HOME=str(cwd))
    return subprocess.run([str(venv / "bin" / "ranger-app"), *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=cwd)


@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is POSIX")
def test_the_installed_wheel_runs_on_its_own(venv: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import ranger_app.paths as p; print(p.package_root())"],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    root = Path(where.stdout.strip())
    assert root.is_relative_to(venv) and REPO not in root.parents

    db = str(tmp_path / "t.db")
    done = ranger(venv, "--db", db, "init", "--station", "T", "--name", "T", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = ranger(venv, "--db", db, "demo", "--scale", "small", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    stats = ranger(venv, "--db", db, "stats", "--json", cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    counts = json.loads(stats.stdout)
    assert counts["records"]["patrol"] == made["patrols"] > 0
    assert counts["track_points"] == made["track_points"] > 0
    ru_stats = ranger(venv, "--db", db, "--lang", "ru", "stats", "--json", cwd=tmp_path)
    assert json.loads(ru_stats.stdout) == counts

    # the compiled catalogs inside the wheel are the ones that speak
    english = "All {chains} chains verify: {changes} changes, {rows} records."
    for lang, folder in (("ru", "ru"), ("zh", "zh_Hans")):
        done = ranger(venv, "--db", db, "--lang", lang, "audit", "verify", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        words = translated(folder, english).split("{chains}")[0].strip()
        assert words and done.stdout.startswith(words), done.stdout
    refused = ranger(venv, "--db", db, "--lang", "ru", "import-gpx",
                     str(tmp_path / "nowhere.gpx"), cwd=tmp_path)
    assert refused.returncode == 3 and any("а" <= c <= "я" for c in refused.stderr.lower())
