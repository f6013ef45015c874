"""Record values to JSON and back: editor drafts survive a crash this way."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import datetime
from typing import Any

from ranger_app.domain.records import (
    LegValue,
    MemberValue,
    ObservationValue,
    PatrolValue,
    PhotoValue,
    TrackValue,
)
from ranger_app.domain.track import TrackStats


def _encode(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return {"$dt": obj.isoformat()}
    if isinstance(obj, bytes):
        return {"$b64": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"$dt"}:
            return datetime.fromisoformat(obj["$dt"])
        if set(obj) == {"$b64"}:
            return base64.b64decode(obj["$b64"])
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def value_to_json(value: Any) -> str:
    """Any record dataclass as JSON (datetimes and bytes tagged so they come back typed)."""
    return json.dumps(_encode(dataclasses.asdict(value)), ensure_ascii=False)


def json_to_dict(text: str) -> dict[str, Any]:
    """The fields of a value written by `value_to_json`; nested values stay dicts."""
    decoded: dict[str, Any] = _decode(json.loads(text))
    return decoded


def patrol_to_json(patrol: PatrolValue) -> str:
    return value_to_json(patrol)


def patrol_from_json(text: str) -> PatrolValue:
    d = json_to_dict(text)
    legs = [LegValue(**{**leg, "members": [MemberValue(**m) for m in leg["members"]]})
            for leg in d.pop("legs")]
    observations = [
        ObservationValue(**{**o, "photos": [PhotoValue(**p) for p in o["photos"]]})
        for o in d.pop("observations")
    ]
    tracks = [TrackValue(**{**t, "stats": TrackStats(**t["stats"])}) for t in d.pop("tracks")]
    attachments = [PhotoValue(**p) for p in d.pop("attachments")]
    return PatrolValue(**d, legs=legs, observations=observations, tracks=tracks,
                       attachments=attachments)
