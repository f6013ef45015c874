"""SMART interoperability (issue 12): patrol XML out and in, through a per-park mapping.

SMART (the Java desktop tool of WCS and partners) matches everything by stable keys, not
uuids; `mapping` turns our codes into those keys and back, `export` writes SMART 1.4 patrol
documents, `importer` reads them (one file or a zip) into patrols through the same
repository and change log as any edit.
"""

NS = "http://www.smartconservationsoftware.org/xml/1.4/patrol"
