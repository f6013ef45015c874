"""Vector map layers read from GeoJSON, Shapefile and GeoPackage files (see `readers`)."""
