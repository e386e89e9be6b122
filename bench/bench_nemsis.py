"""NEMSIS import of 10,000 patient care reports, against the same overdoses as a spreadsheet.

A throwaway PostgreSQL database is created, migrated and given the presets and a
paramedic of an EMS agency in `pco`. A NEMSIS v3.5 EMSDataSet of 10,000 patient
care reports is written (element names from the data dictionary, as the tests
build them): every fiftieth an opioid overdose (a heroin poisoning with naloxone
that worked), the rest falls, chest pains and other runs, each about a different
synthetic person over the last three days. Timed, each in a fresh process with
Django already set up (its start-up is not counted in either):

* subject: `coresponder import_nemsis pco FILE --user bench`, the real path with
  the gate: parse with defusedxml, check every report's structure, apply the case
  definition, preview and commit the overdoses through intake's import (one
  transaction, identity matching, overdose joins, follow-up tasks);
* baseline: `coresponder import_overdoses pco FILE.csv --user bench`, the
  spreadsheet import of the same overdoses (same people, times and places), into
  a second fresh database;
* floor: parsing the same XML with defusedxml alone, in this process.

Target: the NEMSIS import of 10,000 reports takes under 60 s. Run it with
`python bench/bench_nemsis.py [reports]`; it prints one JSON object.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from defusedxml.ElementTree import fromstring
from httpbench import database, environment, staff_token

from coresponder.feeds.tests.nemsis_files import IMPROVED, dataset, report

REPORTS = 10_000
# One report in fifty is an opioid overdose: about what EMS data shows (opioid overdoses
# are one to two in a hundred EMS runs). The time grows with the overdoses, which go
# through intake one by one; the other reports are only read, checked and counted.
EVERY = 50
TARGET_SECONDS = 60.0
EASTERN = dt.timezone(dt.timedelta(hours=-5))
GIVEN = ["Aaliyah", "Brian", "Carmen", "Derek", "Elena", "Felix", "Grace", "Hector", "Imani"]
FAMILY = ["Almeida", "Brennan", "Costa", "Doherty", "Estrada", "Gomes", "Hanlon", "Kelley"]
OTHER_RUNS = ["S72.001A", "R07.9", "I63.9", "R55", "J44.1", "E16.2", "S06.0X0A", "R56.9"]


def _runs(total: int, now: dt.datetime) -> tuple[bytes, bytes, int]:
    """The NEMSIS file, the spreadsheet of its overdoses, and how many overdoses."""
    reports = []
    rows = io.StringIO()
    sheet = csv.writer(rows)
    sheet.writerow(
        ["occurred_at", "fatal", "naloxone_doses", "latitude", "longitude", "source",
         "external_id", "given_name", "family_name", "birth_date"]
    )  # fmt: skip
    overdoses = 0
    for index in range(total):
        when = now - dt.timedelta(hours=2, seconds=index * 25)
        given, family = GIVEN[index % len(GIVEN)], FAMILY[index // len(GIVEN) % len(FAMILY)]
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=index % 20_000)
        lat, lon = 41.90 + (index % 97) * 0.001, -70.70 + (index % 89) * 0.001
        number = f"PCR-{index:06d}"
        if index % EVERY == 0:
            overdoses += 1
            found = report(
                number,
                notified=when,
                given=given,
                family=family,
                birth=birth.isoformat(),
                impressions=["T40.1X1A"],
                naloxone=[IMPROVED, IMPROVED],
                eScene__11=f"{lat:.4f},{lon:.4f}",
            )
            sheet.writerow(
                [when.isoformat(), "no", 2, f"{lat:.4f}", f"{lon:.4f}", "ems", number, given,
                 family, birth.isoformat()]
            )  # fmt: skip
        else:
            found = report(
                number,
                notified=when,
                given=given,
                family=family,
                birth=birth.isoformat(),
                impressions=[OTHER_RUNS[index % len(OTHER_RUNS)]],
                eScene__11=f"{lat:.4f},{lon:.4f}",
            )
        reports.append(found)
    return dataset(*reports), rows.getvalue().encode(), overdoses


# Times the command inside a process that has already set Django up, so that neither
# import is charged the start-up (many seconds on a busy machine) that both pay alike.
TIMED = """
import sys, time, django
django.setup()
from django.core.management import call_command
start = time.perf_counter()
call_command(*sys.argv[1:])
print(f"SECONDS {time.perf_counter() - start:.4f}")
"""


def _timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    done = subprocess.run(
        [sys.executable, "-c", TIMED, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}")
    lines = done.stdout.strip().splitlines()
    seconds = float(lines[-1].removeprefix("SECONDS "))
    return seconds, "\n".join(lines[:-1])


def _parse_only(data: bytes) -> float:
    start = time.perf_counter()
    root = fromstring(data, forbid_dtd=True)
    sum(1 for _ in root.iter())
    return time.perf_counter() - start


def run(total: int = REPORTS) -> dict[str, object]:
    now = dt.datetime.now(EASTERN)
    xml, sheet, overdoses = _runs(total, now)
    with tempfile.TemporaryDirectory(prefix="bench-nemsis-") as folder:
        xml_path, csv_path = Path(folder) / "ems.xml", Path(folder) / "overdoses.csv"
        xml_path.write_bytes(xml)
        csv_path.write_bytes(sheet)
        parse_seconds = min(_parse_only(xml) for _ in range(3))
        with database("bench_nemsis") as url:
            env = environment(url)
            staff_token(env, "pco", role="paramedic", org_kind="ems")
            nemsis_seconds, said = _timed(
                env, "import_nemsis", "pco", str(xml_path), "--user", "bench"
            )
        with database("bench_nemsis_csv") as url:
            env = environment(url)
            staff_token(env, "pco", role="paramedic", org_kind="ems")
            sheet_seconds, _said = _timed(
                env, "import_overdoses", "pco", str(csv_path), "--user", "bench"
            )
    return {
        "name": f"NEMSIS import, {total:,} reports ({overdoses:,} overdoses), PostgreSQL",
        "seconds": round(nemsis_seconds, 2),
        "baseline_seconds": round(sheet_seconds, 2),
        "ratio": round(nemsis_seconds / sheet_seconds, 2),
        "baseline": "import_overdoses of the same overdoses as CSV, fresh database",
        "parse_only_seconds": round(parse_seconds, 3),
        "ratio_to_parse_only": round(nemsis_seconds / parse_seconds, 1),
        "reports": total,
        "overdoses": overdoses,
        "seconds_per_overdose": round(nemsis_seconds / max(overdoses, 1), 3),
        "file_mb": round(len(xml) / 1_048_576, 1),
        "target_seconds": TARGET_SECONDS,
        "target_met": nemsis_seconds < TARGET_SECONDS,
        "command_said": said,
    }


if __name__ == "__main__":
    print(json.dumps(run(*(int(arg) for arg in sys.argv[1:2])), indent=2))
