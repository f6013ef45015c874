"""`ranger-app --self-test`: prove that a (frozen) build has everything it needs, then exit.

Run by `packaging/smoke_test.py` against the PyInstaller folder, where the usual pitfalls are
a missing Qt platform plugin, `qtbase_*.qm` not bundled, Babel locale data or tzdata left
out, gettext catalogs not in a real directory, Alembic scripts not shipped. Every check works
in a temporary folder (never the user's data), prints one line, and the whole run exits 0
when all pass, 1 when any failed (the failed lines say what was missing).

`RANGER_SCREENSHOT=out.png ranger-app --db DB --lang LANG --self-test` instead starts the
window exactly as a ranger would (`ranger_app.ui.app.run`), saves a picture of it after two
seconds and quits: how the frozen build's screenshots are taken.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from ranger_app import __version__, paths
from ranger_app.i18n import LANGUAGES, _, babel_locale
from ranger_app.i18n.qt import apply_language, qt_translation_loaded

_real_user_data_dir = paths.user_data_dir
SCREENSHOT_ENV = "RANGER_SCREENSHOT"
SCREENSHOT_DELAY_MS = 2000
REPORT_NAME = "ranger-app-selftest.txt"  # written when there is no stdout (Windows GUI exe)
TOFU = "\uffff\ufffe"  # non-characters: every font draws them as boxes

# Each language: a message that must be translated, a date in Babel's long format, and
# Babel's decimal separator.
EXPECTED_DATE = {"ru": "14 марта 2025", "zh": "2025年3月14日", "en": "14 March 2025"}
EXPECTED_DECIMAL = {"ru": "1 234,5", "zh": "1,234.5", "en": "1,234.5"}

TINY_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="ranger-app self-test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="43.1052" lon="131.5420"><time>2025-03-14T01:02:30Z</time><name>T1</name></wpt>
  <trk><name>self-test</name><trkseg>
{points}
  </trkseg></trk>
</gpx>
"""


class Skipped(Exception):
    """A check that cannot run here; reported, not failed."""


