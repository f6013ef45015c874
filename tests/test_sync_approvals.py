"""Fault matrix #17 (an approval by a non-inspector key, issue 13.1–2) and #37 (a bundle too
large for a FAT32 stick), through the CLI.

A bad approval no longer refuses the bundle: it is held (kept in the chain, not applied)
with the patrol named and what to do, and the rest of the bundle is imported. Keys count
only when HQ certified them for an inspector at the time of signing."""

from __future__ import annotations

import errno
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from test_sync_support import Site, carry, introduce, make_site, patrol, run_cli, send

from ranger_app.io.photos import attach_photo
from ranger_app.store import approvals
from ranger_app.store.accounts import authenticate, open_signing_key, set_password
from ranger_app.store.audit import verify
from ranger_app.store.changes import payload_of
from ranger_app.store.models import Patrol, PatrolReview
from ranger_app.store.patrols import save_patrol
from ranger_app.store.review import approve
from ranger_app.store.sync_tables import SyncBundle
from ranger_app.sync import certificates, fileio
from tests.conftest import CAMTRAP_MEDIA

PASSWORD = "amur-tiger-25"
PHOTO = CAMTRAP_MEDIA / "20210531082538-RCNX0031.JPG"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Site, Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Инспектор", hq=True)  # ADMIN|INSPECTOR
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")  # RANGER|ADMIN
    b = make_site(tmp_path, "BAR", "Барсовый", "Пётр Сидоров")
    introduce(hq, a)
    introduce(hq, b)
    introduce(a, b)
    set_password(hq.db, _me(hq), "anna", PASSWORD)
    certificates.certify(hq.db, _me(hq))  # HQ certifies its inspector's key
    yield hq, a, b
    for site in (hq, a, b):
        site.db.close()


def _me(site: Site) -> str:
    return site.db.installation().user_uuid or ""


def _submitted(site: Site, number: str) -> str:
    p = patrol(site, number)
    p.status = "SUBMITTED"
    return save_patrol(site.db, p).uuid or ""


def _genuine(hq: Site, a: Site, stick: Path, number: str = "KED-001") -> str:
    """A's patrol, approved and signed at HQ by the inspector; A has the approval."""
    uuid = _submitted(a, number)
    carry(a, hq, stick)
    approve(hq.db, authenticate(hq.db, "anna", PASSWORD), uuid)
    return uuid


def _forge(site: Site, patrol_uuid: str, by: str, key: Ed25519PrivateKey,
           tamper: bool = False) -> None:
    """What a compromised station can write: the status and a signed approval row."""
    with site.db.writer(by) as s:
        row = s.get(Patrol, patrol_uuid)
        assert row is not None
        row.status = "APPROVED"
        s.flush()
        at = datetime.now(UTC)
        parts = approvals.collect_parts(s, row.uuid)
        signature = approvals.sign(key, row.uuid, row.rev, payload_of(row), parts, by, at)
        if tamper:  # one character of the signature changed
            i = signature.index('"sig":"') + 10
            signature = signature[:i] + ("A" if signature[i] != "A" else "B") + signature[i + 1:]
        s.add(PatrolReview(patrol_uuid=row.uuid, action="approve", patrol_rev=row.rev,
                           by_person=by, at=at, comment="", signature=signature))


def _status(site: Site, uuid: str) -> str:
    with site.db.session() as s:
        row = s.get(Patrol, uuid)
        return row.status if row is not None else ""


def _held(capsys: pytest.CaptureFixture[str], site: Site, path: Path, pattern: str,
          uuid: str) -> str:
    """The bundle imports (exit 0); the approval named by `pattern` is not applied."""
    code, message = run_cli(capsys, site, "import-bundle", str(path))
    assert code == 0, message
    assert re.search(pattern, message), message
    assert "The rest of the bundle was imported" in message
    assert _status(site, uuid) == "SUBMITTED"
    with site.db.session() as s:
        assert s.scalar(select(func.count()).select_from(PatrolReview).where(
            PatrolReview.patrol_uuid == uuid, PatrolReview.action == "approve")) == 0
    assert verify(site.db).ok  # held changes are in the chain, not in the records
    return message


