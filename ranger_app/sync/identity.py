"""This installation's keys: an Ed25519 signing key and an age X25519 identity.

Private keys are never stored in the clear. They sit in the `meta` table sealed with
AES-256-GCM under a 32-byte key-encryption key (KEK) kept in a file in the user's data
folder (`<user data>/keys/<device>.kek`, mode 0600). Why: the database file is the thing
that travels (backups made with VACUUM INTO, copies sent to HQ for support, a restored
laptop); the user data folder does not. A copied database without its KEK cannot sign or
decrypt, and restoring one elsewhere forces new keys — which is also when a restore must
start a new epoch. The residual risk (a stolen laptop holds both) is written down in
docs/sync.md; when user passwords arrive, the KEK gets wrapped with a password-derived key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from ranger_app import paths
from ranger_app.store.db import Database
from ranger_app.store.models import Meta
from ranger_app.sync.errors import KeysUnavailable

_META_SIGNING_PUB = "sync.signing_public"
_META_AGE_PUB = "sync.age_recipient"
_META_SIGNING_SECRET = "sync.signing_secret"
_META_AGE_SECRET = "sync.age_secret"


@dataclass(frozen=True)
class PublicKeys:
    """What a peer needs to verify our bundles and to encrypt to us."""

    signing_key: bytes  # raw 32-byte Ed25519 public key
    age_recipient: str  # "age1..."

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing_key, self.age_recipient)


@dataclass(frozen=True)
class LocalKeys:
    device: str
    epoch: int
    role: str  # station | hq
    public: PublicKeys
    signing: Ed25519PrivateKey
    age_identity: pyrage.x25519.Identity

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def sign(self, data: bytes) -> bytes:
        return self.signing.sign(data)


def fingerprint(signing_key: bytes, age_recipient: str) -> str:
    """16 base32 characters of SHA-256 over both public keys, in groups of four.

    80 bits: short enough to read aloud over a radio, long enough that nobody can make a
    second key pair with the same print.
    """
    digest = hashlib.sha256(b"ranger-keys/1\0" + signing_key + b"\0" +
                            age_recipient.encode("ascii")).digest()
    text = base64.b32encode(digest).decode("ascii")[:16]
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def normalise_fingerprint(text: str) -> str:
    """Accept what an admin types: lower case, spaces or no dashes."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def verify_signature(signing_key: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(signing_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- the key-encryption key ----------------------------------------------------------------

def key_file(device: str) -> Path:
    return paths.user_data_dir() / "keys" / f"{device}.kek"


def _read_or_make_kek(device: str, create: bool) -> bytes:
    path = key_file(device)
    if path.exists():
        data = path.read_bytes()
        if len(data) == 32:
            return data
        raise KeysUnavailable(str(path))
    if not create:
        raise KeysUnavailable(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    kek = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(kek)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return kek


def _seal(kek: bytes, device: str, name: str, secret: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(kek).encrypt(nonce, secret, f"ranger-key:{device}:{name}".encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unseal(kek: bytes, device: str, name: str, text: str) -> bytes:
    raw = base64.b64decode(text)
    try:
        return AESGCM(kek).decrypt(raw[:12], raw[12:], f"ranger-key:{device}:{name}".encode())
    except Exception as exc:  # InvalidTag: another KEK, or a damaged meta value
        raise KeysUnavailable(str(key_file(device))) from exc


# --- public API ----------------------------------------------------------------------------

def meta_values(db: Database, *keys: str) -> dict[str, str]:
    """Several `meta` values in one query (sync reads half a dozen per operation)."""
    with db.session() as s:
        return dict(s.execute(select(Meta.key, Meta.value).where(Meta.key.in_(keys))).all())


def ensure_keys(db: Database) -> PublicKeys:
    """Create this installation's keys once; later calls return the public half.

    Called lazily by every sync command (and by `init`), so a database made before sync
    existed gets its keys on first use.
    """
    found = meta_values(db, _META_SIGNING_PUB, _META_AGE_PUB)
    if _META_SIGNING_PUB in found:
        return PublicKeys(base64.b64decode(found[_META_SIGNING_PUB]),
                          found.get(_META_AGE_PUB, ""))
    inst = db.ensure_identity()
    kek = _read_or_make_kek(inst.device, create=True)
    signing = Ed25519PrivateKey.generate()
    identity = pyrage.x25519.Identity.generate()
    public = PublicKeys(signing.public_key().public_bytes_raw(), str(identity.to_public()))
    db.set_meta({
        _META_SIGNING_PUB: base64.b64encode(public.signing_key).decode("ascii"),
        _META_AGE_PUB: public.age_recipient,
        _META_SIGNING_SECRET: _seal(kek, inst.device, "signing",
                                    signing.private_bytes_raw()),
        _META_AGE_SECRET: _seal(kek, inst.device, "age", str(identity).encode("ascii")),
    })
    return public


def load_keys(db: Database) -> LocalKeys:
    """The private keys, unsealed for one operation (never cached on disk in the clear)."""
    found = meta_values(db, "device_id", "epoch", "role", _META_SIGNING_PUB, _META_AGE_PUB,
                        _META_SIGNING_SECRET, _META_AGE_SECRET)
    if _META_SIGNING_PUB not in found:
        ensure_keys(db)
        return load_keys(db)
    device = found["device_id"]
    public = PublicKeys(base64.b64decode(found[_META_SIGNING_PUB]), found[_META_AGE_PUB])
    kek = _read_or_make_kek(device, create=False)
    signing_raw = _unseal(kek, device, "signing", found.get(_META_SIGNING_SECRET, ""))
    age_raw = _unseal(kek, device, "age", found.get(_META_AGE_SECRET, ""))
    return LocalKeys(
        device=device, epoch=int(found.get("epoch", "1")),
        role=found.get("role", "station"), public=public,
        signing=Ed25519PrivateKey.from_private_bytes(signing_raw),
        age_identity=pyrage.x25519.Identity.from_str(age_raw.decode("ascii")),
    )


def start_new_epoch(db: Database) -> int:
    """After restoring this database from a backup: a fresh chain, so no seq is reused.

    Reusing (device, epoch, seq) with other content is what importers reject as
    equivocation; a new epoch makes the restored installation's changes acceptable again.
    """
    epoch = db.installation().epoch + 1
    db.set_meta({"epoch": str(epoch)})
    return epoch
