from tests import factories


def test_probe(app, client, db, login):
    u = factories.user()
    login(u)
    other = app.test_client()
    r = other.get("/")
    print("second client", r.status_code)
    u.is_active = False
    db.session.commit()
    r = client.get("/")
    print("disabled", r.status_code)
