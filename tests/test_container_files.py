"""The container files (Dockerfile, compose.yaml, deploy/) agree with the code they ship.

Every check here reads the files: the Dockerfile's instructions, what it copies and runs,
the port and health check; compose.yaml's services, secrets, volumes and the settings it
gives the application, which must start in production. Where a Docker daemon answers
(`docker info`), the image is also built for real; without one the run says so.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from coresponder.operations import views as operations_views
from coresponder.operations.actions import record_heartbeat

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
POSTGRES_INIT = ROOT / "deploy" / "postgres-init.sh"
SETTINGS = ROOT / "coresponder" / "settings.py"

INSTRUCTIONS = {
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
}
# What a deployment of several processes behind a proxy must set, besides what settings.py
# itself refuses to start without in production (read from its messages below).
DEPLOYMENT_SETTINGS = {
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "BEHIND_TLS_PROXY",
}
# Read by programs in the image other than the settings.
OTHER_ENVIRONMENT = {"GUNICORN_CMD_ARGS", "DJANGO_SETTINGS_MODULE"}


@dataclass
class Instruction:
    keyword: str
    arguments: str
    line: int


@dataclass
class Stage:
    image: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [each for each in self.instructions if each.keyword == keyword]


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions with their continuation lines joined; comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return instructions


def dockerfile_stages() -> list[Stage]:
    stages: list[Stage] = []
    for each in dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")):
        assert each.keyword in INSTRUCTIONS, f"line {each.line}: unknown {each.keyword}"
        if each.keyword == "FROM":
            words = each.arguments.split()
            assert len(words) == 3 and words[1].upper() == "AS", f"line {each.line}: name it"
            stages.append(Stage(image=words[0], name=words[2]))
            continue
        assert stages, f"line {each.line}: {each.keyword} before the first FROM"
        stages[-1].instructions.append(each)
    return stages


def stage(name: str) -> Stage:
    return next(each for each in dockerfile_stages() if each.name == name)


def copy_parts(arguments: str) -> tuple[dict[str, str], list[str], str]:
    """COPY's --flags, its sources and its destination."""
    words = shlex.split(arguments)
    flags: dict[str, str] = {}
    for word in words:
        if word.startswith("--"):
            name, _, value = word[2:].partition("=")
            flags[name] = value
    paths = [word for word in words if not word.startswith("--")]
    return flags, paths[:-1], paths[-1]


def docker_ignored(path: str) -> bool:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(path).parts
    for pattern in patterns:
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(
                prefix, pattern.removeprefix("**/")
            ):
                return True
    return False


def exec_form(instruction: Instruction) -> list[str]:
    arguments = instruction.arguments
    if instruction.keyword == "HEALTHCHECK":
        arguments = arguments.split(" CMD ", 1)[1]
    words = json.loads(arguments)
    assert isinstance(words, list) and all(isinstance(word, str) for word in words)
    return words


def the_exposed_port() -> int:
    (expose,) = stage("runtime").all("EXPOSE")
    return int(expose.arguments.split("/")[0])


def console_scripts() -> set[str]:
    return {entry.name for entry in entry_points(group="console_scripts")}


def pyproject_scripts() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w.-]+)\s*=", section, flags=re.MULTILINE))


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def app_services() -> dict[str, dict[str, Any]]:
    """The services that run the Coresponder image."""
    return {
        name: service
        for name, service in services().items()
        if isinstance(service.get("build"), dict) and service["build"].get("target") == "runtime"
    }


def settings_read() -> set[str]:
    """Every environment variable coresponder/settings.py reads."""
    text = SETTINGS.read_text(encoding="utf-8")
    return set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", text))


def required_in_production() -> set[str]:
    """The settings that stop start-up when missing in production, from their messages."""
    text = SETTINGS.read_text(encoding="utf-8")
    names = set(
        re.findall(r"\"([A-Z0-9_]+) \(or [A-Z0-9_]+_FILE\) must be set in production", text)
    )
    assert names >= {"SECRET_KEY", "AUDIT_KEY"}, "the production messages have changed"
    return names


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?message}, from `env`."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        assert kind not in {":?", "?"}, f"{name} is required: {rest}"
        return rest or ""

    return INTERPOLATION.sub(one, value)


