"""The sync sub-commands of `ranger-app` (design section 8 is their contract).

`keys show|export OUT|trust FILE|revoke FPR`, `export-bundle --to PEER --out DIR
[--snapshot]`, `import-bundle FILE [--dry-run]`, `conflicts [--json]`. Errors are typed
(`sync.errors`); the CLI's main loop prints their translated sentence and exits 3 (bad
input) or 4 (refused by trust or policy).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ranger_app.i18n import _

if TYPE_CHECKING:  # the heavy modules load when a command runs, not at every start-up
    from ranger_app.store.db import Database
    from ranger_app.sync.importer import ImportReport

EXIT_OK = 0


def _db(args: argparse.Namespace) -> Database:
    from ranger_app.store.db import Database

    return Database.open(args.db)


def cmd_keys_show(args: argparse.Namespace) -> int:
    from ranger_app.sync import trust
    from ranger_app.sync.identity import ensure_keys

    db = _db(args)
    public = ensure_keys(db)
    inst = db.installation()
    here = trust.local_station(db)
    print(_("Station {code} ({name}), {role}; device {device}, epoch {epoch}").format(
        code=here.code, name=here.name, role=here.role, device=inst.device, epoch=inst.epoch))
    print(_("Fingerprint: {fpr}").format(fpr=public.fingerprint))
    print(_("Encryption key: {recipient}").format(recipient=public.age_recipient))
    known = trust.peers(db)
    if not known:
        print(_("No peers trusted yet."))
    for p in known:
        print(f"  {p.fingerprint}  {p.station_code or '-':8} {p.role:8} {p.status:12} "
              f"{p.station_name}")
    return EXIT_OK


def cmd_keys_export(args: argparse.Namespace) -> int:
    from ranger_app.sync import trust
    from ranger_app.sync.identity import ensure_keys

    db = _db(args)
    out = trust.export_key_file(db, Path(args.out))
    print(_("Wrote the public keys of this installation to {path}; fingerprint {fpr}.").format(
        path=out, fpr=ensure_keys(db).fingerprint))
    return EXIT_OK


def cmd_keys_trust(args: argparse.Namespace) -> int:
    from ranger_app.sync import trust
    from ranger_app.sync.importer import retry_waiting

    db = _db(args)
    peer = trust.trust_key_file(db, Path(args.file))
    print(_("Trusted {code} ({role}) with fingerprint {fpr}. It must match the fingerprint "
            "shown by “keys show” on that computer.").format(
        code=peer.station_code or "-", role=peer.role, fpr=peer.fingerprint))
    for path in retry_waiting(db):
        print(_("Imported the waiting bundle {path}.").format(path=path))
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from ranger_app.sync import trust
    from ranger_app.sync.identity import normalise_fingerprint

    db = _db(args)
    peer = trust.revoke(db, normalise_fingerprint(args.fpr))
    print(_("Revoked {fpr} ({code}); its bundles will be refused.").format(
        fpr=peer.fingerprint, code=peer.station_code or "-"))
    return EXIT_OK


def cmd_export_bundle(args: argparse.Namespace) -> int:
    from ranger_app.sync.writer import export_bundle

    db = _db(args)
    result = export_bundle(db, args.to, Path(args.out), snapshot=args.snapshot)
    print(result.path)
    print(_("{kind} bundle for {peer}: {changes} changes, {blobs} files ({mb} MB), "
            "{size} MB in all.").format(
        kind=result.kind, peer=result.peer, changes=result.changes, blobs=result.blobs,
        mb=f"{result.blob_bytes / 1e6:.1f}", size=f"{result.size / 1e6:.1f}"))
    return EXIT_OK


def describe_report(r: ImportReport) -> str:
    if r.status == "already":
        return _("{path} was already imported; nothing changed.").format(path=r.path)
    if r.status == "pending":
        missing = ", ".join(f"{d[:8]}…/{e}/{s}" for d, e, s in r.missing)
        return _("{path} waits for earlier bundles (missing changes up to {missing}); it "
                 "will be applied when they arrive.").format(path=r.path, missing=missing)
    if r.partner_records:
        line = _("{n} partner records from {source}.").format(n=r.partner_records,
                                                              source=r.source)
    else:
        line = _("{new} new changes ({known} already here): {records} new records, "
                 "{updated} updated, {conflicts} new conflicts, {blobs} files.").format(
            new=r.changes_new, known=r.changes_known, records=r.records_new,
            updated=r.records_updated, conflicts=r.conflicts, blobs=r.blobs)
    if r.status == "dry-run":
        return _("Dry run, nothing was written. {path} would give: {summary}").format(
            path=r.path, summary=line)
    return _("Imported {path} from {source}: {summary}").format(
        path=r.path, source=r.source or "?", summary=line)


def cmd_import_bundle(args: argparse.Namespace) -> int:
    from ranger_app.sync.importer import import_bundle

    db = _db(args)
    report = import_bundle(db, Path(args.file), dry_run=args.dry_run)
    print(describe_report(report))
    for path in report.also_applied:
        print(_("Imported the waiting bundle {path}.").format(path=path))
    _print_held(report)
    return EXIT_OK


def _print_held(report: ImportReport) -> None:
    """Approvals kept back (stderr: scripts see them) and those applied at last."""
    import sys

    from ranger_app.sync.approvals_check import describe_held

    for number in report.released:
        print(_("The held approval of patrol {patrol} is now applied.").format(patrol=number))
    for h in report.held:
        print(describe_held(h, report.at_hq), file=sys.stderr)


def _when(text: str) -> Any:
    """An ISO date or date and time (UTC unless it says otherwise), for argparse."""
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date and time: {text}").format(
            text=text)) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_keys_certify(args: argparse.Namespace) -> int:
    from ranger_app.sync import certificates
    from ranger_app.sync.approvals_check import recheck
    from ranger_app.sync.identity import load_keys
    from ranger_app.sync.importer import refold_records

    db = _db(args)
    cert = certificates.certify(db, args.person, args.role, args.key or "",
                                args.valid_from, args.valid_to)
    print(_("Certified the key {fpr} of {name} as {role} (certificate {id}). Every bundle "
            "from here now carries it.").format(fpr=cert.key_fpr, name=cert.name or cert.person,
                                                role=args.role, id=cert.cert_id))
    keys = load_keys(db)
    with db.writer() as s:
        refold, released = recheck(s, keys)
        refold_records(s, db, refold)
    for number in released:
        print(_("The held approval of patrol {patrol} is now applied.").format(patrol=number))
    return EXIT_OK


def cmd_keys_revoke_certificate(args: argparse.Namespace) -> int:
    from ranger_app.sync import certificates

    db = _db(args)
    cert = certificates.revoke(db, args.cert_id, args.at)
    print(_("Revoked certificate {id} of {name} (key {fpr}): approvals signed with it from "
            "{at} on are refused everywhere its next bundles reach.").format(
        id=cert.cert_id, name=cert.name or cert.person, fpr=cert.key_fpr,
        at=cert.revoked_at.isoformat() if cert.revoked_at else "?"))
    return EXIT_OK


def cmd_keys_certificates(args: argparse.Namespace) -> int:
    from ranger_app.sync import certificates
    from ranger_app.sync.approvals_check import describe_held, held_approvals
    from ranger_app.sync.identity import load_keys

    db = _db(args)
    rows = certificates.listing(db)
    if not rows:
        print(_("No key certificates yet."))
    for r in rows:
        state = (_("revoked from {at}").format(at=r.revoked_at.isoformat())
                 if r.revoked_at else _("valid"))
        print(f"  {r.cert_id}  {r.key_fpr}  {r.role:10} {r.person}  {r.name}  "
              f"{r.valid_from.isoformat() if r.valid_from else '-'} → "
              f"{r.valid_to.isoformat() if r.valid_to else '-'}  {state}")
    keys = load_keys(db)
    if keys.role == "hq":
        for person, name, fpr in certificates.uncertified_inspector_keys(db):
            print(_("Not certified: key {fpr} of inspector {name} ({person}).").format(
                fpr=fpr, name=name, person=person))
    for h in held_approvals(db):
        print(describe_held(h, keys.role == "hq"))
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    from ranger_app.sync.conflicts import open_conflicts

    db = _db(args)
    rows = open_conflicts(db)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2,
                         default=_json_default))
        return EXIT_OK
    if not rows:
        print(_("No unresolved conflicts."))
    for r in rows:
        held = r.value_a if r.winner == "a" else r.value_b
        print(_("{entity} {uuid} {field} ({kind}): {a} [{change_a}] / {b} [{change_b}]; "
                "holds {held} for now").format(
            entity=r.entity, uuid=r.entity_uuid, field=r.field, kind=r.kind, a=r.value_a,
            change_a=r.change_a, b=r.value_b, change_b=r.change_b, held=held))
    return EXIT_OK


def _json_default(value: Any) -> str:
    return str(value)


def add_sync_commands(sub: Any) -> None:
    """Register the sync sub-commands on `build_parser`'s sub-parser collection."""
    c = sub.add_parser("keys", help=_("identity and the trust registry"))
    keys = c.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    k = keys.add_parser("show", help=_("this installation's keys and the trusted peers"))
    k.set_defaults(func=cmd_keys_show)
    k = keys.add_parser("export", help=_("write this installation's public keys"))
    k.add_argument("out")
    k.set_defaults(func=cmd_keys_export)
    k = keys.add_parser("trust", help=_("trust the keys in a file exported by a peer"))
    k.add_argument("file")
    k.set_defaults(func=cmd_keys_trust)
    k = keys.add_parser("revoke", help=_("revoke a key by its fingerprint"))
    k.add_argument("fpr")
    k.set_defaults(func=cmd_keys_revoke)
    k = keys.add_parser("certify", help=_("HQ: certify a person's signing key"))
    k.add_argument("--person", required=True, help=_("the person's id"))
    k.add_argument("--role", choices=["inspector"], default="inspector")
    k.add_argument("--key", help=_("the key's fingerprint, when the person has several"))
    k.add_argument("--from", dest="valid_from", type=_when,
                   help=_("valid from (ISO date and time)"))
    k.add_argument("--to", dest="valid_to", type=_when,
                   help=_("valid until (ISO date and time)"))
    k.set_defaults(func=cmd_keys_certify)
    k = keys.add_parser("certificates",
                        help=_("key certificates, keys still to certify, held approvals"))
    k.set_defaults(func=cmd_keys_certificates)
    k = keys.add_parser("revoke-certificate", help=_("HQ: revoke a key certificate"))
    k.add_argument("cert_id")
    k.add_argument("--at", type=_when,
                   help=_("refuse approvals signed from this time on (default now)"))
    k.set_defaults(func=cmd_keys_revoke_certificate)

    c = sub.add_parser("export-bundle", help=_("write a bundle for a trusted peer"))
    c.add_argument("--to", required=True, help=_("the peer's station code"))
    c.add_argument("--out", required=True, help=_("folder to write into (the USB stick)"))
    c.add_argument("--snapshot", action="store_true",
                   help=_("everything, to set up a new installation"))
    c.set_defaults(func=cmd_export_bundle)

    c = sub.add_parser("import-bundle", help=_("import a bundle"))
    c.add_argument("file")
    c.add_argument("--dry-run", action="store_true",
                   help=_("only report what would change"))
    c.set_defaults(func=cmd_import_bundle)

    c = sub.add_parser("conflicts", help=_("list unresolved conflicts"))
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_conflicts)
