"""Open formats out: GeoJSON (RFC 7946), CSV for spreadsheets, KML for Google Earth.

One description of each record type's columns (`tables`) feeds all three writers, so a
field a CSV carries is the same field, with the same code and label, in QGIS and Google
Earth. See docs/decisions.md ("Open-format exports").
"""