def service_secrets(service: dict[str, Any]) -> set[str]:
    return {
        each if isinstance(each, str) else each["source"] for each in service.get("secrets", [])
    }


# The Dockerfile


def test_every_instruction_is_one_docker_knows_in_named_stages() -> None:
    stages = dockerfile_stages()

    names = [each.name for each in stages]
    assert len(set(names)) == len(names)
    assert names[-1] == "runtime", "`docker build .` must give the application"
    assert stages[-1].image == "python:3.11-slim"
    assert "proxy" in names


def test_every_copy_source_is_in_the_repository_and_in_the_build_context() -> None:
    earlier: list[str] = []
    for each in dockerfile_stages():
        for instruction in each.all("COPY") + each.all("ADD"):
            flags, sources, _ = copy_parts(instruction.arguments)
            if "from" in flags:
                assert flags["from"] in earlier, f"line {instruction.line}: no stage before it"
                continue
            for source in sources:
                matches = list(ROOT.glob(source))
                assert matches, f"line {instruction.line}: {source} is not in the repository"
                assert not docker_ignored(source), f"{source} is left out by .dockerignore"
        earlier.append(each.name)


def test_the_wheel_is_installed_with_the_pinned_versions_and_static_files_collected() -> None:
    build = " ".join(each.arguments for each in stage("build").all("RUN"))

    assert "-m build --wheel" in build
    assert build.count("-c constraints.txt") == 2
    assert "coresponder collectstatic --no-input" in build


def test_the_application_runs_as_a_user_without_privileges() -> None:
    (user,) = stage("runtime").all("USER")

    assert user.arguments not in {"root", "0", "0:0"}
    setup = " ".join(each.arguments for each in stage("runtime").all("RUN"))
    assert f"useradd --system --uid {user.arguments}" in setup or (
        f"--gid {user.arguments}" in setup
    )


def test_the_command_is_gunicorn_serving_the_wsgi_application_on_the_exposed_port() -> None:
    (cmd,) = stage("runtime").all("CMD")
    words = exec_form(cmd)

    assert words[0] == "gunicorn"
    assert "gunicorn" in console_scripts()
    assert any(line.strip().startswith('"gunicorn') for line in pyproject_dependencies())
    module, _, attribute = words[1].partition(":")
    assert callable(getattr(import_module(module), attribute))
    bind = words[words.index("--bind") + 1]
    assert bind == f"0.0.0.0:{the_exposed_port()}"
    assert not stage("runtime").all("ENTRYPOINT")


def pyproject_dependencies() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return text.split("\ndependencies = [", 1)[1].split("\n]", 1)[0].splitlines()


@pytest.mark.django_db
def test_the_health_check_asks_a_page_the_site_serves() -> None:
    (check,) = stage("runtime").all("HEALTHCHECK")
    code = exec_form(check)[-1]
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/-]*)", code)

    assert match, check.arguments
    assert int(match.group(1)) == the_exposed_port()
    assert resolve(match.group(2)).func is operations_views.readyz
    assert Client().get(match.group(2)).status_code == 503  # the worker has not reported yet
    record_heartbeat(timezone.now())
    assert Client().get(match.group(2)).status_code == 200


def test_the_image_settings_point_where_the_installed_wheel_puts_things() -> None:
    env = " ".join(each.arguments for each in stage("runtime").all("ENV"))
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")

    assert '"share/coresponder/presets"' in text
    assert "CORESPONDER_PRESETS_DIR=/opt/coresponder/share/coresponder/presets" in env
    assert "CORESPONDER_VAR_DIR=/srv/coresponder/var" in env
    copied = [copy_parts(each.arguments)[2] for each in stage("runtime").all("COPY")]
    assert "/srv/coresponder/var/static" in copied  # STATIC_ROOT is the var directory's static/


