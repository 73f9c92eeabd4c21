"""Just enough SMPP 3.4 for the bench's SMSC: PDUs to bytes and back, no I/O.

A PDU is a 16-byte header (``command_length``, ``command_id``, ``command_status``,
``sequence_number``, big-endian 32-bit each) and a body. The SMSC stand-in
(``bench/smsc.py``) needs the binds, ``enquire_link``, ``unbind``, ``deliver_sm`` (it
delivers the replies) and ``submit_sm`` (it takes the answers), each with its ``_resp``,
and ``generic_nack`` for anything else. Optional TLVs after a ``submit_sm``'s mandatory
fields are kept as raw bytes, unread.

Example::

    pdu = Pdu(DELIVER_SM, 0, 7, short_message_fields("+33611", "38000", b"OUI"))
    data = encode(pdu)
    found = split_pdu(data)      # (Pdu, bytes used), or None until a whole PDU is there
    decode_sm(found[0].body)     # {"source_addr": "+33611", ..., "short_message": b"OUI"}
"""

from __future__ import annotations

import struct
from typing import NamedTuple

BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER = 0x00000001, 0x00000002, 0x00000009
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x00000004, 0x00000005, 0x00000006, 0x00000015
GENERIC_NACK = 0x80000000
BINDS = (BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER)
ESME_ROK, ESME_RINVCMDID, ESME_RINVCMDLEN = 0x00000000, 0x00000003, 0x00000002
HEADER = struct.Struct(">IIII")
MAX_LENGTH = 64 * 1024  # far above any PDU the bench sends; a larger length is garbage

# The mandatory fields of submit_sm and deliver_sm, in order: "c" a C-octet string, "b" a byte.
SM_FIELDS = (
    ("service_type", "c"),
    ("source_addr_ton", "b"),
    ("source_addr_npi", "b"),
    ("source_addr", "c"),
    ("dest_addr_ton", "b"),
    ("dest_addr_npi", "b"),
    ("destination_addr", "c"),
    ("esm_class", "b"),
    ("protocol_id", "b"),
    ("priority_flag", "b"),
    ("schedule_delivery_time", "c"),
    ("validity_period", "c"),
    ("registered_delivery", "b"),
    ("replace_if_present_flag", "b"),
    ("data_coding", "b"),
    ("sm_default_msg_id", "b"),
)
BIND_FIELDS = (
    ("system_id", "c"),
    ("password", "c"),
    ("system_type", "c"),
    ("interface_version", "b"),
    ("addr_ton", "b"),
    ("addr_npi", "b"),
    ("address_range", "c"),
)


class SmppError(ValueError):
    """Bytes that are not the PDU they claim to be."""


class Pdu(NamedTuple):
    command_id: int
    status: int
    sequence: int
    body: bytes = b""


def response_id(command_id: int) -> int:
    return command_id | GENERIC_NACK


def encode(pdu: Pdu) -> bytes:
    return HEADER.pack(HEADER.size + len(pdu.body), *pdu[:3]) + pdu.body


def split_pdu(buffer: bytes | bytearray) -> tuple[Pdu, int] | None:
    """The first whole PDU in ``buffer`` and the bytes it used, or None if incomplete."""
    if len(buffer) < HEADER.size:
        return None
    length, command_id, status, sequence = HEADER.unpack_from(buffer)
    if not HEADER.size <= length <= MAX_LENGTH:
        raise SmppError(f"command_length {length}")
    if len(buffer) < length:
        return None
    return Pdu(command_id, status, sequence, bytes(buffer[HEADER.size : length])), length


def cstring(value: str | bytes) -> bytes:
    data = value.encode("ascii") if isinstance(value, str) else value
    if b"\0" in data:
        raise SmppError("NUL inside a C-octet string")
    return data + b"\0"


def _pack(spec, values: dict) -> bytes:
    out = bytearray()
    for name, kind in spec:
        value = values.get(name, "" if kind == "c" else 0)
        out += cstring(value) if kind == "c" else bytes((value,))
    return bytes(out)


def _unpack(spec, body: bytes, offset: int = 0) -> tuple[dict, int]:
    values: dict = {}
    for name, kind in spec:
        if kind == "c":
            end = body.find(b"\0", offset)
            if end < 0:
                raise SmppError(f"{name}: no NUL before the end")
            values[name] = body[offset:end].decode("latin-1")
            offset = end + 1
        else:
            if offset >= len(body):
                raise SmppError(f"{name}: past the end")
            values[name] = body[offset]
            offset += 1
    return values, offset


def bind_body(system_id: str, password: str, system_type: str = "") -> bytes:
    values = {"system_id": system_id, "password": password, "system_type": system_type}
    return _pack(BIND_FIELDS, values | {"interface_version": 0x34})


def decode_bind(body: bytes) -> dict:
    return _unpack(BIND_FIELDS, body)[0]


def short_message_fields(source: str, destination: str, message: bytes, **more) -> bytes:
    """A deliver_sm's (or submit_sm's) body: international numbers, ``message`` as is."""
    if len(message) > 254:
        raise SmppError("short_message over 254 octets (use message_payload)")
    values = {"source_addr": source, "destination_addr": destination, **more}
    for side, number in (("source_addr", source), ("dest_addr", destination)):
        if number.startswith("+"):
            values[side if side == "source_addr" else "destination_addr"] = number[1:]
            values[f"{side.removesuffix('_addr')}_addr_ton"] = 1  # international
            values[f"{side.removesuffix('_addr')}_addr_npi"] = 1  # E.164
    return _pack(SM_FIELDS, values) + bytes((len(message),)) + message


def decode_sm(body: bytes) -> dict:
    """A submit_sm's or deliver_sm's mandatory fields; ``short_message`` in bytes; the
    optional TLVs after them as ``tlvs`` (raw)."""
    values, offset = _unpack(SM_FIELDS, body)
    if offset >= len(body):
        raise SmppError("sm_length: past the end")
    length = body[offset]
    end = offset + 1 + length
    if end > len(body):
        raise SmppError("short_message runs past the end")
    values["short_message"] = body[offset + 1 : end]
    values["tlvs"] = body[end:]
    return values


def message_id_body(message_id: str) -> bytes:
    """The body of a submit_sm_resp (or a bind's resp: the system_id), or deliver_sm_resp's
    empty message_id."""
    return cstring(message_id)


def decode_message_id(body: bytes) -> str:
    return _unpack((("message_id", "c"),), body)[0]["message_id"]
