"""User settings kept as a small JSON file in the user data folder (language, last database)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ranger_app import paths


@dataclass
class Settings:
    language: str = ""
    database: str = ""
    gpx_max_mb: int = 200
    autosave_seconds: float = 2.0
    recent: list[str] = field(default_factory=list)
    basemap: str = ""  # sha256 of the basemap shown under the maps; "none": the grid only
    hidden_layers: list[str] = field(default_factory=list)  # uuids of map layers switched off

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or paths.settings_file()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, path: Path | None = None) -> None:
        path = path or paths.settings_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)
