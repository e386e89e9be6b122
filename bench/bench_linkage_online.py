"""Online matching through the gate, on PostgreSQL, at 10,000 to 1,000,000 people.

`coresponder.identity.matching.possible_matches` — the real function, with the real
visibility of a coordinator of one program and a clinician of another — and
`GET /api/v1/persons/matches` with a Bearer token, beside the signed-in floor
`GET /api/v1/programs` with the same token, interleaved in the same run.

The registry is built once per size in its own database (`bench_online_<people>`
on BENCH_ONLINE_DATABASE_URL's server, created when absent) and reused by later
runs. People, participations, source records and blocking keys are the product's
own models and key function (`own_record_for`, `source_record_for`, `blocking_keys`),
written with COPY: a bench fixture, not the product's write path.

Sizes: BENCH_ONLINE_SIZES (default "10000,100000,1000000"); probes per caller:
BENCH_ONLINE_PROBES (default 300), one in BENCH_ONLINE_AGE_ONLY_EVERY (default 5; 0 for
none) asking by birth year alone. `python bench/bench_linkage_online.py 10000`
runs one size by hand.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(HERE / "linkage"), str(ROOT)]

import hard  # noqa: E402
import httpbench  # noqa: E402

SERVER_URL = os.environ.get("BENCH_ONLINE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
SIZES = [int(s) for s in os.environ.get("BENCH_ONLINE_SIZES", "10000,100000,1000000").split(",")]
PROBES = int(os.environ.get("BENCH_ONLINE_PROBES", "300"))
# A Redis database of its own, as production runs with the shared cache.
REDIS_URL = os.environ.get("BENCH_ONLINE_REDIS_URL", "redis://127.0.0.1:6379/9")
SEED = 11
BATCH = 20_000
# Programs people are known to, and how often (the rest are in no program); one in
# ten also in a second. The coordinator acts in PAD, the clinician in PCO.
HOMES = (("pad", 0.40), ("pco", 0.25), ("qrt", 0.15), ("core", 0.10))
SECOND_PROGRAM = 0.10
# One in three people was also reported by a source, differently.
REPORTED = 0.3
# Shelters and clinics whose phone many people give.
SHELTER_SHARE = 0.02
SHELTERS = 300
OLD_QUERY_PROBES = 10
# One probe in five gives a birth year where the report gave an age (police, EMS);
# BENCH_ONLINE_AGE_ONLY_EVERY=0 gives every probe's birth date as drawn.
AGE_ONLY_EVERY = int(os.environ.get("BENCH_ONLINE_AGE_ONLY_EVERY", "5"))
# Probes whose candidate queries are also timed by PostgreSQL itself (EXPLAIN ANALYZE).
SERVER_PROBES = 40
# BENCH_ONLINE_PREWARM=1 reads the identity tables into the server's shared buffers
# before measuring (pg_prewarm), as a server sized for the registry holds them after
# hours of lookups (bench/sized_postgres.sh starts one).
PREWARM = os.environ.get("BENCH_ONLINE_PREWARM", "") == "1"
IDENTITY_TABLES = (
    "people_person",
    "people_participation",
    "people_sourcerecord",
    "people_personkey",
    "people_programkey",
)
MARKER = "bench-clinician"  # the last row a build writes


# --- the parent: databases and subprocesses -------------------------------------------


def database_url(people: int) -> str:
    return f"{SERVER_URL.rstrip('/')}/bench_online_{people}"


def _psql(url: str, sql: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    result = subprocess.run(
        [
            "psql",
            *("-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)),
            *("-U", parts.username or "postgres", "-d", parts.path.lstrip("/"), "-tAc", sql),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def _ensure_database(url: str) -> bool:
    """Create the database when absent, or recreate it when a build did not finish;
    True when a finished registry is already there."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    where = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    where += ["-U", parts.username or "postgres"]
    done = _psql(url, f"SELECT count(*) FROM programs_user WHERE username = '{MARKER}'")  # noqa: S608
    if done == "1":
        return True
    subprocess.run(["dropdb", *where, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *where, name], check=True)
    return False


