"""The production stack in compose/, checked without a Docker daemon: the commands the services run exist in this
repository, the variables they set are ones the settings read (and the settings get every one they need), there is
one beat, long-running services have health checks and restart policies, nginx proxies WebSockets to the web
service, and the image installs requirements/prod.txt."""

import ast
import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from celery.bin.celery import celery as celery_cli
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"
COMPOSE_TEXT = (COMPOSE_DIR / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
NGINX_CONF = (COMPOSE_DIR / "nginx.conf").read_text()
DOCKERFILE = (COMPOSE_DIR / "Dockerfile").read_text()
ENV_EXAMPLE = (COMPOSE_DIR / ".env.example").read_text()

ONE_SHOT = {"migrate"}
# The services that run the game's code: built from compose/Dockerfile.
GAME_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
# What production reads: prod.py on top of base.py.
PROD_SETTINGS = [ROOT / "mudserver" / "settings" / "base.py", ROOT / "mudserver" / "settings" / "prod.py"]


def settings_env_reads() -> dict[str, bool]:
    """Each variable the production settings read through django-environ (`env(...)`, `env.str(...)`, ...), and
    whether every read of it has a default."""
    reads: dict[str, bool] = {}
    for path in PROD_SETTINGS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _is_env_read(node.func) and node.args:
                name = node.args[0]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    has_default = len(node.args) > 1 or any(keyword.arg == "default" for keyword in node.keywords)
                    reads[name.value] = reads.get(name.value, True) and has_default
    return reads


def _is_env_read(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "env"
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
        and func.attr != "read_env"
    )


def env_example_names() -> tuple[set[str], set[str]]:
    """The names .env.example sets, and those it documents commented out."""
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, re.M))
    commented = set(re.findall(r"^#\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, re.M))
    return assigned, commented


def compose_variables() -> set[str]:
    """The names docker-compose.yml interpolates (`${NAME}`, `${NAME:-default}`, `${NAME:?message}`)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_TEXT))


def service_commands(service: dict) -> list[list[str]]:
    """The commands a service runs, its health check's included; `sh -c` scripts are split at `&&`."""
    found = _commands(service["command"]) if "command" in service else []
    test = service.get("healthcheck", {}).get("test")
    if isinstance(test, str):
        found += _shell_commands(test)
    elif test and test[0] == "CMD-SHELL":
        found += _shell_commands(test[1])
    elif test:
        found += _commands(test[1:])
    return found


def _commands(argv: list[str] | str) -> list[list[str]]:
    if isinstance(argv, str):
        return _shell_commands(argv)
    if argv[:2] == ["sh", "-c"]:
        return _shell_commands(argv[2])
    return [list(argv)]


def _shell_commands(script: str) -> list[list[str]]:
    return [shlex.split(part) for part in script.split("&&")]


def module_names(module: str) -> set[str]:
    """Top-level names a module of this repository defines, read without importing it."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"no module {module}"
    tree = ast.parse(Path(spec.origin).read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def check_python_snippet(code: str) -> None:
    """A `python -c` health check compiles, and what it imports exists (this repository's names included)."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert importlib.util.find_spec(alias.name) is not None, f"{code!r}: no module {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            spec = importlib.util.find_spec(node.module)
            assert spec is not None, f"{code!r}: no module {node.module}"
            if spec.origin and Path(spec.origin).is_relative_to(ROOT):
                missing = {alias.name for alias in node.names} - module_names(node.module)
                assert not missing, f"{code!r}: {node.module} has no {missing}"


def check_asgi_application(path: str) -> None:
    """daphne's last argument, `module:attribute`, names something this repository has."""
    module, attribute = path.split(":")
    assert attribute in module_names(module), f"{module} has no {attribute}"


def check_game_command(argv: list[str]) -> None:
    """A command of a game service runs something this repository has."""
    program, *args = argv
    if program == "python" and args[0] == "-c":
        check_python_snippet(args[1])
    elif program == "python" and args[0] == "-m":
        assert importlib.util.find_spec(args[1]) is not None, f"no module {args[1]}"
        if args[1] == "mudserver.serve":  # daphne's arguments follow
            check_asgi_application(args[-1])
    elif program == "python":
        assert args[0] == "manage.py", argv
        assert args[1] in get_commands(), f"no management command {args[1]!r}"
    elif program == "daphne":
        check_asgi_application(args[-1])
    elif program == "celery":
        assert args[0] == "-A", argv
        assert "app" in module_names(args[1]), f"{args[1]} defines no Celery `app`"
        assert args[2] in celery_cli.commands, f"celery has no {args[2]!r} command"
    else:
        pytest.fail(f"unexpected program {program!r} in {argv}")


def celery_services(subcommand: str) -> list[str]:
    return [
        name
        for name in GAME_SERVICES
        if SERVICES[name]["command"][:1] == ["celery"] and SERVICES[name]["command"][3] == subcommand
    ]


def option(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg in names:
            return argv[i + 1]
    return None


def nginx_block(head: str) -> str:
    """The body of the first block of nginx.conf whose header matches `head` (blocks here hold no nested braces)."""
    match = re.search(head + r"\s*\{([^{}]*)\}", NGINX_CONF)
    assert match, f"nginx.conf has no block {head}"
    return match.group(1)


def test_every_service_says_what_it_runs():
    assert {"nginx", "web", "worker", "beat", "flower", "migrate", "mariadb", "redis"} <= set(SERVICES)
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name
    for name in GAME_SERVICES:
        assert "command" in SERVICES[name], f"{name} names no command"


@pytest.mark.parametrize("name", GAME_SERVICES)
def test_game_commands_exist(name):
    for argv in service_commands(SERVICES[name]):
        check_game_command(argv)


def test_the_image_is_built_from_prod_requirements():
    build = SERVICES["web"]["build"]
    assert (COMPOSE_DIR / build["context"] / build["dockerfile"]).resolve() == COMPOSE_DIR / "Dockerfile"
    assert all(SERVICES[name]["build"] == build for name in GAME_SERVICES), "one image for every game service"
    assert re.search(r"^FROM python:3\.11-slim", DOCKERFILE, re.M)
    assert re.search(r"pip install .*-r \S*requirements/prod\.txt", DOCKERFILE)
    assert "pkg-config" in DOCKERFILE and "default-libmysqlclient-dev" in DOCKERFILE
    assert "/tmp/argon2-native /venv/bin/python" in DOCKERFILE, "argon2 built for the CPU, as bin/setup does"
    context = (COMPOSE_DIR / build["context"]).resolve()
    for source in re.findall(r"^COPY (?!--from)(\S+) ", DOCKERFILE, re.M):
        assert (context / source).exists(), f"COPY {source}: not in the build context"
    assert "collectstatic" in DOCKERFILE
    assert "DJANGO_SETTINGS_MODULE=mudserver.settings.prod" in DOCKERFILE
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1] not in {"root", "0"}, "the game runs as a user of its own"
    assert "compose/.env" in (ROOT / ".dockerignore").read_text().split(), "secrets stay out of the image"


def test_the_image_installs_what_the_services_run():
    pins = set()
    for path in (ROOT / "requirements" / "prod.txt", ROOT / "requirements" / "base.txt"):
        pins |= {re.split(r"[=<>\[ ]", line)[0].lower() for line in path.read_text().splitlines() if line[:1].isalpha()}
    assert {"daphne", "celery", "flower", "mysqlclient"} <= pins


def test_worker_queues_are_the_routed_queues():
    (worker,) = celery_services("worker")
    command = SERVICES[worker]["command"]
    queues = set(option(command, "-Q", "--queues").split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    default = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    assert queues == routed | {default}
    assert option(command, "-c", "--concurrency"), "worker concurrency is capped"
    # One task at a time per process, acknowledged after it ran: a stopped worker's tasks go back to the queue.
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1 and settings.CELERY_TASK_ACKS_LATE


def test_exactly_one_beat():
    assert celery_services("beat") == ["beat"]
    beat = SERVICES["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1 and beat.get("scale", 1) == 1
    for name in GAME_SERVICES:  # no worker runs an embedded beat either
        assert not {"-B", "--beat"} & set(SERVICES[name]["command"]), name


def test_web_is_replicated_and_nginx_is_the_only_way_in():
    assert SERVICES["web"]["deploy"]["replicas"] >= 2
    assert "ports" not in SERVICES["web"], "a fixed host port would stop --scale web=N"
    published = {name for name, service in SERVICES.items() if "ports" in service}
    assert published == {"nginx", "flower"}
    assert all(port.startswith("127.0.0.1:") for port in SERVICES["flower"]["ports"]), "Flower stays on loopback"


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT))
def test_long_running_services_have_health_checks_and_restart(name):
    service = SERVICES[name]
    assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert service.get("restart") == "unless-stopped"


def test_web_and_worker_stop_gracefully():
    for name in ("web", "worker"):
        assert SERVICES[name].get("stop_grace_period"), name


def test_migrate_runs_once_before_the_game():
    migrate = SERVICES["migrate"]
    assert migrate["restart"] == "no"
    scripts = [argv[:3] for argv in service_commands(migrate)]
    assert scripts == [["python", "manage.py", "migrate"], ["python", "manage.py", "load_game_data"]]
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_data_lives_in_named_volumes():
    for name, path in (("mariadb", "/var/lib/mysql"), ("redis", "/data")):
        volume = next(v.split(":")[0] for v in SERVICES[name]["volumes"] if v.split(":")[1] == path)
        assert volume in COMPOSE["volumes"], f"{name}'s {path} is not a named volume"


def test_environment_is_what_the_settings_read():
    reads = settings_env_reads()
    assigned, commented = env_example_names()
    # .env.example holds the settings' variables and the stack's own (interpolated in docker-compose.yml).
    assert not (assigned | commented) - set(reads) - compose_variables()
    for name in GAME_SERVICES:
        service = SERVICES[name]
        assert service["env_file"] == ".env", name
        environment = set(service.get("environment", {}))
        if name == "flower":  # Flower reads its own options as FLOWER_<OPTION>
            environment = {variable for variable in environment if not variable.startswith("FLOWER_")}
        assert not environment - set(reads), f"{name} sets variables no setting reads"
        required = {variable for variable, has_default in reads.items() if not has_default}
        assert required <= assigned | environment, f"{name} lacks required settings"


def test_nginx_proxies_websockets_to_web():
    web_command = SERVICES["web"]["command"]
    upstream = re.search(r"upstream (\w+)\s*\{", NGINX_CONF).group(1)
    servers = re.findall(r"^\s*server ([\w.-]+):(\d+)", nginx_block(rf"upstream {upstream}"), re.M)
    assert servers == [("web", option(web_command, "-p", "--port"))]
    balancing = re.findall(r"^\s*(ip_hash|hash|sticky|least_conn|random)\b", nginx_block(rf"upstream {upstream}"), re.M)
    assert balancing == ["least_conn"], "no sticky sessions; sockets spread by how many each replica holds"
    # A restarted replica gets its share back as soon as it listens (never marked down meanwhile).
    assert re.findall(r"^\s*server web:8000 .*\bmax_fails=0;", nginx_block(rf"upstream {upstream}"), re.M)
    assert "resolver 127.0.0.11" in NGINX_CONF, "Docker's DNS finds replicas added by --scale"
    websocket = nginx_block(r"location /ws/")
    assert f"proxy_pass http://{upstream};" in websocket and "proxy_read_timeout" in websocket
    assert re.search(r"map \$http_upgrade \$connection_upgrade", NGINX_CONF)
    for header in (
        "Upgrade $http_upgrade",
        "Connection $connection_upgrade",
        "Host $http_host",
        "X-Real-IP $remote_addr",
        "X-Forwarded-For $remote_addr",  # what the client sent is replaced, not passed on
        "X-Forwarded-Proto $scheme",
    ):
        assert f"proxy_set_header {header};" in NGINX_CONF, header
    assert "$proxy_add_x_forwarded_for" not in NGINX_CONF
    # daphne believes the address nginx sets from TRUSTED_PROXIES only (mudserver.client_address), never
    # with --proxy-headers, which believes any peer.
    assert "--proxy-headers" not in web_command
    assert "TRUSTED_PROXIES" in COMPOSE["x-game"]["environment"]
    assert "proxy_next_upstream error timeout;" in NGINX_CONF
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["nginx"]["volumes"]


def test_nginx_limits_sockets_and_handshakes_per_address_as_the_settings_say():
    gate = settings.GATE
    websocket = nginx_block(r"location /ws/")
    sockets = re.search(r"limit_conn_zone \$binary_remote_addr zone=(\w+):", NGINX_CONF).group(1)
    handshakes, rate = re.search(
        r"limit_req_zone \$binary_remote_addr zone=(\w+):\w+ rate=(\d+)r/s;", NGINX_CONF
    ).groups()
    assert int(rate) == gate["HANDSHAKES_PER_SECOND"]
    assert f"limit_conn {sockets} {gate['SOCKETS_PER_ADDRESS']};" in websocket
    # nginx lets its burst and one more through at once
    assert f"limit_req zone={handshakes} burst={gate['HANDSHAKE_BURST'] - 1} nodelay;" in websocket


ADMIN_NETWORKS_SCRIPT = COMPOSE_DIR / "admin-networks.sh"


def admin_networks_rendered(networks: str, out: Path) -> list[str]:
    """The lines admin-networks.sh writes for ADMIN_NETWORKS=`networks`, as the nginx image's entrypoint runs it."""
    environment = {"ADMIN_NETWORKS": networks, "ADMIN_NETWORKS_CONF": str(out)}
    subprocess.run(["sh", str(ADMIN_NETWORKS_SCRIPT)], env=environment, check=True)
    return out.read_text().splitlines()


def test_nginx_hides_metrics_and_keeps_the_admin_to_admin_networks(tmp_path):
    assert nginx_block(r"location /metrics").split() == ["return", "404;"]
    admin_location = nginx_block(r"location /admin/")
    included = re.search(r"include (\S+);", admin_location).group(1)
    assert "proxy_pass http://web;" in admin_location
    # The image's entrypoint runs executable *.sh files of /docker-entrypoint.d/ before nginx starts.
    mount = next(v for v in SERVICES["nginx"]["volumes"] if v.startswith("./admin-networks.sh:"))
    assert re.fullmatch(r"\./admin-networks\.sh:/docker-entrypoint\.d/[\w-]+\.sh:ro", mount)
    assert ADMIN_NETWORKS_SCRIPT.stat().st_mode & 0o111
    assert SERVICES["nginx"]["environment"]["ADMIN_NETWORKS"] == "${ADMIN_NETWORKS:-}"
    assert f'out="${{ADMIN_NETWORKS_CONF:-{included}}}"' in ADMIN_NETWORKS_SCRIPT.read_text()
    assert admin_networks_rendered("", tmp_path / "open.conf") == []  # off by default
    closed = admin_networks_rendered("203.0.113.0/24, 10.8.0.0/16", tmp_path / "closed.conf")
    assert closed == ["allow 203.0.113.0/24;", "allow 10.8.0.0/16;", "deny all;"]


def nginx_version() -> tuple[int, ...]:
    banner = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=True).stderr
    return tuple(int(part) for part in re.search(r"nginx/([\d.]+)", banner).group(1).split("."))


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_conf_syntax(tmp_path):
    conf = NGINX_CONF
    if nginx_version() < (1, 27, 3):
        # No `resolve` for upstream servers before 1.27.3, and `web` would have to resolve now: a local address
        # stands in for Docker's DNS.
        conf = conf.replace("server web:8000 resolve max_fails=0;", "server 127.0.0.1:8000 max_fails=0;")
    # The admin's allow/deny lines, as the entrypoint renders them, where nginx.conf includes them.
    admin_networks_rendered("203.0.113.0/24", tmp_path / "admin-networks.conf")
    conf = conf.replace("include /etc/nginx/admin-networks.conf;", f"include {tmp_path / 'admin-networks.conf'};")
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run(
        ["nginx", "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "/dev/stderr"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
