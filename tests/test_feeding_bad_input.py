"""Bad feeding input: each mistake is a typed error with a clear message; nothing is written."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ranger_app.domain.errors import (
    CoordinateOutOfRange,
    RangerError,
    RecordNotFound,
    TimeInFuture,
    UnknownCode,
)
from ranger_app.domain.feeding import (
    DuplicateSiteCode,
    FeedingFieldMissing,
    FeedingSiteValue,
    FeedingVisitValue,
    FeedItemValue,
    FeedWeightNotPositive,
    IncompletePosition,
    NegativeValue,
    PadWidthImplausible,
    PercentOutOfRange,
    PredatorSignValue,
    TemperatureImplausible,
    UngulateSignValue,
)
from ranger_app.i18n import set_language
from ranger_app.i18n.messages import describe
from ranger_app.store.db import Database
from ranger_app.store.feeding import load_site, load_visit, save_site, save_visit
from ranger_app.store.models import SYNCED_MODELS, Change

GENERIC = "Something went wrong"


def snapshot(db: Database) -> tuple[int, dict[str, int]]:
    """The change-log length and the row count of every synced table."""
    with db.session() as s:
        log = int(s.scalar(select(func.count()).select_from(Change)) or 0)
        rows = {name: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in SYNCED_MODELS.items()}
    return log, rows


@pytest.fixture
def site(db: Database) -> FeedingSiteValue:
    return save_site(db, FeedingSiteValue(code="KED-FS01", name="Солонец", site_type="SALT_LICK",
                                          lat=43.1, lon=131.2))


@pytest.fixture
def visit(db: Database, site: FeedingSiteValue) -> FeedingVisitValue:
    return save_visit(db, FeedingVisitValue(
        site_uuid=site.uuid, visited_at=datetime(2024, 1, 10, 2, tzinfo=UTC),
        crew=[db.installation().user_uuid], items=[FeedItemValue("SALT", 20.0)],
        remaining_pct=10, snow_depth_cm=30, temp_c=-20.0,
        ungulate_signs=[UngulateSignValue("CENI", "TRACKS", 5, "D1_3")],
        predator_signs=[PredatorSignValue("PPOR", "TRACKS", 80.0, 7.5)]))


def _item(v: FeedingVisitValue, **kw: object) -> None:
    v.items.append(FeedItemValue(**kw))  # type: ignore[arg-type]


def _ungulate(v: FeedingVisitValue, **kw: object) -> None:
    v.ungulate_signs.append(UngulateSignValue(**kw))  # type: ignore[arg-type]


def _predator(v: FeedingVisitValue, **kw: object) -> None:
    v.predator_signs.append(PredatorSignValue(**kw))  # type: ignore[arg-type]


VISIT_MISTAKES: list[tuple[str, Callable[[FeedingVisitValue], None], type[RangerError]]] = [
    ("negative kg", lambda v: _item(v, feed_type="HAY", kg=-50.0), FeedWeightNotPositive),
    ("zero kg", lambda v: _item(v, feed_type="OATS", kg=0.0), FeedWeightNotPositive),
    ("NaN kg", lambda v: _item(v, feed_type="OATS", kg=math.nan), FeedWeightNotPositive),
    ("remaining over 100 %", lambda v: setattr(v, "remaining_pct", 120), PercentOutOfRange),
    ("remaining below 0 %", lambda v: setattr(v, "remaining_pct", -5), PercentOutOfRange),
    ("negative snow", lambda v: setattr(v, "snow_depth_cm", -3), NegativeValue),
    ("impossible temperature", lambda v: setattr(v, "temp_c", 80.0), TemperatureImplausible),
    ("negative count", lambda v: _ungulate(v, count=-2), NegativeValue),
    ("negative distance", lambda v: _predator(v, distance_m=-10.0), NegativeValue),
    ("pad width too small", lambda v: _predator(v, pad_width_cm=2.0), PadWidthImplausible),
    ("pad width too large", lambda v: _predator(v, pad_width_cm=35.0), PadWidthImplausible),
    ("latitude 95", lambda v: _predator(v, lat=95.0, lon=131.0), CoordinateOutOfRange),
    ("latitude without longitude", lambda v: _predator(v, lat=43.0), IncompletePosition),
    ("unknown feed", lambda v: _item(v, feed_type="CAVIAR", kg=1.0), UnknownCode),
    ("unknown prey", lambda v: _predator(v, sign_type="KILL", prey_species="UNICORN"),
     UnknownCode),
    ("no time", lambda v: setattr(v, "visited_at", None), FeedingFieldMissing),
    ("a week ahead", lambda v: setattr(v, "visited_at", datetime.now(UTC) + timedelta(days=7)),
     TimeInFuture),
    ("no site", lambda v: setattr(v, "site_uuid", None), FeedingFieldMissing),
    ("site that does not exist", lambda v: setattr(v, "site_uuid", "nope"), RecordNotFound),
    ("crew member who does not exist", lambda v: v.crew.append("nobody"), RecordNotFound),
]


@pytest.mark.parametrize(("mistake", "error"), [(m, e) for _n, m, e in VISIT_MISTAKES],
                         ids=[n for n, _m, _e in VISIT_MISTAKES])
def test_a_bad_visit_edit_is_refused_and_changes_nothing(
        db: Database, visit: FeedingVisitValue,
        mistake: Callable[[FeedingVisitValue], None], error: type[RangerError]) -> None:
    before = snapshot(db)
    stored = load_visit(db, visit.uuid)
    edited = load_visit(db, visit.uuid)
    edited.notes = "this edit must not land"
    mistake(edited)
    with pytest.raises(error) as caught:
        save_visit(db, edited)
    assert snapshot(db) == before
    assert load_visit(db, visit.uuid) == stored
    message = describe(caught.value)
    assert message and not message.startswith(GENERIC), message


@pytest.mark.parametrize(("mistake", "error"), [(m, e) for _n, m, e in VISIT_MISTAKES[:13]],
                         ids=[n for n, _m, _e in VISIT_MISTAKES[:13]])
def test_a_bad_new_visit_is_refused_and_writes_nothing(
        db: Database, site: FeedingSiteValue,
        mistake: Callable[[FeedingVisitValue], None], error: type[RangerError]) -> None:
    before = snapshot(db)
    new = FeedingVisitValue(site_uuid=site.uuid, visited_at=datetime(2024, 2, 1, tzinfo=UTC))
    mistake(new)
    with pytest.raises(error):
        save_visit(db, new)
    assert snapshot(db) == before
    assert new.uuid is None


def test_the_negative_weight_message_names_the_row_the_feed_and_the_fix(
        db: Database, visit: FeedingVisitValue) -> None:
    visit.items.append(FeedItemValue("HAY", -50.0))
    with pytest.raises(FeedWeightNotPositive) as caught:
        save_visit(db, visit)
    assert (caught.value.row, caught.value.feed_type, caught.value.kg) == (2, "HAY", -50.0)
    assert caught.value.exit_code == 3
    assert describe(caught.value) == (
        "Feed row 2 (Hay): the weight must be more than 0 kg, not -50.0. "
        "Enter what was put out, or remove the row.")


def test_messages_follow_the_language(db: Database, visit: FeedingVisitValue) -> None:
    """The feed name comes from the vocabulary in the user's language."""
    visit.items.append(FeedItemValue("HAY", -1.0))
    with pytest.raises(FeedWeightNotPositive) as caught:
        save_visit(db, visit)
    set_language("ru")
    assert "Сено" in describe(caught.value)
    set_language("zh")
    assert "干草" in describe(caught.value)


