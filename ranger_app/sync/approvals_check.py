"""Fault #17: an incoming approval must be an inspector's, signed with that inspector's key.

Run by the importer on a verified bundle before its transaction; a failure refuses the
whole bundle (`ApprovalRefused`, exit 4) and nothing is written. For every change that is
new here:

* a `patrol_review` with action `approve`: `by_person` must hold the INSPECTOR role
  (`Person.roles` in this database, overlaid by person records in the same bundle). A
  signed one must verify (`store.approvals.document`, Ed25519) over the patrol's payload
  at the approved revision — from the bundle or the change log here; a revision known
  nowhere is refused — and that payload must say APPROVED. Its key must be the person's:
  one listed in this installation's key registry (`store.accounts.public_keys`) when the
  person signed in here, else the key bound at first sight (`meta`
  `signer_key:<person uuid>`, trust on first use, recorded when the bundle is applied).
  An unsigned approval (demo data, older versions) passes the role check only and stays
  "not signed" in the audit;
* a `patrol` change that moves the status to APPROVED must be written by an inspector
  (its change `user`).

Trust on first use is a stop-gap: a first forged key wins until HQ certifies inspector
keys (docs/review.md).
"""

from __future__ import annotations

import base64
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ranger_app.domain.errors import Refused
from ranger_app.domain.roles import INSPECTOR, parse_roles
from ranger_app.i18n import N_, _
from ranger_app.i18n.messages import _DESCRIBE
from ranger_app.store import approvals
from ranger_app.store.accounts import public_keys
from ranger_app.store.db import Database
from ranger_app.store.models import Change, Meta, Patrol, Person
from ranger_app.sync.bundle_format import Limits, Manifest, RemoteChange, decode_change_line
from ranger_app.sync.reader import iter_lines
from ranger_app.sync.vectors import local_vector

SIGNER_KEY = "signer_key:"
_WANTED = (b'"entity":"patrol"', b'"entity":"patrol_review"', b'"entity":"person"')

NOT_INSPECTOR = N_("is not by a person with the inspector role")
BAD_SIGNATURE = N_("has a signature that does not verify")
WRONG_KEY = N_("is signed with a key that is not that inspector's key")
UNKNOWN_REV = N_("is for a revision of the patrol that is not known here")


@dataclass
class ApprovalRefused(Refused):
    path: str
    patrol: str  # its number when known, else its uuid
    reason: str  # marked with N_, translated when shown


_DESCRIBE[ApprovalRefused] = lambda x: _(
    "The bundle {path} was refused: the approval of patrol {patrol} {reason}. Nothing was "
    "imported; report this bundle to the administrator."
).format(path=x.path, patrol=x.patrol, reason=_(x.reason))


@dataclass
class _Seen:
    persons: dict[str, tuple[str, str]] = field(default_factory=dict)  # uuid -> (hlc, roles)
    patrols: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[tuple[str, int], str] = field(default_factory=dict)
    to_approved: list[RemoteChange] = field(default_factory=list)
    approvals: list[RemoteChange] = field(default_factory=list)


def check(db: Database, zf: zipfile.ZipFile, m: Manifest, shown: str,
          limits: Limits) -> dict[str, str]:
    """Raise `ApprovalRefused`, or return the key bindings to record (meta key -> key)."""
    seen = _scan(db, zf, m, shown, limits)
    if not seen.approvals and not seen.to_approved:
        return {}
    bind: dict[str, str] = {}
    with db.session() as s:
        for c in seen.to_approved:
            if not c.user or not _is_inspector(s, seen, c.user):
                raise ApprovalRefused(shown, _number(s, seen, c.uuid), NOT_INSPECTOR)
        for c in seen.approvals:
            _check_one(s, db, seen, c.payload, shown, bind)
    return bind


def record(session: Session, bindings: dict[str, str]) -> None:
    """Bind first-seen approval keys, in the import's own transaction."""
    for key, value in bindings.items():
        if session.get(Meta, key) is None:
            session.add(Meta(key=key, value=value))


