"""`layers add FILE`, `layers list`, `layers remove NAME` (design §8 exit codes: 3 for a bad
file or a name that is not exactly one layer)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ranger_app.domain.layers import LAYER_KINDS
from ranger_app.i18n import _
from ranger_app.io.layers.service import add_layer
from ranger_app.store.db import Database
from ranger_app.store.layers import LayerRecord, layer_records, remove_layer

EXIT_BAD_INPUT = 3


def cmd_add(args: argparse.Namespace) -> int:
    db = Database.open(args.db)
    added = add_layer(db, Path(args.file), name=args.name, kind=args.kind,
                      label_field=args.label_field, crs=args.crs, layer=args.layer)
    r, read = added.record, added.read
    if not added.created:
        print(_("This file is already registered as layer “{name}”; nothing was added.")
              .format(name=r.name))
        return 0
    print(_("Layer “{name}” added: {count} features, kind {kind}, from {crs}; labels from "
            "field “{field}”.").format(name=r.name, count=r.feature_count, kind=r.kind,
                                       crs=read.source_crs, field=read.label_field or "—"))
    for note in read.skipped[:20]:
        print("  " + note)
    if len(read.skipped) > 20:
        print("  " + _("… and {n} more").format(n=len(read.skipped) - 20))
    return 0


def _row(db: Database, r: LayerRecord) -> str:
    w, s, e, n = r.bounds
    held = db.media.has(r.sha256)
    return "\t".join([r.name, r.kind, str(r.feature_count), f"{w:.4f},{s:.4f},{e:.4f},{n:.4f}",
                      r.source_name, r.sha256[:12],
                      _("file here") if held else _("file not here yet")])


def cmd_list(args: argparse.Namespace) -> int:
    db = Database.open(args.db)
    rows = layer_records(db)
    if not rows:
        print(_("No map layers yet: add one with “ranger-app layers add FILE”."))
    for r in rows:
        print(_row(db, r))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    db = Database.open(args.db)
    wanted = args.layer.strip()
    matches = [r for r in layer_records(db)
               if r.name == wanted or (len(wanted) >= 8 and r.uuid.startswith(wanted))]
    if len(matches) != 1:
        message = (_("No layer is called “{name}”; “ranger-app layers list” shows them.")
                   if not matches else
                   _("Several layers are called “{name}”; give the start of its id "
                     "instead."))
        print(message.format(name=wanted), file=sys.stderr)
        for r in matches:
            print("  " + r.uuid + "\t" + _row(db, r), file=sys.stderr)
        return EXIT_BAD_INPUT
    remove_layer(db, matches[0].uuid)
    print(_("Layer “{name}” removed; stations drop it with the next bundles.")
          .format(name=matches[0].name))
    return 0


def add_layer_commands(sub: Any) -> None:
    """Register `layers add|list|remove` on `build_parser`'s sub-parser collection."""
    c = sub.add_parser("layers", help=_("vector map layers (GeoJSON, Shapefile, GeoPackage)"))
    actions = c.add_subparsers(dest="layers_command", required=True, metavar="ACTION")
    a = actions.add_parser("add", help=_("register a vector layer; it reaches stations in "
                                         "the next bundles"))
    a.add_argument("file", help=_("a .geojson, .shp (with its .prj), .zip or .gpkg file"))
    a.add_argument("--name", help=_("the name shown in the layer menu"))
    a.add_argument("--kind", choices=LAYER_KINDS,
                   help=_("what the layer is (guessed from its name and fields if not given)"))
    a.add_argument("--label-field", dest="label_field",
                   help=_("the attribute written on the map (a quarter's number)"))
    a.add_argument("--crs", help=_("the coordinate system when the file does not say, "
                                   "for example EPSG:28422"))
    a.add_argument("--layer", help=_("which layer of a GeoPackage"))
    a.set_defaults(func=cmd_add)
    ls = actions.add_parser("list", help=_("the registered map layers"))
    ls.set_defaults(func=cmd_list)
    rm = actions.add_parser("remove", help=_("remove a layer here and at every station"))
    rm.add_argument("layer", help=_("its name, or the start of its id"))
    rm.set_defaults(func=cmd_remove)
