"""What Discord's REST API refuses, with Discord's own status codes and error bodies. Pure.

Each rule cites the page of discord/discord-api-docs it follows:

- topics/opcodes-and-status-codes.mdx, "JSON Error Codes": 10003 Unknown Channel, 10008
  Unknown Message, 10015 Unknown Webhook, 10062 Unknown interaction, 40005 Request entity too
  large, 40060 Interaction has already been acknowledged, 50001 Missing Access, 50006 Cannot
  send an empty message, 50007 Cannot send messages to this user, 50013 Missing Permissions,
  50027 Invalid Webhook Token, 50035 Invalid Form Body.
- reference.mdx, "Error Messages": a 50035 body names the offending field in an `errors` tree
  (`{"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": ...}]}}`);
  "Uploading Files": the size limit applies to each file, 10 MiB by default, more by the
  server's boost tier (level 2: 50 MiB, level 3: 100 MiB); `attachment_size_limit` in an
  interaction is the limit for that interaction's responses.
- resources/message.mdx: content is at most 2,000 characters; at most 10 files.
- components/reference.mdx: at most 5 action rows, each of 1 to 5 buttons; a custom_id is 1 to
  100 characters and unique within the message; a button label at most 80 characters.
- interactions/receiving-and-responding.mdx: the initial response within 3 seconds, else the
  token is invalidated; the token then works for 15 minutes; one initial response only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_CONTENT = 2000
MAX_FILES = 10
MAX_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
DEFAULT_UPLOAD = 10 * 1024 * 1024
UPLOAD_BY_BOOST_TIER = {0: DEFAULT_UPLOAD, 1: DEFAULT_UPLOAD, 2: 50 * 1024**2, 3: 100 * 1024**2}
ANSWER_WITHIN_S = 3.0
TOKEN_LIFETIME_S = 15 * 60.0

# Permission bits (topics/permissions.mdx).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
BOT_NEEDS = VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES | READ_MESSAGE_HISTORY


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> int:
        return int(self.body.get("code", 0))


def _error(status: int, code: int, message: str) -> Refusal:
    return Refusal(status, {"message": message, "code": code})


UNAUTHORIZED = _error(401, 0, "401: Unauthorized")
UNKNOWN_CHANNEL = _error(404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE = _error(404, 10008, "Unknown Message")
UNKNOWN_WEBHOOK = _error(404, 10015, "Unknown Webhook")
UNKNOWN_INTERACTION = _error(404, 10062, "Unknown interaction")
TOO_LARGE = _error(413, 40005, "Request entity too large")
ALREADY_ACKNOWLEDGED = _error(400, 40060, "Interaction has already been acknowledged.")
MISSING_ACCESS = _error(403, 50001, "Missing Access")
EMPTY_MESSAGE = _error(400, 50006, "Cannot send an empty message")
CANNOT_DM = _error(403, 50007, "Cannot send messages to this user")
MISSING_PERMISSIONS = _error(403, 50013, "Missing Permissions")
INVALID_WEBHOOK_TOKEN = _error(401, 50027, "Invalid Webhook Token")


def form_error(path: str, code: str, message: str) -> Refusal:
    """50035 with the error at `path` ("components.0.components.1.custom_id")."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path.split(".")):
        tree = {key: tree}
    return Refusal(400, {"message": "Invalid Form Body", "code": 50035, "errors": tree})


def upload_limit(boost_tier: int) -> int:
    return UPLOAD_BY_BOOST_TIER.get(boost_tier, DEFAULT_UPLOAD)


def check_message(
    body: dict[str, Any], files: list[tuple[str, bytes]], *, creating: bool, upload_bytes: int
) -> Refusal | None:
    """A message to create (or the fields of an edit): content, components, files."""
    content = body.get("content")
    if content is not None and len(content) > MAX_CONTENT:
        return form_error(
            "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
        )
    if len(files) > MAX_FILES:
        return form_error(
            "files", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length."
        )
    if any(len(data) > upload_bytes for _, data in files):
        return TOO_LARGE
    refusal = check_components(body.get("components") or [])
    if refusal is not None:
        return refusal
    has_something = content or files or body.get("embeds") or body.get("components")
    if creating and not has_something and not body.get("sticker_ids"):
        return EMPTY_MESSAGE
    return None


def check_components(rows: list[dict[str, Any]]) -> Refusal | None:
    if len(rows) > MAX_ROWS:
        return form_error(
            "components", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROWS} or fewer in length."
        )
    seen: set[str] = set()
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if not 1 <= len(items) <= MAX_BUTTONS_PER_ROW:
            return form_error(
                f"components.{r}.components",
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {MAX_BUTTONS_PER_ROW} in length.",
            )
        for b, item in enumerate(items):
            where = f"components.{r}.components.{b}"
            label = item.get("label") or ""
            if len(label) > MAX_LABEL:
                return form_error(
                    f"{where}.label",
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {MAX_LABEL} or fewer in length.",
                )
            if item.get("style") == 5:  # a link button has a url and no custom_id
                continue
            custom_id = item.get("custom_id") or ""
            if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
                return form_error(
                    f"{where}.custom_id",
                    "BASE_TYPE_BAD_LENGTH",
                    f"Must be between 1 and {MAX_CUSTOM_ID} in length.",
                )
            if custom_id in seen:
                return form_error(
                    f"{where}.custom_id",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
    return None


def check_channel_post(
    permissions: int, *, has_files: bool, replies: bool, editing: bool
) -> Refusal | None:
    """The bot's permissions in a channel against what the request needs: without View
    Channel the channel does not exist for it (Missing Access); posting needs Send Messages,
    files Attach Files, a reply Read Message History (Missing Permissions). Editing its own
    message needs only access."""
    if not permissions & VIEW_CHANNEL:
        return MISSING_ACCESS
    if editing:
        return None
    needed = SEND_MESSAGES
    if has_files:
        needed |= ATTACH_FILES
    if replies:
        needed |= READ_MESSAGE_HISTORY
    return None if permissions & needed == needed else MISSING_PERMISSIONS
