"""Action ``handler``: a customer's Python module from ``handlers/``, run in-process.

The fast path: no process per reply. The module (loaded by file path, reloaded when the
file changes) defines either a WSGI application ``application(environ, start_response)``
— a Flask app works — called with the same environ and body as a CGI script and judged by
the same decision table, or a plain ``handle(reply)`` returning the answer text, ``None``,
or ``{"answer": ..., "state": ...}``. An exception is recorded like a failed script run
and never takes the server down. The contract is in ``handlers/README.md``.
"""

from __future__ import annotations

import io
import sys
import threading
import time
import traceback
from pathlib import Path
from types import ModuleType

from .. import __version__
from ..cgi import CgiRun, RawRun, build_environ, decide
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


def load_handler(path: Path) -> ModuleType:
    """Import ``path`` (again if it changed since the last load)."""
    mtime = path.stat().st_mtime_ns
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
            module = load_handler(resolve_handler(self.resources.handlers_dir, name))
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
        response: dict = {}

        def start_response(status, headers, exc_info=None):
            response["status"], response["headers"] = status, headers
            return lambda data: response.setdefault("written", []).append(data)

        started = time.perf_counter()
        chunks = application(environ, start_response)
        try:
            payload = b"".join(response.get("written", [])) + b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        head = [f"Status: {response.get('status', '500 No start_response')}"]
        head += [
            f"{key}: {value}"
            for key, value in response.get("headers", [])
            if key.lower() not in ("content-length", "set-cookie")
        ]
        stdout = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload
        raw = RawRun(
            0,
            None,
            False,
            time.perf_counter() - started,
            stdout,
            errors.getvalue().encode(),
            False,
            False,
        )
        run = CgiRun(
            name,
            decide(raw, self.resources.settings["cgi.max_answer_chars"]),
            0,
            None,
            raw.duration,
            stdout[:2048].decode("utf-8", "replace"),
            errors.getvalue()[-8192:],
            {k: v for k, v in environ.items() if isinstance(v, str)},
        )
        return outcome_of(run, {"handler": name})
