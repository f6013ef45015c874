"""The `ranger-app` command (design section 8): the window, or a headless sub-command.

Exit codes: 0 done; 2 usage error; 3 bad input (one line on stderr, nothing written);
4 refused by trust or policy. Messages follow `--lang`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ranger_app import __version__, paths
from ranger_app.domain.errors import FileUnreadable, RangerError
from ranger_app.i18n import LANGUAGES, _, ngettext, set_language
from ranger_app.i18n.messages import describe
from ranger_app.io.basemap_commands import add_basemap_commands
from ranger_app.io.export_commands import add_export_commands
from ranger_app.io.layer_commands import add_layer_commands
from ranger_app.settings import Settings
from ranger_app.sync.commands import add_sync_commands

EXIT_OK, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 2, 3, 4


def _open(args: argparse.Namespace, create: bool = False):  # type: ignore[no-untyped-def]
    from ranger_app.store.db import Database

    return Database.open(args.db, create=create)


def _db_location(value: str) -> Path | str:
    """A file path, or a PostgreSQL URL kept as written (a Path would fold its `//`)."""
    from ranger_app.store.db import is_server_url

    return value if is_server_url(value) else Path(value)


def cmd_init(args: argparse.Namespace) -> int:
    from ranger_app.store.setup import StationSetup, init_station

    db = _open(args, create=True)
    inst = init_station(db, StationSetup(
        station_code=args.station or "HQ", station_name=args.name or args.station or "HQ",
        person_name=args.user, language=args.lang or "en", country=args.country, hq=args.hq))
    from ranger_app.sync.identity import ensure_keys

    ensure_keys(db)  # signing key and age identity, made with the database (design §8)
    print(_("Database {path} set up for station {code}; device {device}.").format(
        path=db.display_location, code=args.station or "HQ", device=inst.device))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ranger_app.demo import generate

    db = _open(args, create=True)
    summary = generate(db, scale=args.scale, seed=args.seed,
                       progress=_print_progress if sys.stderr.isatty() else None)
    if db.is_initialised and db.meta("role") == "hq":
        _certify_demo_inspectors(db)
    print(json.dumps(summary, ensure_ascii=False))
    return EXIT_OK


def _certify_demo_inspectors(db: Any) -> None:
    """At HQ the demo's inspectors are HQ's own: certify their keys as HQ's admin would."""
    from ranger_app.sync import certificates
    from ranger_app.sync.identity import ensure_keys

    ensure_keys(db)
    for person, _name, fpr in certificates.uncertified_inspector_keys(db):
        certificates.certify(db, person, key_fpr=fpr)


