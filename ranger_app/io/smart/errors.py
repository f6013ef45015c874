"""Typed errors of the SMART exchange, and their sentences in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from ranger_app.domain.errors import BadInput
from ranger_app.i18n import _
from ranger_app.i18n.messages import _DESCRIBE


@dataclass
class UnmappedCodes(BadInput):
    """Export refused: these (kind, our code) pairs have no SMART key in the mapping."""

    codes: tuple[tuple[str, str], ...]


@dataclass
class UnknownSmartKeys(BadInput):
    """Import refused: these (kind, SMART key) pairs map to none of our codes."""

    path: str
    keys: tuple[tuple[str, str], ...]


@dataclass
class NotSmartPatrol(BadInput):
    """The XML is well formed but not a SMART 1.4 patrol document."""

    path: str
    detail: str


@dataclass
class MalformedMapping(BadInput):
    path: str
    line: int
    detail: str


def _pairs(pairs: tuple[tuple[str, str], ...], limit: int = 12) -> str:
    shown = ", ".join(f"{kind}:{code}" for kind, code in pairs[:limit])
    return shown + (f" (+{len(pairs) - limit})" if len(pairs) > limit else "")


SMART_MESSAGES = {
    UnmappedCodes: lambda x: _(
        "Nothing was exported: these codes have no SMART key in the mapping: {codes}. Add "
        "them in File › SMART mapping (or the mapping CSV) and export again."
    ).format(codes=_pairs(x.codes)),
    UnknownSmartKeys: lambda x: _(
        "Nothing was imported from {path}: these SMART keys are not in the mapping: {keys}. "
        "Map them to our codes in File › SMART mapping and import again."
    ).format(path=x.path, keys=_pairs(x.keys)),
    NotSmartPatrol: lambda x: _(
        "The file {path} is not a SMART patrol export ({detail}); nothing was imported."
    ).format(path=x.path, detail=x.detail),
    MalformedMapping: lambda x: _(
        "The SMART mapping {path} cannot be used: line {line}: {detail}."
    ).format(path=x.path, line=x.line, detail=x.detail),
}


def register_smart_messages() -> None:
    """Let `i18n.messages.describe` word every SMART error (idempotent)."""
    _DESCRIBE.update(SMART_MESSAGES)


register_smart_messages()
