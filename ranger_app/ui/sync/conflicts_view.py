"""The inspector's conflicts queue: both values, who made them, and the decision."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n.formats import datetime_short, number
from ranger_app.i18n.messages import describe
from ranger_app.ui.record_lists import Column, RowsModel, make_table
from ranger_app.ui.sync.common import Retranslating, station_tz, wrapped
from ranger_app.ui.sync.labels import CONFLICT_KINDS, entity_label, field_label, label_for

if TYPE_CHECKING:
    from ranger_app.store.db import Database
    from ranger_app.sync.resolve import ConflictDetail, Side


def show_value(value: Any, tz: str) -> str:
    """A payload value as a person reads it: local dates, local decimal marks, yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        digits = len(f"{value:.6f}".rstrip("0").split(".")[1])
        return number(value, max(digits, 1))
    if isinstance(value, int):
        return number(value, 0)
    if isinstance(value, str) and len(value) == 27 and value[10] == "T" and value[-1] == "Z":
        try:
            return datetime_short(datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC), tz)
        except ValueError:
            return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:79] + "…"


def side_text(side: Side, tz: str) -> str:
    """Who, at which station, on which device, when: what an inspector weighs."""
    parts = [side.person or _("unknown person")]
    if side.station:
        parts.append(side.station)
    if side.at is not None:
        parts.append(datetime_short(side.at, tz))
    if side.device:  # last: in a narrow cell it is the part elided
        parts.append(_("device …{id}").format(id=side.device[-6:]))
    return " · ".join(parts)


def _conflict_columns(tz: Callable[[], str]) -> list[Column]:
    def value(d: ConflictDetail, which: str) -> str:
        side = d.a if which == "a" else d.b
        return f"{show_value(side.value, tz())}\n{side_text(side, tz())}"

    return [
        Column(N_("Record type"), lambda d: entity_label(d.entity)),
        Column(N_("Record"), lambda d: d.record, tooltip=lambda d: d.entity_uuid),
        Column(N_("Field"), lambda d: field_label(d.field),
               tooltip=lambda d: label_for(CONFLICT_KINDS, d.kind)),
        Column(N_("One value"), lambda d: value(d, "a"), tooltip=lambda d: value(d, "a")),
        Column(N_("Other value"), lambda d: value(d, "b"), tooltip=lambda d: value(d, "b")),
        Column(N_("Holds for now"), lambda d: show_value(d.held, tz())),
    ]


