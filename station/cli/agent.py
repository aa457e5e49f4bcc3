"""`station agent --id ID`: run one door or machine agent (see door_agent/)."""

from __future__ import annotations

import argparse
import logging

from station.cli.context import Context

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "agent",
        help="run one door or machine agent",
        description="Run the agent of [agents.ID]: badge -> local decision -> relay, "
        "events and commands over MQTT. Stops on SIGTERM/SIGINT, relay off.",
    )
    parser.add_argument(
        "--id",
        required=True,
        dest="agent_id",
        metavar="ID",
        help="agent id, a key of [agents] in the configuration",
    )
    parser.add_argument(
        "--relay-off",
        action="store_true",
        help="only drive the relay off and exit (systemd ExecStopPost)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from door_agent.agent import Agent, relay_off_only, stop_on_signals

    config = ctx.config
    if args.relay_off:
        if args.agent_id in config.agents:
            relay_off_only(config, args.agent_id)
        return 0
    agent = Agent(config, args.agent_id)
    with stop_on_signals(agent):
        try:
            reason = agent.run()
        except Exception:
            log.critical("agent %s stopped on an error; relay off", args.agent_id, exc_info=True)
            return 1
    log.info("agent %s stopped (%s)", args.agent_id, reason)
    return 0
