"""Version vectors: which changes a database has applied, per device and epoch.

`{device: {epoch: max contiguous seq}}`. One device may have several epochs (each restore
from a backup starts a new one); an old epoch's changes stay valid history, so the vector
keeps every epoch rather than only the latest. Because import refuses gaps (a bundle whose
prerequisites are missing waits), the highest seq held is also the highest contiguous one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ranger_app.store.models import Change

Origin = tuple[str, int]  # (device, epoch)


@dataclass(frozen=True)
class VersionVector:
    entries: Mapping[Origin, int] = field(default_factory=dict)

    def get(self, device: str, epoch: int) -> int:
        return self.entries.get((device, epoch), 0)

    def __iter__(self) -> Iterator[tuple[Origin, int]]:
        return iter(sorted(self.entries.items()))

    def merged(self, other: VersionVector) -> VersionVector:
        """Element-wise maximum: knowledge only grows, so a replayed old ack changes nothing."""
        out = dict(self.entries)
        for key, seq in other.entries.items():
            out[key] = max(out.get(key, 0), seq)
        return VersionVector(out)

    def covers(self, device: str, epoch: int, seq: int) -> bool:
        return self.get(device, epoch) >= seq

    def to_json_obj(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (device, epoch), seq in sorted(self.entries.items()):
            out.setdefault(device, {})[str(epoch)] = seq
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_json_obj(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json_obj(cls, obj: object) -> VersionVector:
        """Parse and validate (the object may come from a bundle)."""
        if not isinstance(obj, dict):
            raise ValueError("vector must be an object")
        entries: dict[Origin, int] = {}
        for device, epochs in obj.items():
            if not isinstance(device, str) or not isinstance(epochs, dict):
                raise ValueError("vector entry must map a device to epochs")
            for epoch, seq in epochs.items():
                if not str(epoch).isdigit() or type(seq) is not int or seq < 0:
                    raise ValueError("vector epoch and seq must be counts")
                entries[(device, int(epoch))] = seq
        return cls(entries)

    @classmethod
    def from_json(cls, text: str) -> VersionVector:
        return cls.from_json_obj(json.loads(text or "{}"))


def local_vector(session: Session) -> VersionVector:
    """What this database holds, read from the change log."""
    rows = session.execute(
        select(Change.device, Change.epoch, func.max(Change.seq))
        .group_by(Change.device, Change.epoch)
    ).all()
    return VersionVector({(device, epoch): seq for device, epoch, seq in rows})
