"""`basemap add|list`, and a basemap added at HQ reaching a station through bundles."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from basemap_files import png_tile, write_mbtiles, write_pmtiles
from test_sync_support import Site, introduce, make_site, run_cli, state

from ranger_app.io.basemap_library import basemap_file, basemaps, open_record


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван")
    yield hq, a
    hq.db.close()
    a.db.close()


def _topo(tmp_path: Path) -> Path:
    tiles = [(z, x, y, png_tile((40 * z, 90, 60), 16)) for z in range(3)
             for x in range(2**z) for y in range(2**z)]
    return write_mbtiles(tmp_path / "topo.mbtiles", tiles)


def test_basemap_add_and_list(pair: tuple[Site, Site], tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    topo = _topo(tmp_path)
    code, out = run_cli(capsys, hq, "basemap", "add", str(topo), "--name", "Топографическая")
    assert code == 0 and "Топографическая" in out and "mbtiles" in out
    code, out = run_cli(capsys, hq, "basemap", "add", str(topo))
    assert code == 0 and "already registered" in out
    sat = write_pmtiles(tmp_path / "sat.pmtiles", [(0, 0, 0, png_tile((9, 9, 9), 16))])
    assert run_cli(capsys, hq, "basemap", "add", str(sat))[0] == 0
    code, out = run_cli(capsys, hq, "basemap", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("Test satellite\tpmtiles\tpng\t0-0")
    assert lines[1].startswith("Топографическая\tmbtiles\tpng\t0-2")
    sha = hashlib.sha256(topo.read_bytes()).hexdigest()
    assert sha[:12] in lines[1] and "file here" in lines[1]
    with pytest.raises(SystemExit) as usage:  # no action: a usage error
        run_cli(capsys, hq, "basemap")
    assert usage.value.code == 2


def test_bad_basemap_is_refused_and_changes_nothing(pair: tuple[Site, Site], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    junk = tmp_path / "map.mbtiles"
    junk.write_bytes(b"<html>404 Not Found</html>")
    before = state(hq.db)
    media = sorted(p.name for p in hq.db.media.root.rglob("*")) if hq.db.media.root.exists() \
        else []
    code, out = run_cli(capsys, hq, "basemap", "add", str(junk))
    assert code == 3
    assert out.count("\n") == 0 and "cannot be used as a basemap" in out
    assert state(hq.db) == before
    after = sorted(p.name for p in hq.db.media.root.rglob("*")) if hq.db.media.root.exists() \
        else []
    assert after == media
    code, out = run_cli(capsys, hq, "basemap", "add", str(tmp_path / "missing.mbtiles"))
    assert code == 3


def test_basemap_added_at_hq_reaches_the_station(pair: tuple[Site, Site], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    hq, a = pair
    introduce(hq, a)
    topo = _topo(tmp_path)
    assert run_cli(capsys, hq, "basemap", "add", str(topo), "--name", "Topo")[0] == 0
    stick = tmp_path / "stick"
    stick.mkdir()
    code, out = run_cli(capsys, hq, "export-bundle", "--to", "KED", "--out", str(stick))
    assert code == 0
    bundle = out.splitlines()[0]
    assert run_cli(capsys, a, "import-bundle", bundle)[0] == 0
    [record] = basemaps(a.db)
    assert record.name == "Topo" and record.kind == "mbtiles"
    held = basemap_file(a.db, record)
    assert held is not None and held.read_bytes() == topo.read_bytes()
    source = open_record(a.db, record)
    assert source is not None and source.tile(2, 3, 1) == png_tile((80, 90, 60), 16)
    source.close()
    code, out = run_cli(capsys, a, "basemap", "list")
    assert code == 0 and out.startswith("Topo\tmbtiles") and "file here" in out


def test_a_large_basemap_travels_as_its_own_file_beside_the_bundle(
        pair: tuple[Site, Site], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ranger_app.sync import writer

    hq, a = pair
    introduce(hq, a)
    topo = _topo(tmp_path)
    monkeypatch.setattr(writer, "LARGE_BLOB_BYTES", 1000)  # "large" for the test
    assert run_cli(capsys, hq, "basemap", "add", str(topo))[0] == 0
    stick = tmp_path / "stick"
    stick.mkdir()
    code, out = run_cli(capsys, hq, "export-bundle", "--to", "KED", "--out", str(stick))
    assert code == 0
    bundle = Path(out.splitlines()[0])
    [blob] = list(stick.glob("*.rangerblob"))
    assert bundle.stat().st_size < topo.stat().st_size < blob.stat().st_size
    assert topo.read_bytes()[:100] not in blob.read_bytes()  # encrypted, like the bundle
    before = state(a.db)
    # the second file left behind on another stick
    aside = tmp_path / blob.name
    blob.rename(aside)
    code, out = run_cli(capsys, a, "import-bundle", str(bundle))
    assert code == 3 and "second file" in out and blob.name in out
    assert state(a.db) == before and basemaps(a.db) == []
    # a damaged copy of it
    data = bytearray(aside.read_bytes())
    data[len(data) // 2] ^= 0x40
    blob.write_bytes(bytes(data))
    code, out = run_cli(capsys, a, "import-bundle", str(bundle))
    assert code == 3 and "was changed after it was signed" in out
    assert state(a.db) == before and basemaps(a.db) == []
    # the right one
    aside.replace(blob)
    assert run_cli(capsys, a, "import-bundle", str(bundle))[0] == 0
    [record] = basemaps(a.db)
    held = basemap_file(a.db, record)
    assert held is not None and held.read_bytes() == topo.read_bytes()


def test_through_shared_folders_the_large_file_goes_along(
        pair: tuple[Site, Site], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ranger_app.sync import folders, writer

    hq, a = pair
    introduce(hq, a)
    monkeypatch.setattr(writer, "LARGE_BLOB_BYTES", 1000)
    topo = _topo(tmp_path)
    assert run_cli(capsys, hq, "basemap", "add", str(topo))[0] == 0
    share = tmp_path / "share"
    folders.configure(hq.db, "KED", outbox=share / "to-ked", inbox=share / "to-hq")
    folders.configure(a.db, "HQ", outbox=share / "to-hq", inbox=share / "to-ked")
    folders.send(hq.db, "KED")
    assert len(list((share / "to-ked").glob("*.rangerblob"))) == 1
    [result] = folders.receive(a.db, "HQ")
    assert result.status == "applied"
    assert list((share / "to-ked").glob("*.rangerblob")) == []
    assert len(list((share / "to-ked" / "done").glob("*.rangerblob"))) == 1
    [record] = basemaps(a.db)
    assert basemap_file(a.db, record).read_bytes() == topo.read_bytes()  # type: ignore[union-attr]