# compose.yaml


def test_every_service_has_an_image_or_a_build_of_a_dockerfile_stage() -> None:
    stages = {each.name for each in dockerfile_stages()}

    assert set(services()) >= {"postgres", "redis", "web", "worker", "migrate", "proxy"}
    assert services()["postgres"]["image"] == "postgres:15"
    assert services()["redis"]["image"] == "redis:7"
    for name, service in services().items():
        assert "image" in service or "build" in service, name
        if isinstance(service.get("build"), dict):
            assert service["build"]["context"] == "."
            assert service["build"]["target"] in stages, name
    assert set(app_services()) == {"web", "worker", "migrate"}


def test_depends_on_names_services_that_exist() -> None:
    for name, service in services().items():
        for other in service.get("depends_on", []):
            assert other in services(), f"{name} depends on an unknown {other}"
            assert other != name


def test_every_secret_is_declared_and_every_file_setting_has_its_secret() -> None:
    declared = compose()["secrets"]
    for name, service in services().items():
        assert service_secrets(service) <= set(declared), name
        for variable, value in (service.get("environment") or {}).items():
            if variable.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                assert str(value).removeprefix("/run/secrets/") in service_secrets(service), (
                    f"{name}: {variable}"
                )
    for name, secret in declared.items():
        assert interpolate(secret["file"], {}).endswith(f"/{name}")


def test_volumes_are_declared_and_bind_mounts_exist() -> None:
    declared = set(compose()["volumes"])
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source}"
            else:
                assert source in declared, f"{name}: {source}"


def test_the_application_gets_every_setting_production_needs_and_no_unknown_one() -> None:
    needed = required_in_production() | DEPLOYMENT_SETTINGS
    readable = settings_read()
    known = readable | {f"{name}_FILE" for name in readable} | OTHER_ENVIRONMENT

    assert needed <= readable
    for name, service in app_services().items():
        environment = service["environment"]
        assert environment["CORESPONDER_ENV"] == "production", name
        for setting in needed:
            assert setting in environment or f"{setting}_FILE" in environment, (name, setting)
        unknown = set(environment) - known
        assert not unknown, f"{name} sets what nothing reads: {unknown}"
    assert "DATABASE_URL_FILE" in app_services()["migrate"]["environment"]
    assert (
        app_services()["migrate"]["environment"]["DATABASE_URL_FILE"]
        != app_services()["web"]["environment"]["DATABASE_URL_FILE"]
    ), "migrations run as the owner role, the site as the application role"


def test_every_variable_compose_reads_from_env_is_in_the_example() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    used = {match.group(1) for match in INTERPOLATION.finditer(text)}
    required = {
        match.group(1) for match in INTERPOLATION.finditer(text) if match.group(2) in {":?", "?"}
    }
    documented = env_example()

    assert required <= set(documented)
    assert used <= set(documented), used - set(documented)
    assert set(documented) <= used, (
        f"the example names what compose never reads: {set(documented) - used}"
    )


