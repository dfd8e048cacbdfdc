"""Schema, as sqlite-utils migrations: applied in order, each once, recorded in the database.

Add a new function at the end for every change; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("mjbot")


@migrations()
def m001_users_jobs_images(db: Database) -> None:
    db["users"].create(
        {
            "id": int,
            "platform": str,  # "console", "discord", "telegram", "api"
            "platform_user_id": str,
            "display_name": str,
            "created_at": str,
        },
        pk="id",
        not_null={"platform", "platform_user_id", "created_at"},
    )
    db["users"].create_index(["platform", "platform_user_id"], unique=True)

    db["jobs"].create(
        {
            "id": str,  # short unguessable id, shown to users and used in button ids
            "task_id": str,  # id of the current engine run (job id + attempt)
            "user_id": int,
            "platform": str,
            "chat_id": str,
            "message_id": str,  # the user's message that asked for the job
            "reply_message_id": str,  # our message that shows progress and the result
            "action": str,  # "imagine", "reroll", ...
            "parent_id": str,  # job this one was made from (reroll, upscale, variation)
            "raw_text": str,  # what the user typed
            "prompt": str,  # prompt as written (params and image URLs removed)
            "translated_prompt": str,  # English prompt actually sent to the model
            "negative_prompt": str,
            "prompts_json": str,  # [{"text", "weight"}] for :: multi-prompts
            "width": int,
            "height": int,
            "aspect": str,  # as the user sees it, e.g. "16:9"
            "model": str,
            "style": str,
            "sampler": str,
            "seed": int,
            "cfg": float,
            "steps": int,
            "tile": int,
            "stop": int,
            "chaos": int,
            "image_count": int,
            "params_json": str,  # the whole parsed request, for reruns and history
            "spec_json": str,  # the engine's job spec, to re-queue it exactly after a restart
            "status": str,
            "error": str,
            "grid_path": str,
            "attempts": int,
            "created_at": str,
            "started_at": str,
            "finished_at": str,
            "delivered_at": str,  # set once the result (or failure) reached the user
        },
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
        not_null={"user_id", "platform", "status", "created_at"},
        defaults={"status": "queued", "attempts": 0, "tile": 0},
    )
    db["jobs"].create_index(["status", "created_at"])
    db["jobs"].create_index(["user_id", "created_at"])

    db["images"].create(
        {
            "id": int,
            "job_id": str,
            "image_index": int,  # 1..4, as the U1..U4 buttons number them
            "path": str,  # relative to the data directory
            "md5": str,
            "width": int,
            "height": int,
            "seed": int,
        },
        pk="id",
        foreign_keys=[("job_id", "jobs", "id")],
        not_null={"job_id", "image_index", "path", "md5", "width", "height"},
    )
    db["images"].create_index(["job_id", "image_index"], unique=True)


@migrations()
def m002_jobs_guild(db: Database) -> None:
    # Discord servers: moderation scopes and restart-proof origins need the guild, not just the
    # channel.
    db["jobs"].add_column("guild_id", str)


@migrations()
def m003_translation_cache(db: Database) -> None:
    db["translations"].create(
        {
            "backend": str,  # the backend's cache tag: backend, model and glossary versions
            "source": str,  # a run of Chinese, converted to simplified
            "translated": str,  # its English, as the backend gave it
            "created_at": str,
        },
        pk=("backend", "source"),
        not_null={"translated", "created_at"},
    )


@migrations()
def m004_banned_terms_lists_and_audit(db: Database) -> None:
    """Banned and allowed terms per scope, a revision per scope, and the audit of blocks.

    A scope is "global" or "<platform>:<community id>" (see bot.core.moderation.scope_for).
    Revisions let every process (bot, CLI) see that a list changed and rebuild its matcher.
    """
    for table in ("banned_terms", "allowed_terms"):
        db[table].create(
            {
                "id": int,
                "scope": str,
                "term": str,  # as the moderator wrote it
                "term_key": str,  # normalised spelling: "Nude" and "ｎｕｄｅ" are one term
                "added_by": str,  # "platform:user id", or "cli"
                "created_at": str,
            },
            pk="id",
            not_null={"scope", "term", "term_key", "created_at"},
        )
        db[table].create_index(["scope", "term_key"], unique=True)
    db["term_list_revisions"].create({"scope": str, "revision": int}, pk="scope")
    db["filter_blocks"].create(
        {
            "id": int,
            "created_at": str,
            "platform": str,
            "user_id": str,  # the platform's user id (no users row: a block creates nothing)
            "user_name": str,
            "scope": str,
            "chat_id": str,
            "prompt": str,  # the /mj text as typed
            "terms_json": str,  # the banned terms that matched
        },
        pk="id",
        not_null={"created_at", "platform", "user_id", "scope", "prompt", "terms_json"},
    )
    db["filter_blocks"].create_index(["platform", "user_id", "created_at"])


@migrations()
def m005_accounts_and_ledger(db: Database) -> None:
    users = db["users"]
    users.add_column("tier", str)  # None: the configured default tier
    users.add_column("daily_override", float)  # a per-user allowance instead of the tier's
    users.add_column("blocked_at", str)
    users.add_column("blocked_reason", str)
    db["ledger"].create(
        {
            "id": int,
            "user_id": int,
            "job_id": str,  # for debits and refunds
            "day": str,  # the quota day (ISO date in the configured zone)
            "delta": float,  # credits: negative for a debit
            "kind": str,  # "debit", "refund", "grant", "set", "reset"
            "reason": str,
            "actor": str,  # who made a manual change ("platform:user id")
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
        not_null={"user_id", "day", "delta", "kind", "created_at"},
    )
    db["ledger"].create_index(["user_id", "day"])
    db["ledger"].create_index(["job_id"])


@migrations()
def m006_user_settings(db: Database) -> None:
    # Keyed by the platform's user id, not users.id: /settings may come before the user's
    # first /mj, which is what creates their users row.
    db["user_settings"].create(
        {
            "platform": str,
            "platform_user_id": str,
            "default_params": str,  # canonical /mj params, e.g. "--ar 16:9 --model xl"
            "updated_at": str,
        },
        pk=("platform", "platform_user_id"),
        not_null={"default_params", "updated_at"},
    )


@migrations()
def m007_jobs_parent_image(db: Database) -> None:
    # Upscales and variations start from one image of their parent job: which one (1..4).
    db["jobs"].add_column("parent_image", int)


@migrations()
def m008_api_keys(db: Database) -> None:
    # One row per key name (the API user's platform_user_id). Only a hash of the key is
    # kept, so a copy of the database does not give access; revoked rows stay for the record.
    db["api_keys"].create(
        {
            "name": str,
            "key_hash": str,  # sha256 hex of the key the client sends
            "created_at": str,
            "revoked_at": str,  # None while the key works
        },
        pk="name",
        not_null={"key_hash", "created_at"},
    )
    db["api_keys"].create_index(["key_hash"], unique=True)


@migrations()
def m009_jobs_honest_names(db: Database) -> None:
    """Columns named for what they hold (renamed in place: no data changes).

    raw_text -> mj_text        the /mj text the job was parsed from: what the user typed, with
                               their /settings defaults added (a reroll parses it again)
    message_id -> reply_handle what the adapter answers under (Telegram: the user's message);
                               opaque to the core
    guild_id -> scope_id       the community (a Discord server, a Telegram group); None in
                               DMs and the console

    From here on translated_prompt is set only when the prompt was translated (None: `prompt`
    went to the parser as written). Either way it is the prompt before any --style template.
    """
    for old, new in (
        ("raw_text", "mj_text"),
        ("message_id", "reply_handle"),
        ("guild_id", "scope_id"),
    ):
        db.execute(f"alter table jobs rename column {old} to {new}")


@migrations()
def m013_image_safety(db: Database) -> None:
    """Image safety check: a policy per scope and the log of every decision on an image.

    A scope is "global" (the owners' default) or "<platform>:<community id>", as for banned
    terms. The log keeps the decision, not the picture: a withheld or blurred result is the
    job's own image (images table), and a refused image prompt is not stored at all.
    """
    db["safety_policies"].create(
        {
            "scope": str,
            "mode": str,  # off, spoiler, blur, block
            "threshold": float,  # a score at or above it is flagged
            "nsfw_mode": str,  # the laxer mode for channels marked NSFW; None: the same
            "set_by": str,  # "platform:user id", or "cli"
            "updated_at": str,
        },
        pk="scope",
        not_null={"mode", "threshold", "updated_at"},
    )
    db["safety_log"].create(
        {
            "id": int,
            "created_at": str,
            "kind": str,  # "image" (a user receives it) or "image_prompt" (a user gives it)
            "job_id": str,  # None for a refused image prompt: no job was made
            "image_index": int,  # 1..4 within the job
            "platform": str,
            "user_id": str,  # the platform's user id
            "user_name": str,
            "scope": str,
            "chat_id": str,
            "score": float,
            "threshold": float,
            "mode": str,  # the mode in force where the image went
            "action": str,  # show, spoiler, blur, block
            "shown_path": str,  # the blurred copy users see (blur), relative to the images
            "released_at": str,  # a moderator let it through
            "released_by": str,
        },
        pk="id",
        not_null={"created_at", "kind", "platform", "user_id", "scope", "score", "action"},
    )
    db["safety_log"].create_index(["scope", "id"])
    db["safety_log"].create_index(["job_id", "image_index"])
    # The chat is marked for adult content (a Discord NSFW channel): where the community's
    # policy allows it, a laxer mode applies there, also to a job resumed after a restart.
    db["jobs"].add_column("nsfw_chat", int)


@migrations()
def m014_loras_themes_scope_looks(db: Database) -> None:
    """LoRA styles and themes (issue 16): the registry, the owner's themes, each community's
    allowed themes and models and its default theme, and what a job was drawn with."""
    db["loras"].create(
        {
            "name": str,  # what users type: --lora NAME, <lora:NAME:0.8>
            "file": str,  # the .safetensors file, relative to MJ_LORA_DIR when inside it
            "sha256": str,
            "family": str,  # the base it fits: "sd1", "sd2", "sdxl" (or "tiny")
            "layout": str,  # "kohya" or "diffusers"
            "rank": int,
            "trigger_words": str,  # added to the prompt when the LoRA is used; "" for none
            "default_weight": float,  # when the user gives none
            "description": str,
            "added_by": str,
            "created_at": str,
        },
        pk="name",
        not_null={"file", "sha256", "family", "default_weight", "created_at"},
    )
    db["themes"].create(
        {
            "name": str,  # --theme NAME
            "model": str,  # a configured model name
            "loras_json": str,  # [{"name", "weight"}]
            "style": str,  # a --style preset, or None
            "params": str,  # canonical /mj params the theme sets, e.g. "--cfg 6 --steps 25"
            "description": str,
            "added_by": str,
            "created_at": str,
        },
        pk="name",
        not_null={"model", "loras_json", "params", "created_at"},
    )
    # A scope (see the banned terms) with rows here allows only those themes (kind "theme") or
    # models (kind "model"); a scope without rows of a kind allows them all.
    db["scope_allowed"].create(
        {"scope": str, "kind": str, "name": str, "added_by": str, "created_at": str},
        pk=("scope", "kind", "name"),
        not_null={"created_at"},
    )
    db["scope_themes"].create(
        {"scope": str, "default_theme": str, "updated_by": str, "updated_at": str},
        pk="scope",
        not_null={"updated_at"},
    )
    jobs = db["jobs"]
    jobs.add_column("theme", str)
    jobs.add_column("loras_json", str)  # [{"name", "weight"}] as drawn
    jobs.add_column("clip_skip", int)


@migrations()
def m016_describe_suggestions(db: Database) -> None:
    # /describe jobs (jobs.action "describe") answer with four prompts, numbered as buttons
    # 1-4 are, which must still work after a restart: the prompts live here, not in a message.
    db["suggestions"].create(
        {
            "job_id": str,
            "suggestion_index": int,  # 1..4
            "prompt": str,  # a /mj text as the user sees it, "--ar W:H" included
            "gloss": str,  # its Chinese gloss; None without one
        },
        pk=("job_id", "suggestion_index"),
        foreign_keys=[("job_id", "jobs", "id")],
        not_null={"prompt"},
    )


@migrations()
def m017_editing_actions(db: Database) -> None:
    """Editing actions (Zoom Out, Pan, Make Square, Vary (Region), Blend), Remix mode, the 🗑
    button, the region page's signing secret, and prompts a user is asked for."""
    # What an action did beyond `action` and `parent_image` (the zoom factor, the pan
    # direction, the regions, the blend's sources), and the files the job made for itself
    # (canvas, mask, blend inputs) so 🗑 can remove them: JSON.
    db["jobs"].add_column("action_json", str)
    # Set by 🗑: the images and their files are gone; the row stays for the ledger's sake.
    db["jobs"].add_column("deleted_at", str)
    # Remix mode is on for the users listed here: V, Vary, Zoom Out (Custom) and Vary
    # (Region) then ask for the prompt first. Its own table, so that /settings clear (which
    # forgets default params) leaves it alone.
    db["remix_users"].create(
        {"platform": str, "platform_user_id": str, "created_at": str},
        pk=("platform", "platform_user_id"),
        not_null={"created_at"},
    )
    db["secrets"].create(
        {"name": str, "value": str, "created_at": str},
        pk="name",
        not_null={"value", "created_at"},
    )
    # An action waiting for the user's answer: a Remix prompt asked for with Telegram's
    # ForceReply (found again by the message it replies to), permutations awaiting the
    # confirm button. Kept in SQLite so a restart in between loses nothing.
    db["pending_actions"].create(
        {
            "id": str,  # short random id, in button ids
            "platform": str,
            "platform_user_id": str,  # who may answer
            "chat_id": str,
            "message_id": str,  # the bot's message that asked, once sent
            "kind": str,  # what is waiting: an action with a prompt, permutations, ...
            "job_id": str,  # the job the action is on (None for permutations)
            "payload_json": str,  # everything needed to carry the action out
            "created_at": str,
        },
        pk="id",
        not_null={"platform", "platform_user_id", "kind", "payload_json", "created_at"},
    )
    db["pending_actions"].create_index(["platform", "chat_id", "message_id"])
    db["pending_actions"].create_index(["created_at"])


@migrations()
def m018_delivery_outbox(db: Database) -> None:
    """What each finished job still owes its user (storage/outbox.py), until a front end took
    it: its final message, then the notice that tells the user. Finished jobs an earlier
    version never delivered are owed their final message."""
    db["outbox"].create(
        {
            "job_id": str,
            "kind": str,  # "final" (the job's outcome in its message) or "notice"
            "attempts": int,  # failed tries so far
            "last_error": str,
            "created_at": str,
            "sent_at": str,  # the platform took it
            "abandoned_at": str,  # the platform refuses it for good (chat gone, bot blocked)
        },
        pk=("job_id", "kind"),
        foreign_keys=[("job_id", "jobs", "id")],
        not_null={"attempts", "created_at"},
        defaults={"attempts": 0},
    )
    db["outbox"].create_index(["sent_at", "abandoned_at"])
    db.execute(
        "insert into outbox (job_id, kind, attempts, created_at) "
        "select id, 'final', 0, coalesce(finished_at, created_at) from jobs "
        "where status in ('done', 'failed', 'cancelled') and delivered_at is null"
    )


@migrations()
def m019_jobs_idempotency_key(db: Database) -> None:
    # An HTTP client's Idempotency-Key, on the jobs its request created (written with the job
    # and its debit, so a charged job always has it), and a hash of that request: a retry with
    # the same key gets these jobs back, one with another request under the key is refused.
    db["jobs"].add_column("idempotency_key", str)
    db["jobs"].add_column("request_hash", str)
    db["jobs"].create_index(["user_id", "idempotency_key"])


@migrations()
def m021_languages(db: Database) -> None:
    """UI languages (issue 23): a user's own choice, a community's default, the language each
    job answers in, and a failed job's reason as a message a language can render.

    user_settings.lang         a user's `/settings lang`; None: automatic
    scope_languages            a community's default (`/default-lang`), by banned-terms scope
    jobs.lang                  the language the job's replies are written in (a restart keeps it)
    jobs.error_message         the reason a job failed, as a message (JSON: its English
                               template and values); `error` keeps the English text
    jobs.error_detail          the operator's English account of it (settings, paths, commands
                               to run), which users never read
    user_settings.default_params may now be None: a user may have a language and no defaults.
    """
    db["user_settings"].add_column("lang", str)
    db["user_settings"].transform(not_null={"default_params": False})
    db["scope_languages"].create(
        {"scope": str, "lang": str, "set_by": str, "updated_at": str},
        pk="scope",
        not_null={"lang", "updated_at"},
    )
    db["jobs"].add_column("lang", str)
    db["jobs"].add_column("error_message", str)
    db["jobs"].add_column("error_detail", str)


@migrations()
def m022_deleted_images(db: Database) -> None:
    # The public names of the files 🗑 removed, so their URLs answer "deleted" (410) rather
    # than "no such image": the images rows go with the files.
    db["deleted_images"].create(
        {"name": str, "job_id": str, "deleted_at": str},
        pk="name",
        foreign_keys=[("job_id", "jobs", "id")],
        not_null={"job_id", "deleted_at"},
    )


def migrate(db: Database) -> None:
    """Bring `db` up to date; safe to call on every start."""
    migrations.apply(db)


@migrations()
def m024_jobs_cancel_came_late(db: Database) -> None:
    # A job whose cancel was accepted while a remote worker had already run every step: it is
    # done and charged, and its result (rebuilt from this row, after a restart too) says why.
    db["jobs"].add_column("cancel_came_late", int, not_null_default=0)
