"""The bundle format `rangerbundle/1`: names, limits, the manifest and the change lines.

A bundle file is `<random>.rangerbundle`: an age file (X25519 recipients) whose plaintext is
a zip holding exactly these names and nothing else:

    manifest.json                         canonical JSON (sorted keys, UTF-8)
    manifest.sig                          64-byte Ed25519 signature of manifest.json's bytes
    changes/000001.jsonl ...              one change-log row per line, in (device, epoch, seq)
    blobs/sha256/<2 hex>/<64 hex>         original file bytes, named by their SHA-256

Everything that crosses the trust boundary is parsed here into frozen values, with its
types checked, so later stages never see a raw dict from a stranger.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect

from ranger_app.store.changes import canonical_json
from ranger_app.store.models import SYNCED_MODELS
from ranger_app.sync.errors import BundleMalformed, BundleTampered
from ranger_app.sync.vectors import VersionVector

FORMAT = "rangerbundle/1"
SUFFIX = ".rangerbundle"
PART_SUFFIX = ".part"
EXTERNAL_SUFFIX = ".rangerblob"  # a large blob (a basemap) written beside its bundle
KINDS = frozenset({"data", "ack", "snapshot"})
PROFILES = frozenset({"full", "partner"})
OPS = frozenset({"insert", "update", "delete", "merge"})
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CHANGES_PER_FILE = 10_000
CHANGES_FILE_BYTES = 32 << 20  # GPS tracks make long lines; keep each member small

_CHANGES_NAME = re.compile(r"changes/[0-9]{6}\.jsonl")
_BLOB_NAME = re.compile(r"blobs/sha256/([0-9a-f]{2})/(\1[0-9a-f]{62})")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HLC = re.compile(r"[0-9]{13}-[0-9]{5}-[0-9A-Za-z-]{1,36}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FPR = re.compile(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile bundle from filling the disk or the memory."""

    max_bundle_bytes: int = 16 << 30
    max_members: int = 50_000
    max_total_bytes: int = 32 << 30
    max_ratio: int = 100  # uncompressed : compressed, per member
    ratio_floor: int = 1 << 20  # small members may compress well (a run of zeros in JSON)
    max_manifest_bytes: int = 16 << 20
    max_line_bytes: int = 64 << 20
    max_header_bytes: int = 64 << 10  # age header: stanzas are ~100 bytes each
    max_stanzas: int = 64
    free_space_factor: int = 3  # staged copy + decrypted zip + extracted blobs


DEFAULT_LIMITS = Limits()


def changes_name(n: int) -> str:
    return f"changes/{n:06d}.jsonl"


def blob_name(sha256: str) -> str:
    return f"blobs/sha256/{sha256[:2]}/{sha256}"


def member_kind(name: str) -> str | None:
    """'manifest', 'signature', 'changes' or 'blob' for a whitelisted name; None otherwise."""
    if name == MANIFEST:
        return "manifest"
    if name == SIGNATURE:
        return "signature"
    if _CHANGES_NAME.fullmatch(name):
        return "changes"
    if _BLOB_NAME.fullmatch(name):
        return "blob"
    return None


def blob_sha(name: str) -> str:
    found = _BLOB_NAME.fullmatch(name)
    assert found is not None
    return found.group(2)


# --- the manifest --------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    device: str
    epoch: int
    key_fpr: str
    signing_key: str  # base64; lets a quarantined signer be listed for confirmation
    age_recipient: str
    station_code: str
    role: str


@dataclass(frozen=True)
class OriginRange:
    device: str
    epoch: int
    first: int
    last: int
    head: str  # chain hash of `last`


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int


@dataclass(frozen=True)
class ExternalBlob:
    """A blob too large for the zip: its own age-encrypted file beside the bundle."""

    sha256: str
    size: int
    file: str  # <24 base32 chars>.rangerblob, in the bundle's folder


