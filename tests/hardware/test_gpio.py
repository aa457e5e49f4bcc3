"""Relays, inputs, indicator and AgentIO on gpiozero's MockFactory."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Callable

import pytest
from gpiozero import Button, DigitalOutputDevice, GPIOZeroError
from gpiozero.pins.mock import MockFactory

from hardware.exc import HardwareError, PinError, UnknownPattern
from hardware.gpio import (
    AgentIO,
    BusyChanged,
    BusySensor,
    DoorClosed,
    DoorContact,
    DoorOpened,
    ExitButton,
    ExitPressed,
    Indicator,
    IoEvent,
    Pattern,
    Relay,
    make_pin_factory,
)
from station.config.agents import PinsConfig
from tests.support.wait import wait_for


@pytest.mark.parametrize(("active_high", "on_level", "off_level"), [(True, 1, 0), (False, 0, 1)])
def test_relay_levels_initial_off_and_safe_after_close(
    mock_factory: MockFactory, active_high: bool, on_level: int, off_level: int
) -> None:
    relay = Relay(17, active_high=active_high, pin_factory=mock_factory)
    pin = mock_factory.pin(17)
    assert pin.state == off_level and not relay.is_on  # off from the start
    relay.on()
    assert pin.state == on_level and relay.is_on
    relay.close()
    assert pin.state == off_level  # driven off before the pin is released
    assert relay.closed and not relay.is_on
    relay.close()  # safe twice
    with pytest.raises(GPIOZeroError):
        relay.on()  # a closed relay cannot be switched on again by mistake
    assert pin.state == off_level


def test_relay_needs_an_explicit_pin_factory() -> None:
    with pytest.raises(PinError, match="explicit pin factory"):
        Relay(17, True)


def test_a_forgotten_relay_goes_off_when_collected(mock_factory: MockFactory) -> None:
    relay = Relay(17, True, mock_factory)
    relay.on()
    pin = mock_factory.pin(17)
    del relay
    gc.collect()
    assert pin.state == 0


def test_relay_goes_off_at_process_exit_without_close() -> None:
    script = """
import atexit
from gpiozero.pins.mock import MockFactory
factory = MockFactory()
# Registered first, so it runs last: after the relay's own release.
atexit.register(lambda: print("at exit:", factory.pin(17).state, flush=True))
from hardware.gpio import Relay
relay = Relay(17, active_high=False, pin_factory=factory)
relay.on()
print("running:", factory.pin(17).state, flush=True)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["running:", "False", "at", "exit:", "True"]


def test_indicator_patterns(mock_factory: MockFactory) -> None:
    with Indicator(led_green=5, led_red=6, buzzer=13, pin_factory=mock_factory) as indicator:
        green, red, buzzer = (mock_factory.pin(n) for n in (5, 6, 13))
        indicator.show(Pattern.GRANTED)
        assert wait_for(lambda: green.state == 1)
        assert red.state == 0
        indicator.show(Pattern.DENIED)
        assert green.state == 0  # the previous pattern is replaced
        assert wait_for(lambda: sum(s.state for s in red.states) == 3 and red.state == 0)
        assert wait_for(lambda: sum(s.state for s in buzzer.states) >= 3)  # denied: 3 beeps
        indicator.show(Pattern.WARNING)
        assert wait_for(lambda: red.state == 1)
        indicator.show(Pattern.IN_USE)
        assert green.state == 1 and red.state == 0 and buzzer.state == 0
        indicator.show(Pattern.OFF)
        assert (green.state, red.state, buzzer.state) == (0, 0, 0)
        assert indicator.pattern == "off"
        with pytest.raises(UnknownPattern, match="granted"):
            indicator.show("party")  # type: ignore[arg-type]  # a string from outside


def test_indicator_with_some_outputs_missing(mock_factory: MockFactory) -> None:
    with Indicator(led_red=6, pin_factory=mock_factory) as indicator:
        indicator.show(Pattern.GRANTED)  # no green LED, no buzzer: nothing to show, no error
        indicator.show(Pattern.DENIED)
        assert wait_for(lambda: sum(s.state for s in mock_factory.pin(6).states) == 3)


