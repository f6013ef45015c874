"""gettext for every layer: `from ranger_app.i18n import _, N_, ngettext, pgettext`.

English is the source language. The current language is process-wide; `set_language`
switches it at run time and notifies listeners (the Qt layer re-translates its widgets).
Module-level strings are marked with `N_` and translated when shown.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass

from ranger_app.paths import translations_dir

DOMAIN = "ranger_app"


@dataclass(frozen=True)
class Language:
    code: str  # ours, stored in settings and records: ru | zh | en
    gettext: str  # catalog folder under translations/
    qt: str  # Qt's qtbase_<qt>.qm
    babel: str  # Babel locale for dates and numbers
    native_name: str  # shown in the language menu, never translated


LANGUAGES: dict[str, Language] = {
    "ru": Language("ru", "ru", "ru", "ru_RU", "Русский"),
    "zh": Language("zh", "zh_Hans", "zh_CN", "zh_Hans_CN", "中文"),
    "en": Language("en", "en", "en_GB", "en_GB", "English"),
}
DEFAULT_LANGUAGE = "en"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_current = DEFAULT_LANGUAGE
_listeners: list[Callable[[str], None]] = []


def _load(code: str) -> gettext.NullTranslations:
    lang = LANGUAGES[code]
    return gettext.translation(
        DOMAIN, localedir=str(translations_dir()), languages=[lang.gettext], fallback=True
    )


def set_language(code: str) -> None:
    """Switch every layer to `code` (ru, zh or en) and tell the listeners."""
    global _translation, _current
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    _translation = _load(code)
    _current = code
    for listener in list(_listeners):
        listener(code)


def current_language() -> str:
    return _current


def babel_locale() -> str:
    return LANGUAGES[_current].babel


def on_language_changed(listener: Callable[[str], None]) -> None:
    _listeners.append(listener)


def _(message: str) -> str:
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with `_()`."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _translation.pgettext(context, message)
