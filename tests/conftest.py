"""Shared fixtures. Qt runs offscreen; every database lives under tmp_path."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from ranger_app.i18n import set_language
from ranger_app.store.db import Database
from ranger_app.store.setup import StationSetup, init_station

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CAMTRAP_MEDIA = SHARED / "camtrap-dp-1.0.2" / "example" / "media"


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
