"""The access log's atoms (``smsreply/access_log.py``) are gunicorn's own, computed only for
the names the format uses; a format naming one it does not compute gets gunicorn's."""

from __future__ import annotations

import datetime

from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from smsreply.access_log import AccessLogger, names

EVERY_ATOM = (
    '%(h)s %(l)s "%(r)s" %(s)s %(b)s %(B)s %(m)s %(U)s %(q)s %(H)s %(f)s %(a)s %(T)s %(D)s '
    "%(M)s %(L)s %(p)s %({X-SMSReply-Route}o)s %({user-agent}i)s %({X-Dup}i)s "
    "%({remote_addr}e)s %({missing}i)s %({missing}o)s"
)


class Response:
    status = "200 OK"
    sent = 123
    headers = [("Content-Type", "application/json"), ("X-SMSReply-Route", "/callbacks/x")]


class Request:
    headers = [("USER-AGENT", "curl/8"), ("X-DUP", "first"), ("X-DUP", "last")]


ENVIRON = {
    "REMOTE_ADDR": "127.0.0.2",
    "REQUEST_METHOD": "POST",
    "RAW_URI": "/callbacks/ovh/secret?x=1",
    "PATH_INFO": "/callbacks/ovh/secret",
    "QUERY_STRING": "x=1",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_USER_AGENT": 'curl "8"',
    "HTTP_REFERER": "http://example.test/",
}


def loggers(access_log_format: str) -> tuple[Logger, Logger]:
    config = Config()
    config.set("access_log_format", access_log_format)
    return Logger(config), AccessLogger(config)


def line(logger: Logger) -> dict[str, object]:
    took = datetime.timedelta(seconds=1, microseconds=234567)
    atoms = SafeAtoms(logger.atoms(Response(), Request(), ENVIRON, took))
    return {name: atoms[name] for name in names(logger.cfg.access_log_format)}


def test_every_atom_is_gunicorns_own():
    theirs, ours = loggers(EVERY_ATOM)
    expected = line(theirs)
    assert expected["{x-smsreply-route}o"] == "/callbacks/x"  # the comparison compares
    assert expected["{x-dup}i"] == "last"
    assert line(ours) == expected


def test_only_the_named_atoms_are_built():
    _, ours = loggers('%(h)s "%(m)s %({x-smsreply-route}o)s" %(s)s %(B)s %(L)ss')
    took = datetime.timedelta(microseconds=1500)
    atoms = ours.atoms(Response(), Request(), ENVIRON, took)
    assert set(atoms) == {"h", "m", "{x-smsreply-route}o", "s", "B", "L"}
    assert atoms["L"] == "0.001500"


def test_an_atom_only_gunicorn_computes_falls_back_to_gunicorns_atoms():
    _, ours = loggers("%(h)s %(t)s %(u)s")
    took = datetime.timedelta(microseconds=1500)
    atoms = ours.atoms(Response(), Request(), ENVIRON, took)
    assert atoms["t"].startswith("[") and atoms["u"] == "-"
    assert "{remote_addr}e" in atoms  # the whole of gunicorn's dict
