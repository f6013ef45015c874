"""Shared fixtures. Qt runs offscreen; every database lives under tmp_path."""

from __future__ import annotations

import os

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


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """A station database set up as a ranger would on first run."""
    database = Database.open(tmp_path / "station.db", create=True)
    init_station(database, StationSetup("KED", "Кедровая падь", "Иван Петров", "ru"))
    yield database
    database.close()
