"""docs/data_dictionary.md from the code (``ovsim.dictionary``): every table ovsim writes, with units.

    python tools/data_dictionary_doc.py            # (re)write docs/data_dictionary.md
    python tools/data_dictionary_doc.py --check    # exit 1 (one line) if docs/data_dictionary.md is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"


def check(out: Path = DOC) -> str | None:
    """None if ``out`` equals the generated document, else one line saying what to run."""
    from ovsim.dictionary import markdown

    if not out.is_file():
        return f"{out}: missing (run python tools/data_dictionary_doc.py)"
    if out.read_text() != markdown():
        return f"{out}: stale (the code's COLUMN_DOCS changed; run python tools/data_dictionary_doc.py)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the document is stale")
    parser.add_argument("--out", type=Path, default=DOC, help="document to write or check")
    args = parser.parse_args(argv)
    if args.check:
        problem = check(args.out)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        print(f"{args.out}: up to date")
        return 0
    from ovsim.dictionary import markdown

    args.out.write_text(markdown())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
