"""The customer's app behind Jasmin's HTTP connector: lean asyncio, in its own process.

Jasmin's ``deliversmd`` POSTs each reply (MO) to it (form fields ``from``, ``to``,
``content``…); it answers ``ACK/Jasmin`` at once — anything else and Jasmin retries the
POST — and then sends the answer through Jasmin's HTTP API, ``GET /send?username=…&
password=…&to=<the reply's sender>&from=<its short code>&content=…``, over kept-alive
connections (chunked or sized answers both read). It counts what it received, acknowledged,
sent and what Jasmin refused (``/_stats``).

Example::

    python -m bench.jasmin_app 1401 bench bench   # prints "port N"
"""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import parse_qsl, urlencode

ANSWER = "Merci, c'est note."  # ASCII: the SMSC's default alphabet, no coding to choose
ACK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nACK/Jasmin"


async def read_message(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    """One HTTP message: start line, lower-case headers, body (sized or chunked)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")  # the blank line after the last chunk
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return head[0], headers, body


class App:
    def __init__(self, api_port: int, username: str, password: str) -> None:
        self.api_port, self.credentials = api_port, {"username": username, "password": password}
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.counts = dict.fromkeys(("received", "sent", "refused", "failed"), 0)
        self.answering: set[asyncio.Task] = set()  # asyncio keeps tasks only weakly

    async def serve_one(self, reader, writer) -> None:
        try:
            while True:
                start, headers, body = await read_message(reader)
                if start.startswith("GET /_stats"):
                    data = json.dumps(self.counts).encode()
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n\r\n"
                    writer.write(head.encode() + data)
                    continue
                fields = dict(parse_qsl(body.decode("latin-1")))
                self.counts["received"] += 1
                writer.write(ACK)
                task = asyncio.get_running_loop().create_task(self.answer(fields))
                self.answering.add(task)
                task.add_done_callback(self.answering.discard)
                if headers.get("connection", "").lower() == "close" or start.endswith("1.0"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, fields: dict[str, str]) -> None:
        query = urlencode(
            {**self.credentials, "to": fields.get("from", ""), "from": fields.get("to", "")}
            | {"content": ANSWER}
        )
        request = f"GET /send?{query} HTTP/1.1\r\nHost: 127.0.0.1:{self.api_port}\r\n\r\n"
        for _ in range(2):  # a kept-alive connection Jasmin closed meanwhile: once more
            try:
                reader, writer = self.idle.pop()
            except IndexError:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.api_port)
            try:
                writer.write(request.encode())
                start, headers, body = await read_message(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                continue
            ok = start.split(" ")[1] == "200" and body.startswith(b"Success")
            self.counts["sent" if ok else "refused"] += 1
            if headers.get("connection", "").lower() != "close":
                self.idle.append((reader, writer))
            return
        self.counts["failed"] += 1


async def serve(api_port: int, username: str, password: str) -> None:
    app = App(api_port, username, password)
    server = await asyncio.start_server(app.serve_one, "127.0.0.1", 0, backlog=512)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.sleep(3600)  # bounded: an app forgotten by a crashed run stops


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