def _print_progress(done: int, total: int) -> None:
    print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def _local_time(db, text: str | None, name: str):  # type: ignore[no-untyped-def]
    """`--start/--end`: ISO local time at the station (an offset, if given, wins)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ranger_app.domain.errors import InvalidValue
    from ranger_app.store.queries import stations

    if not text:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(name, text) from None
    if t.tzinfo is None:
        own = db.installation().station_uuid
        tz = next((s.tz for s in stations(db) if s.uuid == own), "Asia/Vladivostok")
        t = t.replace(tzinfo=ZoneInfo(tz))
    return t


def cmd_import_gpx(args: argparse.Namespace) -> int:
    from ranger_app.i18n import formats as fmt
    from ranger_app.io.gpx_import import import_gpx_file, max_speed_kmh

    db = _open(args)
    start = _local_time(db, args.start, "--start")
    end = _local_time(db, args.end, "--end")
    r = import_gpx_file(db, Path(args.file), patrol_uuid=args.patrol,
                        transport=args.transport, start_at=start, end_at=end)
    print(_("Patrol {uuid}: {points} points, {km} km").format(
        uuid=r.patrol_uuid, points=r.points, km=f"{r.km:.2f}"))
    print(_("Recorded length {recorded} km; length used for effort {effort} km.").format(
        recorded=f"{r.recorded_km:.2f}", effort=f"{r.km:.2f}"))
    if r.flagged:
        limits = ", ".join(
            f"{fmt.term('transports', t)} ≤ {max_speed_kmh(t) or 0:g} km/h" for t in r.transports)
        print(ngettext("{n} point is faster than the transport allows ({limits}) and is left "
                       "out of the effort length; use --transport if the leg was not on foot.",
                       "{n} points are faster than the transport allows ({limits}) and are "
                       "left out of the effort length; use --transport if the leg was not on "
                       "foot.", r.flagged).format(n=r.flagged, limits=limits))
    if r.route_points:
        print(_("Planned route kept as the plan ({points} points, {km} km), not counted as "
                "effort.").format(points=r.route_points, km=f"{r.route_km:.2f}"))
    if r.clock_unset:
        print(_("The GPS clock was never set (times before 1995 or all at one instant): those "
                "times were not used for the speed check or the patrol's date."))
    if r.skipped:
        print(_("Values outside the GPX standard were skipped, the rest kept: {what}.").format(
            what=", ".join(f"<{k}> × {n}" for k, n in sorted(r.skipped.items()))))
    return EXIT_OK


def cmd_export_gpx(args: argparse.Namespace) -> int:
    from ranger_app.io.gpx import write_gpx
    from ranger_app.store.patrols import load_patrol

    db = _open(args)
    patrol = load_patrol(db, args.patrol_uuid)
    out = Path(args.out)
    tmp = out.with_name(out.name + ".part")
    from ranger_app.store.queries import people

    names = {p.uuid: p.name for p in people(db)}
    tmp.write_bytes(write_gpx(patrol, lang=args.lang or "en", names=names))
    tmp.replace(out)
    print(_("Wrote {path}").format(path=out))
    return EXIT_OK


def cmd_export_camtrapdp(args: argparse.Namespace) -> int:
    from ranger_app.io.camtrapdp import run_export_camtrapdp

    summary = run_export_camtrapdp(_open(args), Path(args.outdir))
    print(json.dumps(summary, ensure_ascii=False))
    return EXIT_OK


def cmd_import_firms(args: argparse.Namespace) -> int:
    from ranger_app.io.firms import import_firms

    r = import_firms(_open(args), Path(args.file))
    print(_("{rows} {instrument} hotspots, {added} new, {matched} matched to fire reports, "
            "{unmatched} to check, {known} already known.").format(
        rows=r.rows, instrument=r.instrument, added=r.added, matched=r.matched,
        unmatched=len(r.unmatched), known=r.already_known))
    return EXIT_OK


def cmd_export_smart(args: argparse.Namespace) -> int:
    from ranger_app.io.smart.export import export_smart

    if bool(args.all) == bool(args.patrol_uuid):
        print(_("Give one patrol id or --all."), file=sys.stderr)
        return EXIT_USAGE
    r = export_smart(_open(args), None if args.all else [args.patrol_uuid], Path(args.outdir),
                     mapping_csv=Path(args.mapping) if args.mapping else None,
                     language=args.lang or "en")
    print(ngettext("Wrote {n} SMART patrol file ({observations} observations, {points} track "
                   "points) to {path}",
                   "Wrote {n} SMART patrol files ({observations} observations, {points} track "
                   "points) to {path}", r.patrols).format(
        n=r.patrols, observations=r.observations, points=r.track_points, path=args.outdir))
    return EXIT_OK


def cmd_import_smart(args: argparse.Namespace) -> int:
    from ranger_app.io.smart.importer import import_smart

    r = import_smart(_open(args), [Path(f) for f in args.files],
                     mapping_csv=Path(args.mapping) if args.mapping else None)
    print(_("{documents} SMART documents: {new} patrols imported, {present} already here; "
            "{people} people added.").format(documents=r.documents, new=len(r.imported),
                                             present=len(r.already_present),
                                             people=r.people_added))
    return EXIT_OK


def cmd_smart_mapping(args: argparse.Namespace) -> int:
    from ranger_app.io.smart.mapping import export_mapping_csv, load_mapping_csv

    db = _open(args)
    if args.mapping_command == "export":
        n = export_mapping_csv(db, Path(args.out))
        print(ngettext("Wrote {n} mapping row to {path}", "Wrote {n} mapping rows to {path}",
                       n).format(n=n, path=args.out))
    else:
        n = load_mapping_csv(db, Path(args.file))
        print(ngettext("{n} mapping row changed; it reaches the stations with the next "
                       "bundle.", "{n} mapping rows changed; they reach the stations with the "
                       "next bundle.", n).format(n=n))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from ranger_app.store.queries import record_counts

    db = _open(args)
    counts = record_counts(db)
    if args.json:
        print(json.dumps(counts, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        for name, n in sorted(counts["records"].items()):
            print(f"{name:20} {n}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from ranger_app.store.audit import verify

    db = _open(args)
    report = verify(db)
    if report.ok:
        print(_("All {chains} chains verify: {changes} changes, {rows} records.").format(
            chains=report.chains, changes=report.changes, rows=report.rows))
        if report.unsigned_approvals:
            n = report.unsigned_approvals
            print(ngettext("{n} approval was made before approvals were signed.",
                           "{n} approvals were made before approvals were signed.",
                           n).format(n=n))
        return _audit_trust(db)
    b = report.first_break
    assert b is not None
    print(_("Audit break ({kind}) at device {device}, epoch {epoch}, change {seq}: "
            "{entity} {uuid}").format(kind=b.kind, device=b.device, epoch=b.epoch, seq=b.seq,
                                      entity=b.entity, uuid=b.entity_uuid), file=sys.stderr)
    return EXIT_BAD_INPUT


def _audit_trust(db: Any) -> int:
    """After the chains: anchored heads and approval keys (issue 13.2, 13.3)."""
    from ranger_app.sync import anchors
    from ranger_app.sync.approvals_check import audit_keys
    from ranger_app.sync.identity import ensure_keys, load_keys

    ensure_keys(db)
    brk = anchors.verify(db)
    if brk is not None:
        if brk.forged:
            print(_("Audit break (anchor) at device {device}, epoch {epoch}: the head of "
                    "change {seq} kept here is not signed by that device.").format(
                device=brk.device, epoch=brk.epoch, seq=brk.seq), file=sys.stderr)
            return EXIT_BAD_INPUT
        named = ", ".join(f"{e} {u}" for e, u in brk.records)
        if brk.more:
            named += " " + ngettext("and {n} more", "and {n} more", brk.more).format(n=brk.more)
        print(_("Audit break (anchor) at device {device}, epoch {epoch}: the change log no "
                "longer leads to change {seq} as HQ acknowledged it; changes {after}–{seq} "
                "were rewritten. Records of that stretch: {records}").format(
            device=brk.device, epoch=brk.epoch, seq=brk.seq, after=brk.after + 1,
            records=named), file=sys.stderr)
        return EXIT_BAD_INPUT
    code = EXIT_OK
    for f in audit_keys(db, load_keys(db)):
        if f.status == "uncertified":
            print(_("The approval of patrol {patrol} by {person} is signed with the key {fpr}, "
                    "which HQ has not certified (yet).").format(
                patrol=f.patrol_number, person=f.person_name, fpr=f.key_fpr))
            continue
        print(_("Audit break (approval key) of patrol {patrol}: the approval by {person} is "
                "signed with the key {fpr}, whose certificate is revoked or belongs to someone "
                "else.").format(patrol=f.patrol_number, person=f.person_name, fpr=f.key_fpr),
              file=sys.stderr)
        code = EXIT_BAD_INPUT
    return code


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ranger-app", description=_("Ranger Field Log"))
    p.add_argument("--version", action="version", version=__version__)
    p.add_argument("--db", type=_db_location, default=None,
                   help=_("database file, or postgresql://user:password@host/database"))
    p.add_argument("--lang", choices=sorted(LANGUAGES), default=None, help=_("language"))
    p.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("init", help=_("set up a new database for a station"))
    c.add_argument("--station", help=_("station code"))
    c.add_argument("--name", help=_("station name"))
    c.add_argument("--user", default="Administrator", help=_("your name"))
    c.add_argument("--country", choices=["RU", "CN"], default="RU")
    c.add_argument("--hq", action="store_true", help=_("headquarters installation"))
    c.set_defaults(func=cmd_init)

    c = sub.add_parser("demo", help=_("fill the database with demo data"))
    c.add_argument("--scale", choices=["small", "season", "large"], default="season")
    c.add_argument("--seed", type=int, default=1)
    c.set_defaults(func=cmd_demo)

    c = sub.add_parser("import-gpx", help=_("add a GPS track"))
    c.add_argument("file")
    c.add_argument("--patrol", help=_("patrol id (a new draft patrol without it)"))
    c.add_argument("--transport", help=_("the leg's transport code (FOOT, BICYCLE, VEHICLE…)"))
    c.add_argument("--start", help=_("the patrol's start, local time (for a file without "
                                     "times), e.g. 2024-05-01T08:00"))
    c.add_argument("--end", help=_("the patrol's end, local time"))
    c.set_defaults(func=cmd_import_gpx)

    c = sub.add_parser("export-gpx", help=_("write a patrol as GPX 1.1"))
    c.add_argument("patrol_uuid")
    c.add_argument("out")
    c.set_defaults(func=cmd_export_gpx)

    c = sub.add_parser("export-camtrapdp", help=_("camera-trap data as a Camtrap DP 1.0.2 package"))
    c.add_argument("outdir")
    c.set_defaults(func=cmd_export_camtrapdp)

    c = sub.add_parser("import-firms", help=_("add NASA FIRMS hotspots (MODIS or VIIRS CSV)"))
    c.add_argument("file")
    c.set_defaults(func=cmd_import_firms)

    c = sub.add_parser("export-smart", help=_("patrols as SMART 1.4 patrol XML files"))
    c.add_argument("patrol_uuid", nargs="?")
    c.add_argument("--all", action="store_true", help=_("every patrol"))
    c.add_argument("outdir")
    c.add_argument("--mapping", help=_("mapping CSV instead of the shipped default"))
    c.set_defaults(func=cmd_export_smart)

    c = sub.add_parser("import-smart", help=_("add patrols from SMART patrol XML (or a zip)"))
    c.add_argument("files", nargs="+")
    c.add_argument("--mapping", help=_("mapping CSV instead of the shipped default"))
    c.set_defaults(func=cmd_import_smart)

    c = sub.add_parser("smart-mapping", help=_("the park's mapping of our codes to SMART keys"))
    mapping_sub = c.add_subparsers(dest="mapping_command", required=True, metavar="ACTION")
    m = mapping_sub.add_parser("export", help=_("write the mapping in force as CSV"))
    m.add_argument("out")
    m.set_defaults(func=cmd_smart_mapping)
    m = mapping_sub.add_parser("load", help=_("store an edited mapping CSV (synced)"))
    m.add_argument("file")
    m.set_defaults(func=cmd_smart_mapping)

    c = sub.add_parser("stats", help=_("counts per record type"))
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_stats)

    c = sub.add_parser("audit", help=_("verify the change log"))
    audit_sub = c.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    v = audit_sub.add_parser("verify", help=_("walk every chain; name the first break"))
    v.set_defaults(func=cmd_audit)
    add_sync_commands(sub)
    add_export_commands(sub)
    add_basemap_commands(sub)
    add_layer_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = Settings.load()
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang", choices=sorted(LANGUAGES), default=None)
    known, _rest = pre.parse_known_args(argv)
    set_language(known.lang or settings.language or "en")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_gui(args, settings)
    if args.db is None:
        args.db = Path(settings.database) if settings.database else paths.default_database()
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except RangerError as err:
        print(describe(err), file=sys.stderr)
        return err.exit_code
    except OSError as err:  # a missing file, a pulled USB stick, a full disk
        unreadable = FileUnreadable(str(err.filename or ""), err.strerror or str(err))
        print(describe(unreadable), file=sys.stderr)
        return unreadable.exit_code


def _run_gui(args: argparse.Namespace, settings: Settings) -> int:
    from ranger_app.ui.app import run

    return run(db_path=args.db, lang=args.lang, settings=settings, self_test=args.self_test)


if __name__ == "__main__":
    sys.exit(main())
