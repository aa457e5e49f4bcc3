"""Keeps a site database in step with the central registry, and agents with the site.

Down: registry rows changed at central since the site's cursor (`sync.down`).
Up: the site's history and its locally created registry rows (`sync.up`).
Agents: signed grant snapshots out, events and statuses in (`sync.compiler`,
`sync.intake`), over one MQTT connection (`sync.bus`), all driven by one loop
(`sync.service`). See docs/sync.md.
"""