class ConflictsView(Retranslating, QWidget):
    """The inspector's queue: both values, who made them, and a choice that becomes a change.

    The record keeps a provisional winner (the later change) until someone decides; the
    decision is written as an ordinary change (`sync.resolve`), so it is in the audit
    trail and reaches every other site with the next bundle.
    """

    resolved = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db = db
        self.tz = station_tz(db)
        self.heading = wrapped()
        self.model = RowsModel(_conflict_columns(lambda: self.tz), self)
        self.table = make_table(self.model)
        self.choice_box = QGroupBox()
        self.kind = wrapped()
        self.pick_a = QRadioButton()
        self.pick_b = QRadioButton()
        self.pick_other = QRadioButton()
        self.other = QLineEdit()
        self.group = QButtonGroup(self)
        for button in (self.pick_a, self.pick_b, self.pick_other):
            self.group.addButton(button)
        other_row = QHBoxLayout()
        other_row.addWidget(self.pick_other)
        other_row.addWidget(self.other, 1)
        self.resolve_button = QPushButton()
        self.resolve_button.setDefault(True)
        box = QVBoxLayout(self.choice_box)
        box.addWidget(self.kind)
        box.addWidget(self.pick_a)
        box.addWidget(self.pick_b)
        box.addLayout(other_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.resolve_button)
        box.addLayout(buttons)
        self.status = wrapped()
        self.close_button = QPushButton()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.choice_box)
        layout.addLayout(bottom)
        self.resize(1200, 560)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.group.buttonToggled.connect(lambda *_a: self._update())
        self.other.textEdited.connect(lambda _t: self.pick_other.setChecked(True))
        self.other.textChanged.connect(lambda _t: self._update())
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.close_button.clicked.connect(self.close)
        self.refresh()
        self.retranslate()

    def refresh(self) -> None:
        from ranger_app.sync.resolve import conflict_details

        self.model.set_rows(conflict_details(self.db))
        self._layout_table()
        if self.model.rows:
            self.table.selectRow(0)
        self._selected()
        self._show_heading()

    def _layout_table(self) -> None:
        """Values with their author on a second line (no wrapping, so every row is two
        lines high whatever the width); the two value columns share the rest."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for col in range(self.model.columnCount()):
            mode = (QHeaderView.ResizeMode.Stretch if col in (3, 4)
                    else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(col, mode)
        self.table.resizeRowsToContents()

    def selected(self) -> ConflictDetail | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selected(self) -> None:
        d = self.selected()
        self.group.setExclusive(False)
        for button in (self.pick_a, self.pick_b, self.pick_other):
            button.setChecked(False)
        self.group.setExclusive(True)
        self.other.clear()
        if d is not None:
            self.other.setPlaceholderText(self._hint(d))
            self.other.setEnabled(d.kind != "delete")
            self.pick_other.setEnabled(d.kind != "delete")
        self._texts()
        self._update()

    def _hint(self, d: ConflictDetail) -> str:
        from ranger_app.sync.resolve import field_kind

        kind = field_kind(d.entity, d.field)
        return {"number": _("a number, e.g. 2.5"), "integer": _("a whole number"),
                "flag": _("yes or no"), "time": _("date and time in UTC: YYYY-MM-DD HH:MM"),
                }.get(kind, _("the value the record should hold"))

    def _texts(self) -> None:
        d = self.selected()
        self.choice_box.setEnabled(d is not None)
        if d is None:
            self.kind.setText("")
            for button in (self.pick_a, self.pick_b):
                button.setText("")
            return
        self.kind.setText(_("{type} {record}, field “{field}”: {kind}. The record holds the "
                            "later value for now; choose what it should hold.").format(
            type=entity_label(d.entity), record=d.record, field=field_label(d.field),
            kind=label_for(CONFLICT_KINDS, d.kind)))
        for button, side in ((self.pick_a, d.a), (self.pick_b, d.b)):
            button.setText(_("Keep {value} — {who}").format(
                value=show_value(side.value, self.tz), who=side_text(side, self.tz)))

    def _update(self) -> None:
        ready = (self.pick_a.isChecked() or self.pick_b.isChecked()
                 or (self.pick_other.isChecked() and self.pick_other.isEnabled()))
        self.resolve_button.setEnabled(self.selected() is not None and ready)

    def _show_heading(self) -> None:
        n = len(self.model.rows)
        self.heading.setText(
            ngettext("{n} unresolved conflict. Each was found when bundles from two places "
                     "changed the same field.",
                     "{n} unresolved conflicts. Each was found when bundles from two places "
                     "changed the same field.", n).format(n=n)
            if n else _("No unresolved conflicts."))

    def chosen_value(self, d: ConflictDetail) -> Any:
        from ranger_app.sync.resolve import parse_value

        if self.pick_a.isChecked():
            return d.a.value
        if self.pick_b.isChecked():
            return d.b.value
        return parse_value(d.entity, d.field, self.other.text())

    def resolve_selected(self) -> bool:
        from ranger_app.domain.errors import RangerError
        from ranger_app.sync.resolve import resolve_conflict

        d = self.selected()
        if d is None:
            return False
        try:
            done = resolve_conflict(self.db, d.id, self.chosen_value(d))
        except RangerError as err:
            self.status.setText(describe(err))
            self.refresh()
            return False
        self.status.setText(_("Settled: {type} {record} now holds {value} in “{field}”. The "
                              "decision was saved as a new change and goes to the other "
                              "sites with the next bundle.").format(
            type=entity_label(d.entity), record=d.record, field=field_label(d.field),
            value=show_value(done.value, self.tz)))
        self.refresh()
        self.resolved.emit()
        return True

    def retranslate(self) -> None:
        self.setWindowTitle(_("Conflicts"))
        self.choice_box.setTitle(_("Decision"))
        self.pick_other.setText(_("Another value:"))
        self.resolve_button.setText(_("Save the decision"))
        self.close_button.setText(_("Close"))
        self.model.retranslate()
        self.table.resizeRowsToContents()
        self._show_heading()
        self._texts()
        d = self.selected()
        if d is not None:
            self.other.setPlaceholderText(self._hint(d))
