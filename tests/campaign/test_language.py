def test_pages_are_chinese_whatever_the_browser_asks(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert "登录" in html


def test_english_once_the_user_chooses_it(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    html = client.get("/accounts/login/").content.decode()

    assert "Log in" in html
