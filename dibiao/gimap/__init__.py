"""一张图: the county-level GI map's data — layers, county measures, spatial checks and the
GeoJSON API (issue 7)."""
