"""Anchoring the change log: chain heads signed by their device, held by HQ.

The change log is a SHA-256 chain without a key: whoever holds the database file can edit
a value and recompute every hash after it. A head signed with the device key cannot be
recomputed that way (the key is sealed outside the database file). So:

* every full bundle carries `anchors`: for each chain of the sending device, its head
  `{"format": "ranger-anchor/1", "device", "epoch", "seq", "chain_hash", "hlc"}`, signed
  (Ed25519 over the canonical JSON) with the device's signing key;
* HQ checks each against the chain it holds for that device: a head HQ holds with another
  hash means the station's log was rewritten after HQ received it (`ChainRewritten`, the
  whole bundle refused, exit 4); otherwise it keeps the head (`sync_anchor`);
* HQ's bundles to a station carry `anchors_held`: the heads of that station's chains HQ
  keeps, still signed by the station. The station keeps them too (after checking its own
  signature), so its own `audit verify` can tell that its chain no longer leads to a head
  HQ acknowledged, and name the records of the stretch that changed;
* `audit verify` at HQ checks HQ's copy of every station chain the same way.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ranger_app.store.changes import canonical_json
from ranger_app.store.db import Database
from ranger_app.store.models import Change
from ranger_app.store.sync_tables import SyncAnchor, SyncPeer
from ranger_app.sync.errors import ChainRewritten
from ranger_app.sync.identity import LocalKeys, load_keys, verify_signature

FORMAT = "ranger-anchor/1"
NAMED = 10  # records named per broken stretch


@dataclass(frozen=True)
class Anchor:
    device: str
    epoch: int
    seq: int
    chain_hash: str
    hlc: str
    sig: str  # base64

    def body(self) -> dict[str, Any]:
        return {"format": FORMAT, "device": self.device, "epoch": self.epoch, "seq": self.seq,
                "chain_hash": self.chain_hash, "hlc": self.hlc}

    def entry(self) -> dict[str, Any]:
        return {"body": self.body(), "sig": self.sig}

    def verifies(self, signing_key: bytes) -> bool:
        try:
            raw = base64.b64decode(self.sig, validate=True)
        except (binascii.Error, ValueError):
            return False
        return verify_signature(signing_key, raw, canonical_json(self.body()).encode("utf-8"))


def parse(entry: Mapping[str, Any]) -> Anchor | None:
    body = entry.get("body")
    if not isinstance(body, Mapping) or body.get("format") != FORMAT:
        return None
    try:
        anchor = Anchor(str(body["device"]), int(body["epoch"]), int(body["seq"]),
                        str(body["chain_hash"]), str(body.get("hlc", "")), str(entry["sig"]))
    except (KeyError, TypeError, ValueError):
        return None
    return anchor if anchor.body() == dict(body) else None


# --- export --------------------------------------------------------------------------------

def own_anchors(db: Database, keys: LocalKeys) -> list[dict[str, Any]]:
    """This device's chain heads, signed now."""
    out = []
    hlc = db.clock().now().encode()
    with db.session() as s:
        tops = s.execute(select(Change.epoch, func.max(Change.seq)).where(
            Change.device == keys.device).group_by(Change.epoch)).all()
        for epoch, seq in sorted(tops):
            head = s.scalar(select(Change.chain_hash).where(
                Change.device == keys.device, Change.epoch == epoch, Change.seq == seq))
            body = Anchor(keys.device, epoch, seq, head or "", hlc, "").body()
            sig = base64.b64encode(keys.sign(canonical_json(body).encode("utf-8")))
            out.append(Anchor(keys.device, epoch, seq, head or "", hlc,
                              sig.decode("ascii")).entry())
    return out


def held_for(db: Database, device: str) -> list[dict[str, Any]]:
    """The heads of `device`'s chains kept here (what HQ returns in its acknowledgements)."""
    with db.session() as s:
        return [Anchor(r.device, r.epoch, r.seq, r.chain_hash, r.hlc, r.signature).entry()
                for r in s.scalars(select(SyncAnchor).where(SyncAnchor.device == device)
                                   .order_by(SyncAnchor.epoch, SyncAnchor.seq))]


