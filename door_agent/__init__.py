"""The door and machine agent: badge -> decision from a local grant cache -> relay.

One process per door or machine (``station agent --id ID``). Reader, GPIO and
MQTT threads only post to one queue; one loop (`loop.AgentLoop`) owns the state.
The door and machine state machines (`door`, `machine`) are plain code driven
by an injected clock, returning `actions` for the loop to carry out.
"""
