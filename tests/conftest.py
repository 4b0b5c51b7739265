"""Fixtures: a fresh app and database per test, on SQLite or (if asked) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from jinja2 import BytecodeCache
from werkzeug.routing.rules import Rule

from confapp import create_app
from confapp.extensions import db as _db
from tests import factories
from tests.smtp import smtp, smtp_server  # noqa: F401 (fixtures offered to every test)

# Tests never assert a timing: on a busy 2-core CI machine hypothesis's speed checks would
# fail a correct test, so they are off (the properties are checked as before).
settings.register_profile("confapp", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("confapp")

PG_URL = os.environ.get("CONFAPP_TEST_DATABASE_URL")
# Every PostgreSQL connection this test process opens carries this name, so that a simulated
# restart (or a stuck TRUNCATE) ends this process's connections only, never those of another
# process running tests beside it (pytest -n).
CONNECTION_NAME = f"confapp-tests-{os.getpid()}"


def _reuse_url_builders() -> None:
    """Compile each URL rule's builder once a run, not once per app."""
    # Werkzeug compiles two Python functions for every rule of every app; the tests make an
    # app for each of ~2,500 tests with the same ~130 rules, and compiling them was most of
    # the making (~70 ms of ~90). A builder depends on the rule's parsed parts (`_trace`) and
    # on nothing else, except in a rule with defaults (folded in): those compile as before.
    compile_builder = Rule._compile_builder
    built: dict[tuple, object] = {}

    def reused(self, append_unknown: bool = True):
        if self.defaults:
            return compile_builder(self, append_unknown)
        key = (tuple(self._trace), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = reused


_reuse_url_builders()


class TemplatesOfTheRun(BytecodeCache):
    """Each template compiled once a run, not once per app (each app has its own Jinja).

    Jinja's own cache for compiled templates, kept in memory: an entry is used only while its
    template's source is the same (Jinja checks a checksum of it). Compiling the templates a
    test's requests render again for every test took more time than rendering them.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = TemplatesOfTheRun()


class Database:
    """Where one test's data lives: a SQLite file, or a PostgreSQL schema of its own."""

    def __init__(self, tmp_path):
        self.schema = None
        if PG_URL:
            self.schema = f"t_{uuid.uuid4().hex[:12]}"
            self.url = PG_URL
            self._admin("CREATE SCHEMA {}")
            self.engine_options = {
                "pool_pre_ping": True,
                # Tests need no durability: a commit need not wait for the disk.
                "connect_args": {
                    "options": f"-csearch_path={self.schema} -csynchronous_commit=off",
                    "application_name": CONNECTION_NAME,
                },
            }
        else:
            self.url = f"sqlite:///{tmp_path / 'test.sqlite'}"
            self.engine_options = {}

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(statement.format(self.schema)))
        engine.dispose()

    def drop(self) -> None:
        if self.schema:
            self._admin("DROP SCHEMA {} CASCADE")


