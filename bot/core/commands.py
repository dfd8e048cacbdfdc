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

from i18n import Listing, Message, t


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
class Choice:
    """One value a TEXT argument may take, offered as a choice where a platform has them."""

    value: str  # what the core reads
    name: Message  # what users see (Discord shows it in their language)


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    kind: Kind
    description: Message
    required: bool = False
    low: float | None = None  # WHOLE/NUMBER bounds; TEXT length bounds
    high: float | None = None
    choices: tuple[Choice, ...] = ()  # the only values it takes (none: any)
    # What a form suggests while the user types (`MjService.choices`): models, themes, styles.
    suggest: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: Message  # one line, at most 100 characters (Discord's limit) in any language
    usage: Message  # how /help shows it
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
    refusal: Message | None = None

    def refused(self) -> Message:
        if self.refusal is not None:
            return self.refusal
        if self.access is Access.OWNER:
            return t("/{command} is for the bot's owners.", command=self.name)
        return t("/{command} is for moderators.", command=self.name)


_TERMS = Arg(
    "terms",
    Kind.TEXT,
    t("Terms separated by commas; * ends or starts a word (nud*)"),
    True,
)
_MEMBER = Arg("member", Kind.USER, t("The user"), True)
_CREDITS = Arg("credits", Kind.NUMBER, t("Credits"), True, 0, 1_000_000)
_TERMS_REFUSAL = t("Only this community's moderators can manage its banned terms.")
_SAFETY_REFUSAL = t("Only this community's moderators can manage its image safety check.")
_PAGE = Arg("page", Kind.WHOLE, t("Page number"), low=1)
# The UI languages, as /default-lang offers them; each named in itself (`bot.core.language`).
LANGUAGE_CHOICES = (
    Choice("zh-Hans", t("简体中文 (Simplified Chinese)")),
    Choice("zh-Hant", t("繁體中文 (Traditional Chinese)")),
    Choice("en", t("English")),
    Choice("auto", t("Automatic: each member's app decides")),
)

