"""The feeding-site workspace: the register (table and map) with kill alerts, a site's visit
history and the season's kilograms by feed type; new sites and visits open their editors.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.domain.feeding import (
    KILL_ALERT_RADIUS_M,
    current_season,
    season_of,
    site_from_json,
    visit_from_json,
)
from ranger_app.i18n import N_, _, babel_locale, ngettext
from ranger_app.i18n import formats as fmt
from ranger_app.i18n.messages import describe
from ranger_app.store.db import Database
from ranger_app.store.drafts import Draft, drafts
from ranger_app.store.feeding import (
    KillAlert,
    SiteRow,
    VisitRow,
    load_site,
    load_visit,
    new_site,
    new_visit,
    season_totals,
    seasons,
    site_rows,
    sites_with_kill_alerts,
    visit_history,
)
from ranger_app.ui.feeding_editor import (
    SITE_DRAFT,
    VISIT_DRAFT,
    FeedingMap,
    FeedingSiteEditor,
    FeedingVisitEditor,
    kilograms,
    site_title,
    unit_text,
)
from ranger_app.ui.map_view import MapMarker
from ranger_app.ui.record_lists import Column, RowsModel, make_table

AnyIndex = QModelIndex | QPersistentModelIndex
ALL_SEASONS = -1  # the season combo's "all seasons" entry


def date_short(value: datetime | None, tz: str) -> str:
    """The local calendar day, in the current language (Babel's short date)."""
    if value is None:
        return ""
    return format_date(value.astimezone(ZoneInfo(tz)).date(), "short", locale=babel_locale())


def season_label(season: int) -> str:
    return _("Winter {first}/{second}").format(first=season, second=f"{(season + 1) % 100:02d}")


def percent(value: float | None) -> str:
    return "" if value is None else f"{fmt.number(value, 0)} %"


def celsius(value: float | None) -> str:
    return "" if value is None else f"{fmt.number(value, 1)} °C"


def centimetres(value: float | None) -> str:
    return "" if value is None else f"{fmt.number(value, 0)} {unit_text('cm')}"


def metres(value: float | None) -> str:
    return "" if value is None else _("{n} m").format(n=fmt.number(value, 0))


# =========================================================================================
# the workspace
# =========================================================================================

class FeedingWorkspace(QWidget):
    """Feeding sites: register, map, visit history and season totals."""

    siteSelected = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.editors: list[FeedingSiteEditor | FeedingVisitEditor] = []
        self.alerts: dict[str, list[KillAlert]] = {}
        self._warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._season: int | None = None  # chosen on the first refresh

        # --- top row: season, drafts, buttons -------------------------------------------
        self.season_label = QLabel()
        self.season = QComboBox()
        self.season.setMinimumContentsLength(14)
        self.drafts_label = QLabel()
        self.drafts_button = QPushButton()
        self.new_site_button = QPushButton()
        self.new_visit_button = QPushButton()
        self.open_button = QPushButton()
        top = QHBoxLayout()
        top.addWidget(self.season_label)
        top.addWidget(self.season)
        top.addSpacing(16)
        top.addWidget(self.drafts_label)
        top.addWidget(self.drafts_button)
        top.addStretch(1)
        for button in (self.new_site_button, self.new_visit_button, self.open_button):
            top.addWidget(button)

        # --- the register and the map --------------------------------------------------
        self.sites_model = RowsModel([
            Column(N_("Kill alert"), self._alert_text, icon=self._alert_icon,
                   tooltip=self._alert_tooltip),
            Column(N_("Code"), lambda r: r.code),
            Column(N_("Name"), lambda r: r.name, tooltip=lambda r: r.name),
            Column(N_("Site type"), lambda r: fmt.term("feeding_site_types", r.site_type),
                   tooltip=lambda r: fmt.term("feeding_site_types", r.site_type)),
            Column(N_("Condition"), lambda r: fmt.term("site_conditions", r.condition)),
            Column(N_("Visits"), lambda r: fmt.number(r.visits, 0), align_right=True),
            Column(N_("Feed delivered"), lambda r: kilograms(r.kg), align_right=True),
            Column(N_("Last visit"), lambda r: date_short(r.last_visit_at, r.last_visit_tz),
                   tooltip=lambda r: fmt.datetime_short(r.last_visit_at, r.last_visit_tz)),
        ], self)
        self.sites = make_table(self.sites_model)
        self.sites.setSortingEnabled(False)
        self.map = FeedingMap()
        self.map.markerClicked.connect(self._marker_clicked)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.sites)
        upper.addWidget(self.map)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        upper.setSizes([940, 420])

        # --- the selected site: history and totals -------------------------------------
        self.history_box = QGroupBox()
        self.history_model = RowsModel([
            Column(N_("Date"), lambda v: fmt.datetime_short(v.visited_at, v.tz),
                   icon=lambda v: self._warning if v.kill_alert else None),
            Column(N_("Feed put out"), self._feed_text),
            Column(N_("Total"), lambda v: kilograms(v.kg) if v.feed else "",
                   align_right=True),
            Column(N_("Remaining"), lambda v: percent(v.remaining_pct), align_right=True),
            Column(N_("Snow"), lambda v: centimetres(v.snow_depth_cm), align_right=True),
            Column(N_("Temperature"), lambda v: celsius(v.temp_c), align_right=True),
            Column(N_("Transport"), lambda v: fmt.term("transports", v.transport)),
            Column(N_("Predators"), lambda v: ", ".join(
                fmt.term("predator_species", p) for p in v.predator_species)),
            Column(N_("Crew"), lambda v: ", ".join(v.crew_names),
                   tooltip=lambda v: "\n".join(v.crew_names)),
        ], self)
        self.history = make_table(self.history_model)
        self.history.doubleClicked.connect(lambda *_a: self.open_visit())
        history_layout = QVBoxLayout(self.history_box)
        history_layout.addWidget(self.history)

        self.totals_box = QGroupBox()
        self.totals_model = RowsModel([
            Column(N_("Feed type"), lambda r: fmt.term("feed_types", r[0]) if r[0] else _(
                "All feed")),
            Column(N_("Weight"), lambda r: kilograms(r[1]), align_right=True),
        ], self)
        self.totals = make_table(self.totals_model)
        self.totals.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.alert_label = QLabel()
        self.alert_label.setWordWrap(True)
        self.alert_label.setStyleSheet("color: #c92a2a;")
        totals_layout = QVBoxLayout(self.totals_box)
        totals_layout.addWidget(self.totals, 1)
        totals_layout.addWidget(self.alert_label)

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.history_box)
        lower.addWidget(self.totals_box)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        lower.setSizes([900, 340])

        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(upper)
        body.addWidget(lower)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([430, 300])

        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(body, 1)
        layout.addWidget(self.count_label)

        self.season.currentIndexChanged.connect(self._season_changed)
        self.sites.selectionModel().selectionChanged.connect(self._site_selection_changed)
        self.sites.doubleClicked.connect(lambda *_a: self.open_site())
        self.new_site_button.clicked.connect(self.new_site)
        self.new_visit_button.clicked.connect(self.new_visit)
        self.open_button.clicked.connect(self.open_selected)
        self.drafts_button.clicked.connect(self.restore_drafts)

        self.retranslate()
        self.refresh()

    # =====================================================================================
    # data
    # =====================================================================================

    @property
    def season_value(self) -> int | None:
        """The chosen season (its starting year), or None for every season."""
        return None if self._season in (None, ALL_SEASONS) else self._season

    def refresh(self) -> None:
        """Reload the register, the map and the selected site (keeping the selection)."""
        keep = self.selected_site_uuid()
        self._fill_seasons()
        season = self.season_value
        self.alerts = sites_with_kill_alerts(self.db, season)
        self.sites_model.set_rows(site_rows(self.db, season))
        self.sites.resizeColumnsToContents()
        for column, widest in ((2, 210), (3, 160), (4, 120)):  # long names: tool tips
            self.sites.setColumnWidth(column, min(self.sites.columnWidth(column), widest))
        self.refresh_map()
        if keep is not None:
            self.select_site(keep)
        self.refresh_selected()
        self.refresh_drafts()
        self._retranslate_counts()

    def _fill_seasons(self) -> None:
        found = seasons(self.db)
        today = current_season(date.today())
        if self._season is None:  # first look: the season under way, or the last one logged
            self._season = today if today in found or not found else found[0]
        elif self._season not in (ALL_SEASONS, today) and self._season not in found:
            self._season = found[0] if found else today  # its last visit was moved away
        choices = sorted(set(found) | {today}, reverse=True)
        self.season.blockSignals(True)
        self.season.clear()
        for s in choices:
            self.season.addItem(season_label(s), s)
        self.season.addItem(_("All seasons"), ALL_SEASONS)
        self.season.setCurrentIndex(max(self.season.findData(self._season), 0))
        self.season.blockSignals(False)

    def refresh_map(self) -> None:
        markers = []
        for row in self.sites_model.rows:
            if row.lat is None or row.lon is None:
                continue
            markers.append(MapMarker(row.uuid, row.lat, row.lon, site_title(row.code, row.name),
                                     "threat" if row.uuid in self.alerts else "wildlife"))
        kills = {a.sign_uuid: a for found in self.alerts.values() for a in found}
        for sign_uuid, alert in kills.items():
            if alert.lat is not None and alert.lon is not None:
                markers.append(MapMarker(f"kill:{sign_uuid}", alert.lat, alert.lon,
                                         self._kill_text(alert), "carcass"))
        self.map.set_observations(markers)
        self.map.set_alert_rings([(r.lat, r.lon) for r in self.sites_model.rows
                                  if r.uuid in self.alerts and r.lat is not None
                                  and r.lon is not None])

    def refresh_selected(self) -> None:
        row = self.selected_site()
        season = self.season_value
        if row is None:
            self.history_model.set_rows([])
            self.totals_model.set_rows([])
        else:
            self.history_model.set_rows(visit_history(self.db, row.uuid, season))
            totals = list(season_totals(self.db, season, row.uuid).items())
            if totals:
                totals.append(("", sum(kg for _t, kg in totals)))
            self.totals_model.set_rows(totals)
            self.history.resizeColumnsToContents()
            self.history.setColumnWidth(1, min(self.history.columnWidth(1), 260))
            self.totals.resizeColumnsToContents()
            self._show_on_map(row.uuid)
        self._retranslate_selected()

    def _show_on_map(self, uuid: str) -> None:
        """Mark the site's marker; pan to it only if it is off screen (keeps the zoom)."""
        found = None
        for item in self.map.markers():
            item.setSelected(item.key == uuid)
            if item.key == uuid:
                found = item
        if found is not None and self.map.isVisible():
            seen = self.map.mapToScene(self.map.viewport().rect()).boundingRect()
            if not seen.contains(found.pos()):
                self.map.highlight(uuid)
        self.map.viewport().update()

    def refresh_drafts(self) -> None:
        found = self._drafts()
        self.drafts_label.setVisible(bool(found))
        self.drafts_button.setVisible(bool(found))
        self.drafts_label.setText(ngettext(
            "{n} unsaved feeding record was left open.",
            "{n} unsaved feeding records were left open.", len(found)).format(n=len(found)))

    def _drafts(self) -> list[Draft]:
        open_keys = {e.draft_key for e in self.editors}
        return [d for d in drafts(self.db, SITE_DRAFT) + drafts(self.db, VISIT_DRAFT)
                if d.key not in open_keys]

    # =====================================================================================
    # selection
    # =====================================================================================

    def selected_site(self) -> SiteRow | None:
        rows = self.sites.selectionModel().selectedRows()
        return self.sites_model.row_at(rows[0].row()) if rows else None

    def selected_site_uuid(self) -> str | None:
        row = self.selected_site()
        return row.uuid if row else None

    def selected_visit(self) -> VisitRow | None:
        rows = self.history.selectionModel().selectedRows()
        return self.history_model.row_at(rows[0].row()) if rows else None

    def select_site(self, uuid: str) -> bool:
        for i, row in enumerate(self.sites_model.rows):
            if row.uuid == uuid:
                self.sites.selectRow(i)
                self.sites.scrollTo(self.sites_model.index(i, 0))
                return True
        return False

    def _site_selection_changed(self, *_args: Any) -> None:
        self.refresh_selected()
        uuid = self.selected_site_uuid()
        if uuid:
            self.siteSelected.emit(uuid)

    def _marker_clicked(self, key: str) -> None:
        if key.startswith("kill:"):
            sign = key.split(":", 1)[1]
            key = next((site for site, found in self.alerts.items()
                        if any(a.sign_uuid == sign for a in found)), "")
        if key:
            self.select_site(key)

    def _season_changed(self) -> None:
        data = self.season.currentData()
        self._season = ALL_SEASONS if data is None else int(data)
        self.refresh()

    # =====================================================================================
    # editors
    # =====================================================================================

    def _show(self, editor: FeedingSiteEditor | FeedingVisitEditor
              ) -> FeedingSiteEditor | FeedingVisitEditor:
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(lambda uuid, e=editor: self._editor_saved(e, uuid))
        editor.destroyed.connect(lambda *_a, e=editor: self._editor_gone(e))
        self.editors.append(editor)
        editor.show()
        editor.raise_()
        self.refresh_drafts()
        return editor

    def _editor_saved(self, editor: Any, uuid: str) -> None:
        if isinstance(editor, FeedingVisitEditor) and self._season != ALL_SEASONS:
            visit = editor.visit  # show the season the ranger just logged a visit in
            found = season_of(visit.visited_at, visit.tz) if visit.visited_at else None
            if found is not None:
                self._season = found
        self.refresh()
        if isinstance(editor, FeedingSiteEditor):
            self.select_site(uuid)
        elif editor.visit.site_uuid:
            self.select_site(editor.visit.site_uuid)

    def _editor_gone(self, editor: Any) -> None:
        if editor in self.editors:
            self.editors.remove(editor)
        self.refresh_drafts()

    def _find_editor(self, kind: type, uuid: str) -> Any:
        for editor in self.editors:
            if isinstance(editor, kind) and editor.value().uuid == uuid:
                editor.raise_()
                editor.activateWindow()
                return editor
        return None

    def new_site(self) -> FeedingSiteEditor:
        editor = FeedingSiteEditor(self.db, new_site(self.db))
        self._show(editor)
        return editor

    def new_visit(self) -> FeedingVisitEditor:
        editor = FeedingVisitEditor(self.db, new_visit(self.db, self.selected_site_uuid()))
        self._show(editor)
        return editor

    def open_site(self, uuid: str | None = None) -> FeedingSiteEditor | None:
        uuid = uuid or self.selected_site_uuid()
        if not uuid:
            return None
        found = self._find_editor(FeedingSiteEditor, uuid)
        if found is not None:
            return found
        try:
            editor = FeedingSiteEditor(self.db, load_site(self.db, uuid))
        except RangerError as err:
            self._show_error(err)
            return None
        self._show(editor)
        return editor

    def open_visit(self, uuid: str | None = None) -> FeedingVisitEditor | None:
        if uuid is None:
            row = self.selected_visit()
            uuid = row.uuid if row else None
        if not uuid:
            return None
        found = self._find_editor(FeedingVisitEditor, uuid)
        if found is not None:
            return found
        try:
            editor = FeedingVisitEditor(self.db, load_visit(self.db, uuid))
        except RangerError as err:
            self._show_error(err)
            return None
        self._show(editor)
        return editor

    def open_selected(self) -> QWidget | None:
        """Open the selected visit if the history has one selected, else the selected site."""
        if self.selected_visit() is not None:
            return self.open_visit()
        return self.open_site()

    def restore_drafts(self) -> int:
        """Open every feeding draft a crash or a flat battery left behind."""
        found = self._drafts()
        for draft in found:
            editor: FeedingSiteEditor | FeedingVisitEditor
            if draft.entity == SITE_DRAFT:
                editor = FeedingSiteEditor(self.db, site_from_json(draft.body),
                                           draft_key=draft.key)
            else:
                editor = FeedingVisitEditor(self.db, visit_from_json(draft.body),
                                            draft_key=draft.key)
            editor.dirty = True
            self._show(editor)
        return len(found)

    def close_editors(self) -> bool:
        """Close every open editor (each asks about unsaved changes); False if one stayed."""
        return all(editor.close() for editor in list(self.editors))

    def _show_error(self, error: BaseException) -> None:
        QMessageBox.warning(self, _("Could not do that"), describe(error))

    # =====================================================================================
    # texts
    # =====================================================================================

    def _alert_text(self, row: SiteRow) -> str:
        if not row.kill_alerts:
            return ""
        return ngettext("{n} kill", "{n} kills", row.kill_alerts).format(n=row.kill_alerts)

    def _alert_icon(self, row: SiteRow) -> QIcon | None:
        return self._warning if row.kill_alerts else None

    def _kill_text(self, alert: KillAlert) -> str:
        text = _("{predator} kill, {distance} from {site}").format(
            predator=fmt.term("predator_species", alert.species),
            distance=metres(alert.distance_m), site=alert.site_code)
        if alert.prey_species:
            text += " · " + _("prey: {prey}").format(
                prey=fmt.term("ungulate_species", alert.prey_species))
        return text + " · " + fmt.datetime_short(alert.visited_at, alert.tz)

    def _alert_tooltip(self, row: SiteRow) -> str:
        return "\n".join(self._kill_text(a) for a in self.alerts.get(row.uuid, []))

    def _feed_text(self, visit: VisitRow) -> str:
        return ", ".join(f"{fmt.term('feed_types', t)} {kilograms(kg)}"
                         for t, kg in visit.feed)

    def _retranslate_counts(self) -> None:
        n = len(self.sites_model.rows)
        flagged = len(self.alerts)
        text = ngettext("{n} feeding site", "{n} feeding sites", n).format(n=n)
        if flagged:
            text += " · " + ngettext(
                "{n} site with a predator kill within {radius}",
                "{n} sites with a predator kill within {radius}", flagged).format(
                n=flagged, radius=metres(KILL_ALERT_RADIUS_M))
        self.count_label.setText(text)

    def _retranslate_selected(self) -> None:
        row = self.selected_site()
        season = self.season_value
        scope = season_label(season) if season is not None else _("all seasons")
        if row is None:
            self.history_box.setTitle(_("Visits"))
            self.totals_box.setTitle(_("Feed by type"))
            self.alert_label.setText("")
            return
        self.history_box.setTitle(_("Visits to {site}").format(
            site=site_title(row.code, row.name)))
        self.totals_box.setTitle(_("Feed by type, {season}").format(season=scope))
        found = self.alerts.get(row.uuid, [])
        self.alert_label.setText("\n".join(
            [_("Kill alert: review where feed is put out at this site.")]
            + [self._kill_text(a) for a in found]) if found else "")

    def retranslate(self) -> None:
        self.season_label.setText(_("Season"))
        self.drafts_button.setText(_("Open them"))
        self.new_site_button.setText(_("New site"))
        self.new_visit_button.setText(_("New visit"))
        self.open_button.setText(_("Open"))
        self.open_button.setToolTip(_("Open the selected visit, or the selected site"))
        for model in (self.sites_model, self.history_model, self.totals_model):
            model.retranslate()
        self.map.retranslate()
        if self.season.count():
            self._fill_seasons()
        self.refresh_map()
        self.refresh_drafts()
        self._retranslate_counts()
        self._retranslate_selected()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
