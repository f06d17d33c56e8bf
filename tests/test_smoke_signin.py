from tests.helpers import text_of


def test_owner_signs_in_and_sees_home(client, owner, db):
    response = client.post(
        "/login", data={"email": "olivia@acme.test", "password": "correct horse battery"}
    )
    assert response.status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    assert "Jobs today" in text_of(page)
