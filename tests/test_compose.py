"""docker-compose.yml cannot run here (no Docker), so check what would break a deploy: it parses,
every service can be built or pulled, every mounted file exists, the mounted DAG folder is the one
the DAG tests parse, and every variable it needs is documented in .env.example."""

from __future__ import annotations

import re

import pytest
import yaml

from warehouse.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _bind_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of every bind mount (a source that is a path, not a named volume)."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((volume["source"], volume["target"]))
            continue
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/", "~")):
            mounts.append((source, target))
    return mounts


def test_parses_and_has_the_production_services(compose):
    services = compose["services"]
    assert {"postgres", "metabase"} | AIRFLOW_SERVICES <= set(services)
    commands = {
        name: " ".join(map(str, services[name].get("command", []) or [])) for name in AIRFLOW_SERVICES
    }
    assert services["airflow-apiserver"]["command"] == "airflow api-server"
    assert services["airflow-scheduler"]["command"] == "airflow scheduler"
    assert services["airflow-dag-processor"]["command"] == "airflow dag-processor"
    assert services["airflow-triggerer"]["command"] == "airflow triggerer"
    init = commands["airflow-init"]
    assert "airflow db migrate" in init and "absensi db migrate" in init
    assert "pools set device_pull" in init and "pools set warehouse 1" in init
    for name in AIRFLOW_SERVICES:  # LocalExecutor unless the `celery` profile's .env says otherwise
        assert (
            services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
        )
        assert "profiles" not in services[name]


def test_every_service_has_an_image_or_a_build_that_exists(compose):
    for name, service in compose["services"].items():
        assert service.get("image") or service.get("build"), name
        build = service.get("build")
        if build:
            context = PROJECT_ROOT / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / (
                build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
            )
            assert dockerfile.is_file(), f"{name}: {dockerfile} missing"


def test_every_mounted_path_exists_in_the_repository(compose):
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/", "~")):
                assert source.startswith("./"), f"{name}: {source} is outside the repository"
                assert (PROJECT_ROOT / source).exists(), f"{name}: mounted {source} does not exist"
            else:
                assert source in declared, f"{name}: named volume {source} not declared"


