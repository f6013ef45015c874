"""Merging one record: its state as a pure function of the set of its changes.

Why a function of the *set*: the same bundles imported in any order must give the same
database. So a record is never patched incrementally; whenever a change for it arrives, its
whole history (usually one or two changes) is folded again, in (HLC, device, epoch, seq)
order — an order every site computes alike, and one that respects causality, because the
importer moves its clock past every HLC it receives.

The fold, per change `c` (inserts and edits; `merge` changes written by importers are
skipped, they only restate a fold result):

* its *ancestor* is the version it was based on: a change whose `new_rev` is `c.base_rev`
  and that sorts before `c` — the author's own such change if there is one (a device's
  revisions only grow, so that is exactly what it had), otherwise the candidate whose
  content is closest to `c` (a change fast-forwarded from elsewhere), latest first;
* fields `c` changed relative to its ancestor are applied; when the current value also
  moved away from the ancestor's, both sides changed the field: a **conflict** row keeps
  both values, and the later change (HLC, then device) is the provisional winner;
* a delete (tombstone) against a concurrent edit, either way round, is a conflict too;
  the record stays a tombstone *and* keeps the edited values, so nothing is lost;
* **approval locks** (patrols): at the first approval the state becomes exactly what the
  inspector approved. A change that did not descend from the approval is not applied; it
  becomes an `amendment` request. Concurrent edits the approval did not include become
  amendment requests too.

Append-only records (observations, tracks, photos, service visits...) never meet a second
version of their insert, so they take the one-change path; later tombstones or corrections
of them merge like any edit, so no edit is ever dropped.

The result must satisfy the audit rule "a row equals its latest change (by HLC)": when the
fold differs from the latest change's payload, the importer writes a `merge` change with
the fold result (`Resolution.needs_merge_change`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BOOKKEEPING = frozenset({"created_at", "created_by", "updated_at", "updated_by"})
LOCKED = "APPROVED"
APPEND_ONLY = frozenset({"track", "observation", "attachment", "service_visit",
                         "patrol_review", "fire_status_step", "feed_item", "ungulate_sign",
                         "predator_sign", "firms_hotspot"})


@dataclass(frozen=True)
class Rev:
    """One change of one record, as the merge needs it."""

    device: str
    epoch: int
    seq: int
    hlc: str
    op: str
    base_rev: int
    new_rev: int
    payload: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.device}:{self.epoch}:{self.seq}"

    @property
    def order(self) -> tuple[str, str, int, int]:
        return (self.hlc, self.device, self.epoch, self.seq)


@dataclass(frozen=True)
class Conflict:
    id: str
    entity: str
    uuid: str
    field: str
    kind: str  # field | delete | amendment | insert
    base_value: Any
    value_a: Any
    change_a: str
    value_b: Any
    change_b: str
    winner: str  # a | b


@dataclass(frozen=True)
class Resolution:
    state: Mapping[str, Any]
    latest: Rev  # what audit.verify treats as the latest change: max (hlc, new_rev)
    max_rev: int
    conflicts: tuple[Conflict, ...]

    @property
    def needs_merge_change(self) -> bool:
        return not (self.latest.new_rev == self.max_rev
                    and _same(self.state, self.latest.payload))


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _content(payload: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in payload if k not in BOOKKEEPING and k != "uuid")


def _conflict(entity: str, uuid: str, field: str, kind: str, base: Any,
              a: Any, rev_a: Rev | None, b: Any, rev_b: Rev, winner: str) -> Conflict:
    key_a = rev_a.key if rev_a else ""
    ident = hashlib.sha256(
        f"{entity}|{uuid}|{field}|{kind}|{key_a}|{rev_b.key}".encode()).hexdigest()
    return Conflict(ident, entity, uuid, field, kind, base, a, key_a, b, rev_b.key, winner)


class _Fold:
    def __init__(self, entity: str, uuid: str, revs: Sequence[Rev]) -> None:
        self.entity, self.uuid = entity, uuid
        self.revs = sorted({r.key: r for r in revs}.values(), key=lambda r: r.order)
        self.by_new_rev: dict[int, list[Rev]] = {}
        for r in self.revs:
            self.by_new_rev.setdefault(r.new_rev, []).append(r)
        self._anc: dict[str, Rev | None] = {}
        self.conflicts: dict[str, Conflict] = {}

    def ancestor(self, r: Rev) -> Rev | None:
        if r.key in self._anc:
            return self._anc[r.key]
        found: Rev | None = None
        if r.base_rev > 0:
            cands = [x for x in self.by_new_rev.get(r.base_rev, ()) if x.order < r.order]
            own = [x for x in cands if x.device == r.device]
            if own:
                found = own[-1]
            elif cands:
                fields = _content(r.payload)
                found = max(cands, key=lambda x: (
                    -sum(x.payload.get(f) != r.payload.get(f) for f in fields), x.order))
        self._anc[r.key] = found
        return found

    def chain(self, r: Rev) -> list[Rev]:
        out, seen = [], set()
        node = self.ancestor(r)
        while node is not None and node.key not in seen:
            seen.add(node.key)
            out.append(node)
            node = self.ancestor(node)
        return out

    def add(self, c: Conflict) -> None:
        self.conflicts[c.id] = c

    def run(self) -> Resolution:
        inputs = [r for r in self.revs if r.op != "merge"]
        approval = self._approval(inputs) if self.entity == "patrol" else None
        before_approval = {r.key for r in self.chain(approval)} if approval else set()
        approved_line: set[str] = {approval.key} if approval else set()
        cur: dict[str, Any] | None = None
        writer: dict[str, Rev] = {}
        for r in inputs:
            if approval is not None and r.order > approval.order:
                if not self._descends(r, approval, approved_line):
                    self._amendment(r, cur or {}, approval)
                    continue
                approved_line.add(r.key)
            if approval is not None and r.key == approval.key:
                for other in inputs:
                    if other.order < r.order and other.key not in before_approval:
                        self._amendment(other, r.payload, approval)
                cur = dict(r.payload)
                writer = dict.fromkeys(cur, r)
                continue
            if cur is None:
                cur = dict(r.payload)
                writer = dict.fromkeys(cur, r)
                continue
            anc = self.ancestor(r)
            base = anc.payload if anc is not None else (cur if r.base_rev else {})
            self._apply(r, base, cur, writer)
        latest = max(self.revs, key=lambda r: (r.hlc, r.new_rev))
        state = cur if cur is not None else dict(latest.payload)
        return Resolution(state, latest, max(r.new_rev for r in self.revs),
                          tuple(sorted(self.conflicts.values(), key=lambda c: c.id)))

    def _apply(self, r: Rev, base: Mapping[str, Any], cur: dict[str, Any],
               writer: dict[str, Rev]) -> None:
        kind = "insert" if r.base_rev == 0 else "field"
        changed = [f for f in _content(r.payload) if r.payload.get(f) != base.get(f)]
        moved = [f for f in _content(cur) if cur.get(f) != base.get(f)]
        deleting = "deleted" in changed and bool(r.payload.get("deleted"))
        if deleting and any(f != "deleted" for f in moved):
            other = next(f for f in moved if f != "deleted")
            self.add(_conflict(self.entity, self.uuid, "deleted", "delete", False,
                               cur.get("deleted"), writer.get(other), True, r, "b"))
        elif (cur.get("deleted") and not base.get("deleted")
              and any(f != "deleted" for f in changed)):
            self.add(_conflict(self.entity, self.uuid, "deleted", "delete", False,
                               True, writer.get("deleted"), False, r, "a"))
        for f in changed:  # an edit leaves `deleted` as it was: no silent resurrection
            mine, theirs = cur.get(f), r.payload.get(f)
            if mine != base.get(f) and mine != theirs:
                self.add(_conflict(self.entity, self.uuid, f, kind, base.get(f), mine,
                                   writer.get(f), theirs, r, "b"))
            cur[f] = theirs
            writer[f] = r
        if changed:
            cur["updated_at"] = r.payload.get("updated_at")
            cur["updated_by"] = r.payload.get("updated_by")

    def _approval(self, inputs: list[Rev]) -> Rev | None:
        for r in inputs:
            if r.payload.get("status") == LOCKED:
                anc = self.ancestor(r)
                if anc is None or anc.payload.get("status") != LOCKED:
                    return r
        return None

    def _descends(self, r: Rev, approval: Rev, line: set[str]) -> bool:
        anc = self.ancestor(r)
        if anc is None:
            return False
        if anc.key in line:
            return True
        return anc.order > approval.order and anc.payload.get("status") == LOCKED

    def _amendment(self, r: Rev, state: Mapping[str, Any], approval: Rev) -> None:
        anc = self.ancestor(r)
        base = anc.payload if anc is not None else {}
        for f in _content(r.payload):
            if r.payload.get(f) != base.get(f) and r.payload.get(f) != state.get(f):
                self.add(_conflict(self.entity, self.uuid, f, "amendment", base.get(f),
                                   state.get(f), approval, r.payload.get(f), r, "a"))


def resolve(entity: str, uuid: str, revs: Sequence[Rev]) -> Resolution:
    """The merged state of one record from all its known changes (see the module doc)."""
    if len(revs) == 1 and revs[0].op != "merge":
        only = revs[0]
        return Resolution(dict(only.payload), only, only.new_rev, ())
    return _Fold(entity, uuid, revs).run()
