"""The command registry: every command, once. Pure data.

The core's dispatch (`bot.core.service`), /help, the Telegram command menu and the Discord
slash commands are all built from `COMMANDS`. Adding a command is one entry here plus its
handler in `bot.core.handlers` (`@handles("name")`); the front ends pick it up by themselves.

Names use `-` (`ban-term`); Telegram, which allows only `a-z 0-9 _`, shows `ban_term`, and the
core accepts both spellings. Arguments are listed in the order the core reads them from the
command's text (an `IMAGE` argument, an attachment, goes first as its URL: image prompts lead a
/mj text); platforms with forms (Discord) offer each as an option.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Access(StrEnum):
    EVERYONE = "everyone"
    MODERATOR = "moderator"  # the community's moderators (set by the adapter) and the owners
    OWNER = "owner"  # the bot's owners (MJ_OWNER_IDS, and the console)


class Kind(StrEnum):
    TEXT = "text"  # free text (the rest of the line when it is the last argument)
    WHOLE = "whole"  # a whole number within [low, high]
    NUMBER = "number"  # a number within [low, high]
    USER = "user"  # a user: a platform user id, or platform:id
    IMAGE = "image"  # an attached image (its URL leads the text)
    PARAM = "param"  # a /mj-style parameter: written `--name value` into the text


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    kind: Kind
    description: str
    required: bool = False
    low: float | None = None  # WHOLE/NUMBER bounds; TEXT length bounds
    high: float | None = None
    # What a form suggests while the user types (`MjService.choices`): models, themes, styles.
    suggest: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str  # one line, at most 100 characters (Discord's limit)
    usage: str  # how /help shows it
    access: Access = Access.EVERYONE
    args: tuple[Arg, ...] = ()
    aliases: tuple[str, ...] = ()
    # Its answer is for the chat to see (a grid), not only for the user who asked.
    public: bool = False
    # It queues work, whose acknowledgement follows the command's own handling.
    queues: bool = False
    # It acts on the community's own lists: Discord offers it in servers only.
    community: bool = False
    # What someone without access is told; by default it names the access needed.
    refusal: str = ""

    def refused(self) -> str:
        if self.refusal:
            return self.refusal
        if self.access is Access.OWNER:
            return f"/{self.name} is for the bot's owners."
        return f"/{self.name} is for moderators."


_TERMS = Arg("terms", Kind.TEXT, "Terms separated by commas; * ends or starts a word (nud*)", True)
_MEMBER = Arg("member", Kind.USER, "The user", True)
_CREDITS = Arg("credits", Kind.NUMBER, "Credits", True, 0, 1_000_000)
_TERMS_REFUSAL = "Only this community's moderators can manage its banned terms."
_SAFETY_REFUSAL = "Only this community's moderators can manage its image safety check."

COMMANDS: tuple[Command, ...] = (
    Command(
        "mj",
        "Draw a 2×2 grid (add --ar 16:9, --no …, --seed …)",
        "/mj <prompt> [parameters]",
        args=(
            Arg(
                "prompt",
                Kind.TEXT,
                "What to draw, then any parameters: a red fox in the snow --ar 3:2",
                True,
                1,
                6000,
            ),
            Arg("image", Kind.IMAGE, "An image prompt: the drawing starts from it (--iw 0..3)"),
            Arg("model", Kind.PARAM, "A model (see /models)", suggest="models"),
            Arg("theme", Kind.PARAM, "A theme (see /themes)", suggest="themes"),
            Arg("style", Kind.PARAM, "A style preset (see /styles)", suggest="styles"),
        ),
        aliases=("imagine",),
        public=True,
        queues=True,
    ),
    Command(
        "blend",
        "Mix 2 to 5 images into one grid",
        "/blend URL URL [… up to 5] [prompt] [--dimensions portrait|square|landscape]",
        args=(
            *(Arg(f"image{i}", Kind.IMAGE, f"Image {i} to mix", i <= 2) for i in range(1, 6)),
            Arg("prompt", Kind.TEXT, "Optional words to steer the mix", high=1500),
            Arg("dimensions", Kind.PARAM, "portrait (2:3), square (1:1) or landscape (3:2)"),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "zoom",
        "Zoom out of an upscaled image by your own factor",
        "/zoom JOB_ID FACTOR (1.0-2.0; with Remix: /zoom JOB_ID prompt --zoom FACTOR)",
        args=(
            Arg("job", Kind.TEXT, "The upscaled image's job id", True),
            Arg("factor", Kind.TEXT, "1.0 to 2.0 (or a prompt with --zoom 1.5)", True),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "remix",
        "Vary an image towards an edited prompt (Remix mode)",
        "/remix JOB_ID V1..V4|VS|VX prompt [parameters]",
        args=(
            Arg("job", Kind.TEXT, "The job id", True),
            Arg("image", Kind.TEXT, "V1..V4, or VS / VX under an upscale", True),
            Arg("prompt", Kind.TEXT, "The prompt to draw, with any parameters", True, 1, 6000),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "region",
        "Repaint regions of an upscaled image: cells 1-9 of a 3×3 grid",
        "/region JOB_ID CELLS [prompt] (cells left to right, top to bottom: 4 5 6)",
        args=(
            Arg("job", Kind.TEXT, "The upscaled image's job id", True),
            Arg("cells", Kind.TEXT, "Cells 1-9 (1 2 3 / 4 5 6 / 7 8 9), e.g. 4 5 6", True),
            Arg("prompt", Kind.TEXT, "With Remix: the prompt for the region"),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "describe",
        "Four prompts that would draw something like an image",
        "/describe IMAGE|URL",
        args=(
            Arg("image", Kind.IMAGE, "The image to describe (PNG, JPEG, WebP or GIF)"),
            Arg("url", Kind.TEXT, "Or the image's http(s) URL", low=1, high=2000),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "cancel",
        "Cancel your latest waiting or running job",
        "/cancel [JOB_ID]",
        args=(Arg("job", Kind.TEXT, "A job id (default: your latest unfinished job)"),),
    ),
    Command("quota", "Your credits left today and when they renew", "/quota"),
    Command(
        "history",
        "Your latest jobs, with their seeds",
        "/history [N]",
        args=(Arg("count", Kind.WHOLE, "How many jobs to list", low=1, high=50),),
    ),
    Command(
        "show",
        "Show a job's grid again, with its buttons",
        "/show JOB_ID",
        args=(Arg("job", Kind.TEXT, "The job id", True),),
        public=True,
    ),
    Command(
        "settings",
        "Your default /mj parameters",
        "/settings [params | clear | remix on|off]",
        args=(
            Arg(
                "params",
                Kind.TEXT,
                "e.g. --ar 16:9 --model NAME; 'clear' removes them; 'remix on' or 'remix off'",
            ),
        ),
    ),
    Command("help", "How to use /mj and its parameters", "/help", aliases=("start",)),
    Command("models", "The models you can pick with --model", "/models"),
    Command("themes", "The themes you can pick with --theme", "/themes"),
    Command("styles", "The style presets you can pick with --style", "/styles"),
    Command("loras", "The LoRA styles: --lora NAME:0.8 or <lora:NAME:0.8>", "/loras"),
    Command(
        "ban-term",
        "Ban terms from prompts in this community",
        "/ban-term TERM, TERM…",
        Access.MODERATOR,
        (_TERMS,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "unban-term",
        "Take terms off this community's banned list",
        "/unban-term TERM…",
        Access.MODERATOR,
        (_TERMS,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "allow-term",
        "Allow terms here, even ones banned globally",
        "/allow-term TERM…",
        Access.MODERATOR,
        (_TERMS,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "banned-terms",
        "List this community's banned and allowed terms",
        "/banned-terms [page]",
        Access.MODERATOR,
        (Arg("page", Kind.WHOLE, "Page number", low=1),),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "safety",
        "Show or set the image safety check here: off, spoiler, blur or block, and a threshold",
        "/safety [MODE] [THRESHOLD] [--nsfw MODE] | default",
        Access.MODERATOR,
        (Arg("policy", Kind.TEXT, "e.g. blur 0.7 --nsfw spoiler; 'default' follows the bot's"),),
        community=True,
        refusal=_SAFETY_REFUSAL,
    ),
    Command(
        "safety-log",
        "Images the safety check flagged here, newest first",
        "/safety-log [page]",
        Access.MODERATOR,
        (Arg("page", Kind.WHOLE, "Page number", low=1),),
        community=True,
        refusal=_SAFETY_REFUSAL,
    ),
    Command(
        "safety-release",
        "Let a blurred or withheld image through (its # in /safety-log)",
        "/safety-release ID",
        Access.MODERATOR,
        (Arg("id", Kind.WHOLE, "The # number in /safety-log", True, low=1),),
        community=True,
        refusal=_SAFETY_REFUSAL,
    ),
    Command(
        "allow-themes",
        "Allow only these themes here (all: every theme)",
        "/allow-themes NAME… | all",
        Access.MODERATOR,
        (Arg("names", Kind.TEXT, "Theme names separated by commas, or all", True),),
        community=True,
    ),
    Command(
        "allow-models",
        "Allow only these models here (all: every model)",
        "/allow-models NAME… | all",
        Access.MODERATOR,
        (Arg("names", Kind.TEXT, "Model names separated by commas, or all", True),),
        community=True,
    ),
    Command(
        "default-theme",
        "The theme prompts here get without --theme (none: no theme)",
        "/default-theme NAME | none",
        Access.MODERATOR,
        (Arg("name", Kind.TEXT, "A theme (see /themes), or none", True),),
        community=True,
    ),
    Command(
        "quota-grant",
        "Give a user extra credits for today",
        "/quota-grant USER N",
        Access.MODERATOR,
        (_MEMBER, _CREDITS),
    ),
    Command(
        "quota-set",
        "Set how many credits a user has left today",
        "/quota-set USER N",
        Access.MODERATOR,
        (_MEMBER, _CREDITS),
    ),
    Command(
        "quota-reset",
        "Give a user their whole daily allowance back",
        "/quota-reset USER",
        Access.MODERATOR,
        (_MEMBER,),
    ),
    Command(
        "block",
        "Stop a user from drawing",
        "/block USER [reason]",
        Access.MODERATOR,
        (_MEMBER, Arg("reason", Kind.TEXT, "Why (the user is told)")),
    ),
    Command(
        "unblock", "Let a blocked user draw again", "/unblock USER", Access.MODERATOR, (_MEMBER,)
    ),
    Command(
        "tier-set",
        "Move a user to another tier (bot owners only)",
        "/tier-set USER TIER",
        Access.OWNER,
        (_MEMBER, Arg("tier", Kind.TEXT, "A tier of MJ_TIERS", True)),
        refusal="Only the bot's owners can change tiers.",
    ),
)

_BY_NAME = {name: command for command in COMMANDS for name in (command.name, *command.aliases)}


def find(name: str) -> Command | None:
    """The command `name` stands for: its name or an alias, with `_` for `-` (Telegram)."""
    return _BY_NAME.get(name.lower().replace("_", "-"))


def split_command(text: str) -> tuple[str, str]:
    """'/mj@Bot a fox' -> ('mj', 'a fox'); text without a leading slash -> ('', text)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return "", stripped
    head, _, rest = stripped[1:].partition(" ")
    return head.split("@", 1)[0].lower(), rest.strip()


def help_text() -> str:
    """/help: how to draw, then every command by who may use it."""
    usages = {
        access: ", ".join(c.usage for c in COMMANDS if c.access is access and c.name != "mj")
        for access in Access
    }
    return (
        "Draw with /mj <prompt> [parameters], for example:\n"
        "  /mj a red fox in the snow --ar 3:2 --no people\n"
        "Parameters: --ar W:H, --no a, b, --seed N, --steps N, --cfg X, --sampler NAME, "
        "--model NAME,\n  --style NAME, --theme NAME, --lora NAME:0.8 (or <lora:NAME:0.8>), "
        "--clip-skip 1..4, --tile, --repeat N,\n  --stop 10..100, --chaos 0..100, --iw 0..3.\n"
        "Weights: cat::2 dog::-0.5.\n"
        f"Commands: {usages[Access.EVERYONE]}.\n"
        f"Moderators: {usages[Access.MODERATOR]}.\n"
        f"Owners also: {usages[Access.OWNER]}."
    )
