"""Downloads: names in any script reach the browser, and no view writes its own header."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from confapp.models import Role
from tests import factories

SOURCE = Path(__file__).resolve().parents[1] / "confapp"


def _saved_name(response) -> str:
    """The name a browser saves the file as: RFC 6266's filename* if present."""
    header = response.headers["Content-Disposition"]
    header.encode("latin-1")  # a WSGI server sends headers as Latin-1: anything else fails there
    match = re.search(r"filename\*=UTF-8''([^;]+)", header)
    return unquote(match.group(1)) if match else re.search(r'filename="?([^";]+)', header)[1]


@pytest.mark.parametrize("name", ["Łódź – Śródmieście", "Llŷn", "Ynys Môn", "北京 / 上海"])
def test_a_group_named_in_any_script_downloads_its_badges(client, conference, login, name):
    group = factories.group(conference, name, members=100)
    factories.approved_person(conference, group, "Ann Jones")
    login(factories.user(conf=conference, role=Role.SECRETARY, group=group))

    response = client.get(f"/groups/{group.id}/badges.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert _saved_name(response) == f"{name.replace('/', '-')}-badges.pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"


def test_every_download_goes_through_the_one_helper():
    writers = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "Content-Disposition" in path.read_text() and path.name != "downloads.py"
    ]
    assert writers == []
