"""The fault matrix of reference/sync.md §6: every bad bundle leaves the database as it was
(or fully imported) and says why, through the CLI's exit code and one translated line."""

from __future__ import annotations

import errno
import hashlib
import io
import re
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pyrage
import pytest
from test_sync_support import (
    Site,
    carry,
    content,
    decrypt_for,
    edit,
    encrypt_for,
    fire,
    forge,
    introduce,
    make_site,
    manifest_of,
    patrol,
    rezip,
    run_cli,
    send,
    state,
)

from ranger_app.domain.records import PhotoValue
from ranger_app.io.photos import attach_photo
from ranger_app.store.audit import verify
from ranger_app.store.db import Database, backup_copy
from ranger_app.store.models import FireReport
from ranger_app.store.patrols import save_patrol
from ranger_app.sync import fileio, trust
from ranger_app.sync.bundle_format import Limits
from ranger_app.sync.errors import BundleUnreadable, UnsafeArchive
from ranger_app.sync.identity import ensure_keys, start_new_epoch
from ranger_app.sync.importer import import_bundle
from ranger_app.sync.vectors import local_vector
from ranger_app.sync.writer import export_bundle
from tests.conftest import CAMTRAP_MEDIA

PHOTO = CAMTRAP_MEDIA / "20210531082538-RCNX0031.JPG"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Site, Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна Инспектор", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван Петров")
    b = make_site(tmp_path, "BAR", "Барсовый", "Пётр Сидоров")
    introduce(hq, a)
    introduce(hq, b)
    yield hq, a, b
    for site in (hq, a, b):
        site.db.close()


@pytest.fixture
def bundle(world: tuple[Site, Site, Site], tmp_path: Path) -> Path:
    """A good bundle from station A to HQ: a patrol with a photo, a fire report."""
    _hq, a, _b = world
    p = patrol(a, "KED-001", notes="Петля у ключа")
    p.observations[0].photos.append(attach_photo(a.db.media, PHOTO))
    save_patrol(a.db, p)
    fire(a)
    return send(a, world[0], tmp_path / "stick")


def _refused(capsys: pytest.CaptureFixture[str], site: Site, path: Path, code: int,
             pattern: str) -> None:
    before = state(site.db)
    got, message = run_cli(capsys, site, "import-bundle", str(path))
    assert got == code, message
    assert re.search(pattern, message), message
    assert "\n" not in message  # one line saying what and why
    assert state(site.db) == before  # exactly as it was


# --- 1-4: damaged and tampered files ------------------------------------------------------

@pytest.mark.parametrize("cut", ["half", "last-byte", "header-only"])
def test_01_truncated_bundle_is_refused(world, bundle, capsys, cut) -> None:  # type: ignore[no-untyped-def]
    data = bundle.read_bytes()
    keep = {"half": len(data) // 2, "last-byte": len(data) - 1,
            "header-only": data.index(b"\n---") + 50}[cut]
    bundle.write_bytes(data[:keep])
    _refused(capsys, world[0], bundle, 3, "cannot be read")


def test_02_bit_flip_is_refused(world, bundle, capsys) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x10
    bundle.write_bytes(bytes(data))
    _refused(capsys, world[0], bundle, 3, "cannot be read")


def test_03_re_encrypted_with_changed_content_fails_the_signature(world, bundle, capsys,
                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    inner = decrypt_for(hq, bundle)
    z = zipfile.ZipFile(io.BytesIO(inner))
    lines = z.read("changes/000001.jsonl").replace("Петля у ключа".encode(), b"Nothing seen")
    manifest = manifest_of(inner)
    manifest["files"]["changes/000001.jsonl"] = {  # type: ignore[index]
        "sha256": hashlib.sha256(lines).hexdigest(), "size": len(lines)}
    from ranger_app.store.changes import canonical_json

    forged = rezip(inner, tmp_path, {"changes/000001.jsonl": lines,
                                     "manifest.json": canonical_json(manifest).encode()})
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             r"changed after it was signed \(manifest.sig")


