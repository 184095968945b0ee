"""Every command the README shows runs after the setup it names (issue 13): what the game's code
imports is installed by the requirements file that setup installs — `bin/play` installs
requirements/base.txt, and requirements/prod.txt when DATABASE_URL names MySQL/MariaDB. Read from
the code and the installed packages' metadata, so a package that only the tests' requirements bring
fails here even though the tests' environment has it."""

import ast
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from django.core.management import get_commands
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.cluster import ROOT

REQUIREMENTS = ROOT / "requirements"
GAME_PACKAGES = ("mudserver", "accounts", "village", "battles", "chat", "arena")
GAME_MODULES = ("manage", "celery_app")
# The MySQL driver is imported only on the MySQL path, which bin/play sets up with prod.txt.
DRIVER_MODULES = {"MySQLdb"}


def _requirement_lines(path: Path) -> list[str]:
    lines = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += _requirement_lines(path.parent / line[3:].strip())
        elif line:
            lines.append(line)
    return lines


@cache
def installed_by(requirements: str) -> frozenset[str]:
    """The distributions that `pip install -r requirements/<file>` installs: the pins and what they
    require, for their extras, on this platform."""
    found: set[str] = set()
    pending = [(Requirement(line), "") for line in _requirement_lines(REQUIREMENTS / requirements)]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        extras = sorted(requirement.extras)
        if (name, tuple(extras)) in found:
            continue
        found.add((name, tuple(extras)))
        for needed in metadata.requires(requirement.name) or []:
            needed = Requirement(needed)
            pending += [(needed, wanted) for wanted in ["", *extras]]
    return frozenset(name for name, _extras in found)


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports, anywhere in it (inside functions too); for `from a
    import b` both `a` and `a.b`, since b may be a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def third_party_imports(files: list[Path]) -> set[str]:
    """The top-level names of what `files` import that neither the standard library nor the game
    provides, following the game's own modules they import."""
    seen, pending, found = set(), list(files), set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            if top in GAME_PACKAGES or top in GAME_MODULES:
                if local := _module_file(name):
                    pending.append(local)
            else:
                found.add(top)
    return found


def missing_from(requirements: str, modules: set[str]) -> set[str]:
    distributions = metadata.packages_distributions()
    installed = installed_by(requirements)
    return {m for m in modules if not {canonicalize_name(d) for d in distributions.get(m, [])} & installed}


def readme_commands() -> list[tuple[str, str]]:
    """Each `manage.py <command>` of README.md with the requirements its setup installs: prod.txt
    when the command line (with its continuation lines) sets DATABASE_URL, else base.txt."""
    commands, previous = [], ""
    for line in (ROOT / "README.md").read_text().splitlines():
        whole = previous + line
        for command in re.findall(r"manage\.py (\w+)", line):
            commands.append((command, "prod.txt" if "DATABASE_URL=" in whole else "base.txt"))
        previous = whole[:-1] + " " if line.endswith("\\") else ""
    return commands


def test_the_readme_commands_are_found():
    found = dict(readme_commands())
    assert found["loadtest"] == "prod.txt" and found["cluster"] == "prod.txt" and found["bench_hashing"] == "base.txt"


def _game_files() -> list[Path]:
    files = [path for package in GAME_PACKAGES for path in (ROOT / package).rglob("*.py")]
    return files + [ROOT / f"{module}.py" for module in GAME_MODULES]


def test_everything_the_game_imports_is_installed_by_the_production_requirements():
    assert missing_from("prod.txt", third_party_imports(_game_files())) == set()


def test_the_game_itself_runs_on_the_default_requirements():
    """What daphne, the workers and beat import (the management commands aside) comes with bin/play's
    default setup, requirements/base.txt."""
    files = [path for path in _game_files() if "management" not in path.parts]
    assert missing_from("base.txt", third_party_imports(files) - DRIVER_MODULES) == set()


@pytest.mark.parametrize(("command", "requirements"), readme_commands())
def test_each_readme_command_runs_after_the_setup_it_names(command, requirements):
    app = get_commands()[command]
    if app not in GAME_PACKAGES:
        return  # Django's own (createsuperuser): installed with Django
    module = _module_file(f"{app}.management.commands.{command}")
    # Django loads every app (models, admin, apps) before any command runs.
    loaded = [module, ROOT / "manage.py", *(ROOT / package / "models.py" for package in GAME_PACKAGES)]
    needed = third_party_imports([path for path in loaded if path.is_file()]) - DRIVER_MODULES
    assert missing_from(requirements, needed) == set()
