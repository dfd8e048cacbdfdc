"""Every message users read is translated, and each translation keeps its placeholders.

The bot's text is written in English as `t("...")` / `tn("...", "...")` (the `i18n` package);
Simplified and Traditional Chinese are written by hand in the .po catalogues. These tests fail
when a message has no translation, when a translation lost or invented a placeholder, and
when user text bypasses the catalogues (a plain string given to an error or a reply). Each
failure names the messages and says how to fix them: `WORKFLOW`.
"""

from __future__ import annotations

import ast
import importlib
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from i18n import Lang, Message, MessageError, render, t, tn, verbatim
from i18n.catalogues import po_path

ROOT = Path(__file__).resolve().parent.parent
CHINESE = [Lang.ZH_HANS, Lang.ZH_HANT]
WORKFLOW = (
    "\nHow to fix it: run `make messages` (it extracts every t()/tn() into "
    "i18n/locales/mjbot.pot and merges that into each .po), then write the Simplified Chinese "
    "in i18n/locales/zh_Hans/LC_MESSAGES/mjbot.po and the Traditional Chinese (Taiwan usage) "
    "in i18n/locales/zh_Hant/LC_MESSAGES/mjbot.po: fill each empty msgstr, check each entry "
    "marked '#, fuzzy' and delete that mark, keep every {placeholder} exactly as in the "
    "English. Then `make translations` (make test runs it too). README: Translating the bot."
)


def source_messages() -> dict[str, tuple[str, ...]]:
    """Every t()/tn() in the packages babel.cfg names: English template(s) -> their files."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, set[str]] = {}
    for filename, _, message, _, _ in extract_from_dir(
        ROOT, method_map, options_map, keywords={"t": None, "tn": (1, 2)}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, set()).add(filename)
    return {msgid: tuple(sorted(files)) for msgid, files in found.items()}


@pytest.fixture(scope="module")
def messages() -> dict[str, tuple[str, ...]]:
    return source_messages()


def catalogue(lang: Lang) -> Catalog:
    with po_path(lang).open("rb") as source:
        return read_po(source, locale=lang.locale_id)


def fields(template: str) -> set[str]:
    """The placeholders of a template; ValueError if its braces do not balance."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_source_has_messages(messages: dict[str, tuple[str, ...]]) -> None:
    """The extraction itself works (a broken babel.cfg would make the next test vacuous)."""
    assert len(messages) > 300
    assert "Job {job_id} accepted: starting now." in messages


@pytest.mark.parametrize("lang", CHINESE, ids=str)
def test_every_message_has_a_checked_translation(
    lang: Lang, messages: dict[str, tuple[str, ...]]
) -> None:
    entries = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalogue(lang) if m.id}
    problems = []
    for msgid, files in sorted(messages.items()):
        entry = entries.get(msgid)
        strings = () if entry is None else entry.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or not all(strings):
            problems.append(f"  not translated: {msgid!r} ({', '.join(files)})")
        elif entry.fuzzy:
            problems.append(f"  marked fuzzy (check it): {msgid!r} ({', '.join(files)})")
    stale = sorted(set(entries) - set(messages))
    problems += [f"  no longer in the code: {msgid!r}" for msgid in stale]
    assert not problems, f"{po_path(lang)}:\n" + "\n".join(problems) + WORKFLOW


@pytest.mark.parametrize("lang", CHINESE, ids=str)
def test_translations_keep_the_placeholders(lang: Lang) -> None:
    problems = []
    for entry in catalogue(lang):
        if not entry.id:
            continue
        english = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        translated = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        try:
            wanted = set().union(*map(fields, english))
            for text in filter(None, translated):
                if fields(text) != wanted:
                    problems.append(
                        f"  {english[0]!r}: has {sorted(fields(text))}, wants {sorted(wanted)}"
                    )
        except ValueError as error:  # a single { or } where {{ or }} was meant
            problems.append(f"  {english[0]!r}: {error} (write a literal brace as {{{{ or }}}})")
    assert not problems, f"{po_path(lang)}:\n" + "\n".join(problems) + WORKFLOW


