"""The kiosk's screens: widgets only, fed with plain data, emitting what people touch."""
