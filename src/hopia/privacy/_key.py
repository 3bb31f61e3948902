"""The pseudonymisation key: ``HOPIA_SECRET``, or a key file (``HOPIA_SECRET_FILE``, ``--key-file``)."""

from __future__ import annotations

from pathlib import Path

from hopia.errors import InputError


def load_key(key_file: Path | None = None) -> bytes | None:
    """The secret as bytes, or None when none is configured."""
    from hopia.settings import get_settings

    settings = get_settings()
    if key_file is None and settings.secret:
        key = settings.secret.encode()
    else:
        path = key_file or settings.secret_file
        if path is None:
            return None
        if not Path(path).is_file():
            raise InputError(str(path), "key file not found")
        key = Path(path).read_bytes().strip()
    if len(key) < 16:
        raise InputError("pseudonymisation key", "expected at least 16 bytes of secret")
    return key
