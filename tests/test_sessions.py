"""Manager sessions and login throttling, shared by every worker (issue 10, items 5 and 6).

Twelve wrong passwords for a user once made the right one fail for everyone (429): now
guessing slows only the guessing address, with growing delays. A cookie saved before
logout once still worked after it, its lifetime sliding on every request: sessions now
live in the database, end at logout or a password change, and die at a fixed time.
Two apps on one database file stand for two gunicorn workers.
"""

import html
import time

import pytest

from smsreply.accounts import throttle, users
from smsreply.settings import load_settings
from smsreply.web import create_app

PASSWORD = "correct horse battery"
GUESSER, OWNER = "198.51.100.7", "203.0.113.5"


def client_from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login(client, password=PASSWORD, username="admin"):
    client.get("/manager/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/manager/login", data=form)


def logout(client):
    with client.session_transaction() as session:
        token = session["csrf"]
    return client.post("/manager/logout", data={"csrf_token": token})


@pytest.fixture
def admin(service):
    users.create_user(service.store, "admin", PASSWORD, service.now_iso())


@pytest.fixture
def second_worker(settings, tmp_path):
    return create_app(settings, project_dir=tmp_path)


def test_a_guesser_never_locks_the_user_out(app, admin, service, second_worker):
    guesser = client_from(app, GUESSER)
    statuses = [login(guesser, password=f"guess {n}!").status_code for n in range(6)]
    assert statuses == [403] * 5 + [429]
    for _ in range(7):  # a patient guesser's next seven, each after its delay
        throttle.login_failed(service.store, throttle.throttle_keys(GUESSER, "admin"), time.time())
    # The real user, from their own address, through either worker: in at once.
    assert login(client_from(second_worker, OWNER)).status_code == 302
    assert login(client_from(app, OWNER)).status_code == 302
    # The guesser's address waits, whichever worker it tries, even with the right password.
    refused = login(client_from(second_worker, GUESSER))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 100  # 2 ** 7 s after the twelfth failure
    assert "Trop d'essais" in html.unescape(refused.text)


def test_delays_grow_then_pass(app, admin, service):
    keys = throttle.throttle_keys(GUESSER, "admin")
    now = time.time()
    waits = []
    for _ in range(9):
        throttle.login_failed(service.store, keys, now)
        waits.append(throttle.login_wait(service.store, keys, now))
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16]
    assert throttle.login_wait(service.store, keys, now + 16.5) == 0
    for _ in range(20):
        throttle.login_failed(service.store, keys, now)
    assert throttle.login_wait(service.store, keys, now) == throttle.MAX_DELAY
    # Forgotten a while after the last failure; a success clears the pair at once.
    throttle.login_failed(service.store, keys, now + throttle.FORGET_AFTER + 1)
    assert throttle.login_wait(service.store, keys, now + throttle.FORGET_AFTER + 1) == 0


def test_after_the_delay_the_right_password_works_again(app, admin):
    guesser = client_from(app, GUESSER)
    for n in range(5):
        assert login(guesser, password=f"guess {n}!").status_code == 403
    assert login(guesser).status_code == 429
    time.sleep(1.1)  # the fifth failure costs one second
    assert login(guesser).status_code == 302


def test_a_cookie_saved_before_logout_opens_nothing_after(app, admin, second_worker):
    client = app.test_client()
    assert login(client).status_code == 302
    saved = client.get_cookie("smsreply_session").value
    assert logout(client).status_code == 302
    for worker in (app, second_worker):
        replay = worker.test_client()
        replay.set_cookie("smsreply_session", saved)
        response = replay.get("/manager/")
        assert response.status_code == 302 and "/manager/login" in response.location


def test_a_password_change_ends_sessions_in_every_worker(app, admin, service, second_worker):
    client = app.test_client()
    assert login(client).status_code == 302
    elsewhere = second_worker.test_client()
    elsewhere.set_cookie("smsreply_session", client.get_cookie("smsreply_session").value)
    assert elsewhere.get("/manager/").status_code == 200
    users.change_password(service.store, "admin", "another long password")
    assert client.get("/manager/").status_code == 302
    assert elsewhere.get("/manager/").status_code == 302


def test_sessions_end_at_a_fixed_time_however_busy(tmp_path, database_url):
    settings = load_settings(
        None,
        env={},
        overrides={
            "database.path": str(tmp_path / "s.db"),
            "database.url": database_url,
            "manager.session_hours": 3.0 / 3600,  # three seconds
        },
    )
    app = create_app(settings, project_dir=tmp_path)
    store = app.extensions["smsreply"].store
    users.create_user(store, "admin", PASSWORD, "2026-11-25T09:00:00+00:00")
    client = app.test_client()
    assert login(client).status_code == 302
    started = time.monotonic()  # the session was opened (and its three seconds began) before
    while time.monotonic() - started < 1.5:  # busy: a request every 0.1 s
        assert client.get("/manager/").status_code == 200
        # The cookie is not re-sent with a later expiry on each request.
        assert "Set-Cookie" not in client.get("/manager/").headers
        time.sleep(0.1)
    time.sleep(max(0.0, 3.1 - (time.monotonic() - started)))
    assert client.get("/manager/").status_code == 302
