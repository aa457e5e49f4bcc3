"""MIFARE DESFire EV1/EV2/EV3 AES secure badges: the reader's side (issue 14)."""
