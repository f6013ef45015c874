"""The Sync screens, driven as a ranger and an inspector would, over real databases and files.

A station exports through the wizard onto a (fake) USB stick found by the drive finder; HQ
sees the dry-run report, imports, and holds the records. An inspector settles a conflict,
which becomes a new change and leaves the queue. A bundle from an unknown key is kept in
quarantine with a message that sends the user to an admin, who trusts the key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select
from test_sync_support import (
    Site,
    carry,
    content,
    edit,
    fire,
    introduce,
    make_site,
    patrol,
    run_cli,
    send,
    state,
)

from ranger_app.i18n import _
from ranger_app.i18n.qt import apply_language
from ranger_app.store.audit import verify
from ranger_app.store.models import Change, FireReport
from ranger_app.sync import drives, trust
from ranger_app.sync.conflicts import open_conflicts
from ranger_app.sync.errors import UnknownSigner
from ranger_app.ui import workers
from ranger_app.ui.sync import (
    ConflictsView,
    ExportWizard,
    ImportDialog,
    KeysDialog,
    add_sync_menu,
)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Site, Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Инспектор", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    b = make_site(tmp_path, "BAR", "Барсовый", "Пётр Сидоров")
    introduce(hq, a)
    introduce(hq, b)
    yield hq, a, b
    workers.wait_for_all()  # no worker may outlive its databases
    for site in (hq, a, b):
        site.db.close()


@pytest.fixture
def usb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stick mounted where a Linux desktop mounts it, found by the real finder."""
    root = tmp_path / "root"
    stick = root / "media" / "ivan" / "RANGER-USB"
    stick.mkdir(parents=True)
    real = drives.find_drives
    monkeypatch.setattr(drives, "find_drives",
                        lambda: real(root, platform="linux", user="ivan"))
    return stick


# --- the drive finder ----------------------------------------------------------------------

def test_drive_finder_looks_where_each_system_mounts_sticks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for folder in ("media/ivan/KINGSTON", "run/media/ivan/SD_CARD", "mnt/usb",
                   "media/ivan/.hidden", "media/olga/NOT_MINE"):
        (root / folder).mkdir(parents=True)
    (root / "mnt" / "not-a-folder").write_text("x")
    found = drives.find_drives(root, platform="linux", user="ivan")
    assert [d.label for d in found] == ["KINGSTON", "SD_CARD", "usb"]
    assert all(d.free > 0 and d.total >= d.free for d in found)

    mac = tmp_path / "mac"
    (mac / "Volumes" / "RANGER").mkdir(parents=True)
    os.symlink(mac, mac / "Volumes" / "Macintosh HD")  # the boot volume links to /
    assert [d.label for d in drives.find_drives(mac, platform="darwin")] == ["RANGER"]

    types = {"A:\\": 2, "C:\\": 3, "E:\\": 2, "F:\\": 5}  # floppy, disk, stick, CD
    assert drives.windows_candidates(["A", "C", "E", "F"], types.__getitem__) == [
        Path("E:\\")]

    stick = found[0].path
    (stick / "b.rangerbundle").write_bytes(b"x")
    (stick / "a.rangerbundle.part").write_bytes(b"x")
    (stick / "notes.txt").write_text("x")
    assert [p.name for p in drives.bundles_in(stick)] == ["b.rangerbundle"]
    assert drives.bundles_in(tmp_path / "gone") == []


# --- export, then import at HQ -----------------------------------------------------------------