# --- import --------------------------------------------------------------------------------

def _held_hash(session: Session, a: Anchor) -> str | None:
    return session.scalar(select(Change.chain_hash).where(
        Change.device == a.device, Change.epoch == a.epoch, Change.seq == a.seq))


def _keep(session: Session, a: Anchor, fpr: str) -> None:
    if session.get(SyncAnchor, (a.device, a.epoch, a.seq)) is None:
        session.add(SyncAnchor(device=a.device, epoch=a.epoch, seq=a.seq,
                               chain_hash=a.chain_hash, hlc=a.hlc, signature=a.sig,
                               key_fpr=fpr, recorded_at=datetime.now(UTC)))


def receive(session: Session, entries: Iterable[Mapping[str, Any]], device: str,
            signing_key: bytes, fpr: str, station: str, shown: str) -> int:
    """At HQ, in the import's transaction (after its changes are in): check the sender's
    signed heads against the chains held here; keep those that match."""
    kept = 0
    for entry in entries:
        a = parse(entry)
        if a is None or a.device != device or not a.verifies(signing_key):
            continue  # not the sender's own head: worthless, not an attack on us
        held = _held_hash(session, a)
        if held is None:
            continue  # not here yet (bundles out of order): the next one anchors it
        if held != a.chain_hash:
            raise ChainRewritten(shown, station, a.device, a.epoch, a.seq)
        _keep(session, a, fpr)
        kept += 1
    return kept


def receive_held(session: Session, entries: Iterable[Mapping[str, Any]],
                 keys: LocalKeys) -> int:
    """At a station: keep the heads of our own chains that HQ acknowledges holding."""
    kept = 0
    for entry in entries:
        a = parse(entry)
        if a is None or a.device != keys.device or not a.verifies(keys.public.signing_key):
            continue
        _keep(session, a, keys.fingerprint)
        kept += 1
    return kept


# --- audit ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnchorBreak:
    """A chain that no longer leads to a head HQ acknowledged."""

    device: str
    epoch: int
    seq: int  # the acknowledged head that no longer matches
    after: int  # the last acknowledged head that still matches (0: none)
    records: tuple[tuple[str, str], ...]  # (entity, uuid) changed in (after, seq]
    more: int  # records of the stretch not listed
    forged: bool = False  # the stored head's signature does not verify


def _keys_by_device(db: Database) -> dict[str, bytes]:
    keys = load_keys(db)
    found = {keys.device: keys.public.signing_key}
    with db.session() as s:
        for row in s.scalars(select(SyncPeer).where(SyncPeer.device != "")):
            found.setdefault(row.device, base64.b64decode(row.signing_key or ""))
    return found


def verify(db: Database) -> AnchorBreak | None:
    """The first acknowledged head the chain held here no longer leads to.

    Run after `store.audit.verify` found every chain intact: each stored chain hash is then
    what its changes give, so an unequal head means changes before it were rewritten.
    """
    keys = _keys_by_device(db)
    with db.session() as s:
        rows = list(s.scalars(select(SyncAnchor).order_by(
            SyncAnchor.device, SyncAnchor.epoch, SyncAnchor.seq)))
        good: dict[tuple[str, int], int] = {}
        for r in rows:
            a = Anchor(r.device, r.epoch, r.seq, r.chain_hash, r.hlc, r.signature)
            origin = (r.device, r.epoch)
            key = keys.get(r.device)
            if key is None or not a.verifies(key):
                return AnchorBreak(r.device, r.epoch, r.seq, good.get(origin, 0), (), 0, True)
            if _held_hash(s, a) == r.chain_hash:
                good[origin] = r.seq
                continue
            after = good.get(origin, 0)
            changed = list(s.execute(select(Change.entity, Change.entity_uuid).where(
                Change.device == r.device, Change.epoch == r.epoch, Change.seq > after,
                Change.seq <= r.seq).order_by(Change.seq)))
            records = list(dict.fromkeys((e, u) for e, u in changed))
            return AnchorBreak(r.device, r.epoch, r.seq, after, tuple(records[:NAMED]),
                               max(0, len(records) - NAMED))
    return None
