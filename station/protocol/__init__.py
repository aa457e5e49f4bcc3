"""The bus protocol: MQTT topics, message bodies and their signatures (docs/protocol.md)."""
