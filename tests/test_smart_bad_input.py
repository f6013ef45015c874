"""SMART files that must be refused: exit 3, one message, nothing written (design §7)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ranger_app.cli import main
from ranger_app.io.smart.export import export_smart
from ranger_app.store.queries import record_counts
from tests.smart_support import make_patrols, station

PATROL = ('<patrol xmlns="http://www.smartconservationsoftware.org/xml/1.4/patrol" '
          'patrolType="GROUND" startDate="2025-03-14" endDate="2025-03-14" id="S-1">'
          '<legs id="1"><transportType languageCode="en" value="On foot"/>'
          '<days date="2025-03-14" startTime="08:00:00" endTime="12:00:00">'
          '<waypoints id="1" x="131.9" y="43.1" time="09:00:00"><groups>'
          '<observations categoryKey="{category}"/></groups></waypoints></days>'
          '<mandate languageCode="en" value="Anti-poaching"/></legs></patrol>')
BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                  for i in range(1, 10))
        + ']>\n' + PATROL.replace('id="S-1"', 'id="&lol9;"'))
XXE = ('<?xml version="1.0"?>\n<!DOCTYPE patrol [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       + PATROL.replace('id="S-1"', 'id="&x;"'))


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    """A station with two patrols, exported once: (database, export folder)."""
    db = station(tmp_path / "st.db")
    make_patrols(db, count=2, points=20)
    export_smart(db, None, tmp_path / "out")
    db.close()
    return tmp_path / "st.db", tmp_path / "out"


def _counts(path: Path) -> dict:
    from ranger_app.store.db import Database

    db = Database.open(path)
    try:
        return record_counts(db)
    finally:
        db.close()


def _refused(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> str:
    before = _counts(db)
    assert main(["--db", str(db), *args]) == 3
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err
    assert _counts(db) == before  # nothing written, not even a change-log row
    return err


@pytest.mark.parametrize("name, text, words", [
    ("gpx.xml", '<?xml version="1.0"?><gpx version="1.1" '
     'xmlns="http://www.topografix.com/GPX/1/1"/>', "not a SMART patrol export"),
    ("old.xml", PATROL.replace("1.4", "1.2").format(category="threat.snare"), "1.4"),
    ("bomb.xml", BOMB, "document type"),
    ("xxe.xml", XXE, "document type"),
    ("broken.xml", PATROL.format(category="threat.snare")[:-20], "not a readable XML"),
    ("unknown.xml", PATROL.format(category="mammals.snow_leopard"), "mammals.snow_leopard"),
])
def test_bad_files_exit_3_and_write_nothing(site, tmp_path: Path, capsys,
                                            name: str, text: str, words: str) -> None:
    _db, out = site
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    good = sorted(out.glob("*.xml"))
    fresh = station(tmp_path / "fresh.db", code="HQ")
    fresh.close()
    # the good files beside the bad one are not imported either: all or nothing
    err = _refused(capsys, tmp_path / "fresh.db", "import-smart", *map(str, good), str(bad))
    assert words in err


def test_a_smart_file_imports_once(site, tmp_path: Path, capsys) -> None:
    _db, _out = site
    fresh = station(tmp_path / "fresh.db", code="HQ")
    fresh.close()
    good = tmp_path / "good.xml"
    good.write_text(PATROL.format(category="threat.snare"), encoding="utf-8")
    assert main(["--db", str(tmp_path / "fresh.db"), "import-smart", str(good)]) == 0
    assert "1 patrols imported" in capsys.readouterr().out
    assert _counts(tmp_path / "fresh.db")["records"]["patrol"] == 1
    # SMART's own file has no uuid of ours: the id derived from its patrol id holds
    before = _counts(tmp_path / "fresh.db")
    assert main(["--db", str(tmp_path / "fresh.db"), "import-smart", str(good)]) == 0
    assert "1 already here" in capsys.readouterr().out
    assert _counts(tmp_path / "fresh.db") == before


def test_truncated_zip_exits_3(site, tmp_path: Path, capsys) -> None:
    _db, out = site
    whole = tmp_path / "patrols.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(out.glob("*.xml")):
            zf.write(f, f.name)
    data = whole.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) * 2 // 3])
    fresh = station(tmp_path / "fresh.db", code="HQ")
    fresh.close()
    err = _refused(capsys, tmp_path / "fresh.db", "import-smart", str(cut))
    assert "ZIP" in err
    # the whole zip imports both patrols
    assert main(["--db", str(tmp_path / "fresh.db"), "import-smart", str(whole)]) == 0
    assert _counts(tmp_path / "fresh.db")["records"]["patrol"] == 2


def test_unmapped_category_refuses_the_export_and_writes_no_file(site, tmp_path: Path,
                                                                 capsys) -> None:
    db, _out = site
    from ranger_app.io.smart.mapping import default_mapping_path

    lines = default_mapping_path().read_text(encoding="utf-8").splitlines()
    mapping = tmp_path / "park.csv"
    mapping.write_text("\n".join(x for x in lines if not x.startswith(("category,SNARE,",
                                                                     "category,CAMP,"))),
                       encoding="utf-8")
    target = tmp_path / "to_smart"
    err = _refused(capsys, db, "export-smart", "--all", str(target), "--mapping", str(mapping))
    assert "category:SNARE" in err and "category:CAMP" in err
    assert not target.exists() or not any(target.iterdir())


def test_the_parser_alone_neither_expands_nor_fetches(tmp_path: Path) -> None:
    """Defence in depth: without the DTD check, the parser still reads no file."""
    from lxml import etree

    from ranger_app.io.smart.importer import _parser

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    doc = (f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<p><comment>&x;</comment></p>')
    root = etree.fromstring(doc.encode(), _parser())
    assert "TOP-SECRET" not in etree.tostring(root).decode()


def test_hq_edits_the_mapping_as_csv(tmp_path: Path, capsys) -> None:
    db = station(tmp_path / "hq.db", code="HQ")
    db.close()
    out = tmp_path / "mapping.csv"
    assert main(["--db", str(tmp_path / "hq.db"), "smart-mapping", "export", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "category,SNARE,threat.snare" in text
    out.write_text(text.replace("category,SNARE,threat.snare", "category,SNARE,threats.wire"),
                   encoding="utf-8")
    assert main(["--db", str(tmp_path / "hq.db"), "smart-mapping", "load", str(out)]) == 0
    assert "1 mapping row changed" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,our_code,smart_key\nspecies,TIGER,tiger\n", encoding="utf-8")
    err = _refused(capsys, tmp_path / "hq.db", "smart-mapping", "load", str(bad))
    assert "line 2" in err