SITE_MISTAKES: list[tuple[str, Callable[[FeedingSiteValue], None], type[RangerError]]] = [
    ("no code", lambda s: setattr(s, "code", "  "), FeedingFieldMissing),
    ("negative capacity", lambda s: setattr(s, "capacity", -4), NegativeValue),
    ("latitude 95", lambda s: setattr(s, "lat", 95.0), CoordinateOutOfRange),
    ("longitude gone", lambda s: setattr(s, "lon", None), IncompletePosition),
    ("unknown type", lambda s: setattr(s, "site_type", "SPA"), UnknownCode),
    ("unknown target", lambda s: s.target_species.append("DODO"), UnknownCode),
    ("unknown condition", lambda s: setattr(s, "condition", "SHINY"), UnknownCode),
    ("code of another site", lambda s: setattr(s, "code", "KED-FS02"), DuplicateSiteCode),
    ("camera that does not exist", lambda s: setattr(s, "camera_location_uuid", "cam"),
     RecordNotFound),
]


@pytest.mark.parametrize(("mistake", "error"), [(m, e) for _n, m, e in SITE_MISTAKES],
                         ids=[n for n, _m, _e in SITE_MISTAKES])
def test_a_bad_site_edit_is_refused_and_changes_nothing(
        db: Database, site: FeedingSiteValue,
        mistake: Callable[[FeedingSiteValue], None], error: type[RangerError]) -> None:
    save_site(db, replace(site, code="KED-FS02", uuid=None, target_species=[]))
    before = snapshot(db)
    stored = load_site(db, site.uuid)
    edited = load_site(db, site.uuid)
    edited.name = "this edit must not land"
    mistake(edited)
    with pytest.raises(error) as caught:
        save_site(db, edited)
    assert snapshot(db) == before
    assert load_site(db, site.uuid) == stored
    message = describe(caught.value)
    assert message and not message.startswith(GENERIC), message
