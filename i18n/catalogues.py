"""The message catalogues: gettext files under i18n/locales, one per UI language.

    locales/mjbot.pot                        the template: every message, extracted
    locales/zh_Hans/LC_MESSAGES/mjbot.po     Simplified Chinese, written by hand
    locales/zh_Hant/LC_MESSAGES/mjbot.po     Traditional Chinese (Taiwan), written by hand
    locales/*/LC_MESSAGES/mjbot.mo           compiled by `make translations` (not committed)

English needs no catalogue: the messages are written in English. A compiled catalogue is
used when it is at least as new as its .po; otherwise (a checkout never compiled, a .po just
edited) the .po is read directly, which is slower but never shows stale text.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from i18n.languages import Lang

log = logging.getLogger(__name__)

DOMAIN = "mjbot"
LOCALES = Path(__file__).parent / "locales"


def po_path(lang: Lang) -> Path:
    return LOCALES / lang.locale_id / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(lang: Lang) -> gettext.NullTranslations:
    """The translations of `lang` (English: none; its messages are the source)."""
    if lang is Lang.EN:
        return NullTranslations()
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    log.info("%s is not compiled (make translations): reading %s", lang, po.name)
    with po.open("rb") as source:
        parsed = read_po(source, locale=lang.locale_id, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
