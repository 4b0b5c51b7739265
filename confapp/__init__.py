"""confapp: delegate conferences of member-led organisations."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from confapp import config as cfg


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then CONFAPP_* variables, then `config`.

    `config` may name INSTANCE_PATH (else CONFAPP_INSTANCE_PATH, else ./instance).
    """
    instance_path = Path(
        (config or {}).get("INSTANCE_PATH")
        or os.environ.get("CONFAPP_INSTANCE_PATH")
        or cfg.DEFAULT_INSTANCE_PATH
    )
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(cfg.PROJECT_ROOT / "templates"),
        static_folder=str(cfg.PROJECT_ROOT / "static"),
    )
    app.config.from_object(cfg.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(cfg.settings_from_env())
    if config:
        app.config.update(config)
    _finish_config(app)

    from confapp import database, inputs, security
    from confapp.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    database.tune_connections(app)
    database.recover_lost_connections(app)
    migrate.init_app(
        app,
        db,
        directory=str(cfg.PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    inputs.init_app(app)  # before the blueprints: their <int:...> ids use its converter

    from confapp import errors, main
    from confapp.admin.views import bp as admin_bp
    from confapp.auth.views import bp as auth_bp
    from confapp.checkin.api import bp as api_bp
    from confapp.checkin.views import bp as checkin_bp
    from confapp.credentials.views import bp as credentials_bp
    from confapp.elections.views import bp as elections_bp
    from confapp.elections.views import load_routes as load_election_routes
    from confapp.members.views import bp as members_bp
    from confapp.members.views import load_routes as load_member_routes
    from confapp.registration.views import bp as registration_bp
    from confapp.voting.results import api as voting_api_bp
    from confapp.voting.views import bp as voting_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(registration_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(checkin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(voting_bp)
    app.register_blueprint(voting_api_bp)
    load_election_routes()
    app.register_blueprint(elections_bp)
    load_member_routes()
    app.register_blueprint(members_bp)
    errors.init_app(app)

    from confapp import cli, templating

    cli.init_app(app)
    from confapp.elections.command import count_stv_command

    app.cli.add_command(count_stv_command)
    templating.init_app(app)
    return app


def _finish_config(app: Flask) -> None:
    """Derive the settings that depend on others: database URL, secret key, cookies."""
    instance_path = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = cfg.sqlite_url(instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = cfg.instance_secret_key(instance_path)
    secure = bool(app.config["SECURE_COOKIES"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
