"""Benchmark of the registry import (SPEC §2): 50,000 households from .xlsx and from .csv, median of 3 runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zoufang_bench .venv/bin/python bench/import_registry.py

Migrates the campaign app if needed; creates a throwaway district with grids when the database has no grid (and
removes it afterwards); deletes the rows it imported after each run. Target: < 60 s per 50,000-row file.
Results and the machine are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from bench.common import throwaway_keys  # noqa: E402

throwaway_keys()

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from campaign.importer import registry_import  # noqa: E402
from campaign.models import Household, OrgUnit, UnitKind  # noqa: E402
from campaign.seed import mobile, person_name, point_in  # noqa: E402

HEADERS = ["地址", "网格", "户主姓名", "联系电话", "人口数", "纬度", "经度", "标签"]
GRID_SIDE = 5  # a throwaway district of 5 × 5 grids
CELL = 0.005


def throwaway_grids() -> OrgUnit:
    """A district 基准测试区 with one street, one community and 25 square grids."""
    district = OrgUnit.objects.create(name="基准测试区", kind=UnitKind.DISTRICT, code="BENCH")
    street = OrgUnit.objects.create(name="基准街道", kind=UnitKind.STREET, parent=district)
    community = OrgUnit.objects.create(name="基准社区", kind=UnitKind.COMMUNITY, parent=street)
    for r in range(GRID_SIDE):
        for c in range(GRID_SIDE):
            s, w = 30.0 + r * CELL, 100.0 + c * CELL
            ring = [[w, s], [w + CELL, s], [w + CELL, s + CELL], [w, s + CELL], [w, s]]
            OrgUnit.objects.create(
                name=f"基准网格{r * GRID_SIDE + c + 1}", kind=UnitKind.GRID, parent=community,
                boundary={"type": "Polygon", "coordinates": [ring]},
            )  # fmt: skip
    return district


def rows(count: int) -> list[list[object]]:
    """Households over every grid; one row in ten leaves the grid blank, to be placed by its coordinates."""
    rng = random.Random(1)
    grids = list(
        OrgUnit.objects.filter(kind=UnitKind.GRID, boundary__isnull=False).values_list(
            "name", "min_lat", "min_lng", "max_lat", "max_lng"
        )
    )
    out = []
    for i in range(count):
        name, *rect = grids[i % len(grids)]
        lat, lng = point_in(rng, tuple(rect))  # type: ignore[arg-type]
        unit = "" if i % 10 == 9 else name
        tags = "独居老人、低保" if i % 17 == 0 else ""
        out.append(
            [
                f"某街道某社区锦业一路{i}号{i % 6 + 1}单元{i % 30 + 1}01室",
                unit,
                person_name(rng),
                mobile(rng),
                i % 6 + 1,
                lat,
                lng,
                tags,
            ]
        )
    return out


def write_files(data: list[list[object]], folder: Path) -> dict[str, Path]:
    # A normal workbook, as Excel and WPS save it: shared strings and a <dimension> tag (a write-only workbook
    # has inline strings and no dimension, which openpyxl reads about 1.5x slower).
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in data:
        sheet.append(row)
    xlsx = folder / "households.xlsx"
    workbook.save(xlsx)
    csv_path = folder / "households.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(data)
    return {"xlsx": xlsx, "csv": csv_path}


def run_once(path: Path, expected: int) -> float:
    last_id = Household.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = time.perf_counter()
    result = registry_import(kind="households", rows_or_file=path)
    elapsed = time.perf_counter() - started
    if not result.ok or result.created != expected:
        raise SystemExit(f"import failed: {result.errors[:5]}")
    # A raw DELETE: no cascade collection (and so no need for other apps' tables, only campaign is migrated here).
    Household.objects.filter(id__gt=last_id)._raw_delete(using="default")
    print(f"  {path.suffix[1:]}: {elapsed:.1f} s", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print(f"warning: measuring on {connection.vendor}, not PostgreSQL (set DATABASE_URL)", file=sys.stderr)
    call_command("migrate", "campaign", verbosity=0)
    district = (
        None if OrgUnit.objects.filter(kind=UnitKind.GRID, boundary__isnull=False).exists() else throwaway_grids()
    )
    try:
        with tempfile.TemporaryDirectory(prefix="zoufang-bench-") as folder:
            files = write_files(rows(args.rows), Path(folder))
            print(f"{args.rows} households; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                  f"{connection.vendor} {getattr(connection, 'pg_version', '')}")  # fmt: skip
            for kind, path in files.items():
                times = [run_once(path, args.rows) for _ in range(args.runs)]
                size_mb = path.stat().st_size / 1e6
                runs = ", ".join(f"{t:.1f}" for t in times)
                print(f"{kind:5} ({size_mb:.1f} MB): median {statistics.median(times):.1f} s  (runs: {runs})")
    finally:
        if district is not None:  # raw deletes: no cascade collection over other apps' tables
            Household.objects.filter(unit__path__startswith=district.path)._raw_delete(using="default")
            OrgUnit.objects.filter(path__startswith=district.path)._raw_delete(using="default")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
