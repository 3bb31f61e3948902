"""Users, passwords, API tokens and browser sessions.

Passwords are hashed with argon2id (memory-hard); tokens and session ids are 256-bit random
values whose SHA-256 digest is what the database keeps.

Examples
--------
>>> from hopia.serve.db import open_app_db
>>> _, Session = open_app_db("sqlite://")
>>> with Session() as db:
...     user = add_user(db, "alice", "correct horse battery", "clinician")
...     token = create_token(db, "alice")
...     user_for_token(db, token).username
'alice'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from hopia.errors import InputError
from hopia.serve.db import ROLES, ApiToken, BrowserSession, User, now

SESSION_LIFETIME = dt.timedelta(hours=8)
"""How long a browser session stays valid (one working shift)."""

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that the answer time does
    not tell whether a username is known."""
    return _hasher.hash("not a real password, only for timing")


def digest(secret: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (token or session id)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(db: Session, username: str, password: str, role: str) -> User:
    """Create an active user.

    Parameters
    ----------
    db
        Open database session (committed here).
    username
        1–64 characters among letters, digits, ``.``, ``_``, ``-``.
    password
        At least :data:`MIN_PASSWORD_LENGTH` characters.
    role
        One of :data:`hopia.serve.db.ROLES`.

    Returns
    -------
    User
        The new user.

    Raises
    ------
    InputError
        On a bad username, short password, unknown role or existing username.
    """
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise InputError("user", "expected 1-64 letters, digits, '.', '_' or '-'", field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            "user", f"expected at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if role not in ROLES:
        raise InputError("user", f"expected one of {', '.join(ROLES)}, got {role!r}", field="role")
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise InputError("user", f"username {username!r} already exists", field="username")
    user = User(username=username, password_hash=_hasher.hash(password), role=role, active=True)
    db.add(user)
    db.commit()
    return user


def list_users(db: Session) -> list[User]:
    """Every user, ordered by username."""
    return list(db.scalars(select(User).order_by(User.username)))


def get_user(db: Session, username: str) -> User:
    """The user called ``username``; :class:`InputError` when there is none."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError("user", f"no user called {username!r}", field="username")
    return user


def disable_user(db: Session, username: str) -> User:
    """Deactivate a user: sign-in, tokens and sessions stop working at once."""
    user = get_user(db, username)
    user.active = False
    for session in db.scalars(select(BrowserSession).where(BrowserSession.user_id == user.id)):
        db.delete(session)
    db.commit()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else ``None``."""
    user = db.scalar(select(User).where(User.username == username))
    try:
        if user is None:
            _hasher.verify(_dummy_hash(), password)
            return None
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        db.commit()
    return user


def create_token(db: Session, username: str, *, name: str = "", days: int | None = 90) -> str:
    """Create an API token for a user and return its value (shown once, stored hashed).

    Parameters
    ----------
    db
        Open database session (committed here).
    username
        An existing, active user.
    name
        Free label (e.g. the client that uses it).
    days
        Lifetime in days; ``None`` for a token that does not expire.
    """
    user = get_user(db, username)
    if not user.active:
        raise InputError("token", f"user {username!r} is disabled", field="username")
    if days is not None and days < 1:
        raise InputError("token", "expected a lifetime of at least 1 day", field="days")
    value = "hopia_" + secrets.token_urlsafe(32)
    expires = now() + dt.timedelta(days=days) if days is not None else None
    db.add(ApiToken(user_id=user.id, token_hash=digest(value), name=name, expires_at=expires))
    db.commit()
    return value


# One query, built once (it runs on every API request): the token unrevoked and unexpired,
# its user active.
_TOKEN_USER = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ~ApiToken.revoked,
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
        User.active,
    )
)


def user_for_token(db: Session, value: str) -> User | None:
    """The active user a bearer token belongs to, or ``None`` (unknown, expired, revoked)."""
    return db.scalar(_TOKEN_USER, {"token_hash": digest(value), "now": now()})


def open_session(db: Session, user: User) -> str:
    """Start a browser session for a user; returns the cookie value."""
    value = secrets.token_urlsafe(32)
    db.add(
        BrowserSession(
            user_id=user.id, session_hash=digest(value), expires_at=now() + SESSION_LIFETIME
        )
    )
    db.commit()
    return value


def user_for_session(db: Session, value: str) -> User | None:
    """The active user of a browser session cookie, or ``None``."""
    session = db.scalar(select(BrowserSession).where(BrowserSession.session_hash == digest(value)))
    if session is None or session.expires_at <= now():
        return None
    user = db.get(User, session.user_id)
    return user if user is not None and user.active else None


def close_session(db: Session, value: str) -> None:
    """End a browser session (logout)."""
    session = db.scalar(select(BrowserSession).where(BrowserSession.session_hash == digest(value)))
    if session is not None:
        db.delete(session)
        db.commit()


def csrf_token(key: bytes, nonce: str) -> str:
    """The CSRF token bound to a browser's nonce cookie (HMAC-SHA256 with the app key)."""
    return hmac.new(key, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, nonce: str | None, token: str | None) -> bool:
    """Whether a form's CSRF token matches the browser's nonce cookie."""
    if not nonce or not token:
        return False
    return hmac.compare_digest(csrf_token(key, nonce), token)
