"""The production topology on one machine, as one command: nginx on --port balancing --web daphne
processes, --workers Celery workers and one beat, with the same Redis, migrations and final flush
as `rungame` (whose embedded single-process run this extends).

    manage.py cluster --web 2 --workers 2 --port 8000
"""

from mudserver.benchmarks import free_port
from mudserver.cluster import ProcessSpec, topology_for
from mudserver.management.commands import rungame


class Command(rungame.Command):
    help = "Run nginx in front of several daphne processes, several Celery workers and one beat."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--web", type=int, default=2, help="daphne processes behind nginx")
        parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (each --concurrency)")
        parser.add_argument("--flower-port", type=int, default=5555, help="Flower, Celery's monitor (0: none)")
        parser.set_defaults(concurrency=1)

    def processes(self, *, host: str, port: int, web: int, workers: int, concurrency: int, metrics_port: int,
                  flower_port: int, **options) -> list[ProcessSpec]:  # fmt: skip
        topology = topology_for(host=host, port=port, web_ports=[free_port() for _ in range(web)], workers=workers,
                                concurrency=concurrency, metrics_port=metrics_port, flower_port=flower_port)  # fmt: skip
        return topology.specs()