_EXTERNAL_NAME = re.compile(r"[a-z2-7]{24}" + re.escape(EXTERNAL_SUFFIX))


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    kind: str
    profile: str
    source: Source
    to_fpr: str
    to_device: str
    origins: tuple[OriginRange, ...]
    vector: VersionVector
    revoked: tuple[str, ...]
    schema: str
    app_version: str
    created_hlc: str
    recipients: tuple[str, ...]
    counts: Mapping[str, Any]
    files: Mapping[str, FileEntry] = field(default_factory=dict)
    # Signed statements, each `{"body": {...}, "sig": base64}` (docs/sync.md): HQ's key
    # certificates and their revocations (relayed by anyone), the sender's own chain
    # heads, and — from HQ — the heads of the addressee's chains that HQ holds.
    certificates: tuple[Mapping[str, Any], ...] = ()
    certificate_revocations: tuple[Mapping[str, Any], ...] = ()
    anchors: tuple[Mapping[str, Any], ...] = ()
    anchors_held: tuple[Mapping[str, Any], ...] = ()
    external: Mapping[str, ExternalBlob] = field(default_factory=dict)  # by sha256

    @property
    def prerequisites(self) -> tuple[tuple[str, int, int], ...]:
        """Per origin, the seq the recipient must already hold (git-bundle style)."""
        return tuple((o.device, o.epoch, o.first - 1) for o in self.origins if o.first > 1)

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "bundle_id": self.bundle_id, "kind": self.kind,
            "profile": self.profile,
            "source": {
                "device": self.source.device, "epoch": self.source.epoch,
                "key_fpr": self.source.key_fpr, "signing_key": self.source.signing_key,
                "age_recipient": self.source.age_recipient,
                "station_code": self.source.station_code, "role": self.source.role,
            },
            "to": {"key_fpr": self.to_fpr, "device": self.to_device},
            "origins": [{"device": o.device, "epoch": o.epoch, "from": o.first, "to": o.last,
                         "head": o.head} for o in self.origins],
            "prerequisites": [{"device": d, "epoch": e, "seq": s}
                              for d, e, s in self.prerequisites],
            "vector": self.vector.to_json_obj(), "revoked": list(self.revoked),
            "schema": self.schema, "app_version": self.app_version,
            "created_hlc": self.created_hlc, "recipients": list(self.recipients),
            "counts": dict(self.counts),
            "files": {name: {"sha256": f.sha256, "size": f.size}
                      for name, f in sorted(self.files.items())},
            "certificates": [dict(x) for x in self.certificates],
            "certificate_revocations": [dict(x) for x in self.certificate_revocations],
            "anchors": [dict(x) for x in self.anchors],
            "anchors_held": [dict(x) for x in self.anchors_held],
            # only when there are any: a bundle without large blobs reads as it always did
            **({"external": {sha: {"size": e.size, "file": e.file}
                             for sha, e in sorted(self.external.items())}}
               if self.external else {}),
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json_obj()).encode("utf-8")