def test_export_wizard_to_a_stick_then_import_at_hq(qtbot, world, usb: Path) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    patrol(a, "KED-001", notes="Следы тигрицы у ключа")
    fire(a, area_total_ha=1.5)

    wizard = ExportWizard(a.db)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentPage() is wizard.recipient_page
    assert wizard.state.peer is not None and wizard.state.peer.station_code == "HQ"
    wizard.next()
    assert wizard.currentPage() is wizard.destination_page
    assert wizard.destination_page.list.count() == 1
    assert "RANGER-USB" in wizard.destination_page.list.item(0).text()
    assert wizard.state.destination is not None and wizard.state.destination.path == usb
    wizard.next()
    summary = wizard.summary_page
    qtbot.waitUntil(summary.isComplete, timeout=10_000)
    plan = wizard.state.plan
    assert plan is not None and plan.kind == "data"
    counts = {c.entity: c.records for c in plan.entities}
    assert counts["patrol"] == 1 and counts["fire_report"] == 1
    shown = [summary.model.data(summary.model.index(r, 0)) for r in range(len(plan.entities))]
    assert "Patrol" in shown and "Fire report" in shown
    wizard.next()  # the commit button: "Write the bundle"
    assert wizard.currentPage() is wizard.write_page
    qtbot.waitUntil(wizard.write_page.isComplete, timeout=20_000)
    assert "read back" in wizard.write_page.status.text()
    wizard.next()
    done = wizard.done_page
    assert wizard.currentPage() is done
    written = list(usb.glob("*.rangerbundle"))
    assert [p.name for p in written] == [done.file_name.text()]
    assert "safe to remove the USB stick" in done.safe.text()

    before = state(hq.db)
    dialog = ImportDialog(hq.db)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.outcomes), timeout=20_000)
    [dry] = dialog.outcomes
    assert dry.report is not None and dry.report.status == "dry-run"
    assert dry.report.source == "KED" and dry.report.records_new >= 2
    assert state(hq.db) == before  # the dry run wrote nothing
    assert "Ready to import" in dialog.model.data(dialog.model.index(0, 6))
    assert dialog.model.data(dialog.model.index(0, 1)) == "KED · Кедровая падь"
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.after, timeout=20_000)
    [after] = dialog.outcomes
    assert after.report is not None and after.report.status == "applied"
    assert dialog.status.text().startswith("Imported 1 bundle")
    assert not dialog.import_button.isEnabled()
    assert content(hq.db)["patrol"] == content(a.db)["patrol"]
    assert content(hq.db)["fire_report"] == content(a.db)["fire_report"]


