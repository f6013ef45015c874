"""Small widgets shared by the editors: vocabulary combos, local-time edits, a category picker."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QEvent, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.vocab import LANGS, vocabulary
from ranger_app.i18n import LANGUAGES, _, current_language

SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
CODE_ROLE = Qt.ItemDataRole.UserRole


class VocabCombo(QComboBox):
    """A combo over one vocabulary: shows labels in the current language, holds codes."""

    def __init__(self, vocab: str, allow_empty: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.vocab = vocab
        self.allow_empty = allow_empty
        self.retranslate()

    def retranslate(self) -> None:
        code = self.code()
        self.blockSignals(True)
        self.clear()
        if self.allow_empty:
            self.addItem("—", "")
        for term in vocabulary(self.vocab):
            self.addItem(term.label(current_language()), term.code)
        self.set_code(code)
        self.blockSignals(False)

    def code(self) -> str:
        return self.currentData() or ""

    def set_code(self, code: str | None) -> None:
        index = self.findData(code or "")
        self.setCurrentIndex(index if index >= 0 else 0)


def to_local_qdatetime(value: datetime | None, tz: str) -> QDateTime:
    """Wall-clock time in the station's zone, which is what the ranger's watch showed."""
    if value is None:
        return QDateTime()
    local = value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return QDateTime(local.year, local.month, local.day, local.hour, local.minute, local.second)


def from_local_qdatetime(value: QDateTime, tz: str) -> datetime | None:
    if not value.isValid():
        return None
    d, t = value.date(), value.time()
    local = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second(),
                     tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


class LocalDateTimeEdit(QDateTimeEdit):
    """A date-time edit in a named time zone that can also be empty ("—")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.tz = "Asia/Vladivostok"
        self.setMinimumDateTime(QDateTime(2000, 1, 1, 0, 0, 0))
        self.setSpecialValueText("—")

    def set_value(self, value: datetime | None, tz: str) -> None:
        self.tz = tz
        self.blockSignals(True)
        self.setDateTime(to_local_qdatetime(value, tz) if value else self.minimumDateTime())
        self.blockSignals(False)

    def value(self) -> datetime | None:
        if self.dateTime() == self.minimumDateTime():
            return None
        return from_local_qdatetime(self.dateTime(), self.tz)


class CategoryPicker(QWidget):
    """A searchable tree of observation categories; matches any language or the code."""

    categoryChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._filter)
        self.tree.clicked.connect(self._chosen)
        self.tree.activated.connect(self._chosen)
        self.retranslate()

    def retranslate(self) -> None:
        self.search.setPlaceholderText(_("Find a category (any language)…"))
        self.model.clear()
        lang = current_language()
        items: dict[str, QStandardItem] = {}
        cats = vocabulary("observation_categories")
        for term in cats:
            item = QStandardItem(term.label(lang))
            item.setData(term.code, CODE_ROLE)
            words = [term.code, term.latin] + [term.labels.get(x, "") for x in LANGS]
            item.setData(" ".join(words), SEARCH_ROLE)
            item.setEditable(False)
            items[term.code] = item
            parent = items.get(term.parent or "")
            (parent or self.model.invisibleRootItem()).appendRow(item)
        self.tree.expandToDepth(0)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if text.strip():
            self.tree.expandAll()

    def _chosen(self, index) -> None:  # type: ignore[no-untyped-def]
        code = self.proxy.data(index, CODE_ROLE)
        if code:
            self.categoryChosen.emit(code)

    def select(self, code: str) -> None:
        matches = self.model.match(self.model.index(0, 0), CODE_ROLE, code, 1,
                                   Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
        if matches:
            index = self.proxy.mapFromSource(matches[0])
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)


class LanguageMark(QLabel):
    """A small tag in the corner of a free-text field typed in another language.

    Free text keeps the language it was typed in (records store it beside the text); a
    Chinese inspector reading a note typed in Russian sees «RU» rather than guessing.
    """

    def __init__(self, field: QWidget) -> None:
        super().__init__(field)
        self.field = field
        self.setStyleSheet("QLabel { background: #e7f0fb; color: #1c4e80; border: 1px solid"
                           " #9dbbe0; border-radius: 3px; padding: 0 4px; font-size: 10px; }")
        self.hide()
        field.installEventFilter(self)

    def show_for(self, text_lang: str | None) -> None:
        """Visible only when the text's language differs from the interface language."""
        if not text_lang or text_lang == current_language() or text_lang not in LANGUAGES:
            self.hide()
            return
        self.setText(text_lang.upper())
        self.setToolTip(_("Typed in {language}").format(
            language=LANGUAGES[text_lang].native_name))
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        self.move(self.field.width() - self.width() - 18, 4)  # clear of a scroll bar

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.field and event.type() == QEvent.Type.Resize:
            self._place()
        return False
