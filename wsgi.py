"""The WSGI entry point: gunicorn wsgi:app."""

from confapp import create_app

app = create_app()
