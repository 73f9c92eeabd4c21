"""The manager's door: login, sessions, CSRF, cookie flags, headers, throttling, accounts."""

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsreply.accounts import users
from smsreply.cli import cli
from smsreply.errors import ValidationError
from smsreply.store import Store
from smsreply.web import create_app

PASSWORD = "correct horse battery"
PAGES = [
    "/manager/",
    "/manager/compose",
    "/manager/options",
    "/manager/replies",
    "/manager/credits",
    "/manager/blacklist",
    "/manager/console",
    "/manager/conversations/1",
    "/manager/replies/1",
]
TEMPLATES = Path(__file__).resolve().parent.parent / "smsreply" / "templates"


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def login(client, username="admin", password=PASSWORD, next_url=""):
    client.get("/manager/login")
    form = {"username": username, "password": password, "csrf_token": csrf(client)}
    return client.post("/manager/login", data={**form, "next": next_url})


@pytest.fixture
def admin(service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())


@pytest.fixture
def manager(app, admin):
    client = app.test_client()
    assert login(client).status_code == 302
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_session(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/manager/login?next=")
    assert path in response.location


def test_post_without_session_goes_to_login_and_changes_nothing(client, service):
    response = client.post("/manager/credits", data={"amount": "5"})
    assert response.status_code == 302 and "/manager/login" in response.location
    assert service.store.balance() == 100


def test_login_with_the_right_password_goes_where_asked(app, admin):
    client = app.test_client()
    response = login(client, next_url="/manager/credits")
    assert response.status_code == 302 and response.location == "/manager/credits"
    page = client.get("/manager/credits")
    assert page.status_code == 200 and "admin" in page.text


def test_wrong_password_and_unknown_user_are_refused_alike(app, admin):
    client = app.test_client()
    for username, password in (("admin", "wrong password"), ("nobody", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 403
        assert "Nom d'utilisateur ou mot de passe incorrect" in html.unescape(response.text)
    assert client.get("/manager/").status_code == 302


def test_next_never_leaves_the_manager(app, admin):
    for target in ("https://evil.example/", "//evil.example/x", "/api/credits"):
        response = login(app.test_client(), next_url=target)
        assert response.location == "/manager/", target


def test_logout_needs_csrf_and_ends_the_session(manager):
    assert manager.post("/manager/logout").status_code == 400
    assert manager.get("/manager/").status_code == 200
    response = manager.post("/manager/logout", data={"csrf_token": csrf(manager)})
    assert response.status_code == 302
    assert manager.get("/manager/").status_code == 302


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_posts_without_the_csrf_token_are_rejected(manager, service, token):
    form = {"amount": "50"} if token is None else {"amount": "50", "csrf_token": token}
    response = manager.post("/manager/credits", data=form)
    assert response.status_code == 400
    assert "text/html" in response.content_type
    assert service.store.balance() == 100
    ok = manager.post("/manager/credits", data={"amount": "50", "csrf_token": csrf(manager)})
    assert ok.status_code == 302 and service.store.balance() == 150


def test_the_login_form_itself_needs_the_token(app, admin):
    client = app.test_client()
    client.get("/manager/login")
    response = client.post("/manager/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/manager/").status_code == 302


def test_the_csrf_token_changes_at_login(app, admin):
    client = app.test_client()
    client.get("/manager/login")
    before = csrf(client)
    login(client)
    assert csrf(client) != before


def test_session_cookie_flags(app, admin):
    response = login(app.test_client())
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("smsreply_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # server.base_url is http in tests


def test_cookie_is_secure_behind_https(settings, clock, tmp_path):
    https = dict(settings, **{"server.base_url": "https://sms.example.fr"})
    app = create_app(https, clock=clock, project_dir=tmp_path)
    service = app.extensions["smsreply"]
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())
    client = app.test_client()
    response = login(client)
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Secure" in client.get("/manager/lang/en").headers["Set-Cookie"]


def test_the_session_secret_is_stored_once_and_shared(app, settings, clock, tmp_path, admin):
    secret = app.extensions["smsreply"].store.get_secret("session_secret")
    assert app.secret_key == secret and len(secret) >= 48
    other = create_app(settings, clock=clock, project_dir=tmp_path)
    assert other.secret_key == secret
    client = app.test_client()
    login(client)
    cookie = client.get_cookie("smsreply_session").value
    second = other.test_client()
    second.set_cookie("smsreply_session", cookie)
    assert second.get("/manager/").status_code == 200  # another worker accepts the session


def test_changing_the_password_ends_open_sessions(manager, service):
    users.change_password(service.store, "admin", "another long password")
    assert manager.get("/manager/").status_code == 302


def test_repeated_failures_are_throttled_even_with_the_right_password(app, admin):
    client = app.test_client()
    for _ in range(5):
        assert login(client, password="guess guess").status_code == 403
    response = login(client)
    assert response.status_code == 429
    assert "Trop d'essais" in html.unescape(response.text)
    other = app.test_client()
    assert login(other, username="someone", password="x" * 8).status_code == 403


def test_manager_pages_have_a_strict_csp(manager):
    for path in PAGES[:6]:
        response = manager.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_script_or_style():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), template.name


def test_static_files_are_served_without_a_session(client):
    for name in ("manager.css", "manager.js"):
        assert client.get(f"/manager/static/{name}").status_code == 200


def test_manager_errors_are_html_pages(manager):
    response = manager.get("/manager/conversations/999")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "Conversation n° 999 n'existe pas." in html.unescape(response.text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_404_405_and_csrf_pages_are_the_managers_own_in_both_languages(manager, lang):
    words = {
        "fr": ("Cette page n'existe pas.", "n'accepte pas ce type de requête", "a expiré"),
        "en": ("This page does not exist.", "does not take this kind of request", "expired"),
    }[lang]
    manager.get(f"/manager/lang/{lang}?next=/manager/")
    missing = manager.get("/manager/no/such/page")
    assert missing.status_code == 404 and "text/html" in missing.content_type
    assert words[0] in html.unescape(missing.text) and f'<html lang="{lang}">' in missing.text
    wrong_method = manager.put("/manager/compose")
    assert wrong_method.status_code == 405 and "text/html" in wrong_method.content_type
    assert words[1] in html.unescape(wrong_method.text)
    assert "GET" in wrong_method.headers["Allow"]
    forged = manager.post("/manager/compose", data={"to": "0612345678", "csrf_token": "forged"})
    assert forged.status_code == 400 and words[2] in html.unescape(forged.text)
    assert "Werkzeug" not in missing.text + wrong_method.text + forged.text
    assert manager.put("/api/health").is_json  # the API keeps its JSON errors


# -- accounts (no Flask) and the CLI ----------------------------------------------------


def test_passwords_are_stored_as_scrypt_hashes(service):
    users.create_user(service.store, "alice", PASSWORD, service.now_iso())
    stored = service.store.find_user("alice")["password_hash"]
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    assert users.verify(service.store, "alice", PASSWORD)["username"] == "alice"
    assert users.verify(service.store, "alice", PASSWORD.upper()) is None
    assert users.verify(service.store, "bob", PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password", "words"),
    [
        ("al ice", PASSWORD, "user name"),
        ("alice", "short", "at least 8"),
        ("", PASSWORD, "1 to 64"),
    ],
)
def test_bad_accounts_are_refused(service, username, password, words):
    with pytest.raises(ValidationError, match=words):
        users.create_user(service.store, username, password, service.now_iso())


@pytest.fixture
def run(tmp_path, database_url):
    runner = CliRunner()
    env = {
        "SMSREPLY_DATABASE_PATH": str(tmp_path / "cli.db"),
        "SMSREPLY_DATABASE_URL": database_url,
    }

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), env=env, input=input, obj={})

    return invoke


def printed(output: str) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in output.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_init_creates_the_first_admin_once(run, tmp_path, database_url):
    result = run("init", "--admin", "alice")
    assert result.exit_code == 0, result.output
    lines = printed(result.output)
    assert lines["Manager user"] == "alice"
    assert lines["Manager"].endswith("/manager/")
    store = Store(tmp_path / "cli.db", url=database_url)
    assert users.verify(store, "alice", lines["Password"]) is not None
    again = run("init", "--if-needed", "--admin", "bob")
    assert again.exit_code == 0 and "Password" not in again.output
    assert [user["username"] for user in store.list_users()] == ["alice"]


def test_user_add_and_passwd(run, tmp_path, database_url):
    run("init")
    assert run("user", "add", "carol", input="first password\nfirst password\n").exit_code == 0
    mismatch = run("user", "add", "dave", input="one password\nanother one\n" * 2)
    assert "do not match" in mismatch.output.lower() or mismatch.exit_code != 0
    stdin = run("user", "passwd", "carol", "--password-stdin", input="second password\n")
    assert stdin.exit_code == 0, stdin.output
    store = Store(tmp_path / "cli.db", url=database_url)
    assert users.verify(store, "carol", "second password") is not None
    assert users.verify(store, "carol", "first password") is None
    duplicate = run("user", "add", "carol", "--password-stdin", input="third password\n")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    missing = run("user", "passwd", "nobody", "--password-stdin", input="fourth password\n")
    assert missing.exit_code == 1 and "not found" in missing.output
    listed = run("user", "list")
    assert "carol" in listed.output and "admin" in listed.output
