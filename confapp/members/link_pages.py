"""link_pages: to be written."""

from confapp.members.views import bp  # noqa: F401
