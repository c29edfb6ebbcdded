"""User text (ids, arm and lesion names, file names) made safe for matplotlib.

Matplotlib parses text between two ``$`` as math (an id like ``$\\frac{$`` would make the figure
fail to draw) and has no glyph for control characters. :func:`plot_text` strips control characters
(escape sequences whole) and escapes every ``$`` as ``\\$``, which matplotlib draws as a plain
dollar sign; unlike a per-text ``parse_math=False`` it also holds for text matplotlib creates itself
(legend entries, tick labels).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]"
)


def plot_text(text: object) -> str:
    """``text`` as a string matplotlib draws literally: control characters removed (tab and newline
    kept), ``$`` escaped as ``\\$`` (so no math text is parsed from user input)."""
    return _CONTROL.sub("", str(text)).replace("$", r"\$")


__all__ = ["plot_text"]
