"""Every action is refused, with the reason, for every role that may not do it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ranger_app.domain import roles as r
from ranger_app.domain.records import PatrolValue
from ranger_app.i18n import set_language
from ranger_app.i18n.messages import describe
from ranger_app.store import review
from ranger_app.store.accounts import SignedIn
from ranger_app.store.db import Database
from ranger_app.store.models import Person, Station
from ranger_app.store.patrols import load_patrol
from ranger_app.store.setup import StationSetup, init_station

T0 = datetime(2025, 2, 10, 0, 30, tzinfo=UTC)
REASONS = {
    r.Action.EDIT_PATROL: "Only rangers write patrols.",
    r.Action.SUBMIT: "Only rangers submit patrols for review.",
    r.Action.REQUEST_AMENDMENT: "Only rangers and inspectors request amendments.",
    r.Action.RETURN: "Only inspectors return patrols.",
    r.Action.APPROVE: "Only inspectors approve patrols.",
    r.Action.VERIFY_AUDIT: "Only inspectors, HQ analysts and admins verify the audit trail.",
    r.Action.TRUST_KEYS: "Only admins trust keys.",
    r.Action.MANAGE_ACCOUNTS: "Only admins manage accounts.",
    r.Action.EXCHANGE_BUNDLES: "Only admins and HQ analysts exchange bundles.",
    r.Action.RESOLVE_CONFLICTS: "Only inspectors and admins resolve conflicts.",
}
REFUSED = [(action, role) for action in r.Action for role in r.ROLES
           if role not in r.PERMISSIONS[action]]


def test_the_table_covers_every_action_and_names_real_roles() -> None:
    assert set(r.PERMISSIONS) == set(r.Action)
    assert all(roles <= set(r.ROLES) for roles in r.PERMISSIONS.values())
    assert r.can("RANGER|ADMIN", r.Action.TRUST_KEYS)  # any one role is enough
    assert not r.can("", r.Action.VIEW_HISTORY)
    assert r.parse_roles(" ranger | INSPECTOR|") == {"RANGER", "INSPECTOR"}


@pytest.mark.parametrize(("action", "role"), REFUSED, ids=lambda x: str(x))
def test_each_refusal_says_why(action: r.Action, role: str) -> None:
    actor = r.Actor("p-1", "Someone", frozenset({role}))
    assert not r.can({role}, action)
    with pytest.raises(r.NotPermitted) as err:
        r.require(actor, action)
    text = describe(err.value)
    assert text.startswith(REASONS[action])
    assert "Your roles:" in text


def test_reasons_are_translated() -> None:
    err = r.NotPermitted("approve", ("RANGER",))
    set_language("ru")
    try:
        assert "утвержда" in describe(err).lower() and "Only" not in describe(err)
    finally:
        set_language("en")
    set_language("zh")
    try:
        assert "批准" in describe(err)
    finally:
        set_language("en")


# --- the review services apply the same table ------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, dict[str, str]]:
    """A station with a ranger, two inspectors, a draft, a submitted and an approved patrol."""
    db = Database.open(tmp_path_factory.mktemp("roles") / "station.db", create=True)
    init_station(db, StationSetup("KED", "Кедровая падь", "Админ", "ru"))
    station = db.installation().station_uuid
    with db.writer() as s:
        people = {role: Person(name=role.title(), station_uuid=station, roles=role)
                  for role in ("RANGER", "INSPECTOR")}
        people["OTHER_RANGER"] = Person(name="Other", station_uuid=station, roles="RANGER")
        other_station = Station(code="LEO", name="Земля леопарда")
        s.add_all([*people.values(), other_station])
        s.flush()
        people["FAR_INSPECTOR"] = Person(name="Far", station_uuid=other_station.uuid,
                                         roles="INSPECTOR")
        s.add(people["FAR_INSPECTOR"])
        s.flush()
        ids = {k: p.uuid for k, p in people.items()}
    ranger = r.Actor(ids["RANGER"], "Ranger", frozenset({"RANGER"}), station)
    inspector = signed(ids["INSPECTOR"], "INSPECTOR", station)
    for name in ("draft", "submitted", "approved"):
        p = review.save_as(db, ranger, PatrolValue(station_uuid=station, number=name,
                                                   start_at=T0, end_at=T0 + timedelta(hours=2)))
        ids[name] = p.uuid or ""
        if name != "draft":
            review.submit(db, ranger, ids[name])
    review.approve(db, inspector, ids["approved"])
    ids["station"] = station or ""
    yield db, ids
    db.close()


def signed(person: str, role: str, station: str | None) -> SignedIn:
    return SignedIn(r.Actor(person, role.title(), frozenset({role}), station), role.lower(),
                    T0, Ed25519PrivateKey.generate())


def attempt(db: Database, ids: dict[str, str], action: r.Action, session: SignedIn) -> None:
    actor = session.actor
    if action == r.Action.EDIT_PATROL:
        review.save_as(db, actor, load_patrol(db, ids["draft"]))
    elif action == r.Action.SUBMIT:
        review.submit(db, actor, ids["draft"])
    elif action == r.Action.RETURN:
        review.return_patrol(db, actor, ids["submitted"], "Нет трека")
    elif action == r.Action.APPROVE:
        review.approve(db, session, ids["submitted"])
    elif action == r.Action.REQUEST_AMENDMENT:
        review.request_amendment(db, actor, load_patrol(db, ids["approved"]), "Опечатка")


SERVICE_ACTIONS = (r.Action.EDIT_PATROL, r.Action.SUBMIT, r.Action.RETURN, r.Action.APPROVE,
                   r.Action.REQUEST_AMENDMENT)


@pytest.mark.parametrize(("action", "role"),
                         [(a, role) for a, role in REFUSED if a in SERVICE_ACTIONS],
                         ids=lambda x: str(x))
def test_review_services_refuse_the_role(world: tuple[Database, dict[str, str]],
                                         action: r.Action, role: str) -> None:
    db, ids = world
    with pytest.raises(r.NotPermitted) as err:
        attempt(db, ids, action, signed(f"someone-{role}", role, ids["station"]))
    assert describe(err.value).startswith(REASONS[action])
    assert err.value.exit_code == 4


def test_only_the_author_edits_or_submits_a_draft(world: tuple[Database, dict[str, str]]) -> None:
    db, ids = world
    other = signed(ids["OTHER_RANGER"], "RANGER", ids["station"])
    for action in (r.Action.EDIT_PATROL, r.Action.SUBMIT):
        with pytest.raises(r.NotTheAuthor) as err:
            attempt(db, ids, action, other)
        assert describe(err.value) == ("Only the author edits or submits a patrol: this one "
                                       "belongs to Ranger.")


def test_inspectors_review_neither_their_own_nor_other_stations_patrols(
        world: tuple[Database, dict[str, str]]) -> None:
    db, ids = world
    far = signed(ids["FAR_INSPECTOR"], "INSPECTOR", None)
    far = SignedIn(r.Actor(far.actor.person_uuid, "Far", far.actor.roles,
                           _station_of(db, ids["FAR_INSPECTOR"])), "far", T0, far.signing_key)
    with pytest.raises(r.OtherStation):
        attempt(db, ids, r.Action.APPROVE, far)
    both = SignedIn(r.Actor(ids["RANGER"], "Ranger", frozenset({"RANGER", "INSPECTOR"}),
                            ids["station"]), "ranger", T0, Ed25519PrivateKey.generate())
    with pytest.raises(r.OwnPatrol) as err:
        attempt(db, ids, r.Action.APPROVE, both)
    assert "their own patrols" in describe(err.value)


def test_states_refuse_what_does_not_apply(world: tuple[Database, dict[str, str]]) -> None:
    db, ids = world
    ranger = r.Actor(ids["RANGER"], "Ranger", frozenset({"RANGER"}), ids["station"])
    inspector = signed(ids["INSPECTOR"], "INSPECTOR", ids["station"])
    with pytest.raises(r.ApprovedPatrolLocked) as locked:
        review.save_as(db, ranger, load_patrol(db, ids["approved"]))
    assert "Request an amendment" in describe(locked.value)
    with pytest.raises(r.WrongStatus) as err:
        review.approve(db, inspector, ids["draft"])
    assert describe(err.value) == "This patrol is draft; only a submitted patrol is approved."
    with pytest.raises(r.WrongStatus):
        review.save_as(db, ranger, load_patrol(db, ids["submitted"]))
    with pytest.raises(r.CommentRequired):
        review.return_patrol(db, inspector.actor, ids["submitted"], "   ")
    with pytest.raises(r.StaleRevision):
        review.approve(db, inspector, ids["submitted"], expected_rev=1)


def _station_of(db: Database, person: str) -> str | None:
    with db.session() as s:
        row = s.get(Person, person)
        return row.station_uuid if row else None

