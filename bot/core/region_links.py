"""Signed, expiring links to the Vary (Region) page: one user, one image, a limited time.

The token is an itsdangerous timed signature (HMAC-SHA256 with a secret only the bot knows,
kept in its database) over the job id and the user; the page's URL carries it, so the page
needs no login and a copied link is good for nothing else. Pure apart from the clock.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bot.core.errors import LinkRefused
from i18n import t

SALT = "mjbot.vary-region"  # a token for this page is no signature for anything else


class RegionLinks:
    def __init__(self, secret: str, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 32:
            raise ValueError("the link secret must be at least 32 characters")
        self.ttl_s = ttl_s

        class ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:  # the injected clock: tests need no sleeps
                return int(clock())

        self._serializer = URLSafeTimedSerializer(
            secret,
            salt=SALT,
            signer=ClockSigner,
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def token(self, user_key: str, job_id: str) -> str:
        """A token for `user_key` to choose a region of job `job_id`'s image."""
        return self._serializer.dumps({"job": job_id, "user": user_key})

    def check(self, token: str, job_id: str) -> str:
        """The user the token was made for, if it is genuine, fresh and for `job_id`."""
        try:
            payload = self._serializer.loads(token, max_age=self.ttl_s)
        except SignatureExpired:
            raise LinkRefused(
                t("This link has expired. Press Vary (Region) again for a new link.")
            ) from None
        except BadSignature:
            raise LinkRefused(
                t(
                    "This link is not valid (cut short or changed?). Press Vary (Region) again "
                    "for a new link."
                )
            ) from None
        if not isinstance(payload, dict) or payload.get("job") != job_id:
            raise LinkRefused(
                t("This link is for another image. Press Vary (Region) again for a new link.")
            )
        user = payload.get("user")
        if not isinstance(user, str):
            raise LinkRefused(
                t("This link is not valid. Press Vary (Region) again for a new link.")
            )
        return user