def test_dockerfile_copies_only_what_exists():
    dockerfile = (PROJECT_ROOT / "docker" / "airflow" / "Dockerfile").read_text(encoding="utf-8")
    copied = re.findall(r"^COPY(?: --\S+)* (.+) \S+$", dockerfile, flags=re.M)
    sources = [src for line in copied for src in line.split()]
    assert {"absensi", "ingest", "dags", "dbt", "requirements.lock", "pyproject.toml"} <= set(sources)
    for source in sources:
        assert (PROJECT_ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_the_mounted_dag_folder_is_the_one_the_tests_parse(compose):
    from absensi.orchestration.airflow_local import DAGS_FOLDER

    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        dags_target = service["environment"]["AIRFLOW__CORE__DAGS_FOLDER"]
        sources = [src for src, target in _bind_mounts(service) if target == dags_target]
        assert len(sources) == 1, f"{name}: DAG folder {dags_target} is not mounted"
        assert (PROJECT_ROOT / sources[0]).resolve() == DAGS_FOLDER.resolve()
    assert sorted(p.name for p in DAGS_FOLDER.glob("*.py")) == [
        "attendance_hourly.py",
        "monthly_close.py",
        "reference_daily.py",
    ]


def test_init_script_is_mounted_and_executable(compose):
    mounts = dict(_bind_mounts(compose["services"]["postgres"]))
    script = PROJECT_ROOT / "docker/postgres/init-databases.sh"
    assert mounts["./docker/postgres/init-databases.sh"].startswith("/docker-entrypoint-initdb.d/")
    assert script.stat().st_mode & 0o111
    for database in ("absensi", "airflow", "metabase"):
        assert f"create database {database} " in script.read_text()


def test_every_variable_is_documented_in_env_example_without_secrets():
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    documented = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            documented[key.strip()] = value.split(" #")[0].strip()
    assert used - set(documented) == set(), "variables used by docker-compose.yml but not in .env.example"
    for key, value in documented.items():
        if any(word in key for word in ("PASSWORD", "SECRET", "FERNET", "API_KEY")):
            assert value == "change-me", f"{key} must not carry a real secret in .env.example"
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()


def test_the_adms_receiver_runs_from_the_same_image_with_its_port_and_health_check(compose):
    services = compose["services"]
    adms, scheduler = services["adms"], services["airflow-scheduler"]
    assert adms["image"] == scheduler["image"] and adms["build"] == scheduler["build"]
    entrypoint = adms["entrypoint"]
    assert entrypoint[:2] == ["/usr/bin/dumb-init", "--"] and entrypoint[2:] == ["absensi", "adms", "serve"]
    env = adms["environment"]
    assert env["ABSENSI_ADMS_HOST"] == "0.0.0.0"  # reachable from outside the container
    port = env["ABSENSI_ADMS_PORT"]
    assert (
        env["ABSENSI_DATABASE_URL"].split("@")[1]
        == scheduler["environment"]["ABSENSI_DATABASE_URL"].split("@")[1]
    )
    assert env["ABSENSI_DATABASE_URL"].startswith("postgresql://absensi_adms:")
    assert [mapping.split(":")[-1] for mapping in adms["ports"]] == [port]
    health = " ".join(adms["healthcheck"]["test"])
    assert f"http://localhost:{port}/healthz" in health and "--fail" in health
    assert adms["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert adms["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert adms.get("restart") == "unless-stopped"

    # The entrypoint names a real command of the CLI, and the settings it sets are the ones read.
    from typer.main import get_command

    from absensi.cli import app
    from warehouse import settings

    cli = get_command(app)
    group = cli.commands[entrypoint[3]]  # type: ignore[attr-defined]
    assert entrypoint[4] in group.commands
    loaded = settings.load({k: str(v) for k, v in env.items() if "${" not in str(v)})
    assert (loaded.adms.host, loaded.adms.port) == ("0.0.0.0", int(port))


def test_each_service_logs_in_as_its_own_non_owner_login(compose):
    """The warehouse logins the services use are the init script's, and only airflow-init has the
    migration login (tests/warehouse/test_roles.py proves what each login can do)."""
    script = (PROJECT_ROOT / "docker/postgres/init-databases.sh").read_text(encoding="utf-8")
    created = set(re.findall(r"^create role (\w+) login", script, flags=re.M))
    assert "create database absensi owner absensi_owner;" in script
    assert re.search(r"^create role absensi_owner nologin;", script, flags=re.M)
    users = {}
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        for key in ("ABSENSI_DATABASE_URL", "ABSENSI_DBT_DATABASE_URL"):
            if env.get(key):
                users[(name, key)] = re.match(r"postgresql://(\w+):", env[key]).group(1)
    assert set(users.values()) <= created
    assert users[("airflow-init", "ABSENSI_DATABASE_URL")] == "absensi_migrator"
    assert [k for k, u in users.items() if u == "absensi_migrator"] == [
        ("airflow-init", "ABSENSI_DATABASE_URL")
    ]
    assert users[("airflow-scheduler", "ABSENSI_DATABASE_URL")] == "absensi_pipeline"
    assert users[("airflow-scheduler", "ABSENSI_DBT_DATABASE_URL")] == "absensi_dbt"
    assert users[("adms", "ABSENSI_DATABASE_URL")] == "absensi_adms"


def test_the_celery_and_site_profiles(compose):
    """Issue 21 (docs/scaling.md): `celery` adds a pinned Redis broker and N workers of the default
    queue; `site` is a worker of one site's queue and that site's ADMS receiver, reaching the central
    machine. The default `docker compose up` starts none of them."""
    services = compose["services"]
    profiled = {name: s["profiles"] for name, s in services.items() if "profiles" in s}
    assert profiled == {
        "redis": ["celery"],
        "airflow-worker": ["celery"],
        "airflow-worker-site": ["site"],
        "adms-site": ["site"],
    }
    scheduler_env = services["airflow-scheduler"]["environment"]
    redis = services["redis"]
    image, _, tag = redis["image"].partition(":")
    assert image == "redis" and re.fullmatch(r"\d+\.\d+-bookworm", tag), "pin the broker's version"
    assert "--requirepass" in redis["command"] and "${REDIS_PASSWORD}" in redis["command"]
    assert (
        scheduler_env["AIRFLOW__CELERY__BROKER_URL"]
        == "redis://:${REDIS_PASSWORD}@${CENTRAL_HOST:-redis}:6379/0"
    )
    assert scheduler_env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://airflow:")
    assert redis["ports"] == ["${REDIS_PORT:-6379}:6379"]

    worker = services["airflow-worker"]
    assert worker["image"] == services["airflow-scheduler"]["image"]
    assert worker["command"].startswith("airflow celery worker --queues default ")
    assert worker["deploy"]["replicas"] == "${AIRFLOW_CELERY_WORKERS:-2}"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert worker["environment"]["ABSENSI_DATABASE_URL"].startswith("postgresql://absensi_pipeline:")

    site = services["airflow-worker-site"]
    assert site["command"].startswith("airflow celery worker --queues site_${ABSENSI_SITE:-pusat} ")
    site_env = site["environment"]
    assert site_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "${CENTRAL_HOST:-" in site_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    assert site_env["ABSENSI_DATABASE_URL"].startswith("postgresql://absensi_pipeline:")
    assert "@${CENTRAL_HOST:-postgres}:" in site_env["ABSENSI_DATABASE_URL"]
    assert site["depends_on"] == {}  # postgres and the init run on the central machine
    adms = services["adms-site"]
    assert adms["entrypoint"] == services["adms"]["entrypoint"]
    assert adms["environment"]["ABSENSI_DATABASE_URL"].startswith("postgresql://absensi_adms:")
    assert "@${CENTRAL_HOST:-postgres}:" in adms["environment"]["ABSENSI_DATABASE_URL"]

    # a site worker is built from the same image as the scheduler and runs the same DAG folder
    assert site["image"] == services["airflow-scheduler"]["image"]
    assert site["environment"]["AIRFLOW__CORE__DAGS_FOLDER"] == scheduler_env["AIRFLOW__CORE__DAGS_FOLDER"]
    assert (PROJECT_ROOT / "docs" / "scaling.md").is_file()