@pytest.mark.parametrize("member", ["changes/000001.jsonl", "blob"])
def test_04_swapped_member_fails_its_hash(world, bundle, capsys, tmp_path, member) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    inner = decrypt_for(hq, bundle)
    names = zipfile.ZipFile(io.BytesIO(inner)).namelist()
    if member == "blob":
        member = next(n for n in names if n.startswith("blobs/"))
    forged = rezip(inner, tmp_path, {member: b"{}\n" if member.endswith("jsonl") else
                                     PHOTO.read_bytes()[:-1] + b"\0"})
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             "changed after it was signed")


# --- 5-10: replays, order, trust ------------------------------------------------------------

def test_05_same_bundle_twice_or_from_two_sticks_changes_nothing(world, bundle, capsys,
                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    assert run_cli(capsys, hq, "import-bundle", str(bundle))[0] == 0
    after = state(hq.db)
    other_stick = tmp_path / "copy.rangerbundle"
    other_stick.write_bytes(bundle.read_bytes())
    code, message = run_cli(capsys, hq, "import-bundle", str(other_stick))
    assert (code, "already imported" in message) == (0, True)
    assert state(hq.db) == after


def test_06_changes_re_exported_after_a_lost_ack_are_idempotent(world, bundle,
                                                                 tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    first = import_bundle(hq.db, bundle)
    after = state(hq.db)
    again = import_bundle(hq.db, send(a, hq, tmp_path / "stick2"))  # no ack came back
    assert again.bundle_id != first.bundle_id
    assert (again.status, again.changes_new, again.changes_known) == (
        "applied", 0, first.changes_new)
    assert state(hq.db) == after


def test_07_bundles_out_of_order_wait_until_the_gap_is_filled(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    patrol(a, "KED-1")
    first = send(a, hq, tmp_path / "s1")
    with a.db.writer() as s:  # A believes HQ got the first one (an ack came back)
        trust.record_acked(s, trust.peer_by_code(a.db, "HQ").fingerprint, local_vector(s),
                           "")
    patrol(a, "KED-2")
    second = send(a, hq, tmp_path / "s2")
    before = state(hq.db)
    waiting = import_bundle(hq.db, second)
    assert waiting.status == "pending" and waiting.missing
    assert state(hq.db) == before
    done = import_bundle(hq.db, first)
    assert done.status == "applied" and len(done.also_applied) == 1
    assert content(hq.db)["patrol"] == content(a.db)["patrol"]
    assert verify(hq.db).ok


def test_08_unknown_key_is_quarantined_until_an_admin_trusts_it(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, _a, _b = world
    c = make_site(tmp_path, "NEW", "Новый кордон", "Олег")
    trust.trust_key_file(c.db, hq.keyfile)  # C knows HQ; HQ does not know C yet
    patrol(c, "NEW-1")
    path = send(c, hq, tmp_path / "stick")
    _refused(capsys, hq, path, 4, "unknown key .* quarantine")
    assert [p.status for p in trust.peers(hq.db) if p.station_code == "NEW"] == ["quarantined"]
    code, message = run_cli(capsys, hq, "keys", "trust", str(c.keyfile))
    assert code == 0 and "waiting bundle" in message
    assert content(hq.db)["patrol"] == content(c.db)["patrol"]
    c.db.close()


def test_09_revoked_key_is_refused(world, bundle, capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    code, _msg = run_cli(capsys, hq, "keys", "revoke", ensure_keys(a.db).fingerprint.lower())
    assert code == 0
    _refused(capsys, hq, bundle, 4, "revoked key")


def _restore(site: Site, backup: Path) -> None:
    site.db.close()
    shutil.copy(backup, site.db.path)
    for suffix in ("-wal", "-shm"):
        site.db.path.with_name(site.db.path.name + suffix).unlink(missing_ok=True)
    site.db = Database.open(site.db.path)


def test_10_restored_station_reusing_seq_numbers_is_equivocation(world, tmp_path,
                                                                 capsys) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    patrol(a, "KED-1")
    backup = backup_copy(a.db.path, "test")
    patrol(a, "KED-2", notes="the original")
    carry(a, hq, tmp_path / "s1")
    _restore(a, backup)  # the laptop is restored from the old backup...
    patrol(a, "KED-2", notes="something else")  # ...and reuses the same seq numbers
    _refused(capsys, hq, send(a, hq, tmp_path / "s2"), 4, "contradicts changes")
    _restore(a, backup)  # done right: a restore starts a new epoch before any edit
    start_new_epoch(a.db)
    patrol(a, "KED-3")
    assert carry(a, hq, tmp_path / "s3").status == "applied"
    assert verify(hq.db).ok


def test_30_bundle_for_another_site_is_refused(world, bundle, capsys) -> None:  # type: ignore[no-untyped-def]
    _hq, _a, b = world
    _refused(capsys, b, bundle, 4, "not addressed to this site")


def test_31_far_future_clock_is_flagged(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    from ranger_app.domain.hlc import HybridClock

    a.db._clock = HybridClock(a.device, wall_ms=lambda: 4_102_444_800_000)  # year 2100
    fire(a)
    report = carry(a, hq, tmp_path / "s")
    assert report.future_hlc == 1
    assert verify(hq.db).ok


# --- 22-29: hostile archives ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../x", "/etc/x", "C:\\x", "..\\x", "changes/../x",
                                  "manifest.json/", "blobs/sha256/aa/" + "b" * 64])
def test_22_zip_slip_and_unknown_names_are_refused(world, bundle, capsys, tmp_path,
                                                   name) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    forged = rezip(decrypt_for(hq, bundle), tmp_path, extra=[(name, b"x")])
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             "not an allowed name|link, a folder")


def test_23_duplicate_names_are_refused(world, bundle, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    with pytest.warns(UserWarning):
        forged = rezip(decrypt_for(hq, bundle), tmp_path,
                       extra=[("changes/000001.jsonl", b"{}\n")])
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             "appears twice")


@pytest.mark.parametrize("mode", [stat.S_IFLNK | 0o777, stat.S_IFDIR | 0o755,
                                  stat.S_IFCHR | 0o644])
def test_24_symlink_folder_and_device_entries_are_refused(world, bundle, capsys, tmp_path,
                                                          mode) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    info = zipfile.ZipInfo("blobs/sha256/ab/ab" + "0" * 62)
    info.external_attr = mode << 16
    forged = rezip(decrypt_for(hq, bundle), tmp_path, extra=[(info, b"/etc/passwd")])
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             "link, a folder or a device")


def test_25_zip_bomb_by_ratio_is_refused(world, bundle, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    info = zipfile.ZipInfo("changes/000002.jsonl")
    info.compress_type = zipfile.ZIP_DEFLATED
    inner = decrypt_for(hq, bundle)
    forged = rezip(inner, tmp_path, extra=[(info, bytes(20 << 20))])
    assert len(forged) - len(inner) < 100_000  # 20 MB of zeros in ~20 KB
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             "expands too much")


def test_25_lying_size_in_the_central_directory_is_refused(world, bundle, capsys,
                                                           tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    inner = bytearray(decrypt_for(hq, bundle))
    at = inner.rindex(b"changes/000001.jsonl") - 46  # its central-directory header
    assert inner[at:at + 4] == b"PK\x01\x02"
    size = struct.unpack_from("<I", inner, at + 24)[0]
    struct.pack_into("<I", inner, at + 24, size // 2)  # declares half of what it holds
    _refused(capsys, hq, encrypt_for(hq, bytes(inner), tmp_path / "x.rangerbundle"), 3,
             "changed after it was signed|cannot be read")


def test_26_too_many_entries_are_refused_before_reading(world, bundle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    extra = [(f"blobs/sha256/00/00{i:062d}", b"") for i in range(120)]
    forged = rezip(decrypt_for(hq, bundle), tmp_path, extra=extra)
    path = encrypt_for(hq, forged, tmp_path / "x.rangerbundle")
    before = state(hq.db)
    with pytest.raises(UnsafeArchive, match="entries"):
        import_bundle(hq.db, path, limits=Limits(max_members=100))
    assert state(hq.db) == before


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20_000, 10_000])  # 400 Mpx (error) and 100 Mpx (warning)
def test_27_decompression_bomb_image_is_refused(world, tmp_path, capsys, side) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    bomb = _png(side, side)
    assert len(bomb) < 50_000
    sha, size = a.db.media.put_bytes(bomb)
    p = patrol(a, "KED-9")
    p.observations[0].photos.append(PhotoValue(sha256=sha, mime="image/png", size=size))
    save_patrol(a.db, p)
    _refused(capsys, hq, send(a, hq, tmp_path / "s"), 3, "million pixels")
    assert not hq.db.media.has(sha)


def test_28_newer_schema_is_refused_whole(world, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    patrol(a, "KED-1")
    with monkeypatch.context() as m:
        m.setattr("ranger_app.sync.packing.head_revision", lambda: "0099")
        path = send(a, hq, tmp_path / "s")
    _refused(capsys, hq, path, 4, "newer version .*schema 0099")


@pytest.mark.parametrize("line", [b"{not json\n", b'{"entity": "weapon"}\n'])
def test_28_malformed_or_unknown_changes_are_refused_whole(world, bundle, tmp_path, capsys,
                                                           line) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    inner = decrypt_for(hq, bundle)
    good = zipfile.ZipFile(io.BytesIO(inner)).read("changes/000001.jsonl")
    forged = forge(a, inner, {"changes/000001.jsonl": good + line})
    _refused(capsys, hq, encrypt_for(hq, forged, tmp_path / "x.rangerbundle"), 3,
             "holds data this version cannot use")


def test_29_huge_age_header_is_refused(world, bundle, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    inner = decrypt_for(hq, bundle)
    many = [pyrage.x25519.Identity.generate().to_public() for _ in range(100)]
    many.append(pyrage.x25519.Recipient.from_str(ensure_keys(hq.db).age_recipient))
    path = tmp_path / "x.rangerbundle"
    path.write_bytes(pyrage.encrypt(inner, many))
    _refused(capsys, hq, path, 3, "too many recipients")


# --- 20, 21: full disks ---------------------------------------------------------------------

def _media(site: Site) -> list[str]:
    root = site.db.media.root
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _enospc(*_args: object, **_kw: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["staging copy", "blob move"])
def test_20_disk_full_on_import_aborts_cleanly(world, bundle, capsys, monkeypatch,
                                               where) -> None:  # type: ignore[no-untyped-def]
    hq = world[0]
    media_before = _media(hq)
    with monkeypatch.context() as m:
        if where == "staging copy":
            m.setattr("ranger_app.sync.reader.copy_stream", _enospc)
        else:
            m.setattr("ranger_app.sync.importer.os.replace", _enospc)
        _refused(capsys, hq, bundle, 3, r"Not enough free disk space .* MB are needed")
    staging = hq.db.path.with_name(hq.db.path.name + ".sync") / "staging"
    assert not any(staging.iterdir())  # staging cleaned
    assert _media(hq) == media_before  # no orphan photo left behind
    assert import_bundle(hq.db, bundle).status == "applied"  # and it works with space


def test_21_disk_full_on_the_stick_during_export_aborts(world, bundle, capsys,
                                                        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _hq, a, _b = world
    stick = bundle.parent
    earlier = {p.name: p.read_bytes() for p in stick.iterdir()}
    patrol(a, "KED-2")

    class Full(fileio.HashingWriter):  # the stick fills up after 2 KB
        def _put(self, data: bytes) -> None:
            if self.size > 2000:
                _enospc()
            super()._put(data)

    monkeypatch.setattr("ranger_app.sync.writer.HashingWriter", Full)
    code, message = run_cli(capsys, a, "export-bundle", "--to", "HQ", "--out", str(stick))
    assert code == 3 and "Not enough free disk space" in message
    assert {p.name: p.read_bytes() for p in stick.iterdir()} == earlier  # untouched, no .part
    with a.db.session() as s:
        from sqlalchemy import func, select

        from ranger_app.store.sync_tables import SyncBundle

        assert s.scalar(select(func.count()).select_from(SyncBundle)) == 1  # not recorded


# --- 35: a lost stick -------------------------------------------------------------------------

def test_35_lost_stick_reveals_no_person_station_or_place(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    p = patrol(a, "KED-001", lat=43.123456, lon=131.654321, notes="Нашли петлю")
    fire(a, lat=42.987654, lon=130.912345)
    edit(a, FireReport, fire(a), locality="урочище Светлое")
    assert p.uuid
    path = send(a, hq, tmp_path / "stick")
    data = path.read_bytes()
    secrets = ["KED", "Кедровая падь", "Иван Петров", "Нашли петлю", "урочище Светлое",
               "43.123456", "131.654321", "42.987654", "130.912345", "KED-001", p.uuid,
               a.device, "2025"]
    for secret in secrets:
        assert secret.encode() not in data, secret
        assert secret not in path.name
    assert re.fullmatch(r"[a-z2-7]{24}\.rangerbundle", path.name)


def test_export_is_read_back_and_recorded_only_when_intact(world, tmp_path,
                                                           monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """#34: a fake-capacity stick returns other bytes than were written."""
    _hq, a, _b = world
    patrol(a, "KED-1")
    real = fileio.sha256_file

    def lying(path: Path) -> tuple[str, int]:
        _sha, size = real(path)
        return "0" * 64, size

    monkeypatch.setattr("ranger_app.sync.writer.sha256_file", lying)
    with pytest.raises(BundleUnreadable):
        export_bundle(a.db, "HQ", tmp_path / "stick")
    assert list((tmp_path / "stick").iterdir()) == []


# --- 38, 39: a busy database, an old ack ------------------------------------------------------

def test_38_import_waits_for_a_user_saving_in_the_gui(world, bundle) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    hq = world[0]
    holding = threading.Event()

    def user_saves() -> None:
        with hq.db.writer() as s:  # BEGIN IMMEDIATE, held for a moment
            fire_row = FireReport(detected_at=None, notes="typed while importing")
            s.add(fire_row)
            s.flush()
            holding.set()
            time.sleep(0.5)

    t = threading.Thread(target=user_saves)
    t.start()
    holding.wait()
    assert import_bundle(hq.db, bundle).status == "applied"  # waited, no "locked" error
    t.join()
    assert verify(hq.db).ok


def test_39_replayed_old_ack_changes_nothing(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hq, a, _b = world
    fire(hq)
    old_ack = send(hq, a, tmp_path / "s1")
    import_bundle(a.db, old_ack)
    fire(hq)
    import_bundle(a.db, send(hq, a, tmp_path / "s2"))
    acked = trust.peer_by_code(a.db, "HQ").acked
    after = state(a.db)
    assert import_bundle(a.db, old_ack).status == "already"
    inner = decrypt_for(a, old_ack)  # the same old ack, re-encrypted: other bytes, same id
    replay = encrypt_for(a, inner, tmp_path / "replay.rangerbundle")
    assert import_bundle(a.db, replay).status == "already"
    assert trust.peer_by_code(a.db, "HQ").acked == acked
    assert state(a.db) == after
