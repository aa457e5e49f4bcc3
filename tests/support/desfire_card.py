"""A virtual MIFARE DESFire EV1/EV2/EV3 card (AES only) for vsmartcard's vpcd.

It speaks native DESFire commands in ISO 7816-4 wrapping (CLA 90, INS = command, P1 P2
00 00, Lc, data, Le 00; answers data || 91 status, 91 AF for a further frame) through
pcscd like tests/support/vcard.py's UID card, and answers PC/SC's GET DATA (FF CA) with
its anti-collision UID. The subset: GetVersion, SelectApplication, CreateApplication,
CreateStdDataFile, ReadData / WriteData (plain, MAC, FULL), GetCardUID, GetKeyVersion,
ChangeKey, FormatPICC, AuthenticateEV2First / NonFirst (EV2, EV3) and AuthenticateAES
(EV1 legacy, all generations). It does not import hardware.desfire: see desfire_crypto.py.

What a real card does and this one does too: a select, a new authentication, a failed
one and any error status end the session; a changed key in use ends it (answer without
MAC); access right E (free) means plain communication, F never; a blank card's PICC
master key is AES 00..00 with free CreateApplication (settings 0F).

Test knobs (constructor arguments, also attributes): `fixed_rnd_b` / `fixed_ti` (NXP's
worked exchanges), `replay` (answer the Nth APDU with the Nth answer of a recording,
e.g. another card's `answers`), `truncate_after=N` (the answer to APDU N+1 loses the
second half of its data, its status word kept, so that it looks complete),
`vanish_after=N` (the card leaves the reader instead of answering APDU N+1), `clone()`
(same UID, blank). APDUs count from 1 and include PC/SC's GET DATA.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.support.desfire_auth import Authenticator, Key, Reply
from tests.support.desfire_channel import CardError, Channel, CommMode, Status
from tests.support.vcard import VirtualCard

# How PC/SC part 3 readers report an ISO 14443-4 card without historical bytes (a DESFire).
DESFIRE_ATR = bytes.fromhex("3B8180018080")
DEFAULT_UID = bytes.fromhex("04A1B2C3D4E5F6")
PICC_AID = bytes(3)
FREE, NEVER = 0xE, 0xF
KEY_SETTINGS_FREE_CREATE = 0x04
KEY_SETTINGS_MASTER_CHANGEABLE = 0x01
AES_KEY_TYPE = 0x80  # bits 7-6 of CreateApplication's key count and of ChangeKey's PICC key number
MAX_FILE_SIZE = 8192
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_OK = b"\x90\x00"


class Generation(enum.IntEnum):
    """The hardware major version GetVersion reports."""

    EV1 = 0x01
    EV2 = 0x12
    EV3 = 0x33


class Ins(enum.IntEnum):
    GET_VERSION = 0x60
    SELECT_APPLICATION = 0x5A
    CREATE_APPLICATION = 0xCA
    CREATE_STD_DATA_FILE = 0xCD
    READ_DATA = 0xBD
    READ_DATA_ISO = 0xAD
    WRITE_DATA = 0x3D
    WRITE_DATA_ISO = 0x8D  # the EV2 / NTAG 424 spelling AN12196's examples use
    GET_CARD_UID = 0x51
    GET_KEY_VERSION = 0x64
    CHANGE_KEY = 0xC4
    FORMAT_PICC = 0xFC
    AUTHENTICATE_EV2_FIRST = 0x71
    AUTHENTICATE_EV2_NON_FIRST = 0x77
    AUTHENTICATE_AES = 0xAA
    ADDITIONAL_FRAME = 0xAF


@dataclass
class StdFile:
    comm: CommMode
    read: int
    write: int
    read_write: int
    change: int
    data: bytearray

    @classmethod
    def parse_rights(cls, comm: CommMode, rights: bytes, size: int) -> StdFile:
        """Access rights as on the wire (LSB first): RW << 4 | Change, Read << 4 | Write."""
        return cls(comm, rights[1] >> 4, rights[1] & 0xF, rights[0] >> 4, rights[0] & 0xF,
                   bytearray(size))  # fmt: skip


@dataclass
class Application:
    aid: bytes
    key_settings: int
    keys: list[Key]
    files: dict[int, StdFile] = field(default_factory=dict)


class DesfireCard(VirtualCard):
    """A DESFire card on a vpcd reader (`insert()`), or driven directly by `transmit()`."""

    def __init__(
        self,
        uid: bytes = DEFAULT_UID,
        *,
        generation: Generation = Generation.EV2,
        random_id: bool = False,
        picc_key: bytes = bytes(16),
        picc_key_settings: int = 0x0F,
        fixed_rnd_b: bytes | None = None,
        fixed_ti: bytes | None = None,
        replay: Sequence[bytes] | None = None,
        truncate_after: int | None = None,
        vanish_after: int | None = None,
        rng: Callable[[int], bytes] = os.urandom,
        port: int = 35963,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(uid, port=port, atr=DESFIRE_ATR, host=host)
        self.real_uid = uid
        self.generation = generation
        self.random_id = random_id
        self.rng = rng
        self.replay = replay
        self.truncate_after = truncate_after
        self.vanish_after = vanish_after
        self.answers: list[bytes] = []  # every answer sent, for assertions and replays
        self.picc = Application(PICC_AID, picc_key_settings, [Key(picc_key)])
        self.applications: dict[bytes, Application] = {}
        self.selected = self.picc
        self.channel: Channel | None = None
        self.auth = Authenticator(self, fixed_rnd_b=fixed_rnd_b, fixed_ti=fixed_ti)
        self._pending: Callable[[bytes], Reply] | None = None
        self._new_anticollision_uid()

    # ---- test set-up, without the reader ---------------------------------------------

    def clone(self) -> DesfireCard:
        """A card with this one's UID and nothing else (a blank card, or a magic one)."""
        return DesfireCard(self.real_uid, generation=self.generation, random_id=self.random_id,
                           port=self.port, host=self.host)  # fmt: skip

    def add_application(self, aid: bytes, keys: Sequence[bytes], key_settings: int = 0x0B) -> None:
        self.applications[aid] = Application(aid, key_settings, [Key(key) for key in keys])

    def add_file(self, aid: bytes, file_no: int, file: StdFile, data: bytes = b"") -> None:
        file.data[: len(data)] = data
        self.applications[aid].files[file_no] = file

    # ---- the APDU loop ----------------------------------------------------------------

    def transmit(self, apdu: bytes) -> bytes:
        """One APDU without vpcd (b"" once the card vanished, as vpcd would see nothing)."""
        self.apdus.append(apdu)
        return self.respond(apdu)

    def insert(self) -> None:
        if not self.inserted:
            self._new_anticollision_uid()
        super().insert()

    def respond(self, apdu: bytes) -> bytes:
        number = len(self.apdus)
        if self.vanish_after is not None and number > self.vanish_after:
            self.remove()
            return b""
        if self.replay is not None and number <= len(self.replay):
            answer = self.replay[number - 1]
        else:
            answer = self.process(apdu)
        if self.truncate_after is not None and number == self.truncate_after + 1:
            answer = _truncated(answer)
        self.answers.append(answer)
        return answer

    def process(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xff\xca":
            return self.uid + SW_OK if apdu[2:3] == b"\x00" else SW_WRONG_P1P2
        if apdu[:1] != b"\x90" or len(apdu) < 4:
            return SW_CLA_NOT_SUPPORTED
        if apdu[2:4] != b"\x00\x00":
            return SW_WRONG_P1P2
        body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if len(apdu) > 5 and (len(body) < apdu[4] or len(apdu) - 5 - len(body) > 1):
            return SW_WRONG_LENGTH
        pending, self._pending = self._pending, None
        try:
            data, status = self._execute(apdu[1], body, pending)
        except CardError as error:
            self.channel = None
            return bytes([0x91, error.status])
        return data + bytes([0x91, status])

    def _execute(self, ins: int, body: bytes, pending: Callable[[bytes], Reply] | None) -> Reply:
        if ins == Ins.ADDITIONAL_FRAME:
            if pending is None:
                raise CardError(Status.ILLEGAL_COMMAND, "no frame expected")
            return pending(body)
        handler = self._handlers().get(ins)
        if handler is None:
            raise CardError(Status.ILLEGAL_COMMAND, f"command {ins:02X}")
        return handler(ins, body)

    def continue_with(self, step: Callable[[bytes], Reply]) -> None:
        """The next AF frame goes to `step` (GetVersion's frames, authentications' part 2)."""
        self._pending = step

    def _handlers(self) -> dict[int, Callable[[int, bytes], Reply]]:
        return {
            Ins.GET_VERSION: self._get_version,
            Ins.SELECT_APPLICATION: self._select_application,
            Ins.CREATE_APPLICATION: self._create_application,
            Ins.CREATE_STD_DATA_FILE: self._create_std_data_file,
            Ins.READ_DATA: self._read_data,
            Ins.READ_DATA_ISO: self._read_data,
            Ins.WRITE_DATA: self._write_data,
            Ins.WRITE_DATA_ISO: self._write_data,
            Ins.GET_CARD_UID: self._get_card_uid,
            Ins.GET_KEY_VERSION: self._get_key_version,
            Ins.CHANGE_KEY: self._change_key,
            Ins.FORMAT_PICC: self._format_picc,
            Ins.AUTHENTICATE_EV2_FIRST: self.auth.ev2_first,
            Ins.AUTHENTICATE_EV2_NON_FIRST: self.auth.ev2_non_first,
            Ins.AUTHENTICATE_AES: self.auth.aes,
        }

    # ---- commands -------------------------------------------------------------------------

    def _get_version(self, ins: int, body: bytes) -> Reply:
        # Plain only: a reader asks before it authenticates (in a session it would be MACed).
        major = int(self.generation)
        storage = 0x18 if self.generation == Generation.EV1 else 0x1A
        hardware = bytes([0x04, 0x01, 0x01, major, 0x00, storage, 0x05])
        software = bytes([0x04, 0x01, 0x01, major, 0x00, storage, 0x05])
        uid = bytes(7) if self.random_id else self.real_uid[:7].ljust(7, b"\x00")
        production = uid + bytes.fromhex("BA5E000001") + bytes([0x21, 0x24])
        self.continue_with(lambda _: self._frame(software, lambda _: (production, Status.OK)))
        return hardware, Status.ADDITIONAL_FRAME

    def _frame(self, data: bytes, step: Callable[[bytes], Reply]) -> Reply:
        self.continue_with(step)
        return data, Status.ADDITIONAL_FRAME

    def _select_application(self, ins: int, body: bytes) -> Reply:
        self.channel = None
        self.selected = self.picc
        if len(body) != 3:
            raise CardError(Status.LENGTH_ERROR, "an AID is 3 bytes")
        if body != PICC_AID:
            if body not in self.applications:
                raise CardError(Status.APPLICATION_NOT_FOUND, body.hex())
            self.selected = self.applications[body]
        return b"", Status.OK

    def _create_application(self, ins: int, body: bytes) -> Reply:
        data = self._command(ins, body, CommMode.MAC)
        if self.selected is not self.picc:
            raise CardError(Status.PERMISSION_DENIED, "not at PICC level")
        self._require_master(self.picc.key_settings & KEY_SETTINGS_FREE_CREATE)
        if len(data) < 5:
            raise CardError(Status.LENGTH_ERROR, "AID, key settings, key count")
        aid, settings, count = data[:3], data[3], data[4]
        if count & 0xC0 != AES_KEY_TYPE or not 1 <= count & 0x0F <= 14 or aid == PICC_AID:
            raise CardError(Status.PARAMETER_ERROR, "AES keys only, 1 to 14")
        if aid in self.applications:
            raise CardError(Status.DUPLICATE_ERROR, aid.hex())
        self.add_application(aid, [bytes(16)] * (count & 0x0F), settings)
        return self._answer(b"", CommMode.MAC)

    def _create_std_data_file(self, ins: int, body: bytes) -> Reply:
        data = self._command(ins, body, CommMode.MAC)
        app = self._application()
        self._require_master(app.key_settings & KEY_SETTINGS_FREE_CREATE)
        if len(data) != 7:
            raise CardError(Status.LENGTH_ERROR, "file no, comm, rights, size")
        file_no, size = data[0], int.from_bytes(data[4:7], "little")
        comm = {0x00: CommMode.PLAIN, 0x02: CommMode.PLAIN, 0x01: CommMode.MAC, 0x03: CommMode.FULL}
        if file_no > 31 or data[1] not in comm or not 0 < size <= MAX_FILE_SIZE:
            raise CardError(Status.PARAMETER_ERROR, "file no, comm or size")
        if file_no in app.files:
            raise CardError(Status.DUPLICATE_ERROR, f"file {file_no}")
        app.files[file_no] = StdFile.parse_rights(comm[data[1]], data[2:4], size)
        return self._answer(b"", CommMode.MAC)

    def _read_data(self, ins: int, body: bytes) -> Reply:
        file, header = self._file(body)
        mode = self._mode(file, (file.read, file.read_write))
        if mode == CommMode.FULL:
            self._full(ins, header, body[7:], None)
        elif self._command(ins, body, mode) != header:
            raise CardError(Status.LENGTH_ERROR, "ReadData takes 7 bytes")
        offset, length = _span(header, len(file.data))
        return self._answer(bytes(file.data[offset : offset + length]), mode)

    def _write_data(self, ins: int, body: bytes) -> Reply:
        file, header = self._file(body)
        mode = self._mode(file, (file.write, file.read_write))
        length = int.from_bytes(header[4:7], "little")
        if mode == CommMode.FULL:
            data = self._full(ins, header, body[7:], length)
        else:
            data = self._command(ins, body, mode, mac_sent=True)[7:]
        if len(data) != length or not length:
            raise CardError(Status.LENGTH_ERROR, f"{len(data)} bytes, header says {length}")
        offset, _ = _span(header, len(file.data))
        file.data[offset : offset + length] = data
        return self._answer(b"", mode)

    def _get_card_uid(self, ins: int, body: bytes) -> Reply:
        self._full(ins, b"", body, None)
        return self._answer(self.real_uid, CommMode.FULL)

    def _get_key_version(self, ins: int, body: bytes) -> Reply:
        data = self._command(ins, body, CommMode.MAC)
        if len(data) != 1:
            raise CardError(Status.LENGTH_ERROR, "a key number")
        return self._answer(bytes([self.key(data[0] & 0x3F).version]), CommMode.MAC)

    def _change_key(self, ins: int, body: bytes) -> Reply:
        channel = self._session()
        if not body:
            raise CardError(Status.LENGTH_ERROR, "no key number")
        key_no = self._changeable(body[0])
        plain = channel.change_key_data(ins, body[:1], body[1:])
        key = self.key(key_no)
        value, version = self.auth.parse_new_key(plain, body[:1], key, key_no == channel.key_no)
        key.value, key.version = value, version
        if key_no == channel.key_no:
            self.channel = None  # the key in use changed: the session ends, no MAC
            return b"", Status.OK
        return self._answer(b"", CommMode.MAC)

    def _format_picc(self, ins: int, body: bytes) -> Reply:
        self._command(ins, body, CommMode.MAC)
        if self.selected is not self.picc:
            raise CardError(Status.PERMISSION_DENIED, "not at PICC level")
        self._require_master(False)
        self.applications.clear()
        return self._answer(b"", CommMode.MAC)

    # ---- access rules -----------------------------------------------------------------

    def key(self, key_no: int) -> Key:
        keys = self.selected.keys
        if key_no >= len(keys):
            raise CardError(Status.NO_SUCH_KEY, f"key {key_no}")
        return keys[key_no]

    def _application(self) -> Application:
        if self.selected is self.picc:
            raise CardError(Status.PERMISSION_DENIED, "no application selected")
        return self.selected

    def _session(self) -> Channel:
        if self.channel is None:
            raise CardError(Status.AUTHENTICATION_ERROR, "not authenticated")
        return self.channel

    def _require_master(self, free: int | bool) -> None:
        if not free and self._session().key_no != 0:
            raise CardError(Status.PERMISSION_DENIED, "needs the master key")

    def _changeable(self, key_no_byte: int) -> int:
        """The key number ChangeKey may change in this session, else PERMISSION_DENIED."""
        settings, used = self.selected.key_settings, self._session().key_no
        key_no = key_no_byte & 0x3F if self.selected is self.picc else key_no_byte & 0x0F
        if self.selected is self.picc and key_no_byte & 0xC0 != AES_KEY_TYPE:
            raise CardError(Status.PARAMETER_ERROR, "AES PICC master key only")
        self.key(key_no)
        change_right = settings >> 4
        if key_no == 0:
            allowed = used == 0 and bool(settings & KEY_SETTINGS_MASTER_CHANGEABLE)
        elif change_right == FREE:
            allowed = used == key_no
        else:
            allowed = change_right != NEVER and used == change_right
        if not allowed:
            raise CardError(Status.PERMISSION_DENIED, f"key {key_no} with key {used}")
        return key_no

    def _file(self, body: bytes) -> tuple[StdFile, bytes]:
        if len(body) < 7:
            raise CardError(Status.LENGTH_ERROR, "file no, offset, length")
        file = self._application().files.get(body[0])
        if file is None:
            raise CardError(Status.FILE_NOT_FOUND, f"file {body[0]}")
        return file, body[:7]

    def _mode(self, file: StdFile, rights: tuple[int, int]) -> CommMode:
        if FREE in rights:
            return CommMode.PLAIN  # free access is plain access, whatever the file's mode
        keys = {right for right in rights if right < FREE}
        if not keys:
            raise CardError(Status.PERMISSION_DENIED, "access never")
        if self._session().key_no not in keys:
            raise CardError(Status.PERMISSION_DENIED, f"not with key {self._session().key_no}")
        return file.comm

    # ---- secure messaging -------------------------------------------------------------

    def _command(self, ins: int, body: bytes, mode: CommMode, mac_sent: bool = False) -> bytes:
        if self.channel is None:
            return body
        return self.channel.command(ins, body, mode, mac_sent)

    def _full(self, ins: int, header: bytes, rest: bytes, length: int | None) -> bytes:
        return self._session().command_full(ins, header, rest, length)

    def _answer(self, data: bytes, mode: CommMode) -> Reply:
        if self.channel is None:
            return data, Status.OK
        return self.channel.answer(data, mode), Status.OK

    def _new_anticollision_uid(self) -> None:
        self.uid = b"\x08" + self.rng(3) if self.random_id else self.real_uid


def _span(header: bytes, size: int) -> tuple[int, int]:
    offset, length = int.from_bytes(header[1:4], "little"), int.from_bytes(header[4:7], "little")
    length = length or size - offset  # 0 reads to the end of the file
    if offset + length > size or length <= 0:
        raise CardError(Status.BOUNDARY_ERROR, f"{offset}+{length} past {size}")
    return offset, length


def _truncated(answer: bytes) -> bytes:
    data, status = answer[:-2], answer[-2:]
    return data[: len(data) // 2] + status if data else answer[:1]


__all__ = ["DESFIRE_ATR", "CommMode", "DesfireCard", "Generation", "Ins", "Status", "StdFile"]
