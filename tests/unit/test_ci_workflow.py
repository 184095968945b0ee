"""The GitHub workflow (issue 13) runs the project's own CI script, as here, and builds the compose image;
actionlint finds nothing wrong in it (.ci/run checks that too, before the tests)."""

import subprocess
import sys
from pathlib import Path

import yaml

from tests.cluster import ROOT

WORKFLOW_PATH = ROOT / ".github" / "workflows" / "ci.yml"
WORKFLOW = yaml.safe_load(WORKFLOW_PATH.read_text())


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_it_runs_on_every_push_and_pull_request():
    triggers = WORKFLOW[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert all(value is None for value in triggers.values())  # no branch or path filters


def test_it_runs_the_ci_script_in_debian_12_as_root():
    jobs = [job for job in WORKFLOW["jobs"].values() if "bash .ci/run" in _runs(job)]
    assert len(jobs) == 1
    container = jobs[0]["container"]
    assert container["image"] == "debian:12" and "--user root" in container["options"]
    setup = _runs(jobs[0])
    for package in ("python3", "python3-venv", "git"):
        assert f" {package} " in setup


def test_it_builds_the_compose_image():
    builds = [job for job in WORKFLOW["jobs"].values() if "docker compose build" in _runs(job)]
    assert len(builds) == 1 and any(step.get("working-directory") == "compose" for step in builds[0]["steps"])


def test_actionlint_finds_nothing():
    # requirements/dev.txt installs it beside this Python
    actionlint = Path(sys.executable).parent / "actionlint"
    result = subprocess.run([actionlint, WORKFLOW_PATH], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
