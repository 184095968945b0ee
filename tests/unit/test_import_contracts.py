"""The layers of DESIGN.md are import-linter contracts (pyproject.toml, checked by .ci/run): the
tree keeps them, and each one breaks when an import crosses its line."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, env={"PYTHONPATH": str(root)}
    )


def _tree_copy(tmp_path: Path) -> Path:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in [*files, "pyproject.toml"]:
        if name.endswith(".py") or name == "pyproject.toml":
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_config()['contracts'])} kept, 0 broken." in result.stdout


def test_no_contract_ignores_an_import():
    assert [contract["id"] for contract in _config()["contracts"] if "ignore_imports" in contract] == []


def test_the_contracts_cover_the_layers():
    contracts = {contract["id"]: contract for contract in _config()["contracts"]}
    assert set(contracts["shell"]["forbidden_modules"]) >= {"accounts", "arena", "battles", "chat", "village"}
    assert set(contracts["accounts"]["forbidden_modules"]) >= {"battles", "chat"}
    assert set(contracts["rules"]["forbidden_modules"]) >= {"django", "redis", "channels", "celery", "*.models"}
    assert "mudserver.benchmarks" in contracts["benchmarks"]["protected_modules"]


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("mudserver/markup.py", "import battles.rules", "The shell (mudserver) knows no game"),
        ("mudserver/places.py", "import chat.services", "The shell (mudserver) knows no game"),
        ("accounts/selectors.py", "import chat.models", "accounts imports no other feature app"),
        ("accounts/gm.py", "import battles.services", "accounts imports no other feature app"),
        ("battles/services.py", "import game.help_topics", "No app imports the game-level app"),
        ("battles/engine.py", "import redis", "Rules modules are pure"),
        ("accounts/progression.py", "import accounts.models", "Rules modules are pure"),
        ("village/rules.py", "import django.db", "Rules modules are pure"),
        ("battles/services.py", "import mudserver.benchmarks", "Only the benchmark commands"),
    ],
)
def test_a_contract_breaks_when_an_import_crosses_it(tmp_path, module, line, contract):
    tree = _tree_copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = _lint(tree)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN")]
    # Indirect imports count: a shell module that imports battles breaks accounts' contract too.
    assert [row for row in broken if row.startswith(contract)], result.stdout
