"""A fire report's or a feeding site's forest district and quarter, filled from its position.

Both editors hand their two fields to one `QuarterFill` and call `moved(lat, lon)` whenever
the ranger types, picks or otherwise gives a new position. The fill looks the point up in
the database's quarter and district layers (`layer_source.layers_of_kind`, point-in-polygon
through `domain.layers.LayerIndex`, built on the first lookup and kept for the editor's life)
and writes what it finds into the fields and, through `write`, into the record.

The ranger has the last word. A field he typed into is left alone for this record, however
the point moves (until he empties it again); a field that still holds what the map put there
follows the position. Opening a record fills nothing: what it stored stays until the
position changes, and even then a stored value the map would not have given at the stored
position is taken as typed by hand. A small label (`hint`, placed under the fields by the
editor) says where the values came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit

from ranger_app.domain.layers import DISTRICT_KIND, QUARTER_KIND, LayerIndex, QuarterHit
from ranger_app.i18n import _
from ranger_app.ui import layer_source

FIELDS = ("forest_district", "quarter")
HINT_STYLE = "color: #6c757d;"
OUTSIDE_STYLE = "color: #a65e00;"


def hit_value(hit: QuarterHit | None, name: str) -> str:
    if hit is None:
        return ""
    return hit.district if name == "forest_district" else hit.quarter


def place_text(hit: QuarterHit) -> str:
    """`Нарвинское · quarter 7`, in the current language."""
    parts = [hit.district] if hit.district else []
    if hit.quarter:
        parts.append(_("quarter {label}").format(label=hit.quarter))
    return " · ".join(parts)


class QuarterFill:
    """The auto-fill of one editor's forest district and quarter fields."""

    def __init__(self, db: Any, district: QLineEdit, quarter: QLineEdit,
                 write: Callable[[str, str], None],
                 position: tuple[float | None, float | None] = (None, None)) -> None:
        self.db = db
        self.edits = {"forest_district": district, "quarter": quarter}
        self.write = write  # (field name, text): the editor puts it into its record
        self.hint = QLabel()
        self.hint.setObjectName("quarter_hint")
        self.hint.setWordWrap(True)
        self._index: LayerIndex | None = None
        self._typed: set[str] = set()
        # what the map gave each field (at the stored position, or at the last fill)
        self._auto: dict[str, str | None] = dict.fromkeys(FIELDS)
        self._at = position if None not in position else None
        self._compared = False  # the stored values weighed against the map yet
        self._shown: tuple[str, QuarterHit | None] = ("", None)
        for name, edit in self.edits.items():
            edit.textEdited.connect(lambda text, n=name: self._typed_into(n, text))

    # --- what the ranger does ---------------------------------------------------------------
    def _typed_into(self, name: str, text: str) -> None:
        if text.strip():
            self._typed.add(name)
        else:  # emptied: nothing of his to keep, the map may fill it again
            self._typed.discard(name)

    def typed(self) -> set[str]:
        """Fields the ranger typed into by hand (for this record)."""
        return set(self._typed)

    # --- the lookup -------------------------------------------------------------------------
    def index(self) -> LayerIndex:
        if self._index is None:
            self._index = LayerIndex(layer_source.layers_of_kind(
                self.db, QUARTER_KIND, DISTRICT_KIND))
        return self._index

    def moved(self, lat: float | None, lon: float | None) -> None:
        """The record's position changed: fill what the ranger has not made his own."""
        if lat is None or lon is None:
            return  # half a position: wait for the other coordinate
        before, self._at = self._at, (lat, lon)
        if before == (lat, lon):
            return
        index = self.index()
        if not index:
            self._show("", None)  # no quarter map in this database: nothing to say
            return
        if not self._compared:
            self._compared = True
            old = index.quarter_at(*before) if before is not None else None
            for name in FIELDS:
                self._auto[name] = hit_value(old, name)
        hit = index.quarter_at(lat, lon)
        kept = False
        for name, edit in self.edits.items():
            new, text = hit_value(hit, name), edit.text().strip()
            if name in self._typed or (text and text != self._auto[name]):
                kept = kept or text != new
                continue
            self._auto[name] = new
            if text != new:
                edit.setText(new)
                edit.setCursorPosition(0)
                self.write(name, new)
        if hit is None:
            self._show("outside", None)
        else:
            self._show("kept" if kept else "filled", hit)

    # --- the hint ---------------------------------------------------------------------------
    def _show(self, what: str, hit: QuarterHit | None) -> None:
        self._shown = (what, hit)
        self.retranslate()

    def hint_text(self) -> str:
        what, hit = self._shown
        if what == "filled":
            return _("Filled from the quarter map")
        if what == "outside":
            return _("Outside every quarter on the map")
        if what == "kept" and hit is not None:
            return _("Kept what was typed by hand; the quarter map says {place}").format(
                place=place_text(hit))
        return ""

    def retranslate(self) -> None:
        text = self.hint_text()
        self.hint.setText(text)
        self.hint.setStyleSheet(OUTSIDE_STYLE if self._shown[0] == "outside" else HINT_STYLE)
