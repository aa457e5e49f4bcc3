"""Throwaway TLS certificates for the tests' brokers (openssl)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_certificates(directory: Path) -> None:
    """ca.crt/ca.key and server.crt/server.key in `directory`, valid for 127.0.0.1 only."""
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for command in (
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=test-ca -days 1",
        "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1",
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
        "-days 1 -extfile san.ext",
    ):
        subprocess.run(
            ["openssl", *command.split()], cwd=directory, check=True, capture_output=True
        )
