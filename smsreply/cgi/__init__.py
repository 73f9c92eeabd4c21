"""CGI/1.1 gateway for customer scripts in ``cgi-bin/``: a script's output becomes the reply SMS.

Pure parts (``environ``: request to meta-variables and body; ``output``: stdout parsed,
then judged under the contract's decision table) sit apart from the process handling
(``scripts``: find a script and how to start it; ``spawn``: start it; ``runner``: run it
with a timeout and caps; ``slots``: limit concurrency) and the ``gateway`` that ties them
together. No Flask and no database here; see ``docs/cgi.md`` for the contract customers
write against.
"""

from .environ import CgiRequest, build_environ, build_request
from .gateway import CgiGateway, CgiRun
from .output import ANSWER_TYPES, CgiOutcome, MalformedOutput, decide, judge, parse_output
from .runner import RawRun, run_script
from .scripts import (
    CgiConfigError,
    ScriptNotAllowed,
    ScriptNotFound,
    ScriptTable,
    interpreter_for,
    resolve_script,
)
from .slots import ConcurrencyCap

__all__ = [
    "ANSWER_TYPES",
    "CgiConfigError",
    "CgiGateway",
    "CgiOutcome",
    "CgiRequest",
    "CgiRun",
    "ConcurrencyCap",
    "MalformedOutput",
    "RawRun",
    "ScriptNotAllowed",
    "ScriptNotFound",
    "ScriptTable",
    "build_environ",
    "build_request",
    "decide",
    "interpreter_for",
    "judge",
    "parse_output",
    "resolve_script",
    "run_script",
]
