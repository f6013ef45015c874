"""Typed errors of the sync layer, and their sentences in the user's language.

Each error carries facts, not prose; `ranger_app.i18n.messages.describe` turns it into one
sentence saying what is wrong and what to do. Importing this module registers the sentences.
Bad input (a damaged or malicious file) exits 3; what trust or policy refuses exits 4.
"""

from __future__ import annotations

from dataclasses import dataclass

from ranger_app.domain.errors import BadInput, Refused
from ranger_app.i18n import _
from ranger_app.i18n.messages import _DESCRIBE


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


@dataclass
class BundleUnreadable(BadInput):
    """Truncated, bit-flipped or not a bundle at all: age or zip could not read it."""

    path: str
    detail: str


@dataclass
class BundleTampered(BadInput):
    """A signature or a member's SHA-256 does not match: changed after it was signed."""

    path: str
    member: str


@dataclass
class BundleMalformed(BadInput):
    """Well signed but not what this version understands (bad JSON, unknown entity...)."""

    path: str
    detail: str


@dataclass
class UnsafeArchive(BadInput):
    """The inner zip breaks a safety rule (name, duplicate, link, size or ratio)."""

    path: str
    member: str
    reason: str  # marked with N_, translated when shown


@dataclass
class BundleTooLarge(BadInput):
    path: str
    size: int
    limit: int


@dataclass
class NotEnoughSpace(BadInput):
    where: str
    needed: int
    free: int


@dataclass
class FileTooLargeForStick(BadInput):
    """EFBIG: the stick's file system (FAT32) cannot hold a file this large."""

    where: str
    size: int


@dataclass
class ApplyFailed(BadInput):
    """The database refused the bundle's rows (a constraint); nothing was written."""

    path: str
    detail: str


@dataclass
class KeyFileInvalid(BadInput):
    path: str
    detail: str


@dataclass
class UnknownFingerprint(BadInput):
    fingerprint: str


@dataclass
class NotAddressedHere(Refused):
    path: str


@dataclass
class UnknownSigner(Refused):
    """No trust on first use: the bundle waits in quarantine until an admin confirms."""

    path: str
    fingerprint: str
    station: str


@dataclass
class RevokedSigner(Refused):
    path: str
    fingerprint: str


@dataclass
class Equivocation(Refused):
    """The same device, epoch and sequence number already arrived with other content."""

    path: str
    device: str
    epoch: int
    seq: int


@dataclass
class ChainRewritten(Refused):
    """The sender's change log no longer leads to what this site already holds of it:
    values were edited and the hashes recomputed after the changes were sent."""

    path: str
    station: str
    device: str
    epoch: int
    seq: int


@dataclass
class ForeignOrigin(Refused):
    """A station's bundle carries changes of a device it may not speak for."""

    path: str
    device: str


@dataclass
class BundleTooNew(Refused):
    path: str
    schema: str
    supported: str


@dataclass
class UnknownPeer(Refused):
    code: str


@dataclass
class PolicyViolation(Refused):
    """A partner bundle holds a record type or field outside the agreed whitelist."""

    path: str
    entity: str
    field: str


@dataclass
class RevokedKeyTrust(Refused):
    fingerprint: str


@dataclass
class KeysUnavailable(Refused):
    """The private keys are sealed with a key file that is not on this computer."""

    key_file: str


@dataclass
class ExternalBlobMissing(BadInput):
    """A large blob (a basemap) travels as its own file beside the bundle; it is not there."""

    path: str
    file: str