def test_cancel_stops_only_where_nothing_is_left_behind(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The hooks the screens pass to the sync layer: Cancel at every step it is honoured."""
    from ranger_app.sync.importer import import_bundle
    from ranger_app.sync.writer import export_bundle
    from ranger_app.ui.sync import (
        EXPORT_CANCELLABLE,
        EXPORT_STEPS,
        IMPORT_CANCELLABLE,
        IMPORT_STEPS,
        Cancelled,
    )
    from ranger_app.ui.sync.common import step_hook

    hq, a, _b = world
    patrol(a, "KED-001")
    stick = tmp_path / "stick"
    seen: list[tuple[int, int]] = []
    for step in sorted(EXPORT_CANCELLABLE):
        hook = step_hook(lambda d, t: seen.append((d, t)), lambda: True, EXPORT_STEPS,
                         EXPORT_CANCELLABLE)
        with pytest.raises(Cancelled):
            export_bundle(a.db, "HQ", stick, hook=lambda s, h=hook, at=step: h(s) if s == at
                          else None)
        assert list(stick.iterdir()) == []  # neither a bundle nor a .part
    step_hook(lambda d, t: seen.append((d, t)), lambda: True, EXPORT_STEPS,
              EXPORT_CANCELLABLE)("renamed")  # past the point of no return: no Cancel
    assert seen[-1] == (EXPORT_STEPS.index("renamed") + 1, len(EXPORT_STEPS))
    path = send(a, hq, stick)
    before = state(hq.db)
    for step in sorted(IMPORT_CANCELLABLE):
        hook = step_hook(lambda d, t: None, lambda: True, IMPORT_STEPS, IMPORT_CANCELLABLE)
        with pytest.raises(Cancelled):
            import_bundle(hq.db, path, hook=lambda s, h=hook, at=step: h(s) if s == at
                          else None)
        assert state(hq.db) == before
    assert import_bundle(hq.db, path).status == "applied"


# --- conflicts ---------------------------------------------------------------------------------

def test_inspector_settles_a_conflict_and_it_becomes_a_change(qtbot, world, tmp_path,  # type: ignore[no-untyped-def]
                                                              capsys) -> None:
    hq, a, _b = world
    stick = tmp_path / "stick"
    uuid = _conflict(world, stick)
    assert len(open_conflicts(hq.db)) == 1

    view = ConflictsView(hq.db)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 1
    cells = [view.model.data(view.model.index(0, c)) for c in range(6)]
    assert cells[0] == "Fire report" and cells[2] == "Total area, ha"
    assert "Иван Петров" in cells[3] + cells[4] and "Пётр Сидоров" in cells[3] + cells[4]
    assert "KED" in cells[3] + cells[4] and "BAR" in cells[3] + cells[4]
    assert not view.resolve_button.isEnabled()
    qtbot.keyClicks(view.other, "2,5")  # typing selects "Another value"
    assert view.pick_other.isChecked() and view.resolve_button.isEnabled()
    hq_changes = _changes_of(hq, uuid)
    qtbot.mouseClick(view.resolve_button, Qt.MouseButton.LeftButton)

    assert "Settled" in view.status.text()
    assert view.model.rowCount() == 0
    assert open_conflicts(hq.db) == []
    code, listed = run_cli(capsys, hq, "conflicts", "--json")
    assert code == 0 and json.loads(listed) == []
    new = _changes_of(hq, uuid)[len(hq_changes):]
    assert len(new) == 1 and new[0].device == hq.device and new[0].op == "update"
    assert json.loads(new[0].payload)["area_total_ha"] == 2.5
    assert verify(hq.db).ok
    carry(hq, a, stick)  # the decision travels like any edit...
    with a.db.session() as s:
        assert s.get(FireReport, uuid).area_total_ha == 2.5
    carry(a, hq, stick)  # ...and the disagreement does not come back at HQ
    assert open_conflicts(hq.db) == []


def _conflict(world: tuple[Site, Site, Site], stick: Path) -> str:
    """Both stations change the area of the same fire report while apart: one conflict."""
    hq, a, b = world
    uuid = fire(hq, notes="", area_total_ha=1.0)
    carry(hq, a, stick)
    carry(hq, b, stick)
    edit(a, FireReport, uuid, area_total_ha=2.0)
    edit(b, FireReport, uuid, area_total_ha=3.0)
    carry(a, hq, stick)
    carry(b, hq, stick)
    return uuid


def _changes_of(site: Site, uuid: str) -> list[Change]:
    with site.db.session() as s:
        return list(s.scalars(select(Change).where(Change.entity_uuid == uuid)
                              .order_by(Change.id)))


# --- an unknown key ----------------------------------------------------------------------------

def test_unknown_key_is_quarantined_until_the_admin_trusts_it(qtbot, world, tmp_path,  # type: ignore[no-untyped-def]
                                                              monkeypatch) -> None:
    hq, _a, _b = world
    c = make_site(tmp_path, "NEW", "Новый кордон", "Олег Новиков")
    trust.trust_key_file(c.db, hq.keyfile)  # the new station knows HQ; HQ does not know it
    patrol(c, "NEW-001")
    path = send(c, hq, tmp_path / "stick")

    dialog = ImportDialog(hq.db, path=path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.outcomes), timeout=20_000)
    assert isinstance(dialog.outcomes[0].error, UnknownSigner)
    assert "not trusted here" in dialog.message.text()
    assert "administrator" in dialog.message.text()
    assert ensure_fpr(c) in dialog.message.text()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)  # keep it for the admin
    qtbot.waitUntil(lambda: dialog.after, timeout=20_000)
    assert dialog.model.data(dialog.model.index(0, 6)) == "In quarantine"
    assert "kept in quarantine" in dialog.message.text()
    assert "confirm this fingerprint" in dialog.message.text()
    assert [p.status for p in trust.peers(hq.db) if p.station_code == "NEW"] == ["quarantined"]

    keys = KeysDialog(hq.db)
    qtbot.addWidget(keys)
    assert keys.fpr.text() == ensure_fpr(hq)
    assert [w.station_code for w in keys.waiting_model.rows] == ["NEW"]
    asked: list[str] = []

    def compare(_parent, _title, text, *_a):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", compare)
    keys.trust_file(c.keyfile)
    qtbot.waitUntil(lambda: not keys.jobs.running, timeout=20_000)
    assert ensure_fpr(c) in asked[0]  # shown for comparison before anything was trusted
    assert "1 waiting bundle was imported" in keys.status.text()
    assert keys.waiting_model.rows == []
    assert content(hq.db)["patrol"] == content(c.db)["patrol"]
    c.db.close()


def test_a_held_approval_is_named_in_the_import_dialog(qtbot, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One approval HQ cannot accept: the rest imports, the dialog says which and what to do."""
    from ranger_app.store.accounts import authenticate, set_password
    from ranger_app.store.models import Person
    from ranger_app.store.patrols import save_patrol
    from ranger_app.store.review import approve

    hq, a, _b = world
    with a.db.writer() as s:
        olga = Person(name="Ольга Смирнова", station_uuid=a.db.installation().station_uuid,
                      roles="INSPECTOR")
        s.add(olga)
        s.flush()
        olga_id = olga.uuid
    set_password(a.db, olga_id, "olga", "olga-password")
    p = patrol(a, "KED-2025-0042")
    p.status = "SUBMITTED"
    uuid = save_patrol(a.db, p).uuid or ""
    approve(a.db, authenticate(a.db, "olga", "olga-password"), uuid)
    fire(a)
    dialog = ImportDialog(hq.db, path=send(a, hq, tmp_path / "stick"))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.outcomes), timeout=20_000)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.after, timeout=20_000)
    assert dialog.model.data(dialog.model.index(0, 6)) == "Imported; 1 approval held"
    text = dialog.message.text()
    assert "approval of patrol KED-2025-0042 by Ольга Смирнова waits" in text, text
    assert f"keys certify --person {olga_id}" in text and "rest of the bundle" in text
    with hq.db.session() as s:
        assert s.scalars(select(FireReport)).first() is not None  # the rest is in


