"""`manage.py cluster` is the production topology (issue 13): its processes run with DEBUG off and a
secret key of their own, made once and kept under var/, unless the environment gives one."""

import subprocess
import sys

from mudserver.management.commands.cluster import Command
from tests.cluster import ROOT

# What the processes see once Django has loaded their settings.
SHOW_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
)


def _started(environ: dict) -> dict:
    return Command().process_env(environ)


def _loaded(env: dict) -> str:
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_processes_run_without_debug_on_a_secret_kept_under_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    # manage.py names the development settings when the environment names none
    environ = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "mudserver.settings.dev"}
    env = _started(environ)
    kept = tmp_path / "secret_key"
    assert kept.stat().st_mode & 0o777 == 0o600
    key = kept.read_text().strip()
    assert len(key) >= 50 and key != "dev-only-insecure-key-change-me"
    assert env["DJANGO_SETTINGS_MODULE"] == "mudserver.settings.prod" and env["DJANGO_SECRET_KEY"] == key
    assert _loaded(env) == f"False {key}"
    assert _started(environ)["DJANGO_SECRET_KEY"] == key  # the next start reuses it
    assert kept.read_text().strip() == key


def test_a_secret_or_settings_module_from_the_environment_wins(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    env = _started({"DJANGO_SECRET_KEY": "the-operators-own", "DJANGO_SETTINGS_MODULE": "mudserver.settings.test"})
    assert env["DJANGO_SECRET_KEY"] == "the-operators-own"
    assert env["DJANGO_SETTINGS_MODULE"] == "mudserver.settings.test"
    assert not (tmp_path / "secret_key").exists()
