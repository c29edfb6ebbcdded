"""Regenerate the parameter table of docs/model.md from the registry (run after changing parameters).

    python tools/param_table.py    # rewrites the block between '## Parameters' and '## References'
"""

from pathlib import Path

from ovsim.model import PARAMETERS

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def table() -> str:
    rows = ["| name | value | units | level | meaning | source |", "|---|---|---|---|---|---|"]
    for p in PARAMETERS.values():
        rows.append(f"| `{p.name}` | {p.value:.6g} | {p.units} | {p.level} | {p.description} | {p.source} |")
    return "\n".join(rows)


def main() -> None:
    text = DOC.read_text()
    head, rest = text.split("## Parameters\n", 1)
    _, tail = rest.split("## References\n", 1)
    DOC.write_text(f"{head}## Parameters\n\n{table()}\n\n## References\n{tail}")


if __name__ == "__main__":
    main()
