"""Patrol effort: the figures of design §9 per month, by ranger or station, and as a PDF.

The figures come from `ranger_app.reports.effort` (computed in a worker, never on the UI
thread); this module only picks the period, formats with Babel in the UI language and
prints. The printed report carries each figure's definition as a footnote, in the same
language, so an inspector on either side of the border reads the same rules.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_interval, format_skeleton
from PySide6.QtCore import QEvent, QMarginsF, QObject, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPdfWriter,
    QTextDocument,
    QTextLength,
    QTextTable,
)
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ranger_app import __version__
from ranger_app.i18n import N_, _, babel_locale, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.reports.area_filter import Area, patrols_through
from ranger_app.reports.effort import (
    FIGURES,
    RANGER_ROWS_NOTE,
    REPORT_CATEGORIES,
    REST_SPEED_MS,
    EffortRow,
    GroupBy,
    Month,
    effort_summary,
    months,
    patrol_month_range,
)
from ranger_app.store.db import Database
from ranger_app.store.queries import stations
from ranger_app.ui import workers
from ranger_app.ui.area_filter_bar import AreaFilterBar, describe_area, filter_note
from ranger_app.ui.record_lists import Column, RowsModel, make_table

GROUPS: tuple[tuple[GroupBy, str], ...] = (("ranger", N_("Ranger")), ("station", N_("Station")))
APPROVED = frozenset({"APPROVED"})
DASH = "—"
# Where a printed header may break: between words, after a hyphen, between Chinese characters.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}-]+-?|-")
_DEFINITION = {f.key: f for f in FIGURES}


def month_label(m: Month) -> str:
    """`March 2024` / `март 2024 г.` / `2024年3月`."""
    return format_skeleton("yMMMM", m.first_day(), locale=babel_locale())


def period_label(first: Month, last: Month) -> str:
    """`January – December 2024` / `январь – декабрь 2024 г.` / `2024年1月至12月`."""
    if first == last:
        return month_label(first)
    return format_interval(first.first_day(), last.first_day(), "yMMMM", locale=babel_locale())


def definition(key: str) -> str:
    """A figure's definition in the UI language (thresholds filled in from the code)."""
    return _(_DEFINITION[key].definition).format(speed=fmt.number(REST_SPEED_MS, 1))


@dataclass(frozen=True)
class EffortQuery:
    """What the user asked for; kept with the result so the PDF prints what was computed."""

    first: Month
    last: Month
    group_by: GroupBy
    station_uuid: str | None
    station_label: str  # untranslated name, or "" for every station
    approved_only: bool
    area: Area | None = None  # only patrols whose track passes through it (whole patrols)


@dataclass(frozen=True)
class EffortResult:
    query: EffortQuery
    rows: list[EffortRow]
    total: EffortRow | None  # every patrol of the period and filter, one row


def compute(db: Database, query: EffortQuery) -> EffortResult:
    """The worker's job: one row per month and group, and the period's total."""
    statuses = APPROVED if query.approved_only else None
    uuids = None if query.area is None else patrols_through(db, query.area.geometry)
    rows = effort_summary(db, query.group_by, query.first, query.last,
                          station_uuid=query.station_uuid, statuses=statuses,
                          patrol_uuids=uuids)
    total = effort_summary(db, "all", query.first, query.last, station_uuid=query.station_uuid,
                           statuses=statuses, per_month=False, patrol_uuids=uuids)
    return EffortResult(query, rows, total[0] if total else None)


# --- the table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EffortColumn:
    """A table column: its title and definition (both translated when shown) and its cells."""

    title: Callable[[GroupBy], str]
    key: str  # FIGURES key for the tooltip and the footnote ("" for none)
    text: Callable[[EffortRow], str]
    tooltip: Callable[[EffortRow], str] | None = None
    numeric: bool = True
    category: str = ""  # an encounter rate's observation category
    unit: Callable[[], str] | None = None  # an encounter rate's "per 10 km"
    is_period: bool = False  # the period column (printed as headings instead)


