"""Every typed error as one sentence in the user's language: what is wrong, what to do."""

from __future__ import annotations

from collections.abc import Callable

from ranger_app.domain import errors as e
from ranger_app.i18n import N_, _


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


# the fields a message may name, as the forms label them (never the internal name)
FIELD_LABELS = {
    "start_at": N_("the start date and time"),
    "end_at": N_("the end date and time"),
}


_DESCRIBE: dict[type, Callable[..., str]] = {
    e.FileTooLarge: lambda x: _(
        "The file {path} is {size} MB, more than the limit of {limit} MB. "
        "Split it on the GPS device or raise the limit in the settings."
    ).format(path=x.path, size=_mb(x.size), limit=_mb(x.limit)),
    e.MalformedFile: lambda x: _(
        "The file {path} is not a readable {kind} file ({detail}). "
        "Export it again from the device and retry."
    ).format(path=x.path, kind=x.kind.upper(), detail=x.detail),
    e.FileUnreadable: lambda x: _(
        "The file {path} cannot be read ({detail}). Check that it exists and that the USB "
        "stick is still plugged in."
    ).format(path=x.path, detail=x.detail),
    e.CannotWrite: lambda x: _(
        "Cannot write to {path} ({detail}). Choose another folder, or check that the USB "
        "stick is plugged in and not full."
    ).format(path=x.path, detail=_(x.detail)),  # our own reasons are N_() texts
    e.GpxWithoutTimes: lambda x: (_(
        "The file {path} has times from a GPS clock that was never set, so they cannot date "
        "the patrol.") if x.clock_unset else _(
        "The file {path} has no times (a planned route, or a device that does not record "
        "them), so the patrol's date cannot be taken from it.")).format(path=x.path) + " " + _(
        "Give the patrol's start and end, for example --start 2024-05-01T08:00 "
        "--end 2024-05-01T17:00 (local time), or add the file to an existing patrol with "
        "--patrol ID."),
    e.NoTrackPoints: lambda x: _(
        "The file {path} holds no track points and no waypoints. "
        "Check that the right file was chosen."
    ).format(path=x.path),
    e.CoordinateOutOfRange: lambda x: _(
        "The position {lat}, {lon} is impossible: latitude must be between -90 and 90, "
        "longitude between -180 and 180."
    ).format(lat=x.lat, lon=x.lon),
    e.EndBeforeStart: lambda x: _(
        "The end ({end}) is before the start ({start}). Correct the times."
    ).format(start=x.start, end=x.end),
    e.TimeInFuture: lambda x: _(
        "The time {value} is in the future. Check the date and the laptop's clock."
    ).format(value=x.value),
    e.NotAnImage: lambda x: _(
        "The file {path} is not a photo this program can read (JPEG, PNG or TIFF)."
    ).format(path=x.path),
    e.ImageTooLarge: lambda x: _(
        "The image {path} has {pixels} million pixels, more than the limit of {limit} "
        "million. It may be damaged or malicious; it was not added."
    ).format(path=x.path, pixels=x.pixels // 1_000_000, limit=x.limit // 1_000_000),
    e.MissingValue: lambda x: _("A required value is missing: {field}.").format(
        field=_(FIELD_LABELS[x.field]) if x.field in FIELD_LABELS else x.field),
    e.InvalidValue: lambda x: _("The value “{value}” is not valid for {field}.").format(
        value=x.value, field=x.field),
    e.UnknownCode: lambda x: _("Unknown code {code} in the list {vocabulary}.").format(
        code=x.code, vocabulary=x.vocabulary),
    e.RecordNotFound: lambda x: _("No {entity} with the id {uuid} exists.").format(
        entity=x.entity, uuid=x.uuid),
    e.DatabaseTooNew: lambda x: _(
        "The database {path} was written by a newer version of Ranger Field Log "
        "(schema {found}; this version knows {supported}). Install the newer version; "
        "the database was not changed."
    ).format(path=x.path, found=x.found, supported=x.supported),
    e.NotADatabase: lambda x: _("The file {path} is not a Ranger Field Log database.").format(
        path=x.path),
    e.DatabaseNotInitialised: lambda x: _(
        "The database {path} has not been set up yet. Run “ranger-app init” or start the "
        "program and follow the first-run steps."
    ).format(path=x.path),
    e.DatabaseUnreachable: lambda x: _(
        "Could not connect to the database server {location}: {detail}. Check the address, "
        "user and password, and that the server is running; nothing was changed."
    ).format(location=x.location, detail=x.detail),
    e.AlreadyInitialised: lambda x: _(
        "The database {path} is already set up for a station.").format(path=x.path),
    e.RecordLocked: lambda x: _(
        "This {entity} is {status} and locked; changes need an amendment.").format(
        entity=x.entity, status=x.status),
}


def describe(error: BaseException) -> str:
    """A translated sentence for a known error; a generic one otherwise."""
    for cls in type(error).__mro__:
        if cls in _DESCRIBE:
            return _DESCRIBE[cls](error)
    return _("Something went wrong: {detail}").format(detail=str(error))
