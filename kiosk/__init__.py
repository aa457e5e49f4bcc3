"""The entrance kiosk: PySide6 screens over the check-in desk of `station.checkin`.

Layers, each knowing only the one below: views (widgets, no database or bus) ->
window (routes the controller's signals to views) -> controller (state and
timers, Qt signals, no widgets) -> service and bus (database, MQTT, no Qt).
"""