_DESCRIBE.update({
    ExternalBlobMissing: lambda x: _(
        "The bundle {path} comes with a second file, {file}, which is not beside it. Copy "
        "both files from the stick into the same folder and import again; nothing was "
        "imported."
    ).format(path=x.path, file=x.file),
    BundleUnreadable: lambda x: _(
        "The bundle {path} cannot be read ({detail}). It is damaged, cut short or not a "
        "bundle; copy it again from the sending computer. Nothing was imported."
    ).format(path=x.path, detail=x.detail),
    BundleTampered: lambda x: _(
        "The bundle {path} was changed after it was signed ({member} does not match). "
        "Nothing was imported; ask the sender for a new bundle."
    ).format(path=x.path, member=x.member),
    BundleMalformed: lambda x: _(
        "The bundle {path} holds data this version cannot use ({detail}). Nothing was "
        "imported."
    ).format(path=x.path, detail=x.detail),
    UnsafeArchive: lambda x: _(
        "The bundle {path} was refused: its entry “{member}” {reason}. Nothing was written; "
        "report this bundle to the administrator."
    ).format(path=x.path, member=x.member, reason=_(x.reason)),
    BundleTooLarge: lambda x: _(
        "The bundle {path} is {size} MB, more than the limit of {limit} MB. Nothing was "
        "imported."
    ).format(path=x.path, size=_mb(x.size), limit=_mb(x.limit)),
    NotEnoughSpace: lambda x: _(
        "Not enough free disk space in {where}: {needed} MB are needed, {free} MB are free. "
        "Free some space and try again; nothing was changed."
    ).format(where=x.where, needed=_mb(x.needed), free=_mb(x.free)),
    FileTooLargeForStick: lambda x: _(
        "The bundle ({size} MB) cannot be written to {where}: the stick's file system "
        "(FAT32) cannot hold a file over 4 GB. Use a stick formatted as exFAT or NTFS; "
        "nothing was exported."
    ).format(where=x.where, size=_mb(x.size)),
    ApplyFailed: lambda x: _(
        "The bundle {path} could not be applied ({detail}); the database was not changed."
    ).format(path=x.path, detail=x.detail),
    KeyFileInvalid: lambda x: _(
        "The file {path} is not a key file exported by Ranger Field Log ({detail})."
    ).format(path=x.path, detail=x.detail),
    UnknownFingerprint: lambda x: _(
        "No key with the fingerprint {fingerprint} is known here. See “keys show”."
    ).format(fingerprint=x.fingerprint),
    NotAddressedHere: lambda x: _(
        "The bundle {path} is not addressed to this site. Nothing was imported; give it to "
        "the station it was made for."
    ).format(path=x.path),
    UnknownSigner: lambda x: _(
        "The bundle {path} is signed by an unknown key {fingerprint} (station {station}). "
        "It is kept in quarantine; after confirming the fingerprint with that station, "
        "trust its key file with “keys trust” and it will be imported."
    ).format(path=x.path, fingerprint=x.fingerprint, station=x.station or "?"),
    RevokedSigner: lambda x: _(
        "The bundle {path} is signed by the revoked key {fingerprint}. It was rejected."
    ).format(path=x.path, fingerprint=x.fingerprint),
    Equivocation: lambda x: _(
        "The bundle {path} contradicts changes already received from device {device} "
        "(epoch {epoch}, change {seq}): that computer may have been restored from an old "
        "backup. It was rejected; the station must start a new epoch."
    ).format(path=x.path, device=x.device, epoch=x.epoch, seq=x.seq),
    ChainRewritten: lambda x: _(
        "The bundle {path} was refused: the change log of station {station} was rewritten "
        "after it was sent here (change {seq} of device {device}, epoch {epoch}, no longer "
        "has the hash this site holds and acknowledged). Nothing was imported. Run “audit "
        "verify” at that station to see which records changed, and report it to the "
        "administrator."
    ).format(path=x.path, station=x.station or "?", device=x.device, epoch=x.epoch,
             seq=x.seq),
    ForeignOrigin: lambda x: _(
        "The bundle {path} carries changes of device {device}, for which its signer may not "
        "speak. It was rejected."
    ).format(path=x.path, device=x.device),
    BundleTooNew: lambda x: _(
        "The bundle {path} was made by a newer version of Ranger Field Log (schema {schema}; "
        "this version knows {supported}). Install the newer version first; nothing was "
        "imported."
    ).format(path=x.path, schema=x.schema, supported=x.supported),
    UnknownPeer: lambda x: _(
        "No trusted peer has the station code {code}. Trust its key file with “keys trust” "
        "first."
    ).format(code=x.code),
    PolicyViolation: lambda x: _(
        "The partner bundle {path} holds {entity} {field}, which is not in the agreed list. "
        "It was rejected."
    ).format(path=x.path, entity=x.entity, field=x.field),
    RevokedKeyTrust: lambda x: _(
        "The key {fingerprint} was revoked and cannot be trusted again; the station needs "
        "new keys."
    ).format(fingerprint=x.fingerprint),
    KeysUnavailable: lambda x: _(
        "The private keys of this database are sealed with the key file {key_file}, which "
        "is not on this computer. Restore that file, or make new keys and have HQ trust them."
    ).format(key_file=x.key_file),
})