def ensure_fpr(site: Site) -> str:
    from ranger_app.sync.identity import ensure_keys

    return ensure_keys(site.db).fingerprint


# --- the menu ----------------------------------------------------------------------------------

def test_sync_menu_is_added_once_and_follows_the_language(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.ui.main_window import MainWindow

    window = MainWindow(db)
    qtbot.addWidget(window)
    add_sync_menu(window)
    add_sync_menu(window)  # a second attach_database adds nothing
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.count("&Sync") == 1
    assert titles.index("&Sync") < titles.index("&Language")
    menu = window.sync_menu
    assert [a.text() for a in menu.actions() if a.text()] == [
        "&Export bundle…", "&Import bundle…", "&Conflicts…", "&Keys and trust…"]
    try:
        apply_language("ru")
        assert menu.title() == _("&Sync") != "&Sync"
        assert menu.export_action.text() == _("&Export bundle…")
        view = menu.open_conflicts()
        assert view.windowTitle() == _("Conflicts") and menu.open_conflicts() is view
    finally:
        apply_language("en")
    assert menu.title() == "&Sync"
    assert view.windowTitle() == "Conflicts"
    view.close()


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_sync_screens_speak_the_language(qtbot, tmp_path, usb, lang) -> None:  # type: ignore[no-untyped-def]
    from test_i18n_ui import ALLOWED, WORD, english_left

    # HQ's code is "DIR" here: a station code "HQ" would read as the untranslated word.
    hq = make_site(tmp_path, "DIR", "Дирекция", "Анна Инспектор", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    b = make_site(tmp_path, "BAR", "Барсовый", "Пётр Сидоров")
    introduce(hq, a)
    introduce(hq, b)
    _conflict((hq, a, b), tmp_path / "stick")
    patrol(a, "KED-002")
    bundle = send(a, hq, usb)
    data = ["DIR", str(usb), bundle.name, ensure_fpr(hq), ensure_fpr(a), ensure_fpr(b),
            *(s.device for s in (hq, a, b)), *(c.entity_uuid for c in open_conflicts(hq.db)),
            *(s.device[-6:] for s in (hq, a, b))]  # the conflicts view shows "device …1a2b3c"
    allowed = ALLOWED | set(WORD.findall(" ".join(data)))
    try:
        apply_language(lang)
        wizard = ExportWizard(a.db)
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.next()
        wizard.next()
        qtbot.waitUntil(wizard.summary_page.isComplete, timeout=10_000)
        imports = ImportDialog(hq.db)
        qtbot.addWidget(imports)
        qtbot.waitUntil(lambda: bool(imports.outcomes), timeout=20_000)
        screens = [wizard, imports, ConflictsView(hq.db), KeysDialog(hq.db)]
        for screen in screens[2:]:
            qtbot.addWidget(screen)
        problems = [p for screen in screens for p in english_left(screen, lang, allowed)]
    finally:
        apply_language("en")
        workers.wait_for_all()
        for site in (hq, a, b):
            site.db.close()
    assert not problems, "\n".join(problems)