def test_a_message_renders_in_every_language() -> None:
    accepted = t("Job {job_id} accepted: starting now.", job_id="k7x2m9pq4a")
    assert render(accepted) == "Job k7x2m9pq4a accepted: starting now."
    assert render(accepted, Lang.ZH_HANS) == "任务 k7x2m9pq4a 已接受：马上开始。"
    assert render(accepted, Lang.ZH_HANT) == "任務 k7x2m9pq4a 已受理：馬上開始。"
    quoted = t("“{term}”", term="nude")
    assert [render(quoted, lang) for lang in Lang] == ["“nude”", "“nude”", "「nude」"]


def test_plural_forms_follow_each_language() -> None:
    def banned(count: int) -> Message:
        return tn(
            "Banned here: {count} term, page {page}/{pages}.",
            "Banned here: {count} terms, page {page}/{pages}.",
            count,
            count=count,
            page=1,
            pages=1,
        )

    assert render(banned(1)) == "Banned here: 1 term, page 1/1."
    assert render(banned(2)) == "Banned here: 2 terms, page 1/1."
    assert render(banned(2), Lang.ZH_HANS) == "本社区禁用的词语：2 个，第 1/1 页。"


def test_values_are_formatted_for_the_language() -> None:
    quota = t("{name} now has {left} credits left today.", name="ann", left=1234.5)
    assert render(quota) == "ann now has 1,234.5 credits left today."
    assert render(quota, Lang.ZH_HANT) == "ann 今天還剩 1,234.5 額度。"
    # A user's own words and tokens pass through untouched, braces included.
    assert render(verbatim("a {cat} --ar 16:9"), Lang.ZH_HANS) == "a {cat} --ar 16:9"


# user text must go through the catalogues -------------------------------------------------

PACKAGES = ("bot", "engine", "filters", "translate", "storage")
# Constructors whose first argument (Reply: second) users read; the rest are found by type.
CARRIERS = {"Reply": 1, "Button": 0, "Question": 3}
# What users send rather than read: its `text` is a command (`/describe {path}`).
USER_INPUT = {"Incoming"}
# Platform calls that would send a literal straight to users.
SENDS = {"send_message", "answer", "reply_text", "edit_message_text", "edit_original_response"}


def _imported_classes(tree: ast.Module) -> dict[str, object]:
    """The names a module imports from the project, as the objects they are."""
    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in (*PACKAGES, "i18n"):
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                found[alias.asname or alias.name] = getattr(module, alias.name, None)
    return found


def _user_text(node: ast.expr) -> bool:
    """A literal with words in it, an f-string, or text glued together."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(char.isalpha() for char in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _user_text(node.left) or _user_text(node.right)
    return False


def _raw_texts(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = {**_imported_classes(tree)}
    module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    local = importlib.import_module(module_name)
    classes.update({name: value for name, value in vars(local).items() if isinstance(value, type)})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        target = classes.get(name)
        if name in ("t", "tn") and node.args and not isinstance(node.args[0], ast.Constant):
            yield f"{path.relative_to(ROOT)}:{node.lineno}: {name}() needs a literal template"
            continue
        if isinstance(target, type) and issubclass(target, MessageError):
            suspects = node.args[:1]
        elif name in CARRIERS and target is not None:
            suspects = node.args[CARRIERS[name] : CARRIERS[name] + 1]
        elif name in SENDS or name == "failed":
            suspects = list(node.args)
        else:
            suspects = []
        if name not in USER_INPUT:
            words = ("public", "text", "caption")
            suspects += [kw.value for kw in node.keywords if kw.arg in words]
        for suspect in suspects:
            if _user_text(suspect):
                shown = ast.unparse(suspect)[:70]
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {name}({shown})"


def test_user_text_goes_through_the_catalogues() -> None:
    """Errors, replies, buttons and platform answers get a Message, never a plain string."""
    found = [
        line
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in _raw_texts(path)
    ]
    assert not found, (
        "User-facing text outside the catalogues (wrap it as t('...'), with {placeholders} "
        "for the values):\n" + "\n".join(found) + WORKFLOW
    )


def test_plain_strings_are_refused_at_run_time() -> None:
    from bot.core.errors import MjError
    from bot.core.requests import Reply, ReplyKind

    with pytest.raises(TypeError, match="Translating the bot"):
        MjError("Something went wrong")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Translating the bot"):
        Reply(ReplyKind.TEXT, "Done.")  # type: ignore[arg-type]
