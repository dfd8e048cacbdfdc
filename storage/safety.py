"""SQL for the image safety check: each scope's policy, and the log of decisions.

Values arrive validated (`filters.safety_policy`): storage keeps strings and numbers and knows
no rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlite_utils import Database

from storage.rows import utcnow

_POLICIES = "safety_policies"
_LOG = "safety_log"


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    mode: str
    threshold: float
    nsfw_mode: str | None
    set_by: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class Decision:
    """One checked image and what was done with it."""

    kind: str  # "image": a picture a user receives; "image_prompt": one a user gives
    platform: str
    user_id: str  # the platform's user id
    user_name: str
    scope: str
    chat_id: str
    score: float
    threshold: float
    mode: str  # the mode in force where the image went (the NSFW-channel one there)
    action: str  # show, spoiler, blur, block
    job_id: str | None = None
    image_index: int | None = None  # 1..4 within the job
    shown_path: str | None = None  # the blurred copy users see (blur)
    id: int | None = None  # set once recorded
    created_at: str | None = None
    released_at: str | None = None  # a moderator let a withheld image through
    released_by: str | None = None


_COLUMNS = tuple(field.name for field in fields(Decision))


def _decision(row: dict[str, Any]) -> Decision:
    return Decision(**{name: row[name] for name in _COLUMNS})


class Safety:
    """Each scope's safety policy, and the log of decisions on images."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_policy(self, scope: str) -> StoredPolicy | None:
        rows = list(self.db[_POLICIES].rows_where("scope = ?", [scope], limit=1))
        if not rows:
            return None
        row = rows[0]
        return StoredPolicy(
            row["mode"], row["threshold"], row["nsfw_mode"], row["set_by"], row["updated_at"]
        )

    def set_policy(
        self, scope: str, mode: str, threshold: float, nsfw_mode: str | None, set_by: str
    ) -> None:
        self.db[_POLICIES].upsert(
            {
                "scope": scope,
                "mode": mode,
                "threshold": threshold,
                "nsfw_mode": nsfw_mode,
                "set_by": set_by,
                "updated_at": utcnow(),
            },
            pk="scope",
        )

    def clear_policy(self, scope: str) -> bool:
        """Forget a scope's own policy (it follows the default again); False if it had none."""
        with self.db.atomic():
            cursor = self.db.execute(f"delete from {_POLICIES} where scope = ?", [scope])
        return cursor.rowcount > 0

    def record(self, decisions: Iterable[Decision]) -> list[Decision]:
        """Append decisions to the log; returns them with their ids and times."""
        recorded = []
        with self.db.atomic():
            for decision in decisions:
                row = {name: getattr(decision, name) for name in _COLUMNS if name != "id"}
                row["created_at"] = utcnow()
                last = self.db[_LOG].insert(row).last_pk
                recorded.append(_decision({**row, "id": int(last)}))
        return recorded

    def job_decisions(self, job_id: str) -> list[Decision]:
        """The decisions on a job's images, by image index (the latest per image wins on redo)."""
        rows = self.db[_LOG].rows_where("job_id = ? and kind = 'image'", [job_id], order_by="id")
        latest = {row["image_index"]: _decision(row) for row in rows}
        return [latest[index] for index in sorted(latest)]

    def decision(self, decision_id: int) -> Decision | None:
        rows = list(self.db[_LOG].rows_where("id = ?", [decision_id], limit=1))
        return _decision(rows[0]) if rows else None

    def log(
        self,
        scope: str | None = None,
        *,
        flagged_only: bool = True,
        limit: int = 20,
        offset: int = 0,
    ) -> list[Decision]:
        """Newest first: a scope's decisions (every scope's with None), by default the flagged."""
        where, params = [], []
        if scope is not None:
            where.append("scope = ?")
            params.append(scope)
        if flagged_only:
            where.append("action != 'show'")
        rows = self.db[_LOG].rows_where(
            " and ".join(where) or None,
            params,
            order_by="id desc",
            limit=limit,
            offset=offset,
        )
        return [_decision(row) for row in rows]

    def release(self, decision_id: int, released_by: str) -> bool:
        """Mark a withheld or blurred image released; False if it was already (or is unknown)."""
        with self.db.atomic():
            cursor = self.db.execute(
                f"update {_LOG} set released_at = ?, released_by = ? "
                "where id = ? and released_at is null and action in ('blur', 'block')",
                [utcnow(), released_by, decision_id],
            )
        return cursor.rowcount > 0