def _req(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{key} missing or not {getattr(kind, '__name__', kind)}")
    return value


def parse_manifest(data: bytes, path: str) -> Manifest:
    """Parse a manifest's bytes; anything unexpected is BundleMalformed (exit 3)."""
    try:
        obj = json.loads(data.decode("utf-8"))
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ValueError(f"format {obj.get('format') if isinstance(obj, dict) else '?'}")
        kind = _req(obj, "kind", str)
        profile = _req(obj, "profile", str)
        if kind not in KINDS or profile not in PROFILES:
            raise ValueError(f"kind {kind} / profile {profile}")
        src = _req(obj, "source", dict)
        source = Source(_req(src, "device", str), _req(src, "epoch", int),
                        _req(src, "key_fpr", str), _req(src, "signing_key", str),
                        _req(src, "age_recipient", str), _req(src, "station_code", str),
                        _req(src, "role", str))
        if not _FPR.fullmatch(source.key_fpr):
            raise ValueError("source key fingerprint")
        to = _req(obj, "to", dict)
        origins = []
        for o in _req(obj, "origins", list):
            if not isinstance(o, dict):
                raise ValueError("origin")
            rng = OriginRange(_req(o, "device", str), _req(o, "epoch", int),
                              _req(o, "from", int), _req(o, "to", int), _req(o, "head", str))
            if not 1 <= rng.first <= rng.last or not _HEX64.fullmatch(rng.head):
                raise ValueError("origin range")
            origins.append(rng)
        if len({(o.device, o.epoch) for o in origins}) != len(origins):
            raise ValueError("origin listed twice")
        files = {}
        for name, entry in _req(obj, "files", dict).items():
            sha, size = _req(entry, "sha256", str), _req(entry, "size", int)
            if not _HEX64.fullmatch(sha) or size < 0:
                raise ValueError(f"file entry {name}")
            files[name] = FileEntry(sha, size)
        external = {}
        for sha, entry in (obj.get("external") or {}).items():
            size, name = _req(entry, "size", int), _req(entry, "file", str)
            if not _HEX64.fullmatch(sha) or size < 0 or not _EXTERNAL_NAME.fullmatch(name):
                raise ValueError(f"external blob {sha}")
            external[sha] = ExternalBlob(sha, size, name)
        revoked = tuple(_req(obj, "revoked", list))
        recipients = tuple(_req(obj, "recipients", list))
        if not all(isinstance(x, str) for x in revoked + recipients):
            raise ValueError("fingerprint lists")
        statements = {name: _statements(obj, name) for name in (
            "certificates", "certificate_revocations", "anchors", "anchors_held")}
        return Manifest(
            bundle_id=_req(obj, "bundle_id", str), kind=kind, profile=profile, source=source,
            to_fpr=_req(to, "key_fpr", str), to_device=_req(to, "device", str),
            origins=tuple(origins), vector=VersionVector.from_json_obj(obj.get("vector")),
            revoked=revoked, schema=_req(obj, "schema", str),
            app_version=_req(obj, "app_version", str),
            created_hlc=_req(obj, "created_hlc", str), recipients=recipients,
            counts=_req(obj, "counts", dict), files=files, external=external,
            **statements,
        )
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError) as exc:
        raise BundleMalformed(path, f"manifest: {exc}") from None


def _statements(obj: Mapping[str, Any], key: str) -> tuple[Mapping[str, Any], ...]:
    """An optional list of signed statements (absent in bundles of older versions)."""
    items = obj.get(key, [])
    if not isinstance(items, list) or len(items) > 100_000 or not all(
            isinstance(x, dict) and isinstance(x.get("body"), dict)
            and isinstance(x.get("sig"), str) for x in items):
        raise ValueError(key)
    return tuple(items)


# --- change lines --------------------------------------------------------------------------

_DOC_KEYS = ("base_rev", "device", "entity", "epoch", "hlc", "new_rev", "op", "payload",
             "seq", "user", "uuid")
_LINE_KEYS = frozenset(_DOC_KEYS) | {"prev_hash", "chain_hash"}
_NOT_IN_PAYLOAD = frozenset({"rev", "hlc"})
PAYLOAD_KEYS: dict[str, frozenset[str]] = {
    name: frozenset(a.key for a in inspect(model).column_attrs) - _NOT_IN_PAYLOAD
    for name, model in SYNCED_MODELS.items()
}


@dataclass(frozen=True)
class RemoteChange:
    """One change-log row as carried in a bundle (and as stored, verbatim)."""

    device: str
    epoch: int
    seq: int
    hlc: str
    entity: str
    uuid: str
    op: str
    base_rev: int
    new_rev: int
    payload: Mapping[str, Any]
    payload_text: str
    user: str
    prev_hash: str
    chain_hash: str

    @property
    def origin(self) -> tuple[str, int]:
        return (self.device, self.epoch)

    def row(self) -> dict[str, Any]:
        """The `change_log` row (without its local id)."""
        return {
            "device": self.device, "epoch": self.epoch, "seq": self.seq, "hlc": self.hlc,
            "entity": self.entity, "entity_uuid": self.uuid, "op": self.op,
            "base_rev": self.base_rev, "new_rev": self.new_rev, "payload": self.payload_text,
            "user": self.user, "prev_hash": self.prev_hash, "chain_hash": self.chain_hash,
        }


