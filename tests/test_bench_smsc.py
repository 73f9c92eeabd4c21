"""The bench's SMPP 3.4 pieces for the Jasmin peer (issue 23): the codec on bytes recorded
from another implementation (the ``smpp.pdu`` library Jasmin speaks through), and the SMSC
stand-in, a real process, against a tiny SMPP client over a real socket: bind, enquire_link,
deliver_sm within its window, submit_sm handed to the sink (``bench/smpp.py``,
``bench/smsc.py``). No Jasmin needed.
"""

from __future__ import annotations

import http.client
import socket
import threading

import pytest

from bench import smpp
from bench.smsc import SmscProcess
from testkit.sink import SinkProcess

# As smpp.pdu (Jasmin's codec) encodes them.
BIND = "000000230000000900000000000000016a61736d696e00736563726574000034000000"
ENQUIRE = "00000010000000150000000000000002"
SUBMIT = (
    "000000360000000400000000000000030002013338303030000101333336313030303030303100030000000000"
    "000000054d65726369"
)
DELIVER_RESP = "0000001180000005000000000000000400"


def test_recorded_pdus_decode():
    pdu, used = smpp.split_pdu(bytes.fromhex(BIND))
    assert (pdu.command_id, pdu.sequence, used) == (smpp.BIND_TRANSCEIVER, 1, 35)
    bind = smpp.decode_bind(pdu.body)
    assert (bind["system_id"], bind["password"], bind["interface_version"]) == (
        "jasmin",
        "secret",
        0x34,
    )
    pdu, _ = smpp.split_pdu(bytes.fromhex(SUBMIT))
    fields = smpp.decode_sm(pdu.body)
    assert (fields["source_addr"], fields["destination_addr"]) == ("38000", "33610000001")
    assert (fields["dest_addr_ton"], fields["short_message"], fields["tlvs"]) == (1, b"Merci", b"")
    pdu, _ = smpp.split_pdu(bytes.fromhex(DELIVER_RESP))
    assert pdu == smpp.Pdu(smpp.response_id(smpp.DELIVER_SM), 0, 4, b"\0")
    assert smpp.decode_message_id(pdu.body) == ""


def test_encoding_gives_the_recorded_bytes():
    assert smpp.encode(smpp.Pdu(smpp.ENQUIRE_LINK, 0, 2)).hex() == ENQUIRE
    body = smpp.bind_body("jasmin", "secret")
    assert smpp.encode(smpp.Pdu(smpp.BIND_TRANSCEIVER, 0, 1, body)).hex() == BIND
    assert smpp.encode(smpp.Pdu(0x80000005, 0, 4, smpp.message_id_body(""))).hex() == DELIVER_RESP


def test_partial_and_garbled_input():
    data = bytes.fromhex(ENQUIRE + BIND)
    assert smpp.split_pdu(data[:15]) is None and smpp.split_pdu(data[:20])[1] == 16
    assert smpp.split_pdu(data[16:40]) is None
    with pytest.raises(smpp.SmppError):
        smpp.split_pdu(bytes.fromhex("00000004" + "00" * 12))  # shorter than its header
    with pytest.raises(smpp.SmppError):
        smpp.decode_sm(bytes.fromhex(SUBMIT)[16:-3])  # short_message cut
    with pytest.raises(smpp.SmppError):
        smpp.decode_bind(b"jasmin")  # no NUL


def test_numbers_with_a_plus_are_international():
    fields = smpp.decode_sm(smpp.short_message_fields("+33611", "38000", b"OUI"))
    assert (fields["source_addr"], fields["source_addr_ton"], fields["source_addr_npi"]) == (
        "33611",
        1,
        1,
    )
    assert (fields["destination_addr"], fields["dest_addr_ton"]) == ("38000", 0)


class Esme:
    """A tiny SMPP client: one socket, PDUs read whole."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def send(self, pdu: smpp.Pdu) -> None:
        self.sock.sendall(smpp.encode(pdu))

    def read(self) -> smpp.Pdu:
        while not (found := smpp.split_pdu(self.buffer)):
            chunk = self.sock.recv(4096)
            assert chunk, "the SMSC closed the connection"
            self.buffer += chunk
        self.buffer = self.buffer[found[1] :]
        return found[0]


def post_reply(port: int, sender: str, results: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request("GET", f"/?from=%2B{sender}&to=38000&text=OUI")
    results.append(connection.getresponse().status)


def test_the_smsc_against_a_tiny_client():
    with SinkProcess() as sink, SmscProcess(sink.url, window=2) as smsc:
        esme = Esme(smsc.smpp_port)
        esme.send(smpp.Pdu(smpp.BIND_TRANSCEIVER, 0, 1, smpp.bind_body("jasmin", "pw")))
        assert esme.read()[:3] == (smpp.response_id(smpp.BIND_TRANSCEIVER), 0, 1)
        esme.send(smpp.Pdu(smpp.ENQUIRE_LINK, 0, 2))
        assert esme.read() == smpp.Pdu(smpp.response_id(smpp.ENQUIRE_LINK), 0, 2)
        # Three replies at once, a window of two: two deliver_sm, the third once one is done.
        statuses: list[int] = []
        posts = [
            threading.Thread(target=post_reply, args=(smsc.port, f"3361000000{n}", statuses))
            for n in range(3)
        ]
        for thread in posts:
            thread.start()
        first, second = esme.read(), esme.read()
        assert {first.command_id, second.command_id} == {smpp.DELIVER_SM}
        esme.sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            esme.read()  # the window is full
        esme.sock.settimeout(10)
        esme.send(smpp.Pdu(smpp.response_id(smpp.DELIVER_SM), 0, first.sequence, b"\0"))
        third = esme.read()
        for pdu in (second, third):
            esme.send(smpp.Pdu(smpp.response_id(smpp.DELIVER_SM), 0, pdu.sequence, b"\0"))
        for thread in posts:
            thread.join(10)
        assert statuses == [200, 200, 200]
        senders = {smpp.decode_sm(pdu.body)["source_addr"] for pdu in (first, second, third)}
        assert senders == {f"3361000000{n}" for n in range(3)}
        # An answer: acknowledged with a message id, handed to the sink tagged by number.
        answer = smpp.short_message_fields("38000", "+33610000001", b"Merci")
        esme.send(smpp.Pdu(smpp.SUBMIT_SM, 0, 9, answer))
        resp = esme.read()
        assert resp[:3] == (smpp.response_id(smpp.SUBMIT_SM), 0, 9)
        message_id = smpp.decode_message_id(resp.body)
        assert message_id == f"smsc{smsc.process.pid}-1"
        esme.send(smpp.Pdu(0x00000103, 0, 10))  # data_sm: not served here
        assert esme.read() == smpp.Pdu(smpp.GENERIC_NACK, smpp.ESME_RINVCMDID, 10)
        for _ in range(100):
            if sink.stats()["accepted"]:
                break
            threading.Event().wait(0.05)
        assert [record[1:] for record in sink.records()] == [("+33610000001", message_id)]
        assert smsc.stats() == {
            "binds": 1,
            "delivered": 3,
            "refused": 0,
            "submitted": 1,
            "forwarded": 1,
        }