def _rate(value: float | None) -> str:
    return DASH if value is None else fmt.number(value, 2)


def _observations(row: EffortRow, category: str) -> str:
    n = row.encounters(category)
    return ngettext("{n} observation", "{n} observations", n).format(n=n)


def _row_label(row: EffortRow) -> str:
    return _("All patrols") if row.group == "all" else (row.label or _("No station"))


def _figure(key: str, text: Callable[[EffortRow], str]) -> EffortColumn:
    """A column of one of the defined figures, titled with its label."""
    return EffortColumn(lambda g: _(_DEFINITION[key].label), key, text)


def effort_columns() -> list[EffortColumn]:
    cols = [
        EffortColumn(lambda g: _("Period"), "",
                     lambda r: period_label(r.first, r.last), numeric=False, is_period=True),
        EffortColumn(lambda g: _(dict(GROUPS)[g]), "", _row_label, numeric=False),
        _figure("patrols", lambda r: fmt.number(r.patrols, 0)),
        _figure("distance_km", lambda r: fmt.km(r.distance_km)),
        _figure("hours", lambda r: fmt.number(r.hours, 1)),
        _figure("active_hours", lambda r: fmt.number(r.active_hours, 1)),
        _figure("person_days", lambda r: fmt.number(r.person_days, 0)),
        _figure("person_field_hours", lambda r: fmt.number(r.person_field_hours, 1)),
        _figure("nights", lambda r: fmt.number(r.nights, 0)),
    ]
    for cat in REPORT_CATEGORIES:
        def name(c: str = cat) -> str:
            return fmt.term("observation_categories", c)

        def per_10km() -> str:
            return _("per 10 km")

        def per_100h() -> str:
            return _("per 100 person-field-hours")

        cols.append(EffortColumn(
            lambda g, name=name: name() + "\n" + per_10km(), "per_10km",
            lambda r, c=cat: _rate(r.per_10km(c)), lambda r, c=cat: _observations(r, c),
            category=cat, unit=per_10km))
        cols.append(EffortColumn(
            lambda g, name=name: name() + "\n" + per_100h(), "per_100h",
            lambda r, c=cat: _rate(r.per_100_person_hours(c)),
            lambda r, c=cat: _observations(r, c), category=cat, unit=per_100h))
    cols.append(_figure("legs_without_track", lambda r: fmt.number(r.legs_without_track, 0)))
    return cols


class EffortModel(RowsModel):
    """RowsModel with titles that follow the grouping, definitions as header tips, and the
    total row in bold."""

    def __init__(self, parent: Any = None) -> None:
        self.effort_columns = effort_columns()
        super().__init__([Column(c.key, c.text, c.numeric, None, c.tooltip)
                          for c in self.effort_columns], parent)
        self.group_by: GroupBy = "ranger"

    def title(self, section: int) -> str:
        return self.effort_columns[section].title(self.group_by)

    def header_text(self, section: int) -> str:
        """The title broken into lines of about 12 characters, so narrow figures keep
        narrow columns (Chinese has no spaces and needs no breaking)."""
        return "\n".join(textwrap.fill(line, 12, break_long_words=False,
                                        break_on_hyphens=False)
                         for line in self.title(section).split("\n"))

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        key = self.effort_columns[section].key
        if role == Qt.ItemDataRole.ToolTipRole and key:
            return definition(key)
        return None

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid():
            row = self.row_at(index.row())
            if row is not None and row.group == "all":
                font = QFont()
                font.setBold(True)
                return font
            return None
        return super().data(index, role)


# --- the view -------------------------------------------------------------------------------