def encode_change_line(row: Mapping[str, Any]) -> bytes:
    """A stored `change_log` row (payload as canonical text) as one JSONL line."""
    doc = {
        "device": row["device"], "epoch": row["epoch"], "seq": row["seq"], "hlc": row["hlc"],
        "entity": row["entity"], "uuid": row["entity_uuid"], "op": row["op"],
        "base_rev": row["base_rev"], "new_rev": row["new_rev"],
        "payload": json.loads(row["payload"]), "user": row["user"],
        "prev_hash": row["prev_hash"], "chain_hash": row["chain_hash"],
    }
    return canonical_json(doc).encode("utf-8") + b"\n"


def _int(value: Any, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise ValueError("not a count")
    return value


def decode_change_line(line: bytes, path: str, member: str) -> RemoteChange:
    """Parse and check one line; its own chain hash is recomputed here."""
    try:
        doc = json.loads(line)
        if not isinstance(doc, dict) or doc.keys() != _LINE_KEYS:
            raise ValueError("unexpected keys")
        entity, payload = doc["entity"], doc["payload"]
        if entity not in PAYLOAD_KEYS:
            raise ValueError(f"unknown entity {entity!r}")
        if not isinstance(payload, dict) or payload.keys() != PAYLOAD_KEYS[entity]:
            raise ValueError(f"payload of {entity} does not match its columns")
        uuid, device, user = doc["uuid"], doc["device"], doc["user"]
        if not (isinstance(uuid, str) and _UUID.fullmatch(uuid) and payload["uuid"] == uuid):
            raise ValueError("record id")
        if not (isinstance(device, str) and 0 < len(device) <= 36):
            raise ValueError("device")
        if not (isinstance(user, str) and len(user) <= 36):
            raise ValueError("user")
        hlc = doc["hlc"]
        if not (isinstance(hlc, str) and _HLC.fullmatch(hlc)):
            raise ValueError("hlc")
        if doc["op"] not in OPS:
            raise ValueError("op")
        base_rev, new_rev = _int(doc["base_rev"]), _int(doc["new_rev"], 1)
        if new_rev != base_rev + 1:
            raise ValueError("revisions")
        prev, claimed = doc.pop("prev_hash"), doc.pop("chain_hash")
        if not (isinstance(prev, str) and _HEX64.fullmatch(prev)
                and isinstance(claimed, str) and _HEX64.fullmatch(claimed)):
            raise ValueError("hashes")
        epoch, seq = _int(doc["epoch"]), _int(doc["seq"], 1)
    except (ValueError, TypeError, KeyError) as exc:
        raise BundleMalformed(path, f"{member}: {exc}") from None
    doc_text, payload_text = _texts(line, doc, prev, claimed)
    digest = hashlib.sha256(bytes.fromhex(prev))
    digest.update(doc_text.encode("utf-8"))
    if digest.hexdigest() != claimed:
        raise BundleTampered(path, f"{member} ({device}:{epoch}:{seq})")
    return RemoteChange(device, epoch, seq, hlc, entity, uuid, doc["op"], base_rev, new_rev,
                        payload, payload_text, user, prev, claimed)


def _texts(line: bytes, doc: dict[str, Any], prev: str, claimed: str) -> tuple[str, str]:
    """The canonical text of the chained document and of the payload.

    A line written by `writer` is itself canonical; then both texts are slices of it (one
    JSON serialisation per change instead of three, which is most of the import time).
    Keys are sorted and quotes inside values escaped, so `,"prev_hash":` and the hash
    fields occur exactly where the slicing expects them.
    """
    text = line.decode("utf-8").rstrip("\n")
    full = dict(doc, prev_hash=prev, chain_hash=claimed)
    if canonical_json(full) == text:
        chain_part = f'"chain_hash":"{claimed}",'
        prev_part = f',"prev_hash":"{prev}"'
        at = text.index(',"payload":') + len(',"payload":')
        end = text.index(prev_part, at)
        return (text.replace(chain_part, "", 1).replace(prev_part, "", 1),
                text[at:end])
    return canonical_json(doc), canonical_json(doc["payload"])
