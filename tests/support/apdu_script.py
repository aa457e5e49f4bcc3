"""A transport that plays a fixed script of APDUs, for NXP's published exchanges and
for framing edge cases (truncated answers, unexpected status words) in-process.

Each step is (expected command, answer or exception): the command sent must be the expected one
byte for byte, else the test fails on the spot, saying which step differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hardware.desfire.errors import CardGone

GONE = CardGone("card removed (scripted)")  # as an answer: the card leaves the field


@dataclass
class ScriptedTransport:
    # (expected command or None for any, answer or an exception to raise)
    steps: list[tuple[bytes | None, bytes | Exception]]
    sent: list[bytes] = field(default_factory=list)

    def transmit(self, apdu: bytes) -> bytes:
        index = len(self.sent)
        self.sent.append(apdu)
        if index >= len(self.steps):
            raise AssertionError(f"unexpected command {index}: {apdu.hex().upper()}")
        expected, answer = self.steps[index]
        if expected is not None and apdu != expected:
            raise AssertionError(
                f"command {index} differs:\n sent     {apdu.hex().upper()}\n"
                f" expected {expected.hex().upper()}"
            )
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def done(self) -> bool:
        return len(self.sent) == len(self.steps)


def h(text: str) -> bytes:
    """Bytes from hex as NXP prints it (spaces and line breaks allowed)."""
    return bytes.fromhex("".join(text.split()))
