"""Typed errors that carry data, not sentences.

The UI and the CLI turn each one into a message in the user's language
(`ranger_app.i18n.messages.describe`). `exit_code` follows design section 8:
3 for bad input, 4 for what trust or policy refuses.
"""

from __future__ import annotations

from dataclasses import dataclass


class RangerError(Exception):
    """Base of every error a user may see; subclasses are dataclasses with the facts."""

    exit_code = 3

    def __str__(self) -> str:  # for logs; users see the translated description
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class BadInput(RangerError):
    exit_code = 3


class Refused(RangerError):
    exit_code = 4


@dataclass
class FileTooLarge(BadInput):
    path: str
    size: int
    limit: int


@dataclass
class MalformedFile(BadInput):
    path: str
    kind: str  # "gpx", "csv", ...
    detail: str


@dataclass
class FileUnreadable(BadInput):
    path: str
    detail: str


@dataclass
class CannotWrite(BadInput):
    """The export's target cannot be written (a file where a folder is wanted, read-only)."""

    path: str
    detail: str


@dataclass
class NoTrackPoints(BadInput):
    path: str


@dataclass
class GpxWithoutTimes(BadInput):
    """A planned route or a device whose clock never fixed: the patrol needs its times."""

    path: str
    clock_unset: bool = False


@dataclass
class CoordinateOutOfRange(BadInput):
    lat: float
    lon: float
    where: str = ""


@dataclass
class EndBeforeStart(BadInput):
    start: str
    end: str
    what: str = "patrol"


@dataclass
class TimeInFuture(BadInput):
    value: str


@dataclass
class NotAnImage(BadInput):
    path: str


@dataclass
class ImageTooLarge(BadInput):
    """A decompression bomb, or simply more pixels than we agree to decode."""

    path: str
    pixels: int
    limit: int


@dataclass
class MissingValue(BadInput):
    field: str


@dataclass
class InvalidValue(BadInput):
    field: str
    value: str


@dataclass
class UnknownCode(BadInput):
    vocabulary: str
    code: str


@dataclass
class RecordNotFound(BadInput):
    entity: str
    uuid: str


@dataclass
class DatabaseTooNew(Refused):
    path: str
    found: str
    supported: str


@dataclass
class NotADatabase(BadInput):
    path: str


@dataclass
class DatabaseNotInitialised(BadInput):
    path: str


@dataclass
class DatabaseUnreachable(BadInput):
    """The PostgreSQL server did not answer or refused the login (an HQ on a server)."""

    location: str
    detail: str


@dataclass
class AlreadyInitialised(BadInput):
    path: str


@dataclass
class RecordLocked(Refused):
    entity: str
    uuid: str
    status: str
