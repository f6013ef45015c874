"""Who may do what: roles, actions, the permission table and the refusals it gives.

Pure Python. A person's roles are the pipe list on `Person.roles` (codes of
`resources/vocab/roles.csv`); `can(roles, action)` answers from one table, and `require`
raises a typed refusal that says *why* ("only inspectors approve"), which the UI and the CLI
turn into a sentence in the user's language. The sentences are registered below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ranger_app.domain.errors import BadInput, Refused
from ranger_app.i18n import N_, _
from ranger_app.i18n.messages import _DESCRIBE

RANGER, INSPECTOR, HQ_ANALYST, ADMIN = "RANGER", "INSPECTOR", "HQ_ANALYST", "ADMIN"
ROLES = (RANGER, INSPECTOR, HQ_ANALYST, ADMIN)


class Action(StrEnum):
    EDIT_PATROL = "edit_patrol"  # start a patrol, edit one's own draft or returned patrol
    SUBMIT = "submit"
    REQUEST_AMENDMENT = "request_amendment"
    RETURN = "return"
    APPROVE = "approve"
    VIEW_HISTORY = "view_history"
    VERIFY_AUDIT = "verify_audit"
    TRUST_KEYS = "trust_keys"
    MANAGE_ACCOUNTS = "manage_accounts"
    EXCHANGE_BUNDLES = "exchange_bundles"
    RESOLVE_CONFLICTS = "resolve_conflicts"


# The whole policy in one place; a role not listed for an action may not do it.
PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.EDIT_PATROL: frozenset({RANGER}),
    Action.SUBMIT: frozenset({RANGER}),
    Action.REQUEST_AMENDMENT: frozenset({RANGER, INSPECTOR}),
    Action.RETURN: frozenset({INSPECTOR}),
    Action.APPROVE: frozenset({INSPECTOR}),
    Action.VIEW_HISTORY: frozenset({RANGER, INSPECTOR, HQ_ANALYST, ADMIN}),
    Action.VERIFY_AUDIT: frozenset({INSPECTOR, HQ_ANALYST, ADMIN}),
    Action.TRUST_KEYS: frozenset({ADMIN}),
    Action.MANAGE_ACCOUNTS: frozenset({ADMIN}),
    Action.EXCHANGE_BUNDLES: frozenset({ADMIN, HQ_ANALYST}),
    Action.RESOLVE_CONFLICTS: frozenset({INSPECTOR, ADMIN}),
}

# Why an action is refused, one sentence each (translated when shown).
_ONLY: dict[Action, str] = {
    Action.EDIT_PATROL: N_("Only rangers write patrols."),
    Action.SUBMIT: N_("Only rangers submit patrols for review."),
    Action.REQUEST_AMENDMENT: N_("Only rangers and inspectors request amendments."),
    Action.RETURN: N_("Only inspectors return patrols."),
    Action.APPROVE: N_("Only inspectors approve patrols."),
    Action.VIEW_HISTORY: N_("Only people with an account see the history of records."),
    Action.VERIFY_AUDIT: N_("Only inspectors, HQ analysts and admins verify the audit trail."),
    Action.TRUST_KEYS: N_("Only admins trust keys."),
    Action.MANAGE_ACCOUNTS: N_("Only admins manage accounts."),
    Action.EXCHANGE_BUNDLES: N_("Only admins and HQ analysts exchange bundles."),
    Action.RESOLVE_CONFLICTS: N_("Only inspectors and admins resolve conflicts."),
}


def parse_roles(text: str | Iterable[str]) -> frozenset[str]:
    """`"RANGER|ADMIN"` (as `Person.roles` stores it) or any iterable of codes."""
    items = text.split("|") if isinstance(text, str) else text
    return frozenset(r.strip().upper() for r in items if r and r.strip())


def can(roles: Iterable[str], action: Action | str) -> bool:
    """True when any of `roles` may do `action`."""
    allowed = PERMISSIONS[Action(action)]
    return not allowed.isdisjoint(parse_roles(roles))


@dataclass(frozen=True)
class Actor:
    """A signed-in person, as the services need them: who, with which roles, where."""

    person_uuid: str
    name: str
    roles: frozenset[str]
    station_uuid: str | None = None

    def can(self, action: Action | str) -> bool:
        return can(self.roles, action)


# --- refusals ------------------------------------------------------------------------------

@dataclass
class NotPermitted(Refused):
    """The person's roles do not include one that may do this."""

    action: str
    roles: tuple[str, ...] = ()