class SelfTest:
    def __init__(self, folder: Path, data_dir: Path) -> None:
        self.folder = folder
        self.data_dir = data_dir  # the user's real data folder: reported, never written
        self.lines: list[str] = []
        self.failed: list[str] = []
        self.skipped: list[str] = []
        self.db = None  # type: ignore[var-annotated]
        self.patrol_uuid = ""

    def say(self, line: str) -> None:
        self.lines.append(line)
        if sys.stdout is not None:
            try:
                print(line, flush=True)
            except UnicodeEncodeError:  # a pipe in a legacy code page (Windows cp1251)
                print(line.encode("ascii", "backslashreplace").decode("ascii"), flush=True)

    def check(self, name: str, func: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            detail = func()
        except Skipped as why:
            self.skipped.append(name)
            self.say(f"skip  {name}: skipped ({why})")
            return
        except Exception as err:  # a self-test reports every failure and goes on
            self.failed.append(name)
            self.say(f"FAIL  {name}: {type(err).__name__}: {err}")
            return
        self.say(f"ok    {name}: {detail} [{time.perf_counter() - started:.1f} s]")

    # --- the checks -----------------------------------------------------------------------

    def build(self) -> str:
        frozen = getattr(sys, "frozen", False)
        return (f"ranger-app {__version__}, Python {sys.version.split()[0]}, "
                f"{'frozen' if frozen else 'not frozen'}, package root {paths.package_root()}, "
                f"data {self.data_dir}")

    def resources(self) -> str:
        from ranger_app.domain.vocab import all_vocabularies

        vocabs = all_vocabularies()
        need(len(vocabs) >= 10, f"only {len(vocabs)} vocabularies in {paths.resources_dir()}")
        species = vocabs["predator_species"]
        need(all(t.labels.get("ru") and t.labels.get("zh") for t in species),
             "predator_species has terms without ru/zh labels")
        missing = [c for c in ("ru", "zh") if not _catalog(c).is_file()]
        need(not missing, f"no gettext catalog for {missing} in {paths.translations_dir()}")
        return f"{len(vocabs)} vocabularies, catalogs for ru and zh"

    def qt(self) -> str:
        app = QApplication.instance()
        need(isinstance(app, QApplication), "no QApplication")
        folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
        missing = [f"qtbase_{lang.qt}.qm" for code, lang in LANGUAGES.items()
                   if code != "en" and not (folder / f"qtbase_{lang.qt}.qm").is_file()]
        need(not missing, f"{missing} not in Qt's translations folder {folder}")
        return f"platform {QGuiApplication.platformName()}, Qt translations in {folder}"

    def font(self) -> str:
        families = [f for f in QFontDatabase.families() if f.startswith("Noto Sans SC")]
        need(families, f"no CJK font registered from {paths.resources_dir() / 'fonts'} "
                       "(Chinese would show as boxes on a laptop without a Chinese font)")
        need(_render("巡护") != _render(TOFU), "Chinese renders as boxes")
        need(_render("巡") != _render("护"), "two different hanzi render alike (boxes)")
        return f"{families[0]} registered; Chinese renders as text, not boxes"

    def database(self) -> str:
        from ranger_app.store.db import Database, current_revision, head_revision
        from ranger_app.store.setup import StationSetup, init_station

        path = self.folder / "selftest.db"
        db = Database.open(path, create=True)
        self.db = db
        head = head_revision()
        found = current_revision(db.engine)
        need(head and found == head, f"migrated to {found!r}, head is {head!r}")
        init_station(db, StationSetup("TST", "Self-test", "Self Test", "en"))
        check = db.integrity_check()
        need(check == "ok", f"integrity_check says {check!r}")
        return f"new database migrated to {head}, station set up, integrity ok"

    def language(self, code: str) -> Callable[[], str]:
        def run() -> str:
            from babel.dates import format_date

            from ranger_app.i18n.formats import datetime_short, number

            apply_language(code)
            patrols = _("Patrols")
            if code == "en":
                need(patrols == "Patrols", f"English shows {patrols!r}")
                need(not qt_translation_loaded(), "a Qt translator is loaded for English")
            else:
                need(patrols != "Patrols",
                     f"gettext catalog not loaded from {_catalog(code)}")
                need(qt_translation_loaded(), f"qtbase_{LANGUAGES[code].qt}.qm did not load")
            when = format_date(date(2025, 3, 14), "long", locale=babel_locale())
            need(EXPECTED_DATE[code] in when, f"Babel date {when!r}")
            decimal = number(1234.5).replace("\u00a0", " ").replace("\u202f", " ")
            need(decimal == EXPECTED_DECIMAL[code], f"Babel number {decimal!r}")
            local = datetime_short(datetime(2025, 3, 14, 2, 0, tzinfo=UTC), "Asia/Vladivostok")
            need("12" in local, f"02:00 UTC in Vladivostok shows as {local!r}")
            qt = "Qt translation loaded" if qt_translation_loaded() else "no Qt translation"
            return f"{patrols!r}, {qt}, {when!r}, {local!r}"
        return run

    def timezones(self) -> str:
        from zoneinfo import ZoneInfo

        for name in ("Asia/Vladivostok", "Asia/Shanghai", "UTC"):
            ZoneInfo(name)
        spec = importlib.util.find_spec("tzdata")
        need(spec is not None, "tzdata is not bundled (Windows has no zone database)")
        need((resources.files("tzdata.zoneinfo") / "Asia" / "Vladivostok").is_file(),
             "tzdata has no Asia/Vladivostok")
        return "Asia/Vladivostok, Asia/Shanghai from tzdata"

    def gpx(self) -> str:
        from ranger_app.io.gpx_import import import_gpx_file
        from ranger_app.store.patrols import load_patrol

        need(self.db is not None, "no database")
        points = "\n".join(
            f'    <trkpt lat="{43.1000 + i * 0.0012:.4f}" lon="{131.5400 + i * 0.0010:.4f}">'
            f"<ele>{120 + i}</ele><time>2025-03-14T01:{i:02d}:00Z</time></trkpt>"
            for i in range(6))
        path = self.folder / "tiny.gpx"
        path.write_text(TINY_GPX.format(points=points), encoding="utf-8")
        result = import_gpx_file(self.db, path)
        need(result.points == 6 and result.waypoints == 1,
             f"{result.points} points, {result.waypoints} waypoints (expected 6 and 1)")
        need(0.5 < result.km < 1.5, f"{result.km:.3f} km")
        patrol = load_patrol(self.db, result.patrol_uuid)
        need(len(patrol.tracks) == 1, f"the patrol has {len(patrol.tracks)} tracks")
        need(self.db.media.has(patrol.tracks[0].source_sha256 or ""), "original not kept")
        self.patrol_uuid = result.patrol_uuid
        return f"{result.points} points, {result.km:.2f} km, 1 waypoint, original kept"

    def smart(self) -> str:
        """lxml and the default SMART mapping are in the build: the imported patrol goes
        out as SMART XML and back in (already there: nothing added)."""
        from ranger_app.io.smart.export import export_smart
        from ranger_app.io.smart.importer import import_smart

        need(self.db is not None and bool(self.patrol_uuid),
             "no patrol from the GPX check")
        out = export_smart(self.db, [self.patrol_uuid], self.folder / "smart")
        back = import_smart(self.db, list(out.files))
        need(back.already_present == (self.patrol_uuid,) and not back.imported,
             f"read back as {back}")
        return f"{out.track_points} track points out and read back"

    def map_layers(self) -> str:
        """pyproj and its proj.db, shapely and pyshp are in the build: a Gauss-Krüger
        shapefile quarter is read, reprojected and found by its position."""
        import shapefile

        from ranger_app.domain.layers import LayerIndex, MapLayer, default_style
        from ranger_app.io.layers.readers import read_layer

        base = self.folder / "kv"
        with shapefile.Writer(str(base), shapeType=shapefile.POLYGON) as w:
            w.field("KV", "N", 6, 0)
            x, y = 22_703_000.0, 4_777_000.0  # Pulkovo 1942 / Gauss-Krüger zone 22
            w.poly([[(x, y), (x, y + 1000), (x + 1000, y + 1000), (x + 1000, y), (x, y)]])
            w.record(7)
        base.with_suffix(".prj").write_text(_PULKOVO_22_PRJ, encoding="ascii")
        read = read_layer(base.with_suffix(".shp"))
        need(read.source_crs == "EPSG:28422", f"coordinate system {read.source_crs}")
        lon, lat = read.features[0].geometry.centroid.coords[0]
        need(abs(lon - 131.5009) < 0.001 and abs(lat - 43.1053) < 0.001,
             f"reprojected to {lon:.4f}, {lat:.4f}")
        index = LayerIndex([MapLayer("t", "kv", "forest_quarter",
                                     default_style("forest_quarter"), read.features)])
        hit = index.quarter_at(lat, lon)
        need(hit is not None and hit.quarter == "7", f"quarter lookup gave {hit}")
        return f"EPSG:28422 → {lon:.4f}, {lat:.4f}, quarter 7 found"

    def main_window(self) -> str:
        from ranger_app.settings import Settings
        from ranger_app.ui.main_window import MainWindow

        need(self.db is not None, "no database")
        window = MainWindow(self.db, Settings())  # a Settings never saved: nothing written
        try:
            window.show()
            _settle()
            for index in range(window.workspaces.count()):  # builds each workspace
                window.workspaces.setCurrentIndex(index)
                _settle()
            window.workspaces.setCurrentIndex(0)
            seen = []
            for code in ("ru", "zh", "en"):
                apply_language(code)
                _settle()
                title, tab = window.windowTitle(), window.workspaces.tabText(0)
                need(title == _("Ranger Field Log") and tab == _("Patrols"),
                     f"{code}: title {title!r}, first tab {tab!r}")
                seen.append(tab)
            window.patrols.refresh()
            rows = window.patrols.model.rowCount()
            need(rows == 1, f"the patrol list shows {rows} patrols, expected the imported one")
            need(window.isVisible(), "the window is not visible")
        finally:
            window.close()
            window.deleteLater()
            _settle()
        return (f"shown, {window.workspaces.count()} workspaces built, tabs {' / '.join(seen)}, "
                "imported patrol listed")

    def bundle(self) -> str:
        """A bundle written by one database and read by another, through the CLI contract."""
        if importlib.util.find_spec("ranger_app.sync") is None:
            raise Skipped("sync not available")
        probe = _cli(["export-bundle", "--help"])
        if probe.returncode != 0:
            raise Skipped("ranger_app.sync exists but the CLI has no export-bundle yet")
        st, hq = self.folder / "station.db", self.folder / "hq.db"
        out = self.folder / "bundles"
        out.mkdir()
        _cli_ok(["--db", str(st), "init", "--station", "KED", "--name", "Kedrovaya"])
        _cli_ok(["--db", str(hq), "init", "--station", "HQ", "--name", "HQ", "--hq"])
        _cli_ok(["--db", str(st), "keys", "export", str(self.folder / "st.keys")])
        _cli_ok(["--db", str(hq), "keys", "export", str(self.folder / "hq.keys")])
        _cli_ok(["--db", str(st), "keys", "trust", str(self.folder / "hq.keys")])
        _cli_ok(["--db", str(hq), "keys", "trust", str(self.folder / "st.keys")])
        _cli_ok(["--db", str(st), "import-gpx", str(self.folder / "tiny.gpx")])
        _cli_ok(["--db", str(st), "export-bundle", "--to", "HQ", "--out", str(out)])
        bundles = sorted(out.glob("*.rangerbundle"))
        need(len(bundles) == 1, f"{len(bundles)} bundles in {out}")
        _cli_ok(["--db", str(hq), "import-bundle", str(bundles[0])])
        stats = json.loads(_cli_ok(["--db", str(hq), "stats", "--json"]))
        patrols = stats["records"].get("patrol", 0)
        need(patrols >= 1, f"HQ has {patrols} patrols after the import")
        return f"{bundles[0].name} ({bundles[0].stat().st_size} bytes) read by HQ"

    def pillow(self) -> str:
        from PIL import Image

        path = self.folder / "thumb.jpg"  # as ranger_app.io.photos makes thumbnails
        Image.new("RGB", (64, 48), (200, 120, 40)).save(path, "JPEG")
        with Image.open(path) as img:
            img.load()
            need(img.size == (64, 48), f"Pillow read the JPEG as {img.size}")
        shown = QPixmap(str(path))  # as the editors show them: Qt's jpeg plugin
        need(not shown.isNull(), "Qt cannot read a JPEG (imageformats/qjpeg missing)")
        return "JPEG thumbnail written by Pillow, read by Pillow and Qt"

    def crypto(self) -> str:
        """The native libraries sync's keys and bundles need (cryptography, pyrage)."""
        import secrets

        import pyrage
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        signing = Ed25519PrivateKey.generate()
        signing.public_key().verify(signing.sign(b"manifest"), b"manifest")
        key, nonce = AESGCM.generate_key(bit_length=256), secrets.token_bytes(12)
        need(AESGCM(key).decrypt(nonce, AESGCM(key).encrypt(nonce, b"kek", None), None)
             == b"kek", "AES-GCM round trip")
        identity = pyrage.x25519.Identity.generate()
        sealed = pyrage.encrypt(b"bundle", [identity.to_public()])
        need(pyrage.decrypt(sealed, [identity]) == b"bundle", "age round trip")
        return "Ed25519 signature, AES-GCM and age (pyrage) round trips"

    # --- the run --------------------------------------------------------------------------

    def run(self) -> int:
        started = time.perf_counter()
        self.check("build", self.build)
        self.check("resources", self.resources)
        self.check("qt", self.qt)
        self.check("cjk font", self.font)
        self.check("timezones", self.timezones)
        self.check("database", self.database)
        for code in ("ru", "zh", "en"):
            self.check(f"language {code}", self.language(code))
        self.check("gpx import", self.gpx)
        self.check("smart xml", self.smart)
        self.check("map layers", self.map_layers)
        self.check("main window", self.main_window)
        self.check("photos", self.pillow)
        self.check("crypto", self.crypto)
        self.check("bundle", self.bundle)
        if self.db is not None:
            self.db.close()
        took = time.perf_counter() - started
        if self.failed:
            self.say(f"self-test: FAILED ({', '.join(self.failed)}) in {took:.1f} s")
            return 1
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        self.say(f"self-test: passed ({len(self.lines) - len(self.skipped)} checks"
                 f"{skipped}) in {took:.1f} s")
        return 0


# The .prj a Russian forestry shapefile carries (ESRI WKT1); pyproj finds EPSG:28422 in it.
_PULKOVO_22_PRJ = (
    'PROJCS["Pulkovo_1942_GK_Zone_22",GEOGCS["GCS_Pulkovo_1942",DATUM["D_Pulkovo_1942'
    '",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degr'
    'ee",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",22'
    '500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",129.0],PA'
    'RAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0'
    ']]'
)


def need(condition: object, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _catalog(code: str) -> Path:
    return (paths.translations_dir() / LANGUAGES[code].gettext / "LC_MESSAGES"
            / "ranger_app.mo")


def _settle() -> None:
    for _i in range(3):
        QCoreApplication.processEvents()


def _render(text: str) -> QImage:
    label = QLabel(text)
    label.setFont(QFont())  # the application font: CJK only through the fallback
    label.adjustSize()
    image = label.grab().toImage()
    label.deleteLater()
    return image


def _cli_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "ranger_app"]


def _cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process whose user data folder is the temporary one (except in
    portable mode, where it is `data/` beside the executable by design)."""
    home = str(paths.user_data_dir().parent / "home")
    env = dict(os.environ, HOME=home, USERPROFILE=home, XDG_DATA_HOME=home, APPDATA=home,
               LOCALAPPDATA=home, XDG_CONFIG_HOME=home)
    return subprocess.run([*_cli_command(), *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False, env=env)


def _cli_ok(args: list[str]) -> str:
    done = _cli(args)
    if done.returncode != 0:
        raise AssertionError(f"`ranger-app {' '.join(args)}` exited {done.returncode}: "
                             f"{done.stderr.strip()[-300:]}")
    return done.stdout


# --- screenshots of the real start-up -----------------------------------------------------

def _screenshot(out: Path, db_path: Path | None, lang: str | None) -> int:
    from ranger_app.ui.app import application, run
    from ranger_app.ui.main_window import MainWindow

    app = application()

    def grab() -> None:
        windows = [w for w in app.topLevelWidgets() if w.isVisible()]
        target: QWidget | None = next((w for w in windows if isinstance(w, MainWindow)),
                                      app.activeWindow() or (windows[0] if windows else None))
        if target is None:
            print("screenshot: no window is shown", file=sys.stderr)
            app.exit(1)
            return
        frame = target.frameGeometry()
        picture = target.screen().grabWindow(0, frame.x(), frame.y(), frame.width(),
                                             frame.height())
        if picture.isNull() or QGuiApplication.platformName() != "xcb":
            picture = target.grab()
        out.parent.mkdir(parents=True, exist_ok=True)
        saved = picture.save(str(out))
        print(f"screenshot: {out} ({picture.width()}x{picture.height()}, "
              f"{type(target).__name__}, {QGuiApplication.platformName()})")
        app.exit(0 if saved else 1)

    QTimer.singleShot(SCREENSHOT_DELAY_MS, grab)
    return run(db_path=db_path, lang=lang)


def run_self_test(db_path: Path | None = None, lang: str | None = None) -> int:
    shot = os.environ.get(SCREENSHOT_ENV)
    if shot:
        return _screenshot(Path(shot), db_path, lang)
    from ranger_app.ui.app import application

    application()  # as the app starts: registers the shipped fonts
    real_data_dir = paths.user_data_dir()
    with tempfile.TemporaryDirectory(prefix="ranger-selftest-",
                                     ignore_cleanup_errors=True) as folder:
        # Keys, settings and logs the checks may write go to the temporary folder too.
        paths.user_data_dir = lambda: Path(folder) / "userdata"  # type: ignore[assignment]
        try:
            test = SelfTest(Path(folder), real_data_dir)
            code = test.run()
        finally:
            paths.user_data_dir = _real_user_data_dir  # type: ignore[assignment]
    if sys.stdout is None:  # a windowed Windows executable: leave the report in a file
        report = Path(tempfile.gettempdir()) / REPORT_NAME
        report.write_text("\n".join(test.lines) + "\n", encoding="utf-8")
    return code
