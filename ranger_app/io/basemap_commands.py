"""`basemap add FILE [--name N]`, `basemap list` (design §8 exit codes: 3 for a bad file)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ranger_app.i18n import _
from ranger_app.io.basemap_library import add_basemap, basemaps
from ranger_app.store.db import Database


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


def cmd_add(args: argparse.Namespace) -> int:
    db = Database.open(args.db)
    added = add_basemap(db, Path(args.file), args.name)
    r = added.record
    if added.created:
        print(_("Basemap “{name}” added: {kind}, zoom {zmin}–{zmax}, {size} MB, {sha}.").format(
            name=r.name, kind=r.kind, zmin=r.min_zoom, zmax=r.max_zoom, size=_mb(r.size),
            sha=r.sha256[:12]))
    else:
        print(_("This file is already registered as basemap “{name}”; nothing was added.")
              .format(name=r.name))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    db = Database.open(args.db)
    rows = basemaps(db)
    if not rows:
        print(_("No basemaps yet: add one with “ranger-app basemap add FILE.mbtiles”."))
    for r in rows:
        held = db.media.has(r.sha256)
        w, s, e, n = r.bounds
        print("\t".join([r.name, r.kind, r.tile_format, f"{r.min_zoom}-{r.max_zoom}",
                         f"{w:.4f},{s:.4f},{e:.4f},{n:.4f}", _mb(r.size) + " MB",
                         r.sha256[:12], _("file here") if held else _("file not here yet")]))
    return 0


def add_basemap_commands(sub: Any) -> None:
    """Register `basemap add|list` on `build_parser`'s sub-parser collection."""
    c = sub.add_parser("basemap", help=_("offline basemaps (MBTiles, PMTiles)"))
    actions = c.add_subparsers(dest="basemap_command", required=True, metavar="ACTION")
    a = actions.add_parser("add", help=_("register a basemap file; it reaches stations in "
                                         "the next bundles"))
    a.add_argument("file")
    a.add_argument("--name", help=_("the name shown in the layer menu"))
    a.set_defaults(func=cmd_add)
    ls = actions.add_parser("list", help=_("the registered basemaps"))
    ls.set_defaults(func=cmd_list)
