"""Storage URLs: parsed and checked, their passwords masked in output and in the spec text."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from engine.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ENCODE = "percent-encode it: urllib.parse.quote(password, safe='')"
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&]*)", re.IGNORECASE)


# -- storage URLs ----------------------------------------------------------------------------
def _credentials(url: str) -> tuple[str, str, str] | None:
    """(what precedes the password, the password as written, what follows it), if any.

    The password runs from the user's ``:`` to the URL's *last* ``@``: a raw ``@`` in it then
    leaks nothing (an ``@`` further on, in a query, only hides more).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or rest.startswith("/") or "@" not in rest:
        return None  # no authority (sqlite:///path), or no user in it
    at = rest.rindex("@")
    user, colon, password = rest[:at].partition(":")
    return (f"{scheme}://{user}:", password, rest[at:]) if colon else None


def mask_url(url: str) -> str:
    """The storage URL with any password replaced by ***, for every output and log."""
    parts = _credentials(url)
    if parts is not None:
        url = f"{parts[0]}***{parts[2]}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def _secrets(url: str) -> set[str]:
    """The URL's passwords, as written and decoded."""
    found = [m.group(2) for m in _QUERY_PASSWORD.finditer(url)]
    parts = _credentials(url)
    if parts is not None:
        found.append(parts[1])
    return {form for s in found for form in (s, unquote(s))} - {"", "***"}


def parse_url(url: str) -> URL:
    """The storage URL, parsed; :class:`StoreError` saying what to write for one we cannot use."""
    # SQLAlchemy loads here, not at import: masking a URL (the command line's help, `status`'s
    # messages) needs none of it.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] == "sqlite" and rest and not rest.startswith("/"):
        raise StoreError(
            f"{mask_url(url)}: a SQLite URL names a file and takes no host: write "
            "sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    parts = _credentials(url)
    if parts is not None and "@" in parts[1]:
        raise StoreError(
            f"the storage URL {mask_url(url)} has more than one '@': if its password holds "
            f"'@' (or any of :/?#%), {ENCODE}; any other '@' must be written %40"
        )
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        # Without an '@', "user:password/db" reads as host:port: show no more than the scheme.
        shown = mask_url(url) if "@" in rest or not rest else f"{scheme}://..."
        raise StoreError(
            f"{shown} is not a valid storage URL (e.g. sqlite:///sessions/NAME.db or "
            "postgresql+psycopg://USER:PASSWORD@HOST:5432/DB); if its password holds any of "
            f"@:/?#%, {ENCODE}"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise StoreError(
                f"{url} names no database file; a session must persist: give one, "
                "e.g. sqlite:///sessions/NAME.db"
            )
        if parsed.database == ":memory:" or parsed.query.get("mode") == "memory":
            raise StoreError(
                f"{url} keeps the database in memory; a session must persist (its workers are "
                "other processes): give a file, e.g. sqlite:///sessions/NAME.db"
            )
    return parsed


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for a server."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    assert parsed.database, "parse_url refuses a SQLite URL that names no file"
    return Path(parsed.database)


# -- the spec snapshot -----------------------------------------------------------------------
def _leaks(spec_text: str, url: str) -> bool:
    """Whether the text still holds one of the URL's passwords, in the URL or parsed back."""
    for secret in _secrets(url):
        if f":{secret}@" in spec_text or f"password={secret}".lower() in spec_text.lower():
            return True
    try:
        stored = tomllib.loads(spec_text).get("session", {}).get("storage")
    except (tomllib.TOMLDecodeError, AttributeError):
        return True
    return isinstance(stored, str) and bool(_secrets(stored))


def _without_password(spec_text: str, url: str) -> str:
    """The spec's text with its storage URL's password replaced by ***, however it was written."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        spec_text = spec_text.replace(f":{secret}@", ":***@")
        spec_text = re.sub(
            rf"(?i)([?&]password=){re.escape(secret)}(?=[&\"'\s]|$)", r"\1***", spec_text
        )
    if not _leaks(spec_text, url):
        return spec_text
    # Written with TOML escapes we cannot see through: state the storage line again, masked.
    line = f"storage = {json.dumps(mask_url(url))}"
    restated = re.sub(r"(?m)^[ \t]*storage[ \t]*=.*$", lambda _m: line, spec_text)
    if not _leaks(restated, url):
        return restated
    return "# the spec's text is not kept: its storage URL holds a password\n"
