"""The Qt side of languages: Qt's own translations and the language-change event.

`apply_language` switches our gettext catalogs and swaps Qt's `qtbase_*.qm` translator, so
file dialogs and message-box buttons speak the same language; Qt then sends
`QEvent.LanguageChange` to every widget, which re-runs its `retranslate()`.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ranger_app.i18n import LANGUAGES, set_language

_qt_translator: QTranslator | None = None


def apply_language(code: str) -> None:
    global _qt_translator
    set_language(code)
    app = QCoreApplication.instance()
    if app is None:
        return
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    lang = LANGUAGES[code]
    QLocale.setDefault(QLocale(lang.qt))
    if code != "en":
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qtbase_{lang.qt}", folder):
            app.installTranslator(translator)
            _qt_translator = translator
    else:
        # No translator to install: tell the widgets ourselves.
        from PySide6.QtCore import QEvent

        for widget in app.allWidgets() if hasattr(app, "allWidgets") else []:
            QCoreApplication.sendEvent(widget, QEvent(QEvent.Type.LanguageChange))


def qt_translation_loaded() -> bool:
    return _qt_translator is not None
