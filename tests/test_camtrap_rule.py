"""The deployment rule: which visits close a deployment, when it ends, what cameras become."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ranger_app.domain.camtraps import (
    CameraAlreadyDeployed,
    CameraUnavailable,
    CameraValue,
    LocationValue,
    NoOpenDeployment,
    OpenDeployment,
    ServiceVisitValue,
    VisitBeforeDeployment,
    VisitHasLaterVisits,
    days_overdue,
    next_visit_due,
    plan_visit,
    round_position,
    touches_camera,
    validate_visit,
)
from ranger_app.domain.errors import EndBeforeStart, InvalidValue, MissingValue
from ranger_app.i18n import set_language
from ranger_app.i18n.messages import describe
from ranger_app.store import camtraps as store
from ranger_app.store.audit import verify
from ranger_app.store.db import Database
from ranger_app.store.queries import record_counts

T0 = datetime(2025, 1, 10, 3, 0, tzinfo=UTC)  # 13:00 in Vladivostok
RUNNING = OpenDeployment("dep-1", "cam-a", T0)


def visit(**kw) -> ServiceVisitValue:  # type: ignore[no-untyped-def]
    base = dict(location_uuid="loc", camera_uuid="cam-a", visit_type="SERVICE",
                visited_at=T0 + timedelta(days=30))
    return ServiceVisitValue(**(base | kw))


# --- pure -----------------------------------------------------------------------------------

@pytest.mark.parametrize("change, touched", [
    ({}, False),  # a service visit that did nothing is a look
    ({"sd_removed": "SD-1", "sd_inserted": "SD-2"}, True),
    ({"batteries_replaced": True}, True),
    ({"actions": ["REAIMED"]}, True),
    ({"actions": ["LENS_CLEANED"]}, True),
    ({"visit_type": "DEPLOY"}, True),
    ({"visit_type": "RETRIEVE"}, True),
    ({"visit_type": "CHECK_ONLY", "sd_removed": "SD-1", "batteries_replaced": True}, False),
    ({"visit_type": "CHECK_ONLY", "arrival_status": "THEFT"}, True),
])
def test_what_touches_the_camera(change: dict, touched: bool) -> None:
    assert touches_camera(visit(**change)) is touched


def test_card_swap_closes_and_opens_at_the_visit() -> None:
    v = visit(sd_removed="SD-1", sd_inserted="SD-2")
    plan = plan_visit(v, RUNNING)
    assert plan.close_uuid == "dep-1" and plan.close_at == v.visited_at
    assert plan.open_camera_uuid == "cam-a" and plan.open_at == v.visited_at
    assert plan.belongs_to == "dep-1"
    assert plan.camera_states == {"cam-a": "DEPLOYED"}


@pytest.mark.parametrize("status", ["BATTERY_DEAD", "CARD_FULL", "HW_FAILURE", "CARD_ERROR"])
def test_camera_found_dead_ends_at_its_last_image(status: str) -> None:
    last = T0 + timedelta(days=17, hours=5)
    v = visit(arrival_status=status, last_image_at=last, batteries_replaced=True)
    plan = plan_visit(v, RUNNING)
    assert plan.close_at == last
    assert plan.open_at == v.visited_at  # the next deployment starts when it was fixed


def test_working_camera_ends_at_the_visit_even_with_a_last_image() -> None:
    v = visit(last_image_at=T0 + timedelta(days=29), sd_removed="SD-1")
    assert plan_visit(v, RUNNING).close_at == v.visited_at


def test_check_only_touches_nothing() -> None:
    plan = plan_visit(visit(visit_type="CHECK_ONLY", arrival_status="BATTERY_DEAD"), RUNNING)
    assert (plan.close_uuid, plan.open_camera_uuid, plan.camera_states) == (None, None, {})
    assert plan.belongs_to == "dep-1"


def test_retrieve_opens_nothing() -> None:
    plan = plan_visit(visit(visit_type="RETRIEVE", arrival_status="WATER_DAMAGE"), RUNNING)
    assert plan.close_uuid == "dep-1" and plan.open_camera_uuid is None
    assert plan.camera_states == {"cam-a": "REPAIR"}


def test_theft_with_and_without_a_spare() -> None:
    stolen = plan_visit(visit(arrival_status="THEFT"), RUNNING)
    assert stolen.close_uuid == "dep-1" and stolen.open_camera_uuid is None
    assert stolen.camera_states == {"cam-a": "STOLEN"}
    spare = plan_visit(visit(arrival_status="THEFT", replacement_camera_uuid="cam-b"), RUNNING)
    assert spare.open_camera_uuid == "cam-b"
    assert spare.camera_states == {"cam-a": "STOLEN", "cam-b": "DEPLOYED"}


def test_a_lost_camera_is_not_put_back() -> None:
    plan = plan_visit(visit(sd_removed="SD-1"), RUNNING, camera_state="LOST")
    assert plan.open_camera_uuid is None and plan.camera_states == {"cam-a": "LOST"}


def test_visit_before_its_deployment_is_refused() -> None:
    with pytest.raises(VisitBeforeDeployment) as info:
        plan_visit(visit(visited_at=T0 - timedelta(hours=2), visit_type="CHECK_ONLY"), RUNNING,
                   location="KED-C01", camera="BN1")
    assert info.value.location == "KED-C01"
    assert "KED-C01" in describe(info.value)
    set_language("ru")
    assert "KED-C01" in describe(info.value)


def test_service_without_a_deployment_is_refused() -> None:
    with pytest.raises(NoOpenDeployment):
        plan_visit(visit(sd_removed="SD-1"), None)
    plan = plan_visit(visit(visit_type="DEPLOY"), None)
    assert plan.close_uuid is None and plan.open_camera_uuid == "cam-a"


@pytest.mark.parametrize("change, error", [
    ({"location_uuid": None}, MissingValue),
    ({"visited_at": None}, MissingValue),
    ({"battery_pct": 130}, InvalidValue),
    ({"visit_type": "DEPLOY", "camera_uuid": None}, MissingValue),
    ({"actions": ["CAMERA_SWAPPED"]}, MissingValue),
    ({"first_image_at": T0 + timedelta(days=3), "last_image_at": T0}, EndBeforeStart),
    ({"settings": {"heading_deg": 400}}, InvalidValue),
    ({"arrival_status": "ON_FIRE"}, Exception),
])
def test_bad_visits(change: dict, error: type) -> None:
    with pytest.raises(error):
        validate_visit(visit(**change))


def test_overdue_and_rounding() -> None:
    due = next_visit_due(datetime(2025, 3, 1, 15, 0, tzinfo=UTC), 30, "Asia/Vladivostok")
    assert due == datetime(2025, 4, 1).date()  # 15:00 UTC is 2 March in Vladivostok
    assert days_overdue(due, due) == 0 and days_overdue(due, due + timedelta(days=4)) == 4
    lat, lon, unc = round_position(43.123456, 131.987654, 0.01, 8)
    assert (lat, lon) == (43.12, 131.99) and 600 < unc < 800


# --- through the store ------------------------------------------------------------------------

def setup_site(db: Database) -> tuple[LocationValue, CameraValue, CameraValue]:
    loc = store.save_location(db, LocationValue(
        code="KED-C01", name="Медвежий ключ", station_uuid=db.installation().station_uuid,
        lat=43.060829, lon=131.298195, uncertainty_m=8, habitat="OAK_FOREST",
        feature="TRAIL_GAME", visit_interval_days=30))
    a = store.save_camera(db, CameraValue(serial="BN897193", make="Bushnell",
                                          model="Core DS-4K"))
    b = store.save_camera(db, CameraValue(serial="RX232372", make="Reconyx",
                                          model="HyperFire 2"))
    return loc, a, b


def test_split_by_a_service_visit_gives_two_deployments(db: Database) -> None:
    loc, a, _b = setup_site(db)
    deploy = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0,
        sd_inserted="SD-1", settings={"delay_s": 30, "height_m": 0.6, "heading_deg": 85}))
    service = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=T0 + timedelta(days=31),
        sd_removed="SD-1", sd_inserted="SD-2"))
    assert service.camera_uuid == a.uuid  # the only camera there
    deps = sorted(store.deployment_rows(db, loc.uuid), key=lambda d: d.start_at)
    assert [(d.start_at, d.end_at) for d in deps] == [
        (T0, T0 + timedelta(days=31)), (T0 + timedelta(days=31), None)]
    assert service.deployment_uuid == deploy.opened_deployment_uuid == deps[0].uuid
    assert service.opened_deployment_uuid == deps[1].uuid
    assert store.running_deployment(db, loc.uuid).delay_s is None  # no settings given
    first = store.camtrap_data(db).deployments[0]
    assert (first.delay_s, first.height_m, first.heading_deg) == (30, 0.6, 85)
    assert [c.state for c in store.camera_rows(db) if c.uuid == a.uuid] == ["DEPLOYED"]
    assert verify(db).ok


def test_dead_battery_ends_at_the_last_image(db: Database) -> None:
    loc, a, _b = setup_site(db)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0))
    last = T0 + timedelta(days=19, hours=3, minutes=7)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=T0 + timedelta(days=35),
        arrival_status="BATTERY_DEAD", battery_pct=0, batteries_replaced=True,
        first_image_at=T0, last_image_at=last, image_count=812))
    deps = sorted(store.deployment_rows(db, loc.uuid), key=lambda d: d.start_at)
    assert deps[0].end_at == last
    assert deps[1].start_at == T0 + timedelta(days=35) and deps[1].end_at is None


def test_check_only_and_theft_in_the_store(db: Database) -> None:
    loc, a, b = setup_site(db)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0))
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="CHECK_ONLY", visited_at=T0 + timedelta(days=10)))
    assert len(store.deployment_rows(db, loc.uuid)) == 1
    theft = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=T0 + timedelta(days=40),
        arrival_status="THEFT", theft_note="трос перерезан", police_report="КУСП № 1234",
        replacement_camera_uuid=b.uuid, actions=["CAMERA_SWAPPED"]))
    states = {c.serial: (c.state, c.location_code) for c in store.camera_rows(db)}
    assert states == {"BN897193": ("STOLEN", ""), "RX232372": ("DEPLOYED", "KED-C01")}
    assert store.camera_rows(db, {"STOLEN"})[0].serial == "BN897193"
    again = store.load_service_visit(db, theft.uuid)
    assert again.replacement_camera_uuid == b.uuid and again.police_report == "КУСП № 1234"
    # the stolen camera cannot be put up anywhere
    other = store.save_location(db, LocationValue(code="KED-C02", lat=43.0, lon=131.3))
    with pytest.raises(CameraUnavailable):
        store.save_service_visit(db, ServiceVisitValue(
            location_uuid=other.uuid, camera_uuid=a.uuid, visit_type="DEPLOY",
            visited_at=T0 + timedelta(days=41)))
    with pytest.raises(CameraAlreadyDeployed):
        store.save_service_visit(db, ServiceVisitValue(
            location_uuid=other.uuid, camera_uuid=b.uuid, visit_type="DEPLOY",
            visited_at=T0 + timedelta(days=41)))


def test_visit_before_its_deployment_writes_nothing(db: Database) -> None:
    loc, a, _b = setup_site(db)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0))
    before = record_counts(db)
    with pytest.raises(VisitBeforeDeployment):
        store.save_service_visit(db, ServiceVisitValue(
            location_uuid=loc.uuid, visit_type="SERVICE", visited_at=T0 - timedelta(days=2),
            sd_removed="SD-1", notes="дата перепутана"))
    assert record_counts(db) == before


def test_only_the_latest_visit_changes_its_outcome(db: Database) -> None:
    loc, a, _b = setup_site(db)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0))
    middle = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=T0 + timedelta(days=30),
        sd_removed="SD-1"))
    last = store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, visit_type="SERVICE", visited_at=T0 + timedelta(days=60),
        sd_removed="SD-2"))
    edit = store.load_service_visit(db, middle.uuid)
    edit.notes = "поздняя запись"  # notes may change
    store.save_service_visit(db, edit)
    edit.visit_type = "CHECK_ONLY"
    with pytest.raises(VisitHasLaterVisits):
        store.save_service_visit(db, edit)
    latest = store.load_service_visit(db, last.uuid)
    latest.visit_type, latest.sd_removed = "CHECK_ONLY", ""  # undoing its split is allowed
    store.save_service_visit(db, latest)
    deps = sorted(store.deployment_rows(db, loc.uuid), key=lambda d: d.start_at)
    assert [(d.start_at, d.end_at) for d in deps] == [
        (T0, T0 + timedelta(days=30)), (T0 + timedelta(days=30), None)]
    assert verify(db).ok


def test_overdue_list(db: Database) -> None:
    loc, a, _b = setup_site(db)
    store.save_service_visit(db, ServiceVisitValue(
        location_uuid=loc.uuid, camera_uuid=a.uuid, visit_type="DEPLOY", visited_at=T0))
    on_time = T0 + timedelta(days=29)
    late = T0 + timedelta(days=45)
    assert store.overdue_visits(db, now=on_time) == []
    rows = store.overdue_visits(db, now=late)
    assert [(r.code, r.days_overdue, r.cameras) for r in rows] == [("KED-C01", 15,
                                                                    ("BN897193",))]
