"""Fault #17 and issue 13: an incoming approval must be an inspector's, signed with a key
HQ certified for that inspector at the time of signing.

Run by the importer on a verified bundle before its transaction. An approval that does not
pass is **held**, not refused with the whole bundle: its change rows are stored and
chained as usual, but not applied (`store.held`), together with the patrol change that
moved the status to APPROVED; everything else in the bundle applies. So a station's real
data never waits behind one bad approval. For every change that is new here:

* a `patrol_review` with action `approve`: `by_person` must be an inspector (the role in
  this database, overlaid by person records in the same bundle, or an inspector
  certificate); it must be signed, and the signature must verify
  (`store.approvals.document`, Ed25519) over the patrol's payload at the approved
  revision — from the bundle or the change log here — which must say APPROVED; and its key
  must be certified by HQ for that person, valid and not revoked at the approval's time
  (`sync.certificates`, from this database and the bundle's manifest);
* a `patrol` change that moves the status to APPROVED must rest on such an approval —
  unless it was made on HQ's own device by an inspector (HQ's word is what certifies keys).

Reasons, and whether waiting can help: `uncertified` waits (HQ certifies the key, the
certificate arrives, the approval is applied by itself); `not-inspector`, `unsigned`,
`signature`, `unknown-rev`, `other-person`, `revoked`, `no-approval` are refused (forged or
broken: an inspector approves the patrol again). Both are checked again whenever
certificates change (`recheck`).
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ranger_app.domain.roles import INSPECTOR, parse_roles
from ranger_app.i18n import N_, _
from ranger_app.store import approvals
from ranger_app.store.db import Database
from ranger_app.store.models import Change, Patrol, PatrolReview, Person
from ranger_app.store.sync_tables import SyncHeldChange, SyncPeer
from ranger_app.sync.bundle_format import Limits, Manifest, RemoteChange, decode_change_line
from ranger_app.sync.certificates import CertSet, cert_set, key_fingerprint, parse_time
from ranger_app.sync.identity import LocalKeys
from ranger_app.sync.reader import iter_lines
from ranger_app.sync.vectors import local_vector

_WANTED = (b'"entity":"patrol"', b'"entity":"patrol_review"', b'"entity":"person"')
WAITING, REFUSED = "waiting", "refused"

# Why an approval is held, as shown (after "the approval of patrol N by NAME ...").
REASONS = {
    "uncertified": N_("is signed with a key HQ has not certified for an inspector"),
    "not-inspector": N_("is not by a person with the inspector role"),
    "unsigned": N_("is not signed"),
    "signature": N_("has a signature that does not verify"),
    "unknown-rev": N_("is for a revision of the patrol that is not known here"),
    "other-person": N_("is signed with a key that is not that inspector's key"),
    "revoked": N_("is signed with a key whose certificate HQ revoked"),
    "no-approval": N_("has no signed approval behind it"),
}


@dataclass(frozen=True)
class Hold:
    """One change kept back, with what the user is told about it."""

    device: str
    epoch: int
    seq: int
    entity: str
    entity_uuid: str
    new_rev: int
    patrol_uuid: str
    patrol_number: str
    review_uuid: str
    person_uuid: str
    person_name: str
    key_fpr: str
    reason: str

    @property
    def status(self) -> str:
        return WAITING if self.reason == "uncertified" else REFUSED

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.device, self.epoch, self.seq)

    def row(self, now: datetime) -> SyncHeldChange:
        return SyncHeldChange(
            device=self.device, epoch=self.epoch, seq=self.seq, entity=self.entity,
            entity_uuid=self.entity_uuid, new_rev=self.new_rev, patrol_uuid=self.patrol_uuid,
            patrol_number=self.patrol_number, review_uuid=self.review_uuid,
            person_uuid=self.person_uuid, person_name=self.person_name, key_fpr=self.key_fpr,
            reason=self.reason, status=self.status, held_at=now)


@dataclass(frozen=True)
class HeldApproval:
    """Per patrol, what a report says: which patrol, whose approval, why, what to do."""

    patrol_number: str
    patrol_uuid: str
    person_uuid: str
    person_name: str
    key_fpr: str
    reason: str
    status: str


def summarise(holds: list[Hold]) -> tuple[HeldApproval, ...]:
    out: dict[str, HeldApproval] = {}
    for h in sorted(holds, key=lambda h: (h.entity != "patrol_review", h.seq)):
        out.setdefault(h.patrol_uuid, HeldApproval(
            h.patrol_number, h.patrol_uuid, h.person_uuid, h.person_name, h.key_fpr, h.reason,
            h.status))
    return tuple(sorted(out.values(), key=lambda x: x.patrol_number))


@dataclass
class _Seen:
    persons: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # hlc, roles, name
    patrols: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    patrol_changes: dict[tuple[str, int], list[RemoteChange]] = field(default_factory=dict)
    statuses: dict[tuple[str, int], str] = field(default_factory=dict)
    to_approved: list[RemoteChange] = field(default_factory=list)
    approvals: list[RemoteChange] = field(default_factory=list)


def check(db: Database, keys: LocalKeys, zf: zipfile.ZipFile, m: Manifest, shown: str,
          limits: Limits) -> list[Hold]:
    """The changes of this bundle to hold back (empty when every approval passes)."""
    seen = _scan(db, zf, m, shown, limits)
    if not seen.approvals and not seen.to_approved:
        return []
    holds: list[Hold] = []
    with db.session() as s:
        certs = cert_set(s, keys, m.certificates, m.certificate_revocations)
        accepted: set[tuple[str, int]] = set()
        for c in seen.approvals:
            review = c.payload
            patrol_uuid = str(review.get("patrol_uuid") or "")
            rev = int(review.get("patrol_rev") or 0)
            by = str(review.get("by_person") or "")
            reason, fpr = evaluate(review, _payloads(s, seen, patrol_uuid, rev),
                                   _is_inspector(s, seen, by), certs)
            if not reason:
                accepted.add((patrol_uuid, rev))
                continue
            number, name = _number(s, seen, patrol_uuid), _name(s, seen, by)
            base = dict(patrol_uuid=patrol_uuid, patrol_number=number, review_uuid=c.uuid,
                        person_uuid=by, person_name=name, key_fpr=fpr, reason=reason)
            holds.append(Hold(c.device, c.epoch, c.seq, c.entity, c.uuid, c.new_rev, **base))
            for p in seen.patrol_changes.get((patrol_uuid, rev), []):
                holds.append(Hold(p.device, p.epoch, p.seq, p.entity, p.uuid, p.new_rev,
                                  **base))
        held_keys = {h.key for h in holds}
        hq = _hq_devices(s, keys)
        for c in seen.to_approved:
            if (c.device, c.epoch, c.seq) in held_keys or (c.uuid, c.new_rev) in accepted:
                continue
            inspector = bool(c.user) and (_is_inspector(s, seen, c.user)
                                          or certs.is_inspector(c.user))
            if _approved_here(s, c.uuid, c.new_rev) or (inspector and c.device in hq):
                continue  # HQ's own word (it certifies the keys) needs no signed review
            reason = "no-approval" if inspector else "not-inspector"
            holds.append(Hold(c.device, c.epoch, c.seq, c.entity, c.uuid, c.new_rev, c.uuid,
                              _number(s, seen, c.uuid), "", c.user, _name(s, seen, c.user),
                              "", reason))
    return holds


def evaluate(review: Mapping[str, Any], payloads: list[dict[str, Any]], is_inspector: bool,
             certs: CertSet) -> tuple[str, str]:
    """(reason, key fingerprint): reason "" when the approval may be applied."""
    by = str(review.get("by_person") or "")
    if not is_inspector and not certs.is_inspector(by):
        return "not-inspector", ""
    if not review.get("signature"):
        return "unsigned", ""
    try:
        sig = json.loads(review["signature"])
        key = base64.b64decode(sig["key"], validate=True)
        signature = base64.b64decode(sig["sig"], validate=True)
        parts = dict(sig["parts"])
        public = Ed25519PublicKey.from_public_bytes(key)
        rev = int(review["patrol_rev"])
        at = parse_time(review.get("at"))
    except (ValueError, KeyError, TypeError):
        return "signature", ""
    fpr = key_fingerprint(key)
    if sig.get("format") != approvals.FORMAT:
        return "signature", fpr
    if not payloads:
        return "unknown-rev", fpr
    patrol_uuid = str(review.get("patrol_uuid") or "")
    for payload in payloads:
        data = approvals.document(patrol_uuid, rev, payload, parts, by, at)
        try:
            public.verify(signature, data)
        except InvalidSignature:
            continue
        if payload.get("status") == approvals.APPROVED:
            break
    else:
        return "signature", fpr
    status = certs.status(by, key, at)
    return ("" if status == "ok" else status), fpr


def _hq_devices(s: Session, keys: LocalKeys) -> set[str]:
    found = set(s.scalars(select(SyncPeer.device).where(
        SyncPeer.role == "hq", SyncPeer.status == "trusted", SyncPeer.device != "")))
    return found | ({keys.device} if keys.role == "hq" else set())


def _approved_here(s: Session, patrol_uuid: str, rev: int) -> bool:
    """An approval of this revision already applied here (so not held)."""
    return s.scalar(select(PatrolReview.uuid).where(
        PatrolReview.patrol_uuid == patrol_uuid, PatrolReview.patrol_rev == rev,
        PatrolReview.action == "approve", PatrolReview.deleted.is_(False)).limit(1)) is not None


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
                seen.persons[c.uuid] = (c.hlc, str(c.payload.get("roles") or ""),
                                        str(c.payload.get("name") or ""))
        elif c.entity == "patrol":
            seen.statuses[(c.uuid, c.new_rev)] = str(c.payload.get("status"))
            if c.payload.get("status") == approvals.APPROVED:
                seen.patrols.setdefault((c.uuid, c.new_rev), []).append(dict(c.payload))
                if c.seq > have.get(c.device, c.epoch) and c.op != "merge":
                    seen.to_approved.append(c)
                    seen.patrol_changes.setdefault((c.uuid, c.new_rev), []).append(c)
        elif (c.entity == "patrol_review" and c.seq > have.get(c.device, c.epoch)
              and c.payload.get("action") == "approve" and not c.payload.get("deleted")):
            seen.approvals.append(c)
    with db.session() as s:  # only a move to APPROVED needs an inspector, not a restatement
        seen.to_approved = [c for c in seen.to_approved
                            if _status_at(s, seen, c.uuid, c.base_rev) != approvals.APPROVED]
    keep = {(c.device, c.epoch, c.seq) for c in seen.to_approved}
    seen.patrol_changes = {k: [c for c in v if (c.device, c.epoch, c.seq) in keep]
                           for k, v in seen.patrol_changes.items()}
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


def _is_inspector(s: Session, seen: _Seen | None, person_uuid: str) -> bool:
    if seen is not None and person_uuid in seen.persons:
        roles = seen.persons[person_uuid][1]
    else:
        person = s.get(Person, person_uuid)
        roles = person.roles if person is not None else ""
    return INSPECTOR in parse_roles(roles)


def _name(s: Session, seen: _Seen | None, person_uuid: str) -> str:
    if seen is not None and person_uuid in seen.persons:
        return seen.persons[person_uuid][2]
    person = s.get(Person, person_uuid) if person_uuid else None
    return person.name if person is not None else ""


def _number(s: Session, seen: _Seen | None, uuid: str) -> str:
    if seen is not None:
        for (p, _rev), payloads in seen.patrols.items():
            if p == uuid and payloads[0].get("number"):
                return str(payloads[0]["number"])
    row = s.get(Patrol, uuid)
    if row is not None and row.number:
        return row.number
    for text in s.scalars(select(Change.payload).where(
            Change.entity == "patrol", Change.entity_uuid == uuid).limit(1)):
        number = json.loads(text).get("number")
        if number:
            return str(number)
    return uuid


def _payloads(s: Session, seen: _Seen | None, uuid: str, rev: int) -> list[dict[str, Any]]:
    held = [json.loads(t) for t in s.scalars(select(Change.payload).where(
        Change.entity == "patrol", Change.entity_uuid == uuid, Change.new_rev == rev))]
    return (seen.patrols.get((uuid, rev), []) if seen is not None else []) + held


# --- held approvals, checked again ---------------------------------------------------------

def recheck(session: Session, keys: LocalKeys) -> tuple[set[tuple[str, str]], list[str]]:
    """Apply held approvals that pass now (a certificate arrived or was issued).

    Returns the records to fold again and the numbers of the patrols released; the reason
    of those still held is brought up to date.
    """
    rows = list(session.scalars(select(SyncHeldChange)))
    if not rows:
        return set(), []
    certs = cert_set(session, keys)
    groups: dict[tuple[str, int], list[SyncHeldChange]] = defaultdict(list)
    reviews: dict[tuple[str, int], SyncHeldChange] = {}
    for r in rows:  # a review and the patrol change it approves share (patrol, rev)
        key = (r.patrol_uuid, r.new_rev)
        if r.entity == "patrol_review":
            key = (r.patrol_uuid, int(_change_payload(session, r).get("patrol_rev") or 0))
            reviews[key] = r
        groups[key].append(r)
    refold: set[tuple[str, str]] = set()
    released: list[str] = []
    for (patrol_uuid, rev), members in groups.items():
        review = reviews.get((patrol_uuid, rev))
        if review is not None:
            payload = _change_payload(session, review)
            reason, fpr = evaluate(payload, _payloads(session, None, patrol_uuid, rev),
                                   _is_inspector(session, None, review.person_uuid), certs)
        else:
            reason, fpr = ("" if _approved_here(session, patrol_uuid, rev)
                           else members[0].reason), members[0].key_fpr
        if not reason:
            for r in members:
                session.execute(delete(SyncHeldChange).where(
                    SyncHeldChange.device == r.device, SyncHeldChange.epoch == r.epoch,
                    SyncHeldChange.seq == r.seq))
                refold.add((r.entity, r.entity_uuid))
            refold.add(("patrol", patrol_uuid))
            released.append(members[0].patrol_number)
            continue
        for r in members:
            r.reason, r.key_fpr = reason, fpr or r.key_fpr
            r.status = WAITING if reason == "uncertified" else REFUSED
    session.flush()
    return refold, sorted(released)


def _change_payload(session: Session, r: SyncHeldChange) -> dict[str, Any]:
    text = session.scalar(select(Change.payload).where(
        Change.device == r.device, Change.epoch == r.epoch, Change.seq == r.seq))
    return json.loads(text) if text else {}


def held_approvals(db: Database) -> tuple[HeldApproval, ...]:
    """Every approval held here, one per patrol (for `keys certificates` and the window)."""
    with db.session() as s:
        rows = list(s.scalars(select(SyncHeldChange)))
        return summarise([Hold(r.device, r.epoch, r.seq, r.entity, r.entity_uuid, r.new_rev,
                               r.patrol_uuid, r.patrol_number, r.review_uuid, r.person_uuid,
                               r.person_name, r.key_fpr, r.reason) for r in rows])



def describe_held(h: HeldApproval, at_hq: bool, imported: bool = True) -> str:
    """Which patrol, whose approval, why it is held, what to do (and that the rest of the
    bundle was imported, unless this is the dry run)."""
    text = _describe_held(h, at_hq)
    return text + " " + _("The rest of the bundle was imported.") if imported else text


def _describe_held(h: HeldApproval, at_hq: bool) -> str:
    who = h.person_name or h.person_uuid or "?"
    reason = _(REASONS.get(h.reason, h.reason))
    if h.status == WAITING and at_hq:
        return _(
            "The approval of patrol {patrol} by {person} waits: it {reason}. After checking "
            "the key {fpr} with the inspector, certify it with “keys certify --person "
            "{uuid} --role inspector”; the approval is then applied by itself.").format(
            patrol=h.patrol_number, person=who, reason=reason, fpr=h.key_fpr or "?",
            uuid=h.person_uuid)
    if h.status == WAITING:
        return _(
            "The approval of patrol {patrol} by {person} waits: it {reason}. Ask HQ to "
            "certify the key {fpr}; the approval is applied by itself when HQ's certificate "
            "arrives with its next bundle.").format(
            patrol=h.patrol_number, person=who, reason=reason, fpr=h.key_fpr or "?")
    return _(
        "The approval of patrol {patrol} by {person} was not applied: it {reason}. The "
        "patrol stays as submitted until an inspector approves it again; report this to "
        "the administrator.").format(
        patrol=h.patrol_number, person=who, reason=reason)


@dataclass(frozen=True)
class KeyFinding:
    """An applied approval whose key HQ has not certified, or whose certificate is revoked."""

    patrol_number: str
    patrol_uuid: str
    person_name: str
    key_fpr: str
    status: str  # uncertified | revoked | other-person


def audit_keys(db: Database, keys: LocalKeys) -> list[KeyFinding]:
    """For `audit verify`: every applied, signed approval checked against the certificates
    held here (approvals made here before HQ certified the key show up as `uncertified`)."""
    out = []
    with db.session() as s:
        certs = cert_set(s, keys)
        for review in approvals.approvals(s):
            if not review.signature:
                continue
            try:
                key = base64.b64decode(json.loads(review.signature)["key"])
            except (ValueError, KeyError, TypeError):
                continue  # store.audit reports a malformed signature
            status = certs.status(review.by_person, key, review.at)
            if status != "ok":
                out.append(KeyFinding(_number(s, None, review.patrol_uuid), review.patrol_uuid,
                                      _name(s, None, review.by_person), key_fingerprint(key),
                                      status))
    return out
