"""With REDIS_URL the public help page's hourly limit holds across server processes.

Gunicorn runs several processes; each keeps its own in-memory cache, so without a shared
cache a client could send the limit's worth of requests to every process. Each case here
starts fresh Python processes with Django set up, against the real Redis at
127.0.0.1:6379 (database 9), under a key prefix of its own that it removes afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis

from coresponder.intake.public_views import REQUESTS_PER_HOUR

REDIS_URL = "redis://127.0.0.1:6379/9"
# What the surrounding shell might set that would change the outcome.
CLEARED = {"REDIS_URL", "REDIS_URL_FILE", "CORESPONDER_CACHE_PREFIX", "CORESPONDER_ENV", "DEBUG"}

# One server process: count `count` help requests from `address`, then say what it saw.
ONE_PROCESS = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from coresponder.intake import public_views
address, count = sys.argv[1], int(sys.argv[2])
seen_before = public_views.over_limit(address)
for _ in range(count):
    public_views.note_request(address)
print(json.dumps({
    "backend": settings.CACHES["default"]["BACKEND"],
    "over_limit_before": seen_before,
    "over_limit_after": public_views.over_limit(address),
    "count": cache.get(public_views._rate_key(address)),
}))
"""


def environment(**env: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if k not in CLEARED}
    values["DJANGO_SETTINGS_MODULE"] = "coresponder.settings"
    values.update(env)
    return values


def server_process(address: str, count: int, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", ONE_PROCESS, address, str(count)],
        env=environment(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate()
    assert process.returncode == 0, err
    answer: dict[str, object] = json.loads(out)
    return answer


def run(address: str, count: int, **env: str) -> dict[str, object]:
    return finished(server_process(address, count, **env))


@pytest.fixture
def shared() -> Iterator[dict[str, str]]:
    """The environment of a deployment with Redis, under a key prefix of this test's own."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}); these tests need a real Redis "
            "server there: start one with `redis-server --port 6379`"
        )
    prefix = f"coresponder-test-{uuid.uuid4().hex}"
    try:
        yield {"REDIS_URL": REDIS_URL, "CORESPONDER_CACHE_PREFIX": prefix}
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


def test_the_limit_holds_across_processes_with_redis(shared: dict[str, str]) -> None:
    address = "198.51.100.7"
    first = run(address, REQUESTS_PER_HOUR - 2, **shared)
    second = run(address, 2, **shared)

    assert first["backend"] == "django.core.cache.backends.redis.RedisCache"
    assert first["over_limit_after"] is False
    # The second process counts on from the first's requests, and stops the address.
    assert second["over_limit_before"] is False
    assert second["count"] == REQUESTS_PER_HOUR
    assert second["over_limit_after"] is True
    # A third process, as if the next request went to another worker, refuses it too.
    assert run(address, 0, **shared)["over_limit_before"] is True
    # Another address has its own count.
    assert run("198.51.100.8", 0, **shared)["over_limit_before"] is False


def test_processes_counting_at_once_lose_no_request(shared: dict[str, str]) -> None:
    address = "198.51.100.9"
    each = 3 * REQUESTS_PER_HOUR
    processes = [server_process(address, each, **shared) for _ in range(2)]
    answers = [finished(process) for process in processes]

    assert all(answer["over_limit_after"] is True for answer in answers)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{shared['CORESPONDER_CACHE_PREFIX']}:*{address}"))
    assert len(keys) == 1
    assert int(client.get(keys[0]) or 0) == 2 * each
    # Redis expires the count with the hour it runs for.
    assert 0 < client.ttl(keys[0]) <= 3600
    client.close()


def test_without_redis_each_process_keeps_its_own_count() -> None:
    address = "198.51.100.7"
    first = run(address, REQUESTS_PER_HOUR - 2)
    second = run(address, 2)

    assert first["backend"] == "django.core.cache.backends.locmem.LocMemCache"
    # In memory, the second process never saw the first one's requests.
    assert second["over_limit_before"] is False
    assert second["count"] == 2
    assert second["over_limit_after"] is False


@pytest.mark.parametrize(
    "url", ["127.0.0.1:6379", "http://:s3cret-pass@cache:6379/0", "memcached://127.0.0.1:11211"]
)
def test_a_redis_url_of_another_kind_stops_start_up(url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment(REDIS_URL=url),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "REDIS_URL must start with redis://, rediss:// or unix://" in result.stderr
    assert "s3cret-pass" not in result.stderr  # the message never repeats a password


@pytest.mark.parametrize(
    "url", [REDIS_URL, "rediss://cache.example.org:6380/0", "unix:///run/redis.sock"]
)
def test_redis_urls_choose_the_redis_cache(url: str) -> None:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(REDIS_URL=url),
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(result.stdout) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "coresponder",
    }
