"""A record's history from the change log: who, when, on which device, what changed, from
which revision; the patrol's revisions side by side; its review steps.

Values come as stored in change payloads (codes, UTC times, ids); this module shows them in
the current language: vocabulary labels, local times, people's names.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ranger_app.i18n import N_, _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.store.db import Database
from ranger_app.store.history import (
    QUIET_FIELDS,
    HistoryEntry,
    RecordHistory,
    parse_time,
    record_history,
)
from ranger_app.store.queries import people, stations
from ranger_app.ui.review import ACTION_TEXT, step_text

CHANGED = QColor("#fff3bf")
MAX_TEXT = 80

ENTITY_NAMES = {
    "patrol": N_("Patrol"), "patrol_leg": N_("Leg"), "leg_member": N_("Team member"),
    "track": N_("Track"), "observation": N_("Observation"), "attachment": N_("Photo or file"),
    "patrol_review": N_("Review step"),
}
OP_NAMES = {"insert": N_("created"), "update": N_("changed"), "delete": N_("deleted"),
            "merge": N_("merged")}
FIELD_NAMES = {
    "number": N_("Number"), "station_uuid": N_("Station"), "patrol_type": N_("Patrol type"),
    "mandate": N_("Mandate"), "armed": N_("Armed"), "start_at": N_("Start"),
    "end_at": N_("End"), "tz": N_("Time zone"), "notes": N_("Notes"),
    "notes_lang": N_("Notes language"), "status": N_("Status"), "distance_m": N_("Distance"),
    "observation_count": N_("Observations"), "leader_name": N_("Leader"),
    "deleted": N_("Deleted"), "transport": N_("Transport"), "ordinal": N_("Leg number"),
    "person_uuid": N_("Person"), "is_leader": N_("Leader"), "category": N_("Category"),
    "observed_at": N_("Time"), "lat": N_("Latitude"), "lon": N_("Longitude"),
    "count": N_("Count"), "attributes": N_("Details"), "observer_uuid": N_("Observer"),
    "points": N_("Track points"), "point_count": N_("Points"), "length_m": N_("Length"),
    "name": N_("Name"), "action": N_("Action"), "comment": N_("Comment"),
    "patrol_rev": N_("Patrol revision"), "by_person": N_("By"), "at": N_("Time"),
    "signature": N_("Signature"), "filename": N_("File"), "caption": N_("Caption"),
}
VOCAB_FIELDS = {"status": "record_statuses", "patrol_type": "patrol_types",
                "mandate": "mandates", "transport": "transports"}
PERSON_FIELDS = frozenset({"person_uuid", "observer_uuid", "by_person", "updated_by",
                           "created_by"})
# The patrol's own fields shown side by side, in this order.
SIDE_BY_SIDE = ("status", "number", "station_uuid", "patrol_type", "mandate", "armed",
                "start_at", "end_at", "notes", "distance_m", "observation_count", "leader_name",
                "deleted")


def field_name(name: str) -> str:
    return _(FIELD_NAMES[name]) if name in FIELD_NAMES else name


class _Values:
    """Shows payload values: labels for codes, names for people, local times."""

    def __init__(self, db: Database, tz: str) -> None:
        self.tz = tz
        self.names = {p.uuid: p.name for p in people(db)}
        self.stations = {s.uuid: s.code for s in stations(db)}

    def show(self, field: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if field in VOCAB_FIELDS and isinstance(value, str):
            return fmt.term(VOCAB_FIELDS[field], value)
        if field == "category" and isinstance(value, str):
            return fmt.category_path(value)
        if field in PERSON_FIELDS:
            return self.names.get(value, str(value))
        if field == "station_uuid":
            return self.stations.get(value, str(value))
        if field == "action":
            return _(ACTION_TEXT.get(str(value), str(value)))
        if field in ("distance_m", "length_m") and isinstance(value, int | float):
            return fmt.km(value / 1000)
        if field == "signature":
            return _("signed")
        if isinstance(value, str) and value.startswith("base64:"):
            size = len(value) * 3 // 4
            return ngettext("{n} byte", "{n} bytes", size).format(n=fmt.number(size, 0))
        when = parse_time(value)
        if when is not None:
            return fmt.datetime_short(when, self.tz)
        if isinstance(value, float):
            return fmt.number(value, 6 if field in ("lat", "lon") else 1)
        text = str(value).replace("\n", " ")
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class HistoryView(QWidget):
    """The history of one record (a patrol with its parts and review steps)."""

    def __init__(self, db: Database, uuid: str, entity: str = "patrol",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.db = db
        self.uuid = uuid
        self.entity = entity
        self.resize(1280, 760)
        self.history: RecordHistory = record_history(db, entity, uuid)
        tz = next((r.values.get("tz") for r in reversed(self.history.revisions)
                   if r.values.get("tz")), "Asia/Vladivostok")
        self.values = _Values(db, tz)

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.tabs = QTabWidget()
        self.entries = _table(7)
        self.entries.itemSelectionChanged.connect(self._entry_selected)
        self.fields = _table(3)
        changes = QSplitter(Qt.Orientation.Vertical)
        changes.addWidget(self.entries)
        changes.addWidget(self.fields)
        changes.setSizes([420, 220])
        self.side_by_side = _table(1)
        self.side_by_side.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.steps = QListWidget()
        self.steps.setWordWrap(True)
        self.tabs.addTab(changes, "")
        self.tabs.addTab(self.side_by_side, "")
        self.tabs.addTab(self.steps, "")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self.retranslate()

    # --- filling --------------------------------------------------------------------------

    def refresh(self) -> None:
        self._fill_entries()
        self._fill_side_by_side()
        self.steps.clear()
        for step in self.history.steps:
            self.steps.addItem(step_text(step, self.values.tz))
        latest = self.history.revisions[-1].values if self.history.revisions else {}
        self.title.setText(_("History of patrol {number}").format(
            number=latest.get("number") or "—") if self.entity == "patrol"
            else _("History of {uuid}").format(uuid=self.uuid))
        self.summary.setText(_(
            "{changes} changes in the change log, {revisions} revisions of the patrol, "
            "{steps} review steps. Each change names who made it, when, on which device and "
            "from which revision.").format(changes=len(self.history.entries),
                                           revisions=len(self.history.revisions),
                                           steps=len(self.history.steps)))

    def _device(self, e: HistoryEntry) -> str:
        short = e.device[-8:]
        if e.this_device:
            return _("this laptop ({id})").format(id=short)
        return f"{e.device_label} ({short})" if e.device_label else short

    def _what(self, e: HistoryEntry) -> str:
        """Changed fields; for a new record, what it is (a step, a category, a person)."""
        if e.op != "insert":
            return ", ".join(field_name(c.field) for c in e.changes
                             if c.field not in QUIET_FIELDS)
        new = {c.field: c.new for c in e.changes}
        if e.entity == "patrol_review":
            text = self.values.show("action", new.get("action"))
            return text + (": “" + str(new["comment"]) + "”" if new.get("comment") else "")
        for name in ("category", "person_uuid", "transport", "name", "filename", "number"):
            if new.get(name):
                return self.values.show(name, new[name])
        return ""

    def _fill_entries(self) -> None:
        rows = self.history.entries
        self.entries.setRowCount(len(rows))
        for row, e in enumerate(rows):
            revision = (_("new, revision {new}").format(new=e.new_rev) if e.base_rev == 0
                        else _("{base} → {new}").format(base=e.base_rev, new=e.new_rev))
            cells = (fmt.datetime_short(e.at, self.values.tz) if e.at else "", e.by_name,
                     self._device(e), _(ENTITY_NAMES.get(e.entity, e.entity)),
                     _(OP_NAMES.get(e.op, e.op)), revision, self._what(e))
            for col, text in enumerate(cells):
                self.entries.setItem(row, col, QTableWidgetItem(text))
        self.entries.resizeColumnsToContents()
        if rows:
            self.entries.selectRow(len(rows) - 1)

    def _entry_selected(self) -> None:
        selected = self.entries.selectionModel().selectedRows()
        self.fields.setRowCount(0)
        if not selected:
            return
        e = self.history.entries[selected[0].row()]
        changes = [c for c in e.changes if c.field not in QUIET_FIELDS]
        self.fields.setRowCount(len(changes))
        for row, c in enumerate(changes):
            for col, text in enumerate((field_name(c.field), self.values.show(c.field, c.old),
                                        self.values.show(c.field, c.new))):
                self.fields.setItem(row, col, QTableWidgetItem(text))
        self.fields.resizeColumnsToContents()

    def _fill_side_by_side(self) -> None:
        revisions = self.history.revisions
        table = self.side_by_side
        table.clear()
        table.setColumnCount(len(revisions) + 1)
        table.setRowCount(len(SIDE_BY_SIDE))
        headers = [_("Field")] + [
            _("Revision {rev}\n{time}\n{name}").format(
                rev=r.rev, time=fmt.datetime_short(r.at, self.values.tz) if r.at else "",
                name=r.by_name) for r in revisions]
        table.setHorizontalHeaderLabels(headers)
        bold = QFont()
        bold.setBold(True)
        for row, name in enumerate(SIDE_BY_SIDE):
            table.setItem(row, 0, QTableWidgetItem(field_name(name)))
            previous: Any = None
            for col, r in enumerate(revisions, start=1):
                value = r.values.get(name)
                item = QTableWidgetItem(self.values.show(name, value))
                if col > 1 and value != previous:
                    item.setBackground(QBrush(CHANGED))
                    item.setFont(bold)
                table.setItem(row, col, item)
                previous = value
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.resizeRowsToContents()

    # --- language -------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("History"))
        self.tabs.setTabText(0, _("Change log"))
        self.tabs.setTabText(1, _("Revisions side by side"))
        self.tabs.setTabText(2, _("Review steps"))
        self.entries.setHorizontalHeaderLabels([
            _("When"), _("Who"), _("Device"), _("Record"), _("Change"), _("Revision"),
            _("Fields")])
        self.fields.setHorizontalHeaderLabels([_("Field"), _("Before"), _("After")])
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
