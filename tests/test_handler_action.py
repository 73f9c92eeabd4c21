"""The `handler` action: in-process Python from handlers/, WSGI or plain function."""

import os
import time

import pytest

from tests.support.actions import Phone, copy_examples, write_script


def use(service, name):
    return service.set_reply_options({"action": "handler", "handler": name})


def test_plain_function_and_reload_on_change(app, service, tmp_path):
    path = write_script(
        tmp_path / "handlers",
        "hello.py",
        "def handle(reply):\n    return f'Bonjour {reply.sender}'\n",
        False,
    )
    use(service, "hello.py")
    phone = Phone(app, service)
    assert phone.reply("x")["answer"] == "Bonjour +33612345678"
    path.write_text("def handle(reply):\n    return 'changed: ' + reply.message\n")
    later = time.time() + 5
    os.utime(path, (later, later))  # a new mtime even within the same clock tick
    assert phone.reply("hi")["answer"] == "changed: hi"


def test_exception_is_recorded_and_the_server_survives(app, service, tmp_path):
    write_script(
        tmp_path / "handlers",
        "boom.py",
        "def handle(reply):\n    raise RuntimeError('kaput')\n",
        False,
    )
    use(service, "boom.py")
    result = Phone(app, service).reply("x")
    assert result["answer"] is None
    assert result["outcome"]["error"] == "exception"
    assert "kaput" in result["outcome"]["reason"] and "RuntimeError" in result["outcome"]["stderr"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("def handle(reply):\n    return 42\n", "bad-result"),
        ("def handle(reply):\n    return 'x' * 5000\n", "too-long"),
    ],
)
def test_bad_results_are_errors(app, service, tmp_path, body, error):
    write_script(tmp_path / "handlers", "bad.py", body, False)
    use(service, "bad.py")
    assert Phone(app, service).reply("x")["outcome"]["error"] == error


WSGI_HTML = """
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [b"<p>Merci</p>"]
"""
WSGI_NO_START = """
def application(environ, start_response):
    return [b"Merci"]
"""
WSGI_STATE = """
def application(environ, start_response):
    start_response("201 Created", [("Content-Type", "text/plain"), ("X-CGI-State", "step-2")])
    yield b"Quelle "
    yield "taille ?".encode()
"""


@pytest.mark.parametrize(
    ("body", "result", "words"),
    [
        (WSGI_HTML, "failed", "unsupported content type 'text/html'"),
        (WSGI_NO_START, "failed", "never called start_response"),
        (WSGI_STATE, "answered", "answer of 15 characters"),
    ],
)
def test_wsgi_responses_are_judged_directly(app, service, tmp_path, body, result, words):
    write_script(tmp_path / "handlers", "app.py", body, False)
    use(service, "app.py")
    phone = Phone(app, service)
    outcome = phone.reply("x")
    assert outcome["result"] == result and words in outcome["result_reason"]
    if result == "answered":
        assert outcome["answer"] == "Quelle taille ?"
        state = service.store.get("conversations", phone.conversation["id"])["state"]
        assert state == "step-2" and outcome["outcome"]["status"] == 201


def test_wsgi_flask_handler_and_quiz_example(app, service, tmp_path):
    copy_examples(tmp_path)
    use(service, "hours.py")
    phone = Phone(app, service)
    assert phone.reply("Vos horaires ?")["answer"].startswith("Ouvert du lundi")
    no_answer = phone.reply("merci")
    assert no_answer["answer"] is None and no_answer["outcome"]["result"] == "no-reply"
    assert no_answer["outcome"]["environ"]["X_SMSREPLY_MESSAGE"] == "merci"

    use(service, "quiz.py")
    player = Phone(app, service, number="0612345679")
    assert player.reply("JOUER")["answer"].startswith("Question 1/3")
    assert player.reply("Canberra")["answer"].startswith("Bonne réponse ! Question 2/3")
    assert player.reply("5")["answer"].startswith("Non, c'était 6. Question 3/3")
    assert player.reply("CO2")["answer"] == ("Bonne réponse ! Score : 2/3. Merci d'avoir joué !")
    assert player.reply("encore")["answer"].startswith("Question 1/3")  # state was cleared


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("../x.py", None, "inside handlers"),
        ("nope.py", None, "not a .py file"),
        ("syntax.py", "def handle(:\n", "fails to load"),
        ("empty.py", "X = 1\n", "neither"),
    ],
)
def test_bad_handlers_are_refused_when_saved(client, auth, tmp_path, name, text, words):
    if text is not None:
        write_script(tmp_path / "handlers", name, text, False)
    (tmp_path / "handlers").mkdir(exist_ok=True)
    response = client.put(
        "/api/reply-options", json={"action": "handler", "handler": name}, headers=auth
    )
    assert response.status_code == 422
    assert words in response.get_json()["error"]["message"]


def test_a_handler_swapped_for_a_link_outside_is_refused_after_cached_runs(app, service, tmp_path):
    # Runs keep the resolved path (one stat a run, issue 23); a file swapped for a symlink
    # leading out of handlers/ must still be checked anew and refused.
    folder = tmp_path / "handlers"
    path = write_script(folder, "ok.py", "def handle(reply):\n    return 'inside'\n", False)
    outside = write_script(tmp_path / "elsewhere", "evil.py", "def handle(r):\n    return 'out'\n")
    use(service, "ok.py")
    phone = Phone(app, service)
    assert [phone.reply("x")["answer"] for _ in range(2)] == ["inside", "inside"]
    path.unlink()
    path.symlink_to(outside)
    result = phone.reply("x")
    assert result["answer"] is None and "inside handlers/" in result["outcome"]["reason"]
    path.unlink()
    assert "not a .py file" in phone.reply("x")["outcome"]["reason"]  # gone: named as before


def test_a_release_swapped_behind_the_handlers_folder_is_followed(app, service, tmp_path):
    # handlers/ reached through a symlink to a release, swapped at deploy: the new release's
    # handler answers, though the old file still exists.
    for release, words in (("r1", "old"), ("r2", "new")):
        write_script(tmp_path / release, "h.py", f"def handle(reply):\n    return '{words}'\n")
    current = tmp_path / "handlers"
    current.symlink_to(tmp_path / "r1")
    use(service, "h.py")
    phone = Phone(app, service)
    assert phone.reply("x")["answer"] == "old"
    (tmp_path / "next").symlink_to(tmp_path / "r2")
    os.replace(tmp_path / "next", current)
    assert phone.reply("x")["answer"] == "new"