def _scan(db: Database, zf: zipfile.ZipFile, m: Manifest, shown: str,
          limits: Limits) -> _Seen:
    with db.session() as s:
        have = local_vector(s)
    seen = _Seen()
    for name, line in iter_lines(zf, m, shown, limits):
        if not any(w in line for w in _WANTED):
            continue  # cheap: keys are sorted, so the entity reads exactly like this
        c = decode_change_line(line, shown, name)
        if c.entity == "person":
            if c.uuid not in seen.persons or seen.persons[c.uuid][0] < c.hlc:
                seen.persons[c.uuid] = (c.hlc, str(c.payload.get("roles") or ""))
        elif c.entity == "patrol":
            seen.statuses[(c.uuid, c.new_rev)] = str(c.payload.get("status"))
            if c.payload.get("status") == approvals.APPROVED:
                seen.patrols.setdefault((c.uuid, c.new_rev), []).append(dict(c.payload))
                if c.seq > have.get(c.device, c.epoch) and c.op != "merge":
                    seen.to_approved.append(c)
        elif (c.entity == "patrol_review" and c.seq > have.get(c.device, c.epoch)
              and c.payload.get("action") == "approve" and not c.payload.get("deleted")):
            seen.approvals.append(c)
    with db.session() as s:  # only a move to APPROVED needs an inspector, not a restatement
        seen.to_approved = [c for c in seen.to_approved
                            if _status_at(s, seen, c.uuid, c.base_rev) != approvals.APPROVED]
    return seen


def _status_at(s: Session, seen: _Seen, uuid: str, rev: int) -> str | None:
    if rev <= 0:
        return None
    if (uuid, rev) in seen.statuses:
        return seen.statuses[(uuid, rev)]
    for text in s.scalars(select(Change.payload).where(
            Change.entity == "patrol", Change.entity_uuid == uuid, Change.new_rev == rev)):
        return str(json.loads(text).get("status"))
    return None


def _is_inspector(s: Session, seen: _Seen, person_uuid: str) -> bool:
    if person_uuid in seen.persons:
        roles = seen.persons[person_uuid][1]
    else:
        person = s.get(Person, person_uuid)
        roles = person.roles if person is not None else ""
    return INSPECTOR in parse_roles(roles)


def _number(s: Session, seen: _Seen, uuid: str) -> str:
    for (p, _rev), payloads in seen.patrols.items():
        if p == uuid and payloads[0].get("number"):
            return str(payloads[0]["number"])
    row = s.get(Patrol, uuid)
    return row.number if row is not None and row.number else uuid


def _payloads(s: Session, seen: _Seen, uuid: str, rev: int) -> list[dict[str, Any]]:
    held = [json.loads(t) for t in s.scalars(select(Change.payload).where(
        Change.entity == "patrol", Change.entity_uuid == uuid, Change.new_rev == rev))]
    return seen.patrols.get((uuid, rev), []) + held


def _check_one(s: Session, db: Database, seen: _Seen, review: Any, shown: str,
               bind: dict[str, str]) -> None:
    patrol_uuid = str(review.get("patrol_uuid") or "")
    by = str(review.get("by_person") or "")
    shown_patrol = _number(s, seen, patrol_uuid)
    if not _is_inspector(s, seen, by):
        raise ApprovalRefused(shown, shown_patrol, NOT_INSPECTOR)
    if not review.get("signature"):
        return  # unsigned (demo data, older versions): "not signed" in the audit
    try:
        sig = json.loads(review["signature"])
        key = base64.b64decode(sig["key"], validate=True)
        signature = base64.b64decode(sig["sig"], validate=True)
        parts = dict(sig["parts"])
        public = Ed25519PublicKey.from_public_bytes(key)
        rev = int(review["patrol_rev"])
    except (ValueError, KeyError, TypeError):
        raise ApprovalRefused(shown, shown_patrol, BAD_SIGNATURE) from None
    if sig.get("format") != approvals.FORMAT:
        raise ApprovalRefused(shown, shown_patrol, BAD_SIGNATURE)
    candidates = _payloads(s, seen, patrol_uuid, rev)
    if not candidates:
        raise ApprovalRefused(shown, shown_patrol, UNKNOWN_REV)
    for payload in candidates:
        data = approvals.document(patrol_uuid, rev, payload, parts, by, review.get("at"))
        try:
            public.verify(signature, data)
        except InvalidSignature:
            continue
        if payload.get("status") == approvals.APPROVED:
            break
    else:
        raise ApprovalRefused(shown, shown_patrol, BAD_SIGNATURE)
    encoded = base64.b64encode(key).decode("ascii")
    registry = public_keys(db, by)
    if registry:
        if key not in registry:
            raise ApprovalRefused(shown, shown_patrol, WRONG_KEY)
        return
    slot = SIGNER_KEY + by
    row = s.get(Meta, slot)
    bound = row.value if row is not None else bind.get(slot)
    if bound is None:
        bind[slot] = encoded
    elif bound != encoded:
        raise ApprovalRefused(shown, shown_patrol, WRONG_KEY)