def test_17_genuine_inspector_approval_imports_with_hqs_certificate(world, tmp_path,
                                                                     capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    stick = tmp_path / "stick"
    uuid = _genuine(hq, a, stick)
    code, message = run_cli(capsys, a, "import-bundle", str(send(hq, a, stick)))
    assert code == 0, message
    assert _status(a, uuid) == "APPROVED"
    assert [c.person for c in certificates.listing(a.db)] == [_me(hq)]  # came with HQ's bundle
    assert verify(a.db).ok
    code, message = run_cli(capsys, a, "audit", "verify")
    assert code == 0 and "not certified" not in message, message


def test_17_approval_signed_by_a_rangers_key_is_refused(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    good = _submitted(a, "KED-001")
    uuid = _submitted(a, "KED-002")
    ranger = _me(a)  # Иван Петров: RANGER|ADMIN, no inspector
    set_password(a.db, ranger, "ivan", "ivan-password")
    _forge(a, uuid, ranger, open_signing_key(a.db, ranger, "ivan-password"))
    stick = tmp_path / "stick"
    _held(capsys, hq, send(a, hq, stick), r"approval of patrol KED-002 by Иван Петров was not "
          r"applied: it is not by a person with the inspector role", uuid)
    assert _status(hq, good) == "SUBMITTED"  # the rest of A's data is in
    # and A's next bundles are not blocked behind it
    later = _submitted(a, "KED-003")
    code, message = run_cli(capsys, hq, "import-bundle", str(send(a, hq, stick)))
    assert code == 0 and _status(hq, later) == "SUBMITTED", message


def test_17_approval_with_a_key_hq_never_certified_waits_until_it_does(world, tmp_path,
                                                                       capsys) -> None:  # type: ignore[no-untyped-def]
    """An inspector at the station approves: HQ holds it, certifies the key, it applies;
    the certificate and the approval then reach the other station together."""
    hq, a, b = world
    olga = _inspector(a, "Ольга Смирнова")
    uuid = _submitted(a, "KED-004")
    approve(a.db, authenticate(a.db, "olga", "olga-password"), uuid)
    code, message = run_cli(capsys, a, "audit", "verify")  # a station's own check says so
    assert code == 0 and "KED-004 by Ольга Смирнова is signed with the key" in message
    stick = tmp_path / "stick"
    message = _held(capsys, hq, send(a, hq, stick), r"approval of patrol KED-004 by Ольга "
                    r"Смирнова waits: it is signed with a key HQ has not certified", uuid)
    assert f"keys certify --person {olga} --role inspector" in message
    code, message = run_cli(capsys, hq, "keys", "certify", "--person", olga)
    assert code == 0 and "patrol KED-004 is now applied" in message, message
    assert _status(hq, uuid) == "APPROVED"
    assert verify(hq.db).ok
    assert carry(hq, b, stick).held == ()
    assert _status(b, uuid) == "APPROVED"
    assert verify(b.db).ok


def _inspector(site: Site, name: str) -> str:
    from ranger_app.store.models import Person

    with site.db.writer() as s:
        person = Person(name=name, station_uuid=site.db.installation().station_uuid,
                        roles="INSPECTOR")
        s.add(person)
        s.flush()
        uuid = person.uuid
    set_password(site.db, uuid, "olga", "olga-password")
    return uuid


def test_17_forged_inspector_approval_with_another_key_is_not_applied(world, tmp_path,
                                                                     capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, b = world
    stick = tmp_path / "stick"
    _genuine(hq, a, stick)
    carry(hq, b, stick)
    carry(hq, a, stick)
    uuid = _submitted(a, "KED-005")
    _forge(a, uuid, _me(hq), Ed25519PrivateKey.generate())  # in Anna's name, another key
    _held(capsys, b, send(a, b, stick), r"approval of patrol KED-005 by Анна Инспектор waits: "
          r"it is signed with a key HQ has not certified", uuid)
    _held(capsys, hq, send(a, hq, stick), r"KED-005 .* not certified", uuid)


def test_17_tampered_signature_is_refused(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    stick = tmp_path / "stick"
    _genuine(hq, a, stick)
    carry(hq, a, stick)
    uuid = _submitted(a, "KED-006")
    # a station that somehow holds Anna's key still cannot change what she signed
    key = open_signing_key(hq.db, _me(hq), PASSWORD)
    assert key is not None
    _forge(a, uuid, _me(hq), key, tamper=True)
    _held(capsys, hq, send(a, hq, stick),
          r"approval of patrol KED-006 by .* has a signature that does not verify", uuid)


def test_17_inspector_key_used_after_its_certificate_was_revoked_is_refused(
        world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, b = world
    stick = tmp_path / "stick"
    before = _genuine(hq, a, stick, "KED-007")  # approved while the certificate held
    (cert,) = certificates.listing(hq.db)
    code, message = run_cli(capsys, hq, "keys", "revoke-certificate", cert.cert_id)
    assert code == 0, message
    carry(hq, a, stick)  # the revocation travels like a key revocation
    assert [c.revoked_at is not None for c in certificates.listing(a.db)] == [True]
    assert _status(a, before) == "APPROVED"  # signed before the revocation: still good
    uuid = _submitted(a, "KED-008")
    key = open_signing_key(hq.db, _me(hq), PASSWORD)  # the stolen key
    assert key is not None
    _forge(a, uuid, _me(hq), key)
    _held(capsys, hq, send(a, hq, stick), r"approval of patrol KED-008 by Анна Инспектор was "
          r"not applied: it is signed with a key whose certificate HQ revoked", uuid)
    carry(hq, b, stick)  # HQ relays it; B, with the revocation, holds it too
    assert _status(b, uuid) == "SUBMITTED" and _status(b, before) == "APPROVED"
    code, message = run_cli(capsys, hq, "keys", "certificates")
    assert code == 0 and "KED-008" in message and "revoked from" in message, message


# --- 37: a bundle larger than the stick's file system allows ----------------------------

def test_37_file_too_large_for_a_fat32_stick_aborts_the_export(world, tmp_path, capsys,
                                                              monkeypatch) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    stick = tmp_path / "stick"
    p = patrol(a, "KED-005")
    p.observations[0].photos.append(attach_photo(a.db.media, PHOTO))  # several writes
    save_patrol(a.db, p)

    class Fat32(fileio.HashingWriter):  # EFBIG once the file passes the "limit"
        def _put(self, data: bytes) -> None:
            if self.size > 2000:
                raise OSError(errno.EFBIG, "File too large")
            super()._put(data)

    monkeypatch.setattr("ranger_app.sync.writer.HashingWriter", Fat32)
    with a.db.session() as s:
        logged = s.scalar(select(func.count()).select_from(SyncBundle))
    code, message = run_cli(capsys, a, "export-bundle", "--to", "HQ", "--out", str(stick))
    assert code == 3, message
    assert "FAT32" in message and "exFAT" in message and "\n" not in message
    assert list(stick.iterdir()) == []  # no .part left
    with a.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncBundle)) == logged  # not recorded
    assert hq.db.path.exists()
