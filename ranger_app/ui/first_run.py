"""The first start: set up this station's database, or explore a demo database."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.records import StationSetup
from ranger_app.i18n import LANGUAGES, _, current_language, pgettext
from ranger_app.i18n.qt import apply_language


@dataclass(frozen=True)
class FirstRunChoice:
    demo: bool
    setup: StationSetup | None
    language: str


class FirstRunDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(520)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.title.setWordWrap(True)  # «Добро пожаловать в …» is wider than the dialog
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.language = QComboBox()
        for code, lang in LANGUAGES.items():
            self.language.addItem(lang.native_name, code)
        self.language.setCurrentIndex(self.language.findData(current_language()))
        self.language_label = QLabel()

        self.setup_radio = QRadioButton()
        self.demo_radio = QRadioButton()
        self.setup_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.setup_radio)
        group.addButton(self.demo_radio)

        self.station_box = QGroupBox()
        self.station_code = QLineEdit()
        self.station_code.setMaxLength(12)
        self.station_name = QLineEdit()
        self.person_name = QLineEdit()
        self.country = QComboBox()
        self.country.addItem("", "RU")
        self.country.addItem("", "CN")
        self.labels = {k: QLabel() for k in ("code", "name", "person", "country")}
        form = QFormLayout(self.station_box)
        form.addRow(self.labels["code"], self.station_code)
        form.addRow(self.labels["name"], self.station_name)
        form.addRow(self.labels["person"], self.person_name)
        form.addRow(self.labels["country"], self.country)
        self.demo_note = QLabel()
        self.demo_note.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c92a2a;")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

        lang_row = QHBoxLayout()
        lang_row.addWidget(self.language_label)
        lang_row.addWidget(self.language, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addLayout(lang_row)
        layout.addWidget(self.setup_radio)
        layout.addWidget(self.station_box)
        layout.addWidget(self.demo_radio)
        layout.addWidget(self.demo_note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.language.currentIndexChanged.connect(
            lambda: apply_language(self.language.currentData()))
        self.setup_radio.toggled.connect(self.station_box.setEnabled)
        self.retranslate()

    def choice(self) -> FirstRunChoice:
        lang = self.language.currentData()
        if self.demo_radio.isChecked():
            return FirstRunChoice(True, None, lang)
        return FirstRunChoice(False, StationSetup(
            station_code=self.station_code.text().strip().upper(),
            station_name=self.station_name.text().strip(),
            person_name=self.person_name.text().strip(),
            language=lang, country=self.country.currentData()), lang)

    def _accept(self) -> None:
        if self.setup_radio.isChecked():
            missing = [self.labels[k].text() for k, w in (
                ("code", self.station_code), ("name", self.station_name),
                ("person", self.person_name)) if not w.text().strip()]
            if missing:
                self.error.setText(_("Please fill in: {fields}").format(
                    fields=", ".join(m.rstrip(":") for m in missing)))
                return
        self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Welcome to Ranger Field Log"))
        self.title.setText(_("Welcome to Ranger Field Log"))
        self.intro.setText(_(
            "Everything you record is kept on this laptop, with no network needed. "
            "Choose how to start."))
        self.language_label.setText(_("Language"))
        self.setup_radio.setText(_("Set up this station"))
        self.demo_radio.setText(_("Explore a demo database"))
        self.station_box.setTitle(_("This station"))
        self.labels["code"].setText(_("Station code"))
        self.labels["name"].setText(_("Station name"))
        self.labels["person"].setText(_("Your name"))
        self.labels["country"].setText(_("Country"))
        self.station_code.setPlaceholderText(_("e.g. KED"))
        self.station_name.setPlaceholderText(_("e.g. Kedrovaya Pad cordon"))
        self.country.setItemText(0, _("Russia"))
        self.country.setItemText(1, _("China"))
        self.demo_note.setText(_(
            "A separate database with a season of made-up patrols, fires, feeding visits "
            "and camera-trap visits, to learn the program without touching real records."))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(pgettext("button", "Start"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Quit"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


__all__ = ["FirstRunChoice", "FirstRunDialog", "Qt"]