def restart_database() -> None:
    """What a PostgreSQL restart does to a running app: every connection it holds is dropped."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND usename = current_user AND application_name = :name"
            ),
            {"name": CONNECTION_NAME},
        )
    admin.dispose()


@pytest.fixture
def database(tmp_path):
    """A fresh, empty database for one test."""
    database = Database(tmp_path)
    yield database
    database.drop()


def make_app(database: Database, tmp_path, **overrides):
    """An app on the test database, with CSRF and rate limits off unless a test turns them on."""
    config = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "TESTING": True,
        "DATABASE_URL": database.url,
        "SQLALCHEMY_ENGINE_OPTIONS": database.engine_options,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECURE_COOKIES": False,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


@pytest.fixture
def app_config():
    """Settings a test module can override for its app."""
    return {}


class OwnContextClient(FlaskClient):
    """A client whose every request runs in an app context of its own, as in production.

    The `app` fixture keeps one app context open for the whole test; a request would reuse it,
    and `g` (Flask-Login's cached user, the loaded conference) would carry over from one
    request, or one client, to the next. Tests read what a request changed after
    `db.session.expire_all()` (the `fresh` helper).
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class SharedTables:
    """PostgreSQL: one schema with every table, made once a run and emptied after each test.

    A schema and its forty tables made afresh for each of 1,600 tests took most of the
    PostgreSQL run; emptying them takes one statement. (Migrations and the commands that
    create a database still get an empty schema of their own: the `database` fixture.)
    """

    def __init__(self) -> None:
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        self.url = PG_URL
        self.engine_options = {
            "pool_pre_ping": True,
            # Tests need no durability: a commit need not wait for the disk.
            "connect_args": {
                "options": f"-csearch_path={self.schema} -csynchronous_commit=off",
                "application_name": CONNECTION_NAME,
            },
        }
        self.engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", **self.engine_options)
        with self.engine.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {self.schema}"))
        _db.metadata.create_all(self.engine)
        names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
        self.truncate = sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    def empty(self) -> None:
        """Remove every row (and restart the ids) after a test."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SET lock_timeout = '5s'"))
            try:
                connection.execute(self.truncate)
            except sa.exc.OperationalError:
                # A connection the test left open (a thread, a server) holds a lock: end it.
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND usename = current_user AND application_name = :name"
                    ),
                    {"name": CONNECTION_NAME},
                )
                connection.execute(self.truncate)

    def drop(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.engine.dispose()


class EmptySQLite:
    """SQLite: a file with every table, made once a run, copied for each test that needs one.

    Creating forty tables took ~0.2 s a test, most of it waiting for the disk; a copy takes
    milliseconds. (The `database` fixture's file starts empty, for migrations and commands.)
    """

    def __init__(self, folder) -> None:
        self.folder = folder
        self.made: dict[tuple[str, ...], object] = {}

    def put_tables(self, app) -> None:
        """Put the empty tables in the app's file (a new copy if the models have grown)."""
        url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            _db.create_all()
            return
        _db.engine.dispose()  # nothing may hold the file while it is replaced
        tables = tuple(sorted(_db.metadata.tables))
        if tables not in self.made:
            path = self.folder / f"empty-{len(self.made)}.sqlite"
            engine = sa.create_engine(f"sqlite:///{path}")
            _db.metadata.create_all(engine)
            engine.dispose()
            self.made[tables] = path
        shutil.copyfile(self.made[tables], url.database)


@pytest.fixture(scope="session")
def empty_sqlite(tmp_path_factory):
    """The run's file of empty SQLite tables (see EmptySQLite)."""
    return EmptySQLite(tmp_path_factory.mktemp("empty-sqlite"))


@pytest.fixture(scope="session")
def shared_tables():
    """On PostgreSQL the run's tables (see SharedTables); on SQLite None: a file per test."""
    if not PG_URL:
        yield None
        return
    shared = SharedTables()
    yield shared
    shared.drop()


@pytest.fixture
def app(request, shared_tables, tmp_path, app_config):
    """The app with all tables created and empty (migrations are tested on their own)."""
    database = shared_tables or request.getfixturevalue("database")
    app = make_app(database, tmp_path, **app_config)
    app.test_client_class = OwnContextClient
    try:
        with app.app_context():
            if shared_tables is None:
                request.getfixturevalue("empty_sqlite").put_tables(app)
            yield app
            _db.session.remove()
            _db.engine.dispose()
    finally:
        if shared_tables is not None:
            shared_tables.empty()


@pytest.fixture
def db(app):
    """The database handle, inside the app context."""
    return _db


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def conference(db):
    """A conference with two sections and the Labour-style rule."""
    return factories.conference()


@pytest.fixture
def login(client):
    """Log the client in as a user: login(user)."""

    def _login(user, password=factories.PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return _login


@pytest.fixture
def queue_worker(app):
    """A worker for the app's queue (its SQLite file in the test's instance folder), in a thread.

    It dequeues and executes as huey's consumer does, without the consumer's signal handlers
    (which would replace pytest's); tests/test_jobs.py runs the real consumer as a process.
    """
    import threading

    from confapp import jobs

    huey = jobs.for_app(app).huey
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            task = huey.dequeue()
            if task is None:
                stop.wait(0.05)
            else:
                huey.execute(task)

    thread = threading.Thread(target=work, daemon=True, name="queue-worker")
    thread.start()
    yield huey
    stop.set()
    thread.join(timeout=30)
