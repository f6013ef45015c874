"""Fault matrix #17 (an approval by a non-inspector key) and #37 (a bundle too large for a
FAT32 stick): refused whole or aborted, through the CLI, the database exactly as before."""

from __future__ import annotations

import errno
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from test_sync_support import Site, carry, introduce, make_site, patrol, run_cli, send, state

from ranger_app.io.photos import attach_photo
from ranger_app.store import approvals
from ranger_app.store.accounts import authenticate, open_signing_key, set_password
from ranger_app.store.audit import verify
from ranger_app.store.changes import payload_of
from ranger_app.store.models import Patrol, PatrolReview
from ranger_app.store.patrols import save_patrol
from ranger_app.store.review import approve
from ranger_app.store.sync_tables import SyncBundle
from ranger_app.sync import fileio
from ranger_app.sync.approvals_check import SIGNER_KEY
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


def _refused(capsys: pytest.CaptureFixture[str], site: Site, path: Path, pattern: str) -> None:
    before = state(site.db)
    with site.db.session() as s:
        logged = s.scalar(select(func.count()).select_from(SyncBundle))
    code, message = run_cli(capsys, site, "import-bundle", str(path))
    assert code == 4, message
    assert re.search(pattern, message), message
    assert "\n" not in message
    assert state(site.db) == before  # exactly as it was
    with site.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncBundle)) == logged


def test_17_genuine_inspector_approval_imports_and_binds_the_key(world, tmp_path,
                                                                  capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    stick = tmp_path / "stick"
    uuid = _genuine(hq, a, stick)
    code, message = run_cli(capsys, a, "import-bundle", str(send(hq, a, stick)))
    assert code == 0, message
    with a.db.session() as s:
        row = s.get(Patrol, uuid)
        assert row is not None and row.status == "APPROVED"
    (review,) = _reviews(a)
    assert a.db.meta(SIGNER_KEY + _me(hq)) == json.loads(review.signature)["key"]  # TOFU
    assert verify(a.db).ok


def _reviews(site: Site) -> list[PatrolReview]:
    with site.db.session() as s:
        return list(s.scalars(select(PatrolReview).where(PatrolReview.action == "approve")))


def test_17_approval_signed_by_a_rangers_key_is_refused(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    uuid = _submitted(a, "KED-002")
    ranger = _me(a)  # Иван Петров: RANGER|ADMIN, no inspector
    set_password(a.db, ranger, "ivan", "ivan-password")
    _forge(a, uuid, ranger, open_signing_key(a.db, ranger, "ivan-password"))
    _refused(capsys, hq, send(a, hq, tmp_path / "stick"),
             r"approval of patrol KED-002 is not by a person with the inspector role")


def test_17_forged_inspector_approval_with_another_key_is_refused(world, tmp_path,
                                                                   capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, b = world
    stick = tmp_path / "stick"
    _genuine(hq, a, stick)
    carry(hq, b, stick)  # B sees the genuine approval first: Anna's key is bound there
    carry(hq, a, stick)
    bound = b.db.meta(SIGNER_KEY + _me(hq))
    assert bound
    uuid = _submitted(a, "KED-003")
    _forge(a, uuid, _me(hq), Ed25519PrivateKey.generate())  # in Anna's name, another key
    _refused(capsys, b, send(a, b, stick),
             r"approval of patrol KED-003 is signed with a key that is not that inspector")
    assert b.db.meta(SIGNER_KEY + _me(hq)) == bound
    # HQ knows Anna's keys from its own registry: refused there as well
    _refused(capsys, hq, send(a, hq, stick), r"KED-003 is signed with a key that is not")


def test_17_tampered_signature_is_refused(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    stick = tmp_path / "stick"
    _genuine(hq, a, stick)
    carry(hq, a, stick)
    uuid = _submitted(a, "KED-004")
    # a station that somehow holds Anna's key still cannot change what she signed
    key = open_signing_key(hq.db, _me(hq), PASSWORD)
    assert key is not None
    _forge(a, uuid, _me(hq), key, tamper=True)
    _refused(capsys, hq, send(a, hq, stick),
             r"approval of patrol KED-004 has a signature that does not verify")


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