class EffortView(QWidget):
    """Month range, grouping, station filter, the figures, and "Print to PDF…"."""

    computed = Signal()  # a result has arrived and is shown
    failed = Signal(str)  # a translated message

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.result: EffortResult | None = None
        self._generation = 0
        self._worker: workers.Worker | None = None
        self.resize(1280, 640)

        span = patrol_month_range(db)
        today = Month.of(datetime.now(UTC).date())
        self.months = months(*span) if span else [today]
        self.from_label, self.to_label = QLabel(), QLabel()
        self.from_combo, self.to_combo = QComboBox(), QComboBox()
        for combo in (self.from_combo, self.to_combo):
            for m in self.months:
                combo.addItem("", m)
        self.from_combo.setCurrentIndex(max(0, len(self.months) - 12))
        self.to_combo.setCurrentIndex(len(self.months) - 1)

        self.group_label = QLabel()
        self.group_combo = QComboBox()
        for code, _title in GROUPS:
            self.group_combo.addItem("", code)
        self.station_label = QLabel()
        self.station_combo = QComboBox()
        self.station_combo.addItem("", None)
        for st in stations(db):
            if not st.is_hq:
                self.station_combo.addItem(f"{st.code} · {st.name}", st.uuid)
        self.approved_only = QCheckBox()
        self.area_bar = AreaFilterBar(db, self)
        self.area_note = QLabel()
        self.area_note.setWordWrap(True)
        self.area_note.hide()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: the figures take one query round
        self.busy.setMaximumWidth(160)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.print_button = QPushButton()
        self.print_button.clicked.connect(self.choose_pdf)
        self.print_button.setEnabled(False)

        self.model = EffortModel(self)
        self.table = make_table(self.model)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag.AlignVCenter)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.status = QLabel()

        controls = QHBoxLayout()
        for w in (self.from_label, self.from_combo, self.to_label, self.to_combo,
                  self.group_label, self.group_combo, self.station_label, self.station_combo,
                  self.approved_only, self.area_bar):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.busy)
        controls.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.area_note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)
        for combo in (self.from_combo, self.to_combo, self.group_combo, self.station_combo):
            combo.currentIndexChanged.connect(self._changed)
        self.approved_only.toggled.connect(self._changed)
        self.area_bar.areaChanged.connect(self._changed)
        self.retranslate()
        self.refresh()

    # --- computing ----------------------------------------------------------------------

    def query(self) -> EffortQuery:
        first, last = self.from_combo.currentData(), self.to_combo.currentData()
        if first > last:
            first, last = last, first
        station = self.station_combo.currentData()
        return EffortQuery(first, last, self.group_combo.currentData(), station,
                           self.station_combo.currentText() if station else "",
                           self.approved_only.isChecked(), self.area_bar.area)

    def _changed(self, *_args: Any) -> None:
        self._timer.start()

    def refresh(self) -> workers.Worker:
        """Recompute in a worker; a newer request makes older results be ignored."""
        self._timer.stop()
        if self._worker is not None:
            self._worker.cancel()
        self._generation += 1
        generation, query, db = self._generation, self.query(), self.db

        def job(progress: Any, cancelled: Any) -> EffortResult:
            return compute(db, query)

        worker = workers.Worker(job)
        worker.signals.finished_ok.connect(lambda r, g=generation: self._arrived(g, r))
        worker.signals.failed.connect(lambda e, g=generation: self._failed(g, e))
        worker.signals.done.connect(lambda g=generation: self._done(g))
        self._worker = worker
        self.busy.show()
        self.print_button.setEnabled(False)
        self.status.setText(_("Computing…"))
        return workers.start(worker)

    @property
    def busy_now(self) -> bool:
        return self._worker is not None

    def _arrived(self, generation: int, result: EffortResult) -> None:
        if generation != self._generation:
            return
        self.result = result
        self.model.group_by = result.query.group_by
        self.model.set_rows([*result.rows, *([result.total] if result.total else [])])
        self._fit_columns()
        self._update_note()
        self._show_status()
        self.computed.emit()

    def _update_area_note(self) -> None:
        area = self.result.query.area if self.result is not None else None
        self.area_note.setText(filter_note(area) if area is not None else "")
        self.area_note.setVisible(area is not None)

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        message = describe(error)
        self.status.setText(message)
        self.failed.emit(message)

    def _done(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._worker = None
        self.busy.hide()
        self.print_button.setEnabled(self.result is not None)

    def _show_status(self) -> None:
        r = self.result
        if r is None:
            self.status.setText("")
            return
        n = r.total.patrols if r.total else 0
        if not n:
            self.status.setText(_("No patrols in this period."))
            return
        self.status.setText(ngettext("{n} patrol in the period", "{n} patrols in the period",
                                     n).format(n=fmt.number(n, 0)))

    def _fit_columns(self) -> None:
        """Columns as wide as their contents, and a header tall enough for every title (Qt
        sizes the header from a sample of its sections and would clip the tallest)."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        lines = max((self.model.header_text(i).count("\n") + 1
                     for i in range(self.model.columnCount())), default=1)
        header.setMinimumHeight(lines * header.fontMetrics().lineSpacing() + 12)

    def _update_note(self) -> None:
        self._update_area_note()
        by_ranger = self.result is not None and self.result.query.group_by == "ranger"
        self.note.setText(_(RANGER_ROWS_NOTE) if by_ranger else "")
        self.note.setVisible(by_ranger)

    # --- printing -----------------------------------------------------------------------

    def choose_pdf(self) -> None:
        if self.result is None:
            return
        q = self.result.query
        suggested = f"patrol-effort-{q.first}-{q.last}.pdf"
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Print to PDF"), suggested, _("PDF files (*.pdf)"))
        if not path:
            return
        try:
            self.print_pdf(Path(path))
        except OSError as exc:
            QMessageBox.warning(self, _("Could not do that"), describe(exc))
            return
        self.status.setText(_("Saved to {path}").format(path=path))

    def report_html(self) -> str:
        """The report as HTML: heading, filter, the table, and the definitions as footnotes."""
        assert self.result is not None
        q = self.result.query
        esc = html.escape
        columns = self.print_columns()
        notes: list[str] = []  # footnote keys, in order of first use

        def mark(key: str) -> str:
            if key not in notes:
                notes.append(key)
            return f"<sup>{notes.index(key) + 1}</sup>"

        top, bottom = [], []
        for i, col in enumerate(columns):
            if col.category and col.unit is not None:
                if i == 0 or columns[i - 1].category != col.category:
                    span = sum(1 for c in columns if c.category == col.category)
                    name = esc(fmt.term("observation_categories", col.category))
                    top.append(f'<th colspan="{span}"><b>{name}</b></th>')
                bottom.append(f"<th><b>{esc(col.unit())}{mark(col.key)}</b></th>")
            else:
                title = esc(col.title(q.group_by)).replace("\n", " ")
                top.append(f'<th rowspan="2"><b>{title}'
                           f'{mark(col.key) if col.key else ""}</b></th>')
        body = []
        shown: tuple[Month, Month] | None = None
        for row in self.model.rows:
            if (row.first, row.last) != shown:
                shown = (row.first, row.last)
                body.append(f'<tr><td colspan="{len(columns)}" class="period"><b>'
                            f"{esc(period_label(row.first, row.last))}</b></td></tr>")
            cells = []
            for col in columns:
                style = ' class="cell" align="right"' if col.numeric else ' class="cell"'
                text = esc(col.text(row))
                cells.append(f"<td{style}>{'<b>' + text + '</b>' if row.group == 'all' else text}"
                             "</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        if not body:
            empty = esc(_("No patrols in this period."))
            body.append(f'<tr><td colspan="{len(columns)}">{empty}</td></tr>')
        facts = [
            (_("Station"), q.station_label or _("All stations")),
            (_("Period"), period_label(q.first, q.last)),
            (_("Grouped by"), _(dict(GROUPS)[q.group_by])),
            (_("Patrols"), _("Approved patrols only") if q.approved_only
             else _("All patrols, any review status")),
            *([(_("Through"), describe_area(q.area) + ". " + filter_note(q.area))]
              if q.area is not None else []),
            (_("Generated"), fmt.datetime_short(datetime.now(UTC), self._tz())),
        ]
        footnotes = "".join(
            f"<p><sup>{i}</sup> <b>{esc(_(_DEFINITION[key].label))}.</b> "
            f"{esc(definition(key))}</p>" for i, key in enumerate(notes, start=1))
        if q.group_by == "ranger":
            footnotes += f"<p>{esc(_(RANGER_ROWS_NOTE))}</p>"
        title = esc(_("Patrol effort"))
        definitions = esc(_("Definitions"))
        program = esc(_("Ranger Field Log {version}").format(version=__version__))
        return (
            f"<html><body><h2>{title}</h2>"
            + "".join(f"<div><b>{esc(k)}:</b> {esc(v)}</div>" for k, v in facts)
            + '<br><table border="1" cellspacing="0" cellpadding="3" width="100%">'
            f"<thead><tr>{''.join(top)}</tr><tr>{''.join(bottom)}</tr></thead>"
            f"{''.join(body)}</table>"
            f'<h4>{definitions}</h4><div style="font-size: 7pt">{footnotes}</div>'
            f'<p style="font-size: 7pt; color: #555">{program}</p>'
            "</body></html>"
        )

    def print_columns(self) -> list[EffortColumn]:
        """The printed columns: the period heads each block of rows instead of filling a
        column, and each category heads its two rates, so the table fits A4 in Russian too."""
        return [c for c in self.model.effort_columns if not c.is_period]

    def print_widths(self, header: QFont, body: QFont, device: QPaintDevice,
                     available: float) -> list[float]:
        """Column widths in % of `available` device pixels, like a browser's automatic
        table layout: every column at least as wide as its longest unbreakable header word
        and its widest cell; what is left goes to the columns whose headers want more."""
        assert self.result is not None
        group_by = self.result.query.group_by
        columns = self.print_columns()
        head_m, body_m = QFontMetricsF(header, device), QFontMetricsF(body, device)
        bold_body = QFont(body)
        bold_body.setBold(True)
        bold_m = QFontMetricsF(bold_body, device)
        # cellpadding 3 and borders on both sides, in CSS pixels (1/96 in), plus a margin
        pad = 12 * device.logicalDpiX() / 96

        def text_width(m: QFontMetricsF, text: str) -> float:
            return m.horizontalAdvance(text) * 1.05 + pad

        def longest_word(m: QFontMetricsF, text: str) -> float:
            return max((text_width(m, w) for w in _WORD.findall(text)), default=pad)

        def heading(col: EffortColumn) -> str:
            text = col.unit() if col.unit is not None else col.title(group_by)
            return text.replace("\n", " ") + ("999" if col.key else "")

        least, wanted = [], []
        for col in columns:
            cells = [text_width(bold_m if r.group == "all" else body_m, col.text(r))
                     for r in self.model.rows]
            least.append(max([longest_word(head_m, heading(col)), *cells]))
            wanted.append(max(least[-1], text_width(head_m, heading(col))))
        for cat in {c.category for c in columns if c.category}:  # a category over its rates
            idx = [i for i, c in enumerate(columns) if c.category == cat]
            short = longest_word(head_m, fmt.term("observation_categories", cat)) - sum(
                least[i] for i in idx)
            for i in idx if short > 0 else ():
                least[i] += short / len(idx)
                wanted[i] = max(wanted[i], least[i])
        extra = available - sum(least)
        if extra <= 0:
            out = least
        else:
            desire = [w - m for w, m in zip(wanted, least, strict=True)]
            if sum(desire) >= extra:
                out = [m + extra * d / sum(desire) for m, d in zip(least, desire, strict=True)]
            else:
                rest = extra - sum(desire)
                out = [w + rest * w / sum(wanted) for w in wanted]
        total = sum(out)
        return [100 * w / total for w in out]

    def print_pdf(self, path: Path) -> None:
        """Write the shown figures to an A4 landscape PDF with Qt's own PDF writer."""
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageOrientation(QPageLayout.Orientation.Landscape)
        writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
        writer.setResolution(300)
        writer.setTitle(_("Patrol effort"))
        writer.setCreator(_("Ranger Field Log {version}").format(version=__version__))
        doc = QTextDocument()
        # Lay out on the writer itself, one page = its printable area: QTextDocument.print_
        # would otherwise add margins of its own to the writer's.
        doc.documentLayout().setPaintDevice(writer)
        doc.setPageSize(QSizeF(writer.width(), writer.height()))
        doc.setDocumentMargin(0)
        font = QApplication.font()
        font.setPointSizeF(7.5)
        doc.setDefaultFont(font)
        header = QFont(font)
        header.setPointSizeF(6.5)
        header.setBold(True)
        doc.setDefaultStyleSheet("th { background-color: #e8e8e8; font-size: 6.5pt; } "
                                 ".cell { white-space: nowrap; } "
                                 ".period { background-color: #f4f4f4; }")
        doc.setHtml(self.report_html())
        # Qt's own column widths do not keep a column as wide as its longest word (it breaks
        # words in the middle), and `width` attributes land on the wrong columns once cells
        # span rows: set the table's column widths directly.
        widths = self.print_widths(header, font, writer, writer.width())
        for frame in doc.rootFrame().childFrames():
            if isinstance(frame, QTextTable) and frame.columns() == len(widths):
                table_format = frame.format()
                table_format.setColumnWidthConstraints(
                    [QTextLength(QTextLength.Type.PercentageLength, w) for w in widths])
                frame.setFormat(table_format)
        doc.print_(writer)
        del writer  # finishes the file
        if not path.exists():
            raise OSError(f"no PDF written to {path}")

    def _tz(self) -> str:
        inst = self.db.installation()
        return next((s.tz for s in stations(self.db) if s.uuid == inst.station_uuid),
                    "Asia/Vladivostok")

    # --- language -----------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Patrol effort"))
        self.from_label.setText(_("From"))
        self.to_label.setText(_("to"))
        for combo in (self.from_combo, self.to_combo):
            for i, m in enumerate(self.months):
                combo.setItemText(i, month_label(m))
        self.group_label.setText(_("Group by"))
        for i, (_code, title) in enumerate(GROUPS):
            self.group_combo.setItemText(i, _(title))
        self.station_label.setText(_("Station"))
        self.station_combo.setItemText(0, _("All stations"))
        self.approved_only.setText(_("Approved patrols only"))
        self.area_bar.retranslate()
        self.print_button.setText(_("Print to PDF…"))
        self._update_note()
        self.model.retranslate()
        self._fit_columns()
        if self._worker is None:
            self._show_status()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: Any) -> None:
        if self._worker is not None:
            self._worker.cancel()
            workers.wait_for_all()
        super().closeEvent(event)


