"""The banner the visit editor shows when a card's images are dated outside their deployment.

A camera whose clock was set wrong (a year off after a battery change, summer time left on)
gives images outside the deployment the card belongs to. `io.sd_import.clock_fix` counts them
and finds the clock offset that moves them inside; this banner says so in the ranger's words
and offers the fix. Keeping the times is a choice too: the Camtrap DP export then flags the
deployment (`timestampIssues`) and the images (`mediaComments`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ranger_app.i18n import _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.io.sd_import import ClockFix


def clock_amount(seconds: int) -> str:
    """`365 days 3 h 00 min`: a clock error in days, hours and minutes."""
    days, rest = divmod(abs(seconds), 86_400)
    hours, minutes = divmod(round(rest / 60), 60)
    parts = []
    if days:
        parts.append(ngettext("{n} day", "{n} days", days).format(n=fmt.number(days, 0)))
    if hours or minutes or not days:
        parts.append(_("{h} h {m:02d} min").format(h=hours, m=minutes))
    return " ".join(parts)


def _sentences(*parts: str) -> str:
    """Sentences joined as the language writes them: no space after a full-width stop."""
    out = ""
    for part in parts:
        out += part if not out or out[-1] in "。！？" else " " + part
    return out


def clock_text(fix: ClockFix, tz: str) -> str:
    """What the banner says: how many images, the deployment, and the fix or why none."""
    n = fix.outside
    text = ngettext(
        "{n} image is dated outside the deployment ({start} – {end}).",
        "{n} images are dated outside the deployment ({start} – {end}).", n).format(
        n=fmt.number(n, 0), start=fmt.datetime_short(fix.start, tz),
        end=fmt.datetime_short(fix.end, tz))
    if fix.offset_s is None:
        return _sentences(text, _(
            "No single clock correction puts them all inside it, so the times stay as they "
            "are and the Camtrap DP export will flag them as timestamp issues."))
    amount = clock_amount(fix.offset_s)
    clock = (_("The camera clock looks off by {amount}: it ran fast.") if fix.offset_s > 0
             else _("The camera clock looks off by {amount}: it ran slow.")).format(
        amount=amount)
    return _sentences(text, clock, _(
        "Correct the times? If you keep them, the Camtrap DP export will flag them as "
        "timestamp issues."))


class ClockBanner(QFrame):
    """Above the images: the images outside the deployment, [Correct the times] [Keep]."""

    correct = Signal(int)  # the new clock offset, s
    keep = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clockBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#clockBanner { background: #fff3bf; border: 1px solid #f08c00; "
                           "border-radius: 4px; }")
        self.fix: ClockFix | None = None
        self.tz = "UTC"
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setObjectName("clockBannerText")
        self.correct_button = QPushButton()
        self.correct_button.setObjectName("clockCorrect")
        self.keep_button = QPushButton()
        self.keep_button.setObjectName("clockKeep")
        self.correct_button.clicked.connect(self._correct)
        self.keep_button.clicked.connect(self._keep)
        buttons = QVBoxLayout()
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.keep_button)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.addWidget(self.text, 1)
        row.addLayout(buttons)
        self.hide()
        self.retranslate()

    def show_fix(self, fix: ClockFix | None, tz: str) -> None:
        self.fix = fix
        self.tz = tz
        if fix is None:
            self.hide()
            return
        self.text.setText(clock_text(fix, tz))
        self.correct_button.setVisible(fix.offset_s is not None)
        self.show()

    def _correct(self) -> None:
        if self.fix is not None and self.fix.offset_s is not None:
            offset = self.fix.offset_s
            self.hide()
            self.correct.emit(offset)

    def _keep(self) -> None:
        self.hide()
        self.keep.emit()

    def retranslate(self) -> None:
        self.correct_button.setText(_("Correct the times"))
        self.keep_button.setText(_("Keep as they are"))
        if self.fix is not None:
            self.text.setText(clock_text(self.fix, self.tz))
