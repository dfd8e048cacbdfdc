"""API keys for the HTTP API: created and revoked by the owner, stored as sha256 hashes.

A key is 32 random bytes (256 bits): a plain sha256 is enough to store it, unlike a password,
because there is nothing to guess. The client's key is hashed and looked up by its hash; the
final comparison is constant-time anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlite_utils import Database

from storage.rows import utcnow

PREFIX = "mjk_"  # recognisable in logs and secret scanners
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class ApiKeyError(ValueError):
    """A key name is malformed or taken, or names no key; the message says which."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str) -> str:
        """Store a new key under `name` and return it: the only time it can be shown.

        A revoked name may be given a new key; a working one must be revoked first.
        """
        if not NAME.fullmatch(name):
            raise ApiKeyError(
                f"Key names are 1-64 letters, digits, '_', '.' or '-' (first a letter or digit), "
                f"got {name!r}"
            )
        existing = self.find(name)
        if existing is not None and existing["revoked_at"] is None:
            raise ApiKeyError(f"Key {name!r} exists; revoke it first to issue a new one.")
        key = PREFIX + secrets.token_urlsafe(32)
        self.db["api_keys"].upsert(
            {"name": name, "key_hash": hash_key(key), "created_at": utcnow(), "revoked_at": None},
            pk="name",
        )
        return key

    def revoke(self, name: str) -> None:
        existing = self.find(name)
        if existing is None or existing["revoked_at"] is not None:
            raise ApiKeyError(f"There is no working key named {name!r}.")
        self.db["api_keys"].update(name, {"revoked_at": utcnow()})

    def find(self, name: str) -> dict | None:
        rows = list(self.db["api_keys"].rows_where("name = ?", [name], limit=1))
        return rows[0] if rows else None

    def list_all(self) -> list[dict]:
        return list(self.db["api_keys"].rows_where(order_by="name"))

    def owner(self, key: str) -> str | None:
        """The name of the working key `key`, or None (unknown or revoked)."""
        digest = hash_key(key)
        rows = list(
            self.db["api_keys"].rows_where(
                "key_hash = ? and revoked_at is null", [digest], limit=1
            )
        )
        if rows and hmac.compare_digest(rows[0]["key_hash"], digest):
            return str(rows[0]["name"])
        return None
