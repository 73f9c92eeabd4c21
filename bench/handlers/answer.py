"""The bench's in-process handler: answers with what was written."""


def handle(reply):
    return f"Merci, {reply.message}"
