"""What schemathesis cannot know from the description alone: how to write a `mj-text`.

The HTTP API's `prompt` is a /mj text (`format: mj-text` in /openapi.json): braces choose
permutations, `--` starts a parameter, `::` a weight, a leading URL an image prompt, and the
description says so in prose. Like any custom format, schemathesis is taught it here (through
SCHEMATHESIS_HOOKS): any text, in any script, that uses none of that syntax. The /mj language
itself is fuzzed by tests/test_params_fuzz.py.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

SYNTAX = "{}｛｝\\-—–−﹣－:：/"  # braces, dashes, colons (and URLs' slashes)

schemathesis.openapi.format(
    "mj-text",
    st.text(st.characters(codec="utf-8", exclude_characters=SYNTAX), min_size=1).filter(
        lambda text: any(char.isalnum() for char in text)
    ),
)
