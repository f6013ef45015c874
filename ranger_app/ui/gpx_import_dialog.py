"""What a GPX file holds, asked about before it joins the patrol.

The ranger sees the recorded length beside the length used for effort, how many points the
speed check sets aside and why, and picks the leg's transport while the figures update. A
file without usable times (a planned route, a waypoint list, a handheld whose clock never
fixed) asks for the patrol's start and end instead of failing.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ranger_app.i18n import _, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.io.gpx import ParsedGpx
from ranger_app.io.gpx_import import DEFAULT_TRANSPORT, preview
from ranger_app.ui.widgets import LocalDateTimeEdit, VocabCombo


class GpxImportDialog(QDialog):
    def __init__(self, parsed: ParsedGpx, filename: str, tz: str, *,
                 needs_times: bool, makes_legs: bool, transport: str = DEFAULT_TRANSPORT,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parsed = parsed
        self.filename = filename
        self.needs_times = needs_times
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.transport = VocabCombo("transports")
        first = preview(parsed, transport).track_types
        self.transport.set_code(first[0] if first else transport)
        self.transport.setEnabled(makes_legs)
        self.transport.currentIndexChanged.connect(self._refresh)
        self.start = LocalDateTimeEdit()
        self.end = LocalDateTimeEdit()
        for edit in (self.start, self.end):
            edit.set_value(None, tz)
        self.start.dateTimeChanged.connect(self._refresh)
        self.recorded = QLabel()
        self.effort = QLabel()
        self.flagged = QLabel()
        self.flagged.setWordWrap(True)
        self.form = QFormLayout()
        self.form.addRow("", self.transport)
        self.form.addRow("", self.recorded)
        self.form.addRow("", self.effort)
        self.form.addRow("", self.flagged)
        if needs_times:
            self.form.addRow("", self.start)
            self.form.addRow("", self.end)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.retranslate()

    # --- the answer -----------------------------------------------------------------------

    def chosen_transport(self) -> str:
        return self.transport.code() or DEFAULT_TRANSPORT

    def start_at(self) -> datetime | None:
        return self.start.value() if self.needs_times else None

    def end_at(self) -> datetime | None:
        return self.end.value() if self.needs_times else None

    # --- showing it -----------------------------------------------------------------------

    def _refresh(self) -> None:
        p = preview(self.parsed, self.chosen_transport())
        self.recorded.setText(fmt.km(p.recorded_km))
        self.effort.setText(fmt.km(p.effort_km))
        if p.flagged:
            self.flagged.setText(ngettext(
                "{n} point is faster than {limit} km/h, the limit for this transport: left "
                "out of the effort length (a wild fix, or the wrong transport).",
                "{n} points are faster than {limit} km/h, the limit for this transport: left "
                "out of the effort length (wild fixes, or the wrong transport).",
                p.flagged).format(n=fmt.number(p.flagged, 0),
                                  limit=fmt.number(p.limit_kmh or 0, 0)))
        elif not p.has_times and p.points:
            self.flagged.setText(_("No times in the file: the speed check cannot run."))
        else:
            self.flagged.setText(_("No point is faster than this transport allows."))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not self.needs_times or self.start.value() is not None)

    def retranslate(self) -> None:
        p = preview(self.parsed, self.chosen_transport())
        self.setWindowTitle(_("Import a GPS track"))
        self.heading.setText(_("{name}: {points} track points, {waypoints} waypoints.").format(
            name=self.filename, points=fmt.number(p.points, 0),
            waypoints=fmt.number(p.waypoints, 0)))
        labels = [_("Transport of the leg"), _("Recorded length"),
                  _("Length used for effort"), _("Speed check")]
        if self.needs_times:
            labels += [_("Patrol start"), _("Patrol end")]
        for row, text in enumerate(labels):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is None or item.widget() is None:  # addRow("") makes no label
                self.form.setWidget(row, QFormLayout.ItemRole.LabelRole, QLabel(text))
            else:
                item.widget().setText(text)  # type: ignore[attr-defined]
        notes = []
        if self.needs_times:
            notes.append(_("The GPS clock was never set, so the file's times cannot date the "
                           "patrol. Enter when the patrol started and ended.")
                         if p.clock_unset else
                         _("The file has no times (a planned route, or a device that does not "
                           "record them). Enter when the patrol started and ended."))
        elif p.clock_unset:
            notes.append(_("Some times come from a GPS clock that was never set: they are not "
                           "used for the speed check or the patrol's date."))
        if p.route_points:
            notes.append(_("The planned route ({points} points) is kept as the plan and drawn "
                           "dashed; it is never counted as effort.").format(
                points=fmt.number(p.route_points, 0)))
        if p.skipped:
            notes.append(_("Values outside the GPX standard were skipped, the rest kept: "
                           "{what}.").format(what=", ".join(
                               f"<{k}> × {n}" for k, n in sorted(p.skipped.items()))))
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self.transport.retranslate()
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
