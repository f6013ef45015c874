"""The Qt side of languages: Qt's own translations and the language-change event.

`apply_language` switches our gettext catalogs and swaps Qt's `qtbase_*.qm` translator, so
file dialogs and message-box buttons speak the same language. Installing or removing a
translator makes Qt send `QEvent.LanguageChange` to every widget, which re-runs its
`retranslate()`; when no translator changes (English to English, or a missing .qm) we send
the event ourselves.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QWidget

from ranger_app.i18n import LANGUAGES, set_language

_qt_translator: QTranslator | None = None


def apply_language(code: str) -> None:
    global _qt_translator
    set_language(code)
    lang = LANGUAGES[code]
    QLocale.setDefault(QLocale(lang.babel))  # en_GB dates, not the US order
    app = QCoreApplication.instance()
    if app is None:
        return
    notified = False
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
        notified = True
    if code != "en":
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qtbase_{lang.qt}", folder):
            app.installTranslator(translator)
            _qt_translator = translator
            notified = True
    if notified:  # Qt posts the events; deliver them now, so callers see the new language
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
    elif isinstance(app, QApplication):
        for widget in app.topLevelWidgets():
            try:
                for w in (widget, *widget.findChildren(QWidget)):
                    QCoreApplication.sendEvent(w, QEvent(QEvent.Type.LanguageChange))
            except RuntimeError:  # a window Qt has already deleted (deleteLater): skip it
                continue


def qt_translation_loaded() -> bool:
    return _qt_translator is not None
