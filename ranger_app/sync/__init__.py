"""Sync through exported bundles (design section 4): keys, bundles, merge, acknowledgements.

Data moves as encrypted, signed bundle files on USB sticks (or through plain folders):
station → HQ → stations, and across the border to a partner park. Start with
`writer.export_bundle` and `importer.import_bundle`; docs/sync.md has the format and the
decisions.
"""

from ranger_app.sync import errors as errors  # registers the translated messages
