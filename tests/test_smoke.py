"""The pages a newcomer opens first render for the right people."""

from confapp.models import Role
from tests import factories


def test_admin_sees_groups_with_entitlement(client, conference, login):
    factories.group(conference, "Leeds", members=1000, women_members=120)
    admin = factories.user(conf=conference, role=Role.ADMIN)
    login(admin)
    page = client.get(f"/admin/conferences/{conference.id}/groups").get_data(as_text=True)
    assert "Leeds" in page
    assert "1,000" in page
    assert "3 + 1" in page  # 3 base delegates and the women's seat


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
