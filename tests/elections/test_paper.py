"""The ballot paper PDF: one paper a page, candidates in paper order, its number and value."""

from __future__ import annotations

import subprocess

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import ElectionPaper, Role


@pytest.fixture
def teller(conference):
    return factories.user(conf=conference, role=Role.TELLER)


def pdf_pages(client, url: str, tmp_path) -> list[str]:
    """The PDF's text page by page, as pdftotext reads it."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    path = tmp_path / "paper.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def paper_url(election, **query) -> str:
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/conferences/{election.conference_id}/elections/{election.id}/paper.pdf" + (
        f"?{tail}" if tail else ""
    )


def test_each_block_paper_prints_its_number_value_delegation_and_the_order(
    client, login, conference, teller, tmp_path
):
    # Positions as the factory fixes them: Dev, Asha, Cerys on the paper, in that order.
    election = factories.election(
        conference,
        ["Dev", "Asha", "Cerys"],
        seats=2,
        weighting="block",
        categories={"Women": (1, None, ["Asha", "Cerys"])},
        papers=[334, 1001],
    )
    for paper, label in zip(
        db.session.scalars(db.select(ElectionPaper).order_by(ElectionPaper.number)),
        ["Leeds", "York"],
        strict=True,
    ):
        paper.label = label
    db.session.commit()
    login(teller)

    first, second = pdf_pages(client, paper_url(election), tmp_path)

    assert "Paper No. 00001" in first and "Paper No. 00002" in second
    assert "This paper carries 334 votes" in first
    assert "This paper carries 1,001 votes" in second
    assert "Delegation: Leeds" in first and "Delegation: York" in second
    assert "Elect 2" in first
    assert "Number the candidates in order of preference: 1, 2, 3" in first
    assert "At least 1 of those elected will be Women." in first
    assert first.index("Dev") < first.index("Asha") < first.index("Cerys")


def test_one_each_papers_carry_no_value_line(client, login, conference, teller, tmp_path):
    election = factories.election(conference, papers=[1, 1, 1])
    login(teller)

    pages = pdf_pages(client, paper_url(election), tmp_path)

    assert len(pages) == 3
    assert all("carries" not in page for page in pages)
    assert "Paper No. 00003" in pages[2]


def test_the_specimen_before_polling_is_one_page_in_alphabetical_order(
    client, login, conference, teller, tmp_path
):
    election = factories.election(conference, ["Zoë", "émile", "Bryn"], weighting="split")
    login(teller)

    (page,) = pdf_pages(client, paper_url(election, sample=1), tmp_path)

    assert "SPECIMEN" in page
    assert "This paper carries ____ votes" in page
    assert page.index("Bryn") < page.index("émile") < page.index("Zoë")


def test_before_polling_only_the_specimen_is_printed(client, login, conference, teller):
    election = factories.election(conference)
    login(teller)

    response = client.get(paper_url(election))

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Papers are issued when polling opens; until then, print the specimen." in page
