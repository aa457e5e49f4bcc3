"""`station deploy`: what a real site needs, written from `config.toml`.

Every writer here is idempotent: what exists and still fits is kept (passwords, keys,
certificates), so running a deploy again changes nothing unless the configuration did
or a renewal is asked for. Secrets are written 0600 under ``secrets/``, public files
0644.
"""
