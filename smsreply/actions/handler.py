"""Action ``handler``: a customer's Python module from ``handlers/``, run in-process.

The fast path: no process per reply. The module (loaded by file path, reloaded when the
file changes) defines either a WSGI application ``application(environ, start_response)``
— a Flask app works — called with the same environ and body as a CGI script and judged by
the same decision table, or a plain ``handle(reply)`` returning the answer text, ``None``,
or ``{"answer": ..., "state": ...}``. A WSGI application is run with werkzeug's
``run_wsgi_app`` and its status, headers and body are judged directly. An exception is
recorded like a failed script run and never takes the server down. The contract is in
``handlers/README.md``.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from types import ModuleType

from werkzeug.test import run_wsgi_app

from .. import __version__
from ..cgi import CgiRun, build_environ, judge
from .base import (
    UNCHANGED,
    Action,
    ActionConfigError,
    Outcome,
    ReplyContext,
    smart_option,
)
from .cgi import outcome_of, reply_request

_modules: dict[Path, tuple[int, ModuleType]] = {}
_lock = threading.Lock()


def resolve_handler(handlers_dir: Path, name: str) -> Path:
    root = handlers_dir.resolve()
    path = (handlers_dir / name).resolve()
    if Path(name).is_absolute() or ".." in Path(name).parts or root not in path.parents:
        raise ActionConfigError(
            f"handler {name!r} must be a file inside handlers/",
            "handler",
            "handler_outside",
            handler=name,
        )
    if path.suffix != ".py" or not path.is_file():
        raise ActionConfigError(
            f"handler {name!r} is not a .py file in handlers/",
            "handler",
            "handler_missing",
            handler=name,
        )
    return path


_located: dict[tuple, tuple[str, tuple[int, int], Path]] = {}


def locate_handler(resources, name: str) -> tuple[Path, int]:
    """``resolve_handler``'s path and the file's mtime, for each run: one ``stat`` of the
    handler's path instead of building and resolving it again (~50 µs: pathlib, and a
    system call per component). The resolved path is kept while the handler's path still
    leads to the same file (device and inode): a file replaced, or a symlink or a release
    directory swapped, is resolved and checked anew."""
    key = (resources.project_dir, resources.settings["handlers.directory"], name)
    found = _located.get(key)
    try:
        status = os.stat(found[0] if found else resources.handlers_dir / name)
    except OSError:  # gone: resolve_handler names the problem
        status = None
    if status is None or found is None or found[1] != (status.st_dev, status.st_ino):
        handlers_dir = resources.handlers_dir
        path = resolve_handler(handlers_dir, name)
        status = path.stat()
        _located[key] = (str(handlers_dir / name), (status.st_dev, status.st_ino), path)
        return path, status.st_mtime_ns
    return found[2], status.st_mtime_ns


def load_handler(path: Path, mtime: int | None = None) -> ModuleType:
    """Import ``path`` (again if it changed since the last load: ``mtime``, read here when
    not given)."""
    mtime = path.stat().st_mtime_ns if mtime is None else mtime
    with _lock:
        cached = _modules.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        name = f"smsreply_handlers.{path.stem}"
        module = ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module  # so frameworks (Flask) find the module's file
        exec(compile(path.read_bytes(), str(path), "exec"), module.__dict__)
        _modules[path] = (mtime, module)
        return module


class HandlerAction(Action):
    type = "handler"

    @classmethod
    def validate(cls, options, resources) -> dict:
        name = options["handler"]
        path = resolve_handler(resources.handlers_dir, name)
        try:
            module = load_handler(path)
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
            raise ActionConfigError(
                f"handler {name!r} fails to load: {problem}",
                "handler",
                "handler_broken",
                handler=name,
                problem=problem,
            ) from None
        if not callable(getattr(module, "application", None)) and not callable(
            getattr(module, "handle", None)
        ):
            raise ActionConfigError(
                f"handler {name!r} defines neither application(environ, "
                "start_response) nor handle(reply)",
                "handler",
                "handler_no_entry",
                handler=name,
            )
        return {"action": cls.type, "handler": name, **smart_option(options)}

    def run(self, reply: ReplyContext) -> Outcome:
        name = self.options["handler"]
        started = time.perf_counter()
        try:
            module = load_handler(*locate_handler(self.resources, name))
            if callable(getattr(module, "application", None)):
                return self._wsgi(module.application, reply, name)
            result = module.handle(reply)
        except Exception as error:
            return Outcome(
                "error",
                detail={
                    "handler": name,
                    "error": "exception",
                    "reason": f"{type(error).__name__}: {error}",
                    "stderr": traceback.format_exc(limit=-5),
                    "duration": round(time.perf_counter() - started, 4),
                },
            )
        return self._plain(result, name, time.perf_counter() - started)

    def _plain(self, result: object, name: str, duration: float) -> Outcome:
        detail = {"handler": name, "duration": round(duration, 4)}
        state: object = UNCHANGED
        if isinstance(result, dict):
            state = result.get("state", UNCHANGED)
            result = result.get("answer")
        if result is not None and not isinstance(result, str):
            return Outcome(
                "error",
                detail=dict(
                    detail,
                    error="bad-result",
                    reason=(
                        f"handle() returned {type(result).__name__}, expected str, None or dict"
                    ),
                ),
            )
        if state is not UNCHANGED and state is not None and not isinstance(state, str):
            return Outcome(
                "error",
                detail=dict(detail, error="bad-result", reason="'state' must be a string or None"),
            )
        if result is None or not result.strip():
            return Outcome("no-reply", detail=detail, state=state)
        if len(result) > self.resources.settings["cgi.max_answer_chars"]:
            return Outcome(
                "error",
                detail=dict(detail, error="too-long", reason=f"answer of {len(result)} characters"),
            )
        return Outcome("answer", answer=result, detail=detail, state=state)

    def _wsgi(self, application, reply: ReplyContext, name: str) -> Outcome:
        environ, body = build_environ(
            reply_request(reply, self.resources), name, f"smsreply/{__version__}"
        )
        errors = io.StringIO()
        environ.update(
            {
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": errors,
                "wsgi.multithread": True,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                "PATH_INFO": "/",
                "SCRIPT_NAME": f"/handlers/{name}",
            }
        )
        started = time.perf_counter()
        started_response: list[bool] = []

        def tracked(environ, start_response):
            def start(*args):
                started_response.append(True)
                return start_response(*args)

            return application(environ, start)

        try:  # buffered: the body is read whole and the app's iterable closed
            chunks, status, response_headers = run_wsgi_app(tracked, environ, buffered=True)
        except TypeError:
            if started_response:
                raise
            return Outcome(
                "error",
                detail={
                    "handler": name,
                    "error": "exception",
                    "reason": "the WSGI application never called start_response",
                    "duration": round(time.perf_counter() - started, 4),
                },
            )
        payload = b"".join(chunks)
        headers: dict[str, str] = {}
        for key, value in response_headers.items():
            lowered = key.lower()
            if lowered not in ("content-length", "set-cookie"):
                headers[lowered] = f"{headers[lowered]}, {value}" if lowered in headers else value
        settings = self.resources.settings
        run = CgiRun(
            name,
            judge(status, headers, payload, settings["cgi.max_answer_chars"], self.answer_types),
            0,
            None,
            time.perf_counter() - started,
            payload[:2048].decode("utf-8", "replace"),
            errors.getvalue()[-8192:],
            {k: v for k, v in environ.items() if isinstance(v, str)},
        )
        return outcome_of(run, {"handler": name})

    @property
    def answer_types(self) -> tuple[str, ...]:
        return self.resources.answer_types
