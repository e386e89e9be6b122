"""What a release promises, checked without building one (`make wheel` builds and tries it).

The version is written once, the licence is the GNU AGPL v3 text, the wheel's globs take
every template, static asset, data file and preset, and every page offers the source.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

import coresponder

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "coresponder"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The Free Software Foundation's agpl-3.0.txt, as it ships in Python and npm packages.
AGPL_3_SHA256 = "57c8ff33c9c0cfc3ef00e650a1cc910d7ee479a8bc509f6c9209a7c2a11399d6"


def run_coresponder(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_URL"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "coresponder", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def shipped_files(globs: list[str], directory: Path) -> set[Path]:
    return {path for pattern in globs for path in directory.glob(pattern) if path.is_file()}


def owning_package(path: Path) -> Path:
    """The nearest folder above a file that is a Python package."""
    folder = path.parent
    while not (folder / "__init__.py").exists():
        folder = folder.parent
    return folder


def test_the_version_is_written_once_and_coresponder_version_prints_it() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "coresponder.__version__"
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+", coresponder.__version__)

    result = run_coresponder("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"coresponder {coresponder.__version__}"


def test_the_changelog_has_an_unreleased_section_and_the_current_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)

    assert releases[0] == "Unreleased"
    assert coresponder.__version__ in releases


def test_the_licence_is_the_gnu_affero_gpl_version_3_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]

    assert lines[:2] == ["GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3, 19 November 2007"]
    assert "How to Apply These Terms to Your New Programs" in lines
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == AGPL_3_SHA256
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]


def test_the_wheel_takes_every_template_static_asset_and_data_file() -> None:
    package_data: dict[str, list[str]] = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert {"templates/**/*", "static/**/*"} <= set(package_data["*"])
    shipped: dict[Path, set[Path]] = {}
    missing = []
    for path in PACKAGE.rglob("*"):
        if not path.is_file() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        package = owning_package(path)
        if package not in shipped:
            dotted = ".".join(package.relative_to(ROOT).parts)
            globs = package_data["*"] + package_data.get(dotted, [])
            shipped[package] = shipped_files(globs, package)
        if path not in shipped[package]:
            missing.append(str(path.relative_to(ROOT)))

    assert missing == []
    assert (PACKAGE / "templates" / "base.html") in shipped_files(package_data["*"], PACKAGE)


def test_the_wheel_installs_every_program_preset() -> None:
    data_files: dict[str, list[str]] = PYPROJECT["tool"]["setuptools"]["data-files"]
    shipped = shipped_files(data_files["share/coresponder/presets"], ROOT)

    assert shipped == set((ROOT / "presets").glob("*.toml"))
    assert {p.stem for p in shipped} >= {"core", "pad", "pco", "qrt"}


def test_the_source_archive_carries_what_building_and_testing_need() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").split()

    for needed in ("LICENSE", "constraints.txt", "Makefile", "package-lock.json"):
        assert needed in manifest
    for folder in ("coresponder", "presets", "tests", "scripts", "docs"):
        assert f"graft {folder}" in " ".join(manifest)


def test_the_build_and_commit_tools_are_pinned_dev_dependencies() -> None:
    dev = " ".join(PYPROJECT["project"]["optional-dependencies"]["dev"])
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8")

    for name, pinned in (("build", "build=="), ("pre-commit", "pre_commit==")):
        assert f"{name}>=" in dev
        assert re.search(rf"^{re.escape(pinned)}\d", pins, flags=re.MULTILINE), name


def test_the_commit_hooks_run_the_project_s_own_tools_without_downloading_any() -> None:
    config: dict[str, Any] = yaml.safe_load(
        (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    )
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]

    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert {hook["id"] for hook in hooks} >= {"ruff", "ruff-format", "mypy"}
    for hook in hooks:
        assert hook["language"] == "system"
        assert hook["entry"].startswith(".venv/bin/")


@pytest.mark.django_db
def test_every_page_links_to_the_source_code_the_site_runs(settings: Any) -> None:
    settings.SOURCE_URL = "https://code.example.org/our-coresponder"

    page = Client().get("/accounts/login/").content.decode()

    assert "Coresponder is free software under the" in page
    assert "GNU AGPL v3 or later" in page
    assert '<a href="https://code.example.org/our-coresponder">source code</a>' in page


@pytest.mark.django_db
def test_without_a_source_address_the_footer_sends_people_to_the_operator(settings: Any) -> None:
    settings.SOURCE_URL = ""

    page = Client().get("/accounts/login/").content.decode()

    assert "GNU AGPL v3 or later" in page
    assert "ask this site's operator for its source code" in page


def test_a_source_address_that_is_not_a_web_address_stops_start_up() -> None:
    result = run_coresponder("check", SOURCE_URL="ftp://code.example.org/coresponder")

    assert result.returncode != 0
    assert "SOURCE_URL='ftp://code.example.org/coresponder' must be an http(s) address" in (
        result.stderr
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "words"),
    [("/help", "source code"), ("/help?lang=es", "código fuente")],
)
def test_the_public_help_page_carries_the_notice_in_its_language(
    settings: Any, path: str, words: str
) -> None:
    settings.SOURCE_URL = "https://code.example.org/our-coresponder"

    page = Client().get(path).content.decode()

    assert f'<a href="https://code.example.org/our-coresponder">{words}</a>' in page


def test_the_error_page_carries_the_notice_without_a_request(settings: Any) -> None:
    from django.template.loader import render_to_string

    settings.SOURCE_URL = "https://code.example.org/our-coresponder"

    page = render_to_string("500.html")

    assert '<a href="https://code.example.org/our-coresponder">source code</a>' in page
