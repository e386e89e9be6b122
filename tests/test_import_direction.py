"""A page's view is reached through URLs: only `urls` modules and the site import views.

An app that needs what another app's page shows calls that app's reading or actions
functions; a view imported elsewhere ties pages together behind the URLs' back. The layers
between the site, the apps, the core and the domain rules, and "no app imports another
app's views", are import-linter's contracts in pyproject.toml (`lint-imports`, run by
`make lint`); this test holds the rule within an app too, and the contract to every views
module there is.
"""

from __future__ import annotations

import re
import tomllib

from tests.architecture_scan import (
    ROOT,
    Module,
    app_packages,
    application_modules,
    imported_modules,
    imports,
)


def is_views(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "views" or last.endswith("_views")


def is_urls(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "urls" or last.endswith("_urls")


def may_import_views(module: Module) -> bool:
    return module.is_site or is_urls(module.name)


def views_imports() -> dict[str, list[str]]:
    """ "importer -> views module" for every import of a views module, with where it is."""
    found: dict[str, list[str]] = {}
    for module in application_modules():
        if may_import_views(module):
            continue
        for node, _ in imports(module):
            for name in imported_modules(module, node):
                if is_views(name) and name != module.name:
                    found.setdefault(f"{module.name} -> {name}", []).append(
                        f"{module.relpath}:{node.lineno}"
                    )
    return found


def test_the_check_knows_views_and_urls_modules() -> None:
    assert is_views("coresponder.people.views") and is_views("coresponder.intake.triage_views")
    assert not is_views("coresponder.people.reading") and not is_views("coresponder.viewsets")
    assert is_urls("coresponder.urls") and is_urls("coresponder.intake.public_urls")


def test_only_urls_modules_and_the_site_import_views() -> None:
    found = views_imports()
    assert not found, (
        "Only urls modules and the site (coresponder/urls.py, api.py) may import a views "
        "module; call the other app's reading or actions functions instead:\n"
        + "\n".join(f"  {edge}  ({', '.join(where)})" for edge, where in sorted(found.items()))
    )


def layered_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    return {name for layer in layers for name in re.split(r"[\s:|()]+", layer) if name}


def top_level_modules() -> set[str]:
    """Every module and package right under coresponder/, but pytest's conftest."""
    package = ROOT / "coresponder"
    modules = {f"coresponder.{p.stem}" for p in package.glob("*.py")}
    packages = {f"coresponder.{d.name}" for d in package.iterdir() if (d / "__init__.py").exists()}
    return (modules | packages) - {"coresponder.__init__", "coresponder.conftest"}


def test_every_app_and_top_level_module_has_its_place_in_the_layers() -> None:
    assert set(app_packages()) <= top_level_modules()
    missing = top_level_modules() - layered_modules()
    assert not missing, f"Name these in pyproject.toml's import-linter layers: {sorted(missing)}"


def views_modules() -> set[str]:
    return {m.name for m in application_modules() if is_views(m.name)}


def test_the_views_contract_forbids_every_views_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    contract = next(c for c in contracts if c["id"] == "views-behind-urls")
    assert set(contract["forbidden_modules"]) == views_modules(), (
        "List every views module in the views-behind-urls contract of pyproject.toml"
    )
    apps = set(app_packages()) - {"coresponder.demo"}  # the demo is the site's, as urls is
    assert apps <= set(contract["source_modules"])
