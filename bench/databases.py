"""The databases the page benchmark runs on, each built once and reused.

SQLite large is a cached file named after its marker; PostgreSQL large and xl are
databases of their own (fp_bench_large, fp_bench_xl; another prefix than fp_bench with
BENCH_PG_PREFIX, so two people on one server do not share them) whose comment is their marker: the
scale, the seed and a version of the demo-data builder. A database whose marker says the
same is reused and migrated to the newest schema (a new index is built on the data there,
as in production); any other, or one that cannot be migrated, is dropped and built again
(xl takes minutes).
"""

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
SEED = 1
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Target:
    name: str  # column heading in results.md
    dialect: str
    scale: str


TARGETS = {
    "sqlite-large": Target("SQLite large", "sqlite", "large"),
    "pg-large": Target("PostgreSQL large", "postgresql", "large"),
    "pg-xl": Target("PostgreSQL xl", "postgresql", "xl"),
}


def data_version() -> str:
    """Changes with any line of the demo-data builder."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "fieldportal" / "demo_data").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def make_app(url: str):
    from fieldportal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key",
            "BASE_URL": "http://bench.local",
            "RATELIMIT_ENABLED": False,
        }
    )


def _migrated(url: str) -> bool:
    """Bring a reused database to the newest schema; False when it cannot be (built from
    a branch with migrations this one does not have)."""
    from alembic.util import CommandError
    from flask_migrate import upgrade

    from fieldportal.extensions import db

    app = make_app(url)
    with app.app_context():
        try:
            before = _revision()
            upgrade()
            if _revision() != before:
                # Statistics for the new indexes' expressions, as autovacuum would gather.
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            return True
        except CommandError as error:
            print(f"Cannot migrate {url}: {error}; building it again")
            return False
        finally:
            db.session.remove()
            db.engine.dispose()


def _revision() -> str | None:
    from fieldportal.extensions import db

    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _build(url: str, scale: str) -> None:
    from flask_migrate import upgrade

    from fieldportal.demo_data import build_demo_data
    from fieldportal.extensions import db

    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        print(build_demo_data(scale=scale, seed=SEED, echo=print).splitlines()[0])
        db.session.remove()
        db.engine.dispose()
    print(f"Built {scale} in {time.perf_counter() - started:.0f} s")


def sqlite_database(scale: str, rebuild: bool) -> str:
    CACHE.mkdir(exist_ok=True)
    target = CACHE / f"demo-{scale}-seed{SEED}-{data_version()}.db"
    if target.exists() and not rebuild and _migrated(f"sqlite:///{target}"):
        return f"sqlite:///{target}"
    for stale in CACHE.glob(f"demo-{scale}-seed{SEED}*"):
        stale.unlink()
    building = target.with_suffix(".building")
    _build(f"sqlite:///{building}", scale)
    building.rename(target)
    return f"sqlite:///{target}"


def postgres_database(scale: str, rebuild: bool, server: str = POSTGRES_SERVER) -> str:
    name = f"{os.environ.get('BENCH_PG_PREFIX', 'fp_bench')}_{scale}"
    marker = f"fieldportal bench: scale={scale} seed={SEED} version={data_version()}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"
            ),
            {"name": name},
        ).first()
        reuse = found is not None and found[0] == marker and not rebuild
    if reuse and _migrated(f"{server}/{name}"):
        admin.dispose()
        return f"{server}/{name}"
    with admin.connect() as connection:
        # The name is ours (a prefix from our environment + a scale of SCALES), never input.
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    _build(f"{server}/{name}", scale)
    with admin.connect() as connection:
        # After a bulk load, as autovacuum would soon do: the visibility map lets index-only
        # scans skip the table, and the statistics are fresh.
        vacuum = time.perf_counter()
        built = create_engine(f"{server}/{name}", isolation_level="AUTOCOMMIT")
        with built.connect() as database:
            database.execute(text("VACUUM ANALYZE"))
        built.dispose()
        print(f"VACUUM ANALYZE in {time.perf_counter() - vacuum:.0f} s")
        # Only once the build succeeded: a half-built database is built again next time.
        connection.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{marker}'"))
    admin.dispose()
    return f"{server}/{name}"


def database_url(target: Target, rebuild: bool) -> str:
    if target.dialect == "sqlite":
        return sqlite_database(target.scale, rebuild)
    return postgres_database(target.scale, rebuild)
