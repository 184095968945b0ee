"""The production topology on one machine, as one command: nginx on --port balancing --web daphne
processes, --workers Celery workers and one beat, with the same Redis, migrations and final flush
as `rungame` (whose embedded single-process run this extends). Every process is supervised: one
that exits (crashed, killed, or drained by SIGTERM) is started again alone, so a rolling restart
is one `kill -TERM $(cat var/cluster-8000/web1.pid)` at a time (mudserver.cluster.Supervisor).

    manage.py cluster --web 2 --workers 2 --port 8000

Its processes run the production settings (DEBUG off) with DJANGO_SECRET_KEY, or else a key made
once and kept in var/secret_key; DJANGO_SETTINGS_MODULE other than the development default wins.
"""

from django.conf import settings
from django.core.management import call_command

from mudserver.benchmarks import free_port
from mudserver.cluster import ProcessSpec, secret_key_kept, topology_for
from mudserver.management.commands import rungame

DEVELOPMENT_SETTINGS = "mudserver.settings.dev"  # manage.py's default, so not a choice anyone made


class Command(rungame.Command):
    help = "Run nginx in front of several daphne processes, several Celery workers and one beat."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--web", type=int, default=2, help="daphne processes behind nginx")
        parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (each --concurrency)")
        parser.add_argument("--flower-port", type=int, default=5555, help="Flower, Celery's monitor (0: none)")
        parser.set_defaults(concurrency=1)

    def process_env(self, environ) -> dict[str, str]:
        module = environ.get("DJANGO_SETTINGS_MODULE", DEVELOPMENT_SETTINGS)
        return dict(
            environ,
            DJANGO_SETTINGS_MODULE="mudserver.settings.prod" if module == DEVELOPMENT_SETTINGS else module,
            DJANGO_SECRET_KEY=environ.get("DJANGO_SECRET_KEY") or secret_key_kept(settings.VAR_DIR / "secret_key"),
        )

    def prepare(self) -> None:
        # The production settings serve static files from STATIC_ROOT only (whitenoise, no finders).
        call_command("collectstatic", interactive=False, verbosity=0)

    def processes(
        self,
        *,
        host: str,
        port: int,
        web: int,
        workers: int,
        concurrency: int,
        metrics_port: int,
        flower_port: int,
        **options,
    ) -> list[ProcessSpec]:
        topology = topology_for(
            host=host,
            port=port,
            web_ports=[free_port() for _ in range(web)],
            workers=workers,
            concurrency=concurrency,
            metrics_port=metrics_port,
            flower_port=flower_port,
        )
        self.run_dir = topology.run_dir  # where the supervisor writes each process's <name>.pid
        return topology.specs()