def test_door_contact_exit_button_and_busy_sensor(mock_factory: MockFactory) -> None:
    seen: list[str] = []
    with (
        DoorContact(
            27,
            pin_factory=mock_factory,
            on_open=lambda: seen.append("open"),
            on_close=lambda: seen.append("closed"),
        ) as contact,
        ExitButton(
            22, pin_factory=mock_factory, bounce_s=None, on_press=lambda: seen.append("exit")
        ) as button,
        BusySensor(
            23, pin_factory=mock_factory, on_change=lambda busy: seen.append(f"busy={busy}")
        ) as busy,
    ):
        assert not contact.is_closed  # pulled up: a cut wire reads as an open door
        mock_factory.pin(27).drive_low()
        assert contact.is_closed
        mock_factory.pin(27).drive_high()
        mock_factory.pin(22).drive_low()
        assert button.is_pressed
        mock_factory.pin(22).drive_high()
        mock_factory.pin(23).drive_low()
        assert busy.is_busy
        mock_factory.pin(23).drive_high()
    assert seen == ["closed", "open", "exit", "busy=True", "busy=False"]


def test_agent_io_builds_only_wired_pins_and_posts_events(
    mock_factory: MockFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    posted: list[IoEvent] = []
    pins = PinsConfig(relay=17, relay_active_high=False, contact=27, exit_button=22, led_green=5)
    io = AgentIO(pins, mock_factory, posted.append)
    assert io.busy is None and io.contact is not None and io.exit_button is not None
    built = {info.name for info in mock_factory.pins}
    assert built == {"GPIO17", "GPIO27", "GPIO22", "GPIO5"}  # nothing on unwired pins
    mock_factory.pin(27).drive_low()
    mock_factory.pin(27).drive_high()
    mock_factory.pin(22).drive_low()
    assert [type(e) for e in posted] == [DoorClosed, DoorOpened, ExitPressed]
    io.relay.on()
    io.show(Pattern.GRANTED)
    order: list[str] = []

    def spy(name: str, close: Callable[[], None]) -> Callable[[], None]:
        def spied() -> None:
            order.append(name)
            close()

        return spied

    assert io.indicator is not None
    monkeypatch.setattr(io.relay, "close", spy("relay", io.relay.close))
    monkeypatch.setattr(io.indicator, "close", spy("indicator", io.indicator.close))
    io.close()
    io.close()
    assert order[:2] == ["relay", "indicator"]
    assert mock_factory.pin(17).state == 1  # active low: off
    assert mock_factory.pin(5).state == 0


def test_agent_io_busy_sensor_events(mock_factory: MockFactory) -> None:
    posted: list[IoEvent] = []
    with AgentIO(PinsConfig(relay=17, busy=23), mock_factory, posted.append) as io:
        mock_factory.pin(23).drive_low()
        assert io.busy is not None and io.busy.is_busy
    assert posted and isinstance(posted[0], BusyChanged) and posted[0].busy


def test_agent_io_failing_to_build_releases_the_relay(mock_factory: MockFactory) -> None:
    taken = Button(27, pin_factory=mock_factory)  # the contact's pin is already in use
    with pytest.raises(PinError, match="GPIO27"):
        AgentIO(PinsConfig(relay=17, contact=27), mock_factory, lambda event: None)
    taken.close()
    DigitalOutputDevice(17, pin_factory=mock_factory).close()  # 17 was released


def test_make_pin_factory() -> None:
    assert isinstance(make_pin_factory("mock"), MockFactory)
    with pytest.raises(PinError, match="unknown pin factory 'gpio'"):
        make_pin_factory("gpio")
    try:
        import lgpio  # noqa: F401
    except ImportError:
        with pytest.raises(PinError, match="cannot run here") as info:
            make_pin_factory("lgpio")
        assert isinstance(info.value, HardwareError) and isinstance(info.value, RuntimeError)
