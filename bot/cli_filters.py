"""`mjbot filter …`: check a text against the banned terms, and manage the stored lists.

Lists are plain text (one term per line, `#` comments, `*` wildcards at a word's start or end,
`!term` for an allowed term), the same format `import` reads and `export` writes. The CLI edits
the bot's SQLite database directly; a running bot sees the change on its next prompt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import fail, load_settings, open_store

if TYPE_CHECKING:
    from filters.terms import TermList

filter_app = typer.Typer(help="Banned terms: check a text; add, remove, list, import, export.")

Scope = Annotated[
    str,
    typer.Option(
        "--scope",
        help="global, or platform:id (discord:<guild id>, telegram:<chat id>, console:local)",
    ),
]
Terms = Annotated[list[str], typer.Argument(help="Terms; `!term` means the allowed list")]
ADDED_BY = "cli"


def _checked_scope(scope: str) -> str:
    from bot.core.moderation import valid_scope

    if not valid_scope(scope):
        raise fail(f"--scope takes global or platform:id, got {scope!r}")
    return scope


def _read_terms(path: Path) -> TermList:
    from filters.terms import TermError, parse_terms

    try:
        return parse_terms(path.read_text(encoding="utf-8"), path.name)
    except (OSError, UnicodeDecodeError, TermError) as error:
        raise fail(f"Cannot read {path}: {error}") from None


def _split(terms: list[str]) -> tuple[list[str], list[str]]:
    """(banned, allowed) from command-line terms, validated."""
    from filters.terms import ALLOW_PREFIX, TermError, check_term

    banned, allowed = [], []
    try:
        for term in terms:
            if term.startswith(ALLOW_PREFIX):
                allowed.append(check_term(term[1:]))
            else:
                banned.append(check_term(term))
    except TermError as error:
        raise fail(str(error)) from None
    return banned, allowed


@filter_app.command("check")
def check(
    text: Annotated[str, typer.Argument(help="A prompt to check")],
    scope: Scope = "global",
    terms_file: Annotated[
        Path | None,
        typer.Option(help="Check against this list alone, instead of the stored lists"),
    ] = None,
) -> None:
    """Print {"blocked", "terms", "normalized"} for TEXT under SCOPE's lists (or a file's)."""
    from bot.core.moderation import load_terms
    from filters.terms import Matcher

    if terms_file is not None:
        terms = _read_terms(terms_file)
    else:
        defaults = load_settings().moderation.filter_defaults
        with open_store() as store:
            terms = load_terms(store, _checked_scope(scope), defaults)
    verdict = Matcher(terms).check(text)
    result = {"blocked": verdict.blocked, "terms": list(verdict.terms)}
    typer.echo(json.dumps({**result, "normalized": verdict.normalized}, ensure_ascii=False))


@filter_app.command("add")
def add(terms: Terms, scope: Scope = "global") -> None:
    """Ban TERMs in SCOPE (`!term`: allow it there instead)."""
    from bot.core.moderation import keyed

    banned, allowed = _split(terms)
    with open_store() as store:
        added = store.terms.ban(_checked_scope(scope), keyed(banned), ADDED_BY)
        added += store.terms.allow(scope, keyed(allowed), ADDED_BY)
    typer.echo(f"{len(added)} added to {scope}; {len(terms) - len(added)} already there.")


@filter_app.command("remove")
def remove(terms: Terms, scope: Scope = "global") -> None:
    """Take TERMs off SCOPE's banned list (`!term`: off its allowed list)."""
    from bot.core.moderation import unlist_terms

    banned, allowed = _split(terms)
    with open_store() as store:
        missing = unlist_terms(store, _checked_scope(scope), "banned", banned)
        missing += unlist_terms(store, scope, "allowed", allowed)
    typer.echo(f"{len(terms) - len(missing)} removed from {scope}.")
    if missing:
        raise fail(f"Not on the list: {', '.join(missing)}")


@filter_app.command("list")
def list_terms(
    scope: Scope = "global",
    defaults: Annotated[bool, typer.Option(help="Print the shipped defaults instead")] = False,
) -> None:
    """Print SCOPE's stored list (banned terms, then `!` allowed ones)."""
    from filters.terms import default_terms, format_terms

    if defaults:
        typer.echo(format_terms(default_terms()), nl=False)
        return
    typer.echo(format_terms(_stored(_checked_scope(scope))), nl=False)


@filter_app.command("import")
def import_terms(
    file: Annotated[Path, typer.Argument(help="A list: one term per line, # comments")],
    scope: Scope = "global",
    replace: Annotated[bool, typer.Option(help="Empty SCOPE's lists first")] = False,
) -> None:
    """Add every term of FILE to SCOPE (`!term` lines to its allowed list)."""
    from bot.core.moderation import keyed

    terms = _read_terms(file)
    with open_store() as store, store.transaction():
        if replace:
            store.terms.clear_terms(_checked_scope(scope))
        added = store.terms.ban(_checked_scope(scope), keyed(terms.banned), ADDED_BY)
        added += store.terms.allow(scope, keyed(terms.allowed), ADDED_BY)
    typer.echo(f"Imported {len(added)} new term(s) into {scope} from {file}.")


@filter_app.command("export")
def export_terms(
    scope: Scope = "global",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
) -> None:
    """Write SCOPE's stored list in the format `import` reads."""
    from filters.terms import format_terms

    text = format_terms(_stored(_checked_scope(scope)), header=f"mjbot banned terms: {scope}")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {out}")


def _stored(scope: str) -> TermList:
    from filters.terms import TermList

    with open_store() as store:
        banned, allowed = store.terms.lists(scope)
    return TermList(tuple(banned), tuple(allowed))