@dataclass
class NotTheAuthor(Refused):
    """Only the person who started (or last submitted) a patrol edits or submits it."""

    uuid: str
    author: str  # the author's name, or their id when unknown


@dataclass
class OwnPatrol(Refused):
    """An inspector never reviews their own patrol: the bonus depends on it."""

    uuid: str


@dataclass
class OtherStation(Refused):
    uuid: str


@dataclass
class WrongStatus(Refused):
    """The patrol is not in a state where this action applies."""

    uuid: str
    status: str
    action: str


@dataclass
class StaleRevision(Refused):
    """The patrol changed after the reviewer (or the editor) loaded it."""

    uuid: str
    expected: int
    found: int


@dataclass
class ApprovedPatrolLocked(Refused):
    """An approved patrol is saved only through an amendment request."""

    uuid: str


@dataclass
class CommentRequired(BadInput):
    action: str  # return | amend


def require(actor: Actor, action: Action | str) -> None:
    """Raise `NotPermitted` unless `actor` may do `action`."""
    if not actor.can(action):
        raise NotPermitted(str(Action(action)), tuple(sorted(actor.roles)))


def _role_names(roles: tuple[str, ...]) -> str:
    from ranger_app.i18n import formats as fmt  # vocabulary labels, loaded when shown

    return ", ".join(fmt.term("roles", r) for r in roles) or _("none")


def _status_name(code: str) -> str:
    from ranger_app.i18n import formats as fmt

    return fmt.term("record_statuses", code).lower()


_WRONG_STATUS: dict[str, str] = {
    "edit_patrol": N_("This patrol is {status}; it cannot be changed now."),
    "submit": N_("This patrol is {status}; only a draft or a returned patrol is submitted."),
    "return": N_("This patrol is {status}; only a submitted patrol is returned."),
    "approve": N_("This patrol is {status}; only a submitted patrol is approved."),
    "request_amendment": N_(
        "This patrol is {status}; amendments are requested for approved patrols only. "
        "Edit and save it instead."),
}

_DESCRIBE.update({
    NotPermitted: lambda x: _("{reason} Your roles: {roles}.").format(
        reason=_(_ONLY[Action(x.action)]), roles=_role_names(x.roles)),
    NotTheAuthor: lambda x: _(
        "Only the author edits or submits a patrol: this one belongs to {author}.").format(
        author=x.author),
    OwnPatrol: lambda x: _(
        "Inspectors do not review their own patrols; another inspector must do it."),
    OtherStation: lambda x: _(
        "This patrol belongs to another station; inspectors review the patrols of their own "
        "station (inspectors at HQ review every station)."),
    WrongStatus: lambda x: _(_WRONG_STATUS.get(x.action, _WRONG_STATUS["edit_patrol"])).format(
        status=_status_name(x.status)),
    StaleRevision: lambda x: _(
        "This patrol was changed after you opened it (revision {found}, you had {expected}). "
        "Close it, open it again and check the changes.").format(
        found=x.found, expected=x.expected),
    ApprovedPatrolLocked: lambda x: _(
        "This patrol was approved by an inspector and is locked. To change it, use “Request "
        "an amendment…”: your change goes to review again."),
    CommentRequired: lambda x: _(
        "Write a comment that says what must be fixed before returning the patrol.")
    if x.action == "return" else _("Write the reason for the amendment."),
})
