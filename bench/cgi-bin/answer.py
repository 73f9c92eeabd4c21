#!/usr/bin/env python3
"""The bench's Python CGI script: reads the form on stdin, answers with the message."""

import os
import sys
from urllib.parse import parse_qs

length = int(os.environ.get("CONTENT_LENGTH") or 0)
form = parse_qs(sys.stdin.buffer.read(length).decode("utf-8"))
message = form.get("message", [""])[0]
sys.stdout.write(f"Content-Type: text/plain; charset=utf-8\r\n\r\nMerci, {message}\n")