# --- the menu -------------------------------------------------------------------------------

class _EffortMenu(QObject):
    """"Reports → Patrol effort…" on a main window; follows the window's language."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("effortMenu")
        self.window = window
        self.view: EffortView | None = None
        self.menu = window.menuBar().addMenu("")
        help_menu = getattr(window, "help_menu", None)
        if help_menu is not None:  # Reports before Help, as menus usually go
            window.menuBar().insertMenu(help_menu.menuAction(), self.menu)
        self.action = QAction(window)
        self.action.setObjectName("patrolEffortAction")
        self.action.triggered.connect(self.open)
        self.menu.addAction(self.action)
        window.installEventFilter(self)
        self.retranslate()

    def retranslate(self) -> None:
        self.menu.setTitle(_("&Reports"))
        self.action.setText(_("Patrol &effort…"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return False

    def open(self) -> EffortView | None:
        db = getattr(self.window, "db", None)
        if db is None:  # the database is still opening
            return None
        if self.view is None:
            view = EffortView(db, self.window)
            view.setWindowFlag(Qt.WindowType.Window)
            view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            view.destroyed.connect(self._closed)
            self.view = view
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        return self.view

    def _closed(self, *_args: Any) -> None:
        self.view = None


def add_effort_menu(window: QMainWindow) -> None:
    """Add "Reports → Patrol effort…" to `window`, opening an `EffortView` in its own window
    over `window.db` (the action does nothing until the database is attached). Only once."""
    if window.findChild(QAction, "patrolEffortAction") is None:
        _EffortMenu(window)
