"""Regenerate the tables and equations of docs/model.md from the model definition (run after changing the model).

    python tools/model_doc.py            # rewrites every generated block of docs/model.md
    python tools/model_doc.py --check    # exit 1 (one line naming the stale block) if docs/model.md is out of date

A generated block sits between the lines ``<!-- generated:NAME -->`` and ``<!-- end generated:NAME -->`` (NAME: states,
equations, parameters, covariates, hooks; see ``ovsim.model._docs.model_markdown``); everything outside the
markers is hand-written prose and is left as it is.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def _definition():
    """The model definition documented in docs/model.md (the one place that chooses it): the mechanisms
    and the treatments that ship with ovsim."""
    from ovsim.treatments import builtin_model

    return builtin_model()


def blocks() -> dict[str, str]:
    """Fresh markdown of every generated block, keyed by block name."""
    from ovsim.model._docs import model_markdown

    return model_markdown(_definition())


def _pattern(name: str) -> re.Pattern[str]:
    name = re.escape(name)
    return re.compile(rf"(^<!-- generated:{name} -->\n)(.*?)(^<!-- end generated:{name} -->$)", re.S | re.M)


def render(text: str, fresh: dict[str, str]) -> str:
    """``text`` with every generated block replaced by ``fresh[name]``.

    Raises ValueError (one line) when a block's markers are missing or repeated, or the file has a
    marker for a block that is not generated.
    """
    for name in re.findall(r"^<!-- (?:end )?generated:([^ ]+) -->$", text, re.M):
        if name not in fresh:
            raise ValueError(f"unknown generated block {name!r} (expected one of {', '.join(fresh)})")
    for name, block in fresh.items():
        pattern = _pattern(name)
        found = len(pattern.findall(text))
        if found != 1:
            raise ValueError(f"block {name!r}: expected one '<!-- generated:{name} -->' ... "
                             f"'<!-- end generated:{name} -->' pair (found {found})")
        text = pattern.sub(lambda m: m.group(1) + block.rstrip("\n") + "\n" + m.group(3), text)
    return text


def stale(path: Path = DOC) -> list[str]:
    """Names of the generated blocks of ``path`` that differ from what this tool would write."""
    text = path.read_text()
    fresh = blocks()
    new = render(text, fresh)
    if new == text:
        return []
    out = [name for name in fresh if _pattern(name).search(text).group(2) != _pattern(name).search(new).group(2)]
    return out or ["(outside the generated blocks)"]


def check(path: Path = DOC) -> str | None:
    """None if ``path`` is up to date, else one line naming the stale block(s)."""
    try:
        names = stale(path)
    except ValueError as err:
        return f"{path.name}: {err}"
    if not names:
        return None
    return (f"{path.name}: generated block(s) {', '.join(names)} out of date; "
            f"run python tools/model_doc.py")


def write(path: Path = DOC) -> bool:
    """Rewrite the generated blocks of ``path``; True when the file changed."""
    text = path.read_text()
    new = render(text, blocks())
    if new != text:
        path.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/model.md is out of date")
    parser.add_argument("path", nargs="?", type=Path, default=DOC, help="the markdown file (default docs/model.md)")
    args = parser.parse_args(argv)
    if args.check:
        problem = check(args.path)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        return 0
    try:
        changed = write(args.path)
    except ValueError as err:
        print(f"{args.path.name}: {err}", file=sys.stderr)
        return 1
    print(f"{'rewrote' if changed else 'unchanged:'} {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
