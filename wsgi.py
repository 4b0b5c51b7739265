"""The WSGI entry point: gunicorn wsgi:app."""

import gc

from confapp import create_app

app = create_app()
# What a worker builds at start (modules, templates, the app) lives as long as the worker:
# frozen out of the garbage collector's full passes, which then scan only what requests
# leave behind (a full pass over everything took ~65 ms in the middle of a request).
gc.freeze()
