"""The Sync menu and its screens: export to a stick, import from one, keys, conflicts.

One module per window (`export_wizard`, `import_dialog`, `keys_dialog`, `conflicts_view`),
the menu that opens them (`menu`), and what they share (`common`, `labels`).

Every screen calls the sync layer's functions (the same ones the CLI calls) and never
touches the database itself. Long work — writing, dry-running and importing bundles,
importing what waited for a key — runs in a `workers.Worker`; the sync functions report
their steps through a `hook` callback, which is where progress is shown and where a
Cancel takes effect. Cancel is honoured only at steps where stopping leaves nothing behind:
before the bundle is renamed into place on the stick (export), before the transaction
commits (import); after that, the work finishes, because a half-stopped write would be
worse than a finished one.

The back-end modules are imported where they are used, as `main_window` does: the menu
is built while the window opens, and the sync stack (crypto, zip, merge) loads only when
a ranger first opens one of these screens.
"""

from ranger_app.ui.sync.common import Cancelled
from ranger_app.ui.sync.conflicts_view import ConflictsView, show_value, side_text
from ranger_app.ui.sync.export_wizard import (
    EXPORT_CANCELLABLE,
    EXPORT_STEPS,
    Destination,
    ExportWizard,
)
from ranger_app.ui.sync.import_dialog import (
    IMPORT_CANCELLABLE,
    IMPORT_STEPS,
    ImportDialog,
    Outcome,
    Source,
    outcome_message,
    refusal_message,
)
from ranger_app.ui.sync.keys_dialog import KeysDialog
from ranger_app.ui.sync.labels import entity_label, field_label, size_text
from ranger_app.ui.sync.menu import SyncMenu, add_sync_menu

__all__ = [
    "EXPORT_CANCELLABLE",
    "EXPORT_STEPS",
    "IMPORT_CANCELLABLE",
    "IMPORT_STEPS",
    "Cancelled",
    "ConflictsView",
    "Destination",
    "ExportWizard",
    "ImportDialog",
    "KeysDialog",
    "Outcome",
    "Source",
    "SyncMenu",
    "add_sync_menu",
    "entity_label",
    "field_label",
    "outcome_message",
    "refusal_message",
    "show_value",
    "side_text",
    "size_text",
]
