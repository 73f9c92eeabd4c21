"""Helpers for reply tests: write customer files, post a reply as OVH does, read what happened."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from smsreply.accounts.credentials import ensure_callback_token

ROOT = Path(__file__).resolve().parents[2]


def write_script(folder: Path, name: str, text: str, executable: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    if executable:
        path.chmod(0o755)
    return path


def copy_examples(project_dir: Path) -> None:
    for folder in ("cgi-bin", "handlers"):
        shutil.copytree(ROOT / folder, project_dir / folder, dirs_exist_ok=True)


def reply_form(
    conversation: dict,
    message: str = "OUI",
    provider_id: str = "r1",
    sender: str | None = None,
) -> dict:
    """The form OVH posts for a reply to ``conversation`` (as ``Service.send_message`` or
    ``POST /api/messages`` returns it), from its recipient unless ``sender`` says otherwise."""
    return {
        "shortcode": conversation["shortcode"],
        "tag": "",
        "id": provider_id,
        "senderid": sender or conversation.get("recipient") or conversation["to"],
        "message": message,
    }


def post_reply(
    app,
    conversation: dict,
    message: str = "OUI",
    provider_id: str = "r1",
    headers: dict | None = None,
    **fields: str,
):
    """Post a reply to ``conversation`` as OVH does, through the app's real callback view;
    the response, whatever its status. ``fields`` add or replace callback fields
    (``senderid=…``, ``id=…``).

    Example::

        reply_id = post_reply(app, conversation, "OUI").get_json()["reply_id"]
    """
    url = f"/callbacks/ovh/{ensure_callback_token(app.extensions['smsreply'].store)}"
    form = reply_form(conversation, message, provider_id) | fields
    return app.test_client().post(url, data=form, headers=headers or {})


class Phone:
    """A French mobile replying to one conversation through the real callback view."""

    def __init__(
        self,
        app,
        service,
        number: str = "0612345678",
        message: str = "Bonjour",
        tag: str | None = None,
    ) -> None:
        self.app = app
        self.service = service
        self.conversation = service.send_message(number, message, tag)
        self.count = 0

    def reply(self, text: str, headers: dict | None = None, extra: dict | None = None) -> dict:
        """Post ``text`` as OVH would; ``extra`` adds or replaces callback fields."""
        self.count += 1
        provider_id = f"{self.conversation['id']}-{self.count}-{os.getpid()}"
        response = post_reply(
            self.app, self.conversation, text, provider_id, headers, **(extra or {})
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        self.service.drain()
        row = self.service.store.get("replies", response.get_json()["reply_id"])
        answer = self.service.store.get("outgoing", row["answer_id"]) if row["answer_id"] else None
        return {
            "reply": row,
            "outcome": json.loads(row["outcome"] or "{}"),
            "answer": answer["message"] if answer else None,
            "result": row["result"],
            "result_reason": row["result_reason"],
        }