COMMANDS: tuple[Command, ...] = (
    Command(
        "mj",
        t("Draw a 2×2 grid (add --ar 16:9, --no …, --seed …)"),
        t("/mj <prompt> [parameters]"),
        args=(
            Arg(
                "prompt",
                Kind.TEXT,
                t("What to draw, then any parameters: a red fox in the snow --ar 3:2"),
                True,
                1,
                6000,
            ),
            Arg(
                "image",
                Kind.IMAGE,
                t("An image prompt: the drawing starts from it (--iw 0..3)"),
            ),
            Arg("model", Kind.PARAM, t("A model (see /models)"), suggest="models"),
            Arg("theme", Kind.PARAM, t("A theme (see /themes)"), suggest="themes"),
            Arg("style", Kind.PARAM, t("A style preset (see /styles)"), suggest="styles"),
        ),
        aliases=("imagine",),
        public=True,
        queues=True,
    ),
    Command(
        "blend",
        t("Mix 2 to 5 images into one grid"),
        t("/blend URL URL [… up to 5] [prompt] [--dimensions portrait|square|landscape]"),
        args=(
            *(
                Arg(f"image{i}", Kind.IMAGE, t("Image {number} to mix", number=i), i <= 2)
                for i in range(1, 6)
            ),
            Arg("prompt", Kind.TEXT, t("Optional words to steer the mix"), high=1500),
            Arg(
                "dimensions",
                Kind.PARAM,
                t("portrait (2:3), square (1:1) or landscape (3:2)"),
                choices=(
                    Choice("portrait", t("Portrait (2:3)")),
                    Choice("square", t("Square (1:1)")),
                    Choice("landscape", t("Landscape (3:2)")),
                ),
            ),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "zoom",
        t("Zoom out of an upscaled image by your own factor"),
        t("/zoom JOB_ID FACTOR (1.0-2.0; with Remix: /zoom JOB_ID prompt --zoom FACTOR)"),
        args=(
            Arg("job", Kind.TEXT, t("The upscaled image's job id"), True),
            Arg("factor", Kind.TEXT, t("1.0 to 2.0 (or a prompt with --zoom 1.5)"), True),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "remix",
        t("Vary an image towards an edited prompt (Remix mode)"),
        t("/remix JOB_ID V1..V4|VS|VX prompt [parameters]"),
        args=(
            Arg("job", Kind.TEXT, t("The job id"), True),
            Arg("image", Kind.TEXT, t("V1..V4, or VS / VX under an upscale"), True),
            Arg("prompt", Kind.TEXT, t("The prompt to draw, with any parameters"), True, 1, 6000),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "region",
        t("Repaint regions of an upscaled image: cells 1-9 of a 3×3 grid"),
        t("/region JOB_ID CELLS [prompt] (cells left to right, top to bottom: 4 5 6)"),
        args=(
            Arg("job", Kind.TEXT, t("The upscaled image's job id"), True),
            Arg("cells", Kind.TEXT, t("Cells 1-9 (1 2 3 / 4 5 6 / 7 8 9), e.g. 4 5 6"), True),
            Arg("prompt", Kind.TEXT, t("With Remix: the prompt for the region")),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "describe",
        t("Four prompts that would draw something like an image"),
        t("/describe IMAGE|URL"),
        args=(
            Arg("image", Kind.IMAGE, t("The image to describe (PNG, JPEG, WebP or GIF)")),
            Arg("url", Kind.TEXT, t("Or the image's http(s) URL"), low=1, high=2000),
        ),
        public=True,
        queues=True,
    ),
    Command(
        "cancel",
        t("Cancel your latest waiting or running job"),
        t("/cancel [JOB_ID]"),
        args=(Arg("job", Kind.TEXT, t("A job id (default: your latest unfinished job)")),),
    ),
    Command("quota", t("Your credits left today and when they renew"), t("/quota")),
    Command(
        "history",
        t("Your latest jobs, with their seeds"),
        t("/history [N]"),
        args=(Arg("count", Kind.WHOLE, t("How many jobs to list"), low=1, high=50),),
    ),
    Command(
        "show",
        t("Show a job's grid again, with its buttons"),
        t("/show JOB_ID"),
        args=(Arg("job", Kind.TEXT, t("The job id"), True),),
        public=True,
    ),
    Command(
        "settings",
        t("Your default /mj parameters, Remix mode and your language"),
        t("/settings [params | clear | remix on|off | lang LANGUAGE]"),
        args=(
            Arg(
                "params",
                Kind.TEXT,
                t("e.g. --ar 16:9 --model NAME; 'clear'; 'remix on'; 'lang zh-Hans'"),
            ),
        ),
    ),
    Command("help", t("How to use /mj and its parameters"), t("/help"), aliases=("start",)),
    Command("models", t("The models you can pick with --model"), t("/models")),
    Command("themes", t("The themes you can pick with --theme"), t("/themes")),
    Command("styles", t("The style presets you can pick with --style"), t("/styles")),
    Command("loras", t("The LoRA styles: --lora NAME:0.8 or <lora:NAME:0.8>"), t("/loras")),
    Command(
        "ban-term",
        t("Ban terms from prompts in this community"),
        t("/ban-term TERM, TERM…"),
        Access.MODERATOR,
        (_TERMS,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "unban-term",
        t("Take terms off this community's banned list"),
        t("/unban-term TERM…"),
        Access.MODERATOR,
        (_TERMS,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "allow-term",
        t("Allow terms here, even ones banned globally"),
        t("/allow-term TERM…"),
        Access.MODERATOR,
        (_TERMS,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "banned-terms",
        t("List this community's banned and allowed terms"),
        t("/banned-terms [page]"),
        Access.MODERATOR,
        (_PAGE,),
        community=True,
        refusal=_TERMS_REFUSAL,
    ),
    Command(
        "safety",
        t("Show or set the image safety check here: off, spoiler, blur or block, and a threshold"),
        t("/safety [MODE] [THRESHOLD] [--nsfw MODE] | default"),
        Access.MODERATOR,
        (
            Arg(
                "policy",
                Kind.TEXT,
                t("e.g. blur 0.7 --nsfw spoiler; 'default' follows the bot's"),
            ),
        ),
        community=True,
        refusal=_SAFETY_REFUSAL,
    ),
    Command(
        "safety-log",
        t("Images the safety check flagged here, newest first"),
        t("/safety-log [page]"),
        Access.MODERATOR,
        (_PAGE,),
        community=True,
        refusal=_SAFETY_REFUSAL,
    ),
    Command(
        "safety-release",
        t("Let a blurred or withheld image through (its # in /safety-log)"),
        t("/safety-release ID"),
        Access.MODERATOR,
        (Arg("id", Kind.WHOLE, t("The # number in /safety-log"), True, low=1),),
        community=True,
        refusal=_SAFETY_REFUSAL,
    ),
    Command(
        "default-lang",
        t("The language the bot answers in here, unless a member chose their own"),
        t("/default-lang [zh-Hans | zh-Hant | en | auto]"),
        Access.MODERATOR,
        (
            Arg(
                "language",
                Kind.TEXT,
                t("The language; auto lets each member's app decide"),
                choices=LANGUAGE_CHOICES,
            ),
        ),
        community=True,
        refusal=t("Only this community's moderators can set its default language."),
    ),
    Command(
        "allow-themes",
        t("Allow only these themes here (all: every theme)"),
        t("/allow-themes NAME… | all"),
        Access.MODERATOR,
        (Arg("names", Kind.TEXT, t("Theme names separated by commas, or all"), True),),
        community=True,
    ),
    Command(
        "allow-models",
        t("Allow only these models here (all: every model)"),
        t("/allow-models NAME… | all"),
        Access.MODERATOR,
        (Arg("names", Kind.TEXT, t("Model names separated by commas, or all"), True),),
        community=True,
    ),
    Command(
        "default-theme",
        t("The theme prompts here get without --theme (none: no theme)"),
        t("/default-theme NAME | none"),
        Access.MODERATOR,
        (Arg("name", Kind.TEXT, t("A theme (see /themes), or none"), True),),
        community=True,
    ),
    Command(
        "quota-grant",
        t("Give a user extra credits for today"),
        t("/quota-grant USER N"),
        Access.MODERATOR,
        (_MEMBER, _CREDITS),
    ),
    Command(
        "quota-set",
        t("Set how many credits a user has left today"),
        t("/quota-set USER N"),
        Access.MODERATOR,
        (_MEMBER, _CREDITS),
    ),
    Command(
        "quota-reset",
        t("Give a user their whole daily allowance back"),
        t("/quota-reset USER"),
        Access.MODERATOR,
        (_MEMBER,),
    ),
    Command(
        "block",
        t("Stop a user from drawing"),
        t("/block USER [reason]"),
        Access.MODERATOR,
        (_MEMBER, Arg("reason", Kind.TEXT, t("Why (the user is told)"))),
    ),
    Command(
        "unblock",
        t("Let a blocked user draw again"),
        t("/unblock USER"),
        Access.MODERATOR,
        (_MEMBER,),
    ),
    Command(
        "tier-set",
        t("Move a user to another tier (bot owners only)"),
        t("/tier-set USER TIER"),
        Access.OWNER,
        (_MEMBER, Arg("tier", Kind.TEXT, t("A tier of MJ_TIERS"), True)),
        refusal=t("Only the bot's owners can change tiers."),
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


def help_text() -> Message:
    """/help: how to draw, then every command by who may use it."""
    usages = {
        access: Listing.of(
            (c.usage for c in COMMANDS if c.access is access and c.name != "mj"), "plain"
        )
        for access in Access
    }
    return t(
        "Draw with /mj <prompt> [parameters], for example:\n"
        "  /mj a red fox in the snow --ar 3:2 --no people\n"
        "Parameters: --ar W:H, --no a, b, --seed N, --steps N, --cfg X, --sampler NAME, "
        "--model NAME,\n  --style NAME, --theme NAME, --lora NAME:0.8 (or <lora:NAME:0.8>), "
        "--clip-skip 1..4, --tile, --repeat N,\n  --stop 10..100, --chaos 0..100, --iw 0..3.\n"
        "Weights: cat::2 dog::-0.5.\n"
        "Commands: {everyone}.\n"
        "Moderators: {moderators}.\n"
        "Owners also: {owners}.\n"
        "Language: /settings lang zh-Hans, zh-Hant, en or auto.",
        everyone=usages[Access.EVERYONE],
        moderators=usages[Access.MODERATOR],
        owners=usages[Access.OWNER],
    )