def test_the_web_environment_of_the_example_starts_in_production(tmp_path: Path) -> None:
    """`check --deploy` is clean with what compose gives web, the example's values filled in."""
    secrets = {
        "secret_key": "k3Jq9-vN0xR7pL2sT8wY4zA6bC1dE5fG_hI0jK9lM8nO7pQ6rS5tU4vW3xY2zA1b",
        "audit_key": "Zq8-wE3rT6yU1iO4pA7sD0fG2hJ5kL9xC3vB6nM1qW4eR7tY0uI2oP5aS8dF1gH4",
        "database_url": "postgres://coresponder_app:app-password@postgres:5432/coresponder",
    }
    for name, value in secrets.items():
        (tmp_path / name).write_text(value + "\n", encoding="utf-8")
    example = env_example()
    # Only what the container would have: nothing from the shell running the tests.
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for name, value in services()["web"]["environment"].items():
        value = interpolate(str(value), example)
        if value.startswith("/run/secrets/"):
            value = str(tmp_path / value.removeprefix("/run/secrets/"))
        environment[name] = value
    environment["CORESPONDER_VAR_DIR"] = str(tmp_path / "var")
    environment["AUDIT_CHECKPOINT_FILE"] = str(tmp_path / "audit" / "audit-checkpoints.log")

    result = subprocess.run(
        [sys.executable, "-m", "coresponder", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_the_commands_the_services_run_exist() -> None:
    commands = get_commands()
    scripts = pyproject_scripts()

    worker = services()["worker"]["command"]
    assert worker[0] in scripts
    assert worker[1] in commands
    migrate = services()["migrate"]["command"]
    assert migrate[:2] == ["sh", "-c"]
    run = re.findall(r"\b(\w+) (\w+)", migrate[2])
    named = [command for script, command in run if script in scripts]
    assert named == ["migrate", "audit_grant_roles"]
    assert all(command in commands for command in named)
    # The application role it grants is the one the database's first start creates.
    role = re.search(r"--app-role (\w+)", migrate[2])
    assert role and f"CREATE ROLE {role.group(1)} LOGIN" in POSTGRES_INIT.read_text(
        encoding="utf-8"
    )


def test_only_the_proxy_is_published_and_it_reaches_web_on_the_exposed_port() -> None:
    port = the_exposed_port()
    published = {name for name, service in services().items() if service.get("ports")}
    caddyfile = CADDYFILE.read_text(encoding="utf-8")

    assert published == {"proxy"}
    assert [str(port)] == [str(each) for each in services()["web"]["expose"]]
    assert f"reverse_proxy web:{port}" in caddyfile
    assert "--proxy-protocol" in services()["web"]["environment"]["GUNICORN_CMD_ARGS"]
    assert "proxy_protocol v2" in caddyfile


def test_the_proxy_limits_bodies_and_serves_the_collected_static_files() -> None:
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    limit = re.search(r"max_size (\d+)MB", caddyfile)
    copied = [copy_parts(each.arguments)[2] for each in stage("proxy").all("COPY")]

    assert limit and int(limit.group(1)) > 20, "room for the largest import (20 MB)"
    assert "handle_path /static/*" in caddyfile
    root = re.search(r"root \* (\S+)", caddyfile)
    assert root and root.group(1) in copied
    assert "/etc/caddy/Caddyfile" in copied


def test_the_health_check_is_off_where_nothing_serves_http() -> None:
    for name in ("worker", "migrate"):
        assert services()[name]["healthcheck"] == {"disable": True}
    assert services()["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"


# A real build, where a Docker daemon answers


def docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        probe = subprocess.run([docker, "info"], capture_output=True, check=False, timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def test_the_image_builds_where_a_docker_daemon_answers() -> None:
    stages = [each.name for each in dockerfile_stages()]
    assert stages[-1] == "runtime"
    if not docker_answers():
        print(
            "docker: no daemon answers `docker info`; the container files were checked statically"
        )
        return
    print("docker: a daemon answers; building the application and proxy images")
    for target in ("runtime", "proxy"):
        result = subprocess.run(
            ["docker", "build", "--target", target, "-t", f"coresponder-check-{target}", "."],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    version = subprocess.run(
        ["docker", "run", "--rm", "coresponder-check-runtime", "coresponder", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert version.returncode == 0 and version.stdout.startswith("coresponder "), version.stderr


def test_gunicorn_reads_the_settings_before_it_listens_in_the_container_and_the_unit() -> None:
    (cmd,) = stage("runtime").all("CMD")
    words = exec_form(cmd)
    unit = (ROOT / "deploy" / "coresponder-web.service").read_text(encoding="utf-8")

    assert words[words.index("--config") + 1] == "python:coresponder.gunicorn_config"
    assert "--config python:coresponder.gunicorn_config" in unit