def _worker(people: int, step: str) -> dict[str, Any]:
    env = httpbench.environment(database_url(people))
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    env["REDIS_URL"] = REDIS_URL
    result = subprocess.run(
        [sys.executable, __file__, step, str(people)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{step} of {people} people failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def measure_size(people: int) -> dict[str, Any]:
    reused = _ensure_database(database_url(people))
    build = {"reused": True} if reused else _worker(people, "build")
    httpbench.fresh_redis(REDIS_URL)
    return {"people": people, "build": build, **_worker(people, "measure")}


def run() -> dict[str, Any]:
    sizes = [measure_size(people) for people in SIZES]
    largest = sizes[-1]
    endpoint = max(c["endpoint_p95_ms"] for c in largest["callers"].values())
    floor = max(c["floor_p95_ms"] for c in largest["callers"].values())
    return {
        "name": f"online matching through the gate ({largest['people']:,} people, PostgreSQL)",
        "seconds": endpoint / 1000,
        "baseline_seconds": floor / 1000,
        "ratio": endpoint / floor if floor else 0.0,
        "sizes": sizes,
    }


# --- the worker: Django, the registry, the timings ------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresponder.settings")
    import django

    django.setup()


def _copy(cursor: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _model_rows(model: Any, objects: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every concrete column of `model` as Django would save these new objects."""
    from django.db import connection

    fields = model._meta.concrete_fields
    rows = [
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
        for obj in objects
    ]
    return [f.column for f in fields], rows


def _drop_secondary_indexes(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the tables' indexes that back no constraint; returns their definitions.

    Loading first and indexing once is many times faster than keeping a trigram index
    and the key table's indexes up to date row by row."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [tables],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def build(people: int) -> dict[str, Any]:
    """Programs, two staff, `people` people with their participations, records and keys."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from coresponder.core.audit import SYSTEM
    from coresponder.domain.linkage import Record, blocking_keys
    from coresponder.identity.actions import (
        SourceRecordInput,
        linkage_record,
        own_record_for,
        source_record_for,
    )
    from coresponder.identity.models import PersonKey, ProgramKey, SourceRecord
    from coresponder.people.models import Participation, Person
    from coresponder.programs.actions import load_programs
    from coresponder.programs.models import Membership, Organization, Program, User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_programs(SYSTEM)
    programs = {p.slug: p for p in Program.objects.all()}
    slugs = [slug for slug, _ in HOMES]
    weights = [share for _, share in HOMES]
    rng = random.Random(SEED)
    given_pool, family_pool = hard.pools(random.Random(SEED))
    shelters = [f"215{rng.randrange(10**7):07d}" for _ in range(SHELTERS)]
    at = hard_time = 0.0
    counts = {"people": 0, "participations": 0, "source_records": 0, "keys": 0}
    record_id = 0
    seen_at = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        # A bench fixture: the rows are consistent by construction, so the foreign-key
        # triggers (ten million deferred checks) are skipped while they load, and so are
        # those that keep the key table by program, which is filled once at the end.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        tables = [
            m._meta.db_table for m in (Person, Participation, SourceRecord, PersonKey, ProgramKey)
        ]
        indexes = _drop_secondary_indexes(cursor, tables)
        for first in range(1, people + 1, BATCH):
            t0 = time.perf_counter()
            persons, participations, records = [], [], []
            keys: list[tuple[str, int, int]] = []
            for pk in range(first, min(first + BATCH, people + 1)):
                truth = hard.person(rng, given_pool, family_pool)
                if rng.random() < SHELTER_SHARE:
                    truth = Record(**{**truth.__dict__, "phone": rng.choice(shelters)})
                person = Person(
                    id=pk,
                    given_name=truth.given,
                    family_name=truth.family,
                    birth_date=truth.birth_date,
                    sex=truth.sex,
                    phone=truth.phone,
                    address=truth.address,
                )
                person.prepare_save()
                persons.append(person)
                roll = rng.random()
                homes = []
                if roll < sum(weights):
                    homes.append(rng.choices(slugs, weights)[0])
                    if rng.random() < SECOND_PROGRAM:
                        other = rng.choice([s for s in slugs if s not in homes])
                        homes.append(other)
                for slug in homes:
                    participations.append((pk, programs[slug].pk, seen_at))
                program = programs[homes[0]] if homes else None
                record_id += 1
                own = own_record_for(person, program, received_at=seen_at)
                own.id = record_id
                batch_records = [own]
                if rng.random() < REPORTED:
                    report = hard.corrupt(rng, truth, family_pool)
                    record_id += 1
                    reported = source_record_for(
                        person,
                        program,
                        SourceRecord.Source.EMS,
                        SourceRecordInput.from_record(report, received_at=seen_at),
                    )
                    reported.id = record_id
                    batch_records.append(reported)
                for record in batch_records:
                    records.append(record)
                    # What keys_for writes, without a model instance per key.
                    found = blocking_keys(linkage_record(record))
                    keys.extend((key[:200], pk, record.id) for key in sorted(found))
            hard_time += time.perf_counter() - t0
            t0 = time.perf_counter()
            columns, rows = _model_rows(Person, persons)
            _copy(cursor, Person._meta.db_table, columns, rows)
            if participations:
                columns, rows = _model_rows(
                    Participation,
                    [
                        Participation(person_id=p, program_id=g, first_seen_at=s)
                        for p, g, s in participations
                    ],
                )
                keep = [i for i, c in enumerate(columns) if c != "id"]
                _copy(
                    cursor,
                    Participation._meta.db_table,
                    [columns[i] for i in keep],
                    [tuple(r[i] for i in keep) for r in rows],
                )
            columns, rows = _model_rows(SourceRecord, records)
            _copy(cursor, SourceRecord._meta.db_table, columns, rows)
            _copy(cursor, PersonKey._meta.db_table, ["key", "person_id", "source_record_id"], keys)
            at += time.perf_counter() - t0
            counts["people"] += len(persons)
            counts["participations"] += len(participations)
            counts["source_records"] += len(records)
            counts["keys"] += len(keys)
        for model in (Person, SourceRecord):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        t0 = time.perf_counter()
        # The migration's own copy of the keys by program (what its triggers keep after).
        migration = importlib.import_module("coresponder.identity.migrations.0004_program_key")
        cursor.execute(migration.BACKFILL)
        for definition in indexes:
            cursor.execute(definition)
        index_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # As autovacuum leaves a registry at rest: statistics, and the visibility map that
        # lets the key index answer the ranking without reading the table.
        cursor.execute("VACUUM ANALYZE")
    analyze = time.perf_counter() - t0
    org = Organization.objects.create(slug="bench-health", name="Bench", kind="health_department")
    for username, slug, role in (
        ("bench-coordinator", "pad", "coordinator"),
        (MARKER, "pco", "clinician"),
    ):
        user = User.objects.create_user(username=username, role=role, organization=org)
        Membership.objects.create(user=user, program=programs[slug], role=role, active=True)
    return {
        **counts,
        "build_seconds": round(time.perf_counter() - started, 1),
        "generate_seconds": round(hard_time, 1),
        "copy_seconds": round(at, 1),
        "index_seconds": round(index_seconds, 1),
        "analyze_seconds": round(analyze, 1),
    }


def _probes(people: int) -> list[tuple[int, Any]]:
    """Later reports of registered people, with the id of the person each reports, drawn
    the same way every run."""
    from coresponder.domain.linkage import Record
    from coresponder.people.models import Person

    rng = random.Random(SEED + 1)
    _given, family_pool = hard.pools(random.Random(SEED))
    ids = rng.sample(range(1, people + 1), min(PROBES, people))
    found = Person.objects.in_bulk(ids)
    probes: list[tuple[int, Any]] = []
    for pk in ids:
        p = found[pk]
        truth = Record(
            given=p.given_name,
            family=p.family_name,
            birth_date=p.birth_date,
            sex=p.sex,
            phone=p.phone,
            address=p.address,
        )
        probe = hard.corrupt(rng, truth, family_pool)
        birth = probe.birth_date
        age_only = AGE_ONLY_EVERY and len(probes) % AGE_ONLY_EVERY == 0
        if age_only and birth is not None and birth.year > 1900:
            # A police or EMS report that gives an age, not a birth date: the year alone.
            probe = replace(probe, birth_date=None, birth_year=birth.year)
        probes.append((pk, probe))
    return probes


def _ms(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(statistics.median(samples) * 1000, 2), round(cuts[94] * 1000, 2)


def _query(probe: Any) -> str:
    fields = {
        "given_name": probe.given,
        "family_name": probe.family,
        "birth_date": probe.birth_date.isoformat() if probe.birth_date else "",
        "birth_year": probe.birth_year or "",
        "phone": probe.phone,
        "sex": probe.sex,
        "address": probe.address,
    }
    return urllib.parse.urlencode({k: v for k, v in fields.items() if v})


def _old_candidates(user: Any, probe: Any) -> Any:
    """The candidate query before the ranking came first: keys joined to the whole scope."""
    from django.db.models import Count

    from coresponder.domain.linkage import blocking_keys, normalise
    from coresponder.identity.matching import CANDIDATE_CAP
    from coresponder.identity.models import PersonKey
    from coresponder.privacy.access import identifiable_people

    keys = sorted(blocking_keys(normalise(probe)))
    return (
        PersonKey.objects.filter(
            key__in=keys,
            person__in=identifiable_people(user).values("pk"),
            person__merged_into__isnull=True,
        )
        .values("person_id")
        .annotate(shared=Count("id"))
        .order_by("-shared", "person_id")
        .values_list("person_id", flat=True)[:CANDIDATE_CAP]
    )


def _server_ms(querysets: list[Any]) -> float:
    """What PostgreSQL spent planning and running these queries (EXPLAIN ANALYZE), in ms."""
    from django.db import connection

    spent = 0.0
    with connection.cursor() as cursor:
        for queryset in querysets:
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            spent += plan[0]["Planning Time"] + plan[0]["Execution Time"]
    return spent


def _candidate_steps(user: Any, probe: Any) -> tuple[float, float]:
    """Server time of finding the candidates as `possible_matches` finds them for this
    reader (ranked by program and confirmed by the gate, or the ranking and the gate's
    check of its first page), against the one query that joined the keys to everyone
    the reader may see."""
    from coresponder.domain.linkage import blocking_keys, normalise
    from coresponder.identity.matching import (
        CANDIDATE_CAP,
        CANDIDATE_PAGE,
        PERSON_FIELDS,
        gate_rows,
        ranking,
        ranking_in,
    )
    from coresponder.privacy.access import identifiable_people, identified_through_programs

    keys = sorted(blocking_keys(normalise(probe)))
    scope = identifiable_people(user)
    programs = identified_through_programs(user)
    first_page = (
        ranking_in(keys, programs)[:CANDIDATE_CAP] if programs else ranking(keys)[:CANDIDATE_PAGE]
    )
    new: list[Any] = [first_page]
    ranked = list(first_page.all())
    if ranked:
        new.append(gate_rows(scope, ranked, PERSON_FIELDS))
    old = _old_candidates(user, probe)
    return _server_ms(new), _server_ms([old])


def measure(people: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from coresponder.core.audit import SYSTEM
    from coresponder.domain.linkage import blocking_keys, normalise
    from coresponder.identity.earlier_contacts import SUGGESTION_LIMIT
    from coresponder.identity.matching import (
        CANDIDATE_CAP,
        possible_matches,
        visible_candidates,
    )
    from coresponder.privacy.access import identifiable_people, linkable
    from coresponder.privacy.actions import issue_api_token
    from coresponder.programs.models import Membership, User

    # A registry kept from an earlier run is brought up to the current schema first.
    call_command("migrate", verbosity=0)
    warmed = _prewarm() if PREWARM else 0
    drawn = _probes(people)
    probes = [probe for _pk, probe in drawn]
    callers = {}
    for username in ("bench-coordinator", MARKER):
        user = User.objects.get(username=username)
        client = Client(headers={"Authorization": f"Bearer {issue_api_token(SYSTEM, user)}"})
        for probe in probes[:20]:  # warm caches as a running server's would be
            possible_matches(user, probe)
            client.get(f"/api/v1/persons/matches?{_query(probe)}")
            client.get("/api/v1/programs")
        function: list[float] = []
        endpoint: list[float] = []
        floor: list[float] = []
        # Beside the floor, for comparison: one person read by id through the gate, which
        # reads the registry and writes its audit event as the lookup does.
        person_read: list[float] = []
        form: list[float] = []
        found, candidates, queries = [], [], []
        # The referral form asks among the people a referral there may be linked to.
        program = Membership.objects.get(user=user).program
        # Recall: of the probes whose person this reader may see, how many get that
        # person back among the ten answers (first, and anywhere).
        visible = set(
            identifiable_people(user)
            .filter(pk__in=[pk for pk, _ in drawn])
            .values_list("pk", flat=True)
        )
        first = anywhere = age_only_visible = age_only_found = 0
        timed = {"function": function, "form": form, "endpoint": endpoint}
        order = list(timed)
        for turn, (pk, probe) in enumerate(drawn):
            # Whichever asks about a probe first reads its rows from disk or from outside
            # the database's buffers; each goes first on a third of the probes.
            for kind in order[turn % 3 :] + order[: turn % 3]:
                t0 = time.perf_counter()
                if kind == "function":
                    matches = possible_matches(user, probe)
                elif kind == "form":
                    possible_matches(user, probe, SUGGESTION_LIMIT, among=linkable(user, program))
                else:
                    answer = client.get(f"/api/v1/persons/matches?{_query(probe)}")
                timed[kind].append(time.perf_counter() - t0)
                if kind == "endpoint":
                    assert answer.status_code == 200, answer.content[:300]
            found.append(len(matches))
            answered = [match.person_id for match in matches]
            if pk in visible:
                first += bool(answered) and answered[0] == pk
                anywhere += pk in answered
                if probe.birth_year is not None:
                    age_only_visible += 1
                    age_only_found += pk in answered
            t0 = time.perf_counter()
            answer = client.get("/api/v1/programs")
            floor.append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.content[:300]
            if pk in visible:
                t0 = time.perf_counter()
                answer = client.get(f"/api/v1/persons/{pk}")
                person_read.append(time.perf_counter() - t0)
                assert answer.status_code == 200, answer.content[:300]
        for probe in probes[:50]:
            keys = sorted(blocking_keys(normalise(probe)))
            candidates.append(
                len(visible_candidates(identifiable_people(user), keys, CANDIDATE_CAP))
            )
            with CaptureQueriesContext(connection) as captured:
                possible_matches(user, probe)
            queries.append(len(captured.captured_queries))
            reset_queries()
        old = []
        for probe in probes[:OLD_QUERY_PROBES]:
            t0 = time.perf_counter()
            list(_old_candidates(user, probe))
            old.append(time.perf_counter() - t0)
        keyed = [probe for probe in probes if blocking_keys(normalise(probe))]
        steps = [_candidate_steps(user, probe) for probe in keyed[:SERVER_PROBES]]
        f50, f95 = _ms(function)
        r50, r95 = _ms(form)
        e50, e95 = _ms(endpoint)
        b50, b95 = _ms(floor)
        p50, p95 = _ms(person_read)
        callers[username.removeprefix("bench-")] = {
            "probes": len(probes),
            "function_p50_ms": f50,
            "function_p95_ms": f95,
            "form_p50_ms": r50,
            "form_p95_ms": r95,
            "endpoint_p50_ms": e50,
            "endpoint_p95_ms": e95,
            "floor_p50_ms": b50,
            "floor_p95_ms": b95,
            "person_read_p50_ms": p50,
            "person_read_p95_ms": p95,
            "endpoint_p95_ratio_to_person_read": round(e95 / p95, 2) if p95 else None,
            "endpoint_p95_ratio_to_floor": round(e95 / b95, 2) if b95 else None,
            "mean_matches": round(statistics.mean(found), 1),
            "probes_of_visible_people": len(visible),
            "true_person_first": round(first / len(visible), 3) if visible else None,
            "true_person_in_answer": round(anywhere / len(visible), 3) if visible else None,
            "age_only_probes": sum(p.birth_year is not None for p in probes),
            "age_only_true_person_in_answer": (
                round(age_only_found / age_only_visible, 3) if age_only_visible else None
            ),
            "mean_candidates": round(statistics.mean(candidates), 1),
            "max_queries": max(queries),
            "old_candidate_query_median_ms": round(statistics.median(old) * 1000, 1),
            "server_candidates_p50_ms": round(statistics.median(n for n, _ in steps), 2),
            "server_candidates_max_ms": round(max(n for n, _ in steps), 2),
            "server_old_candidates_p50_ms": round(statistics.median(o for _, o in steps), 1),
            "server_old_candidates_max_ms": round(max(o for _, o in steps), 1),
        }
    return {"callers": callers, "prewarmed_blocks": warmed}


def _prewarm() -> int:
    """The identity tables and their indexes read into shared buffers; blocks read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT coalesce(sum(pg_prewarm(c.oid)), 0) FROM pg_class c"
            " WHERE c.relname = ANY(%s) OR c.oid IN (SELECT indexrelid FROM pg_index"
            " JOIN pg_class t ON t.oid = indrelid WHERE t.relname = ANY(%s))",
            [list(IDENTITY_TABLES), list(IDENTITY_TABLES)],
        )
        blocks = int(cursor.fetchone()[0])
    return blocks


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] in {"build", "measure"}:
        _setup()
        step = build if argv[0] == "build" else measure
        print(json.dumps(step(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or SIZES
    print(json.dumps([measure_size(people) for people in sizes], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
