"""Render a trial report in headless Chromium and check it shows what the file contains.

    python tools/check_report.py REPORT.html [--screenshot out.png] [--pdf out.pdf] [--width 1280] [--height 2400]

Checks: the browser exits 0; the rendered DOM keeps every heading (h1-h3) and every figure
(inline <svg> and <img>) of the file; images are embedded (data: URIs that decode) and nothing
points outside the file; the browser logs no JavaScript, console or resource-loading error. With
``--pdf``: the browser prints the report (its ``@media print`` styles, A4 landscape) to a PDF file that
starts with the PDF signature.
Exit 0 when all pass, 1 with a one-line message on the first problem, 2 without a browser.
"""

from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--enable-logging=stderr", "--v=0")
# Lines of Chromium's stderr that mean the page itself went wrong (not sandbox/dbus/GPU noise).
ERROR_PATTERNS = re.compile(r"Uncaught|SyntaxError|ReferenceError|TypeError|:CONSOLE[:(]|CONSOLE\(\d+\)|"
                            r"console\.(error|warn)|Failed to load resource|net::ERR_|Not allowed to load", re.IGNORECASE)
TIMEOUT_S = 120


class Inventory(HTMLParser):
    """Headings (tag, text), figure counts, image sources and outside references of an HTML text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []
        self.svg = 0
        self.img_src: list[str] = []
        self.external: list[str] = []
        self.scripts = 0
        self._heading: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, []
        elif tag == "svg":
            self.svg += int("fig" in (a.get("class") or "").split())
        elif tag == "img":
            self.img_src.append(a.get("src") or "")
        elif tag == "script":
            self.scripts += 1
        for key in ("src", "href", "srcset", "data", "poster"):
            value = (a.get(key) or "").strip()
            if re.match(r"(https?:)?//|file:|ftp:", value, re.IGNORECASE):
                self.external.append(f"<{tag} {key}={value[:60]}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, " ".join("".join(self._text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)


def inventory(text: str) -> Inventory:
    """Parse ``text`` and return its Inventory."""
    inv = Inventory()
    inv.feed(text)
    inv.close()
    return inv


def find_browser() -> str | None:
    """The first Chromium-like browser on PATH."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def run_browser(browser: str, args: list[str], url: str) -> subprocess.CompletedProcess:
    """Run the browser headless on ``url`` with extra ``args`` and a private profile."""
    with tempfile.TemporaryDirectory(prefix="check-report-") as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def page_errors(stderr: str) -> list[str]:
    """Lines of browser stderr that report a page, script or resource error."""
    return [line.strip() for line in stderr.splitlines() if ERROR_PATTERNS.search(line)]


def check(report: Path, screenshot: Path | None, width: int, height: int, pdf: Path | None = None) -> str | None:
    """None when the report renders cleanly, else a one-line description of the first problem."""
    browser = find_browser()
    if browser is None:
        raise FileNotFoundError
    source = inventory(report.read_text(encoding="utf-8"))
    if source.scripts:
        return f"the report contains {source.scripts} <script> element(s); it must need no JavaScript"
    if source.external:
        return f"the report refers outside itself: {source.external[0]}"
    for src in source.img_src:
        m = re.match(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,(.*)$", src, re.DOTALL)
        if not m:
            return f"an <img> is not an embedded data: URI: {src[:60]!r}"
        raw = base64.b64decode(m.group(2), validate=True)
        if m.group(1) == "png" and not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            return "an embedded PNG does not start with the PNG signature"
    url = report.resolve().as_uri()
    dom = run_browser(browser, ["--dump-dom"], url)
    if dom.returncode != 0:
        return f"{Path(browser).name} --dump-dom exited {dom.returncode}: {dom.stderr.strip()[-200:]}"
    errors = page_errors(dom.stderr)
    if errors:
        return f"browser reported a page error: {errors[0][:200]}"
    rendered = inventory(dom.stdout)
    missing = [h for h in source.headings if h not in rendered.headings]
    if missing:
        return f"heading not in the rendered DOM: {missing[0][0]} {missing[0][1]!r}"
    figures, shown = source.svg + len(source.img_src), rendered.svg + len(rendered.img_src)
    if shown != figures:
        return f"the rendered DOM has {shown} figures, the file {figures}"
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        shot = run_browser(browser, [f"--screenshot={screenshot.resolve()}", f"--window-size={width},{height}"], url)
        if shot.returncode != 0 or not screenshot.exists() or screenshot.stat().st_size == 0:
            return f"screenshot failed (exit {shot.returncode}): {shot.stderr.strip()[-200:]}"
        errors = page_errors(shot.stderr)
        if errors:
            return f"browser reported a page error: {errors[0][:200]}"
    if pdf is not None:
        pdf.parent.mkdir(parents=True, exist_ok=True)
        printed = run_browser(browser, [f"--print-to-pdf={pdf.resolve()}", "--no-pdf-header-footer"], url)
        if printed.returncode != 0 or not pdf.is_file() or not pdf.read_bytes()[:5] == b"%PDF-":
            return f"printing to PDF failed (exit {printed.returncode}): {printed.stderr.strip()[-200:]}"
    print(f"OK: {report.name} rendered by {Path(browser).name}: {len(source.headings)} headings, {figures} figures"
          + (f"; screenshot {screenshot}" if screenshot else "") + (f"; PDF {pdf}" if pdf else ""))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the HTML report")
    parser.add_argument("--screenshot", type=Path, help="write a PNG screenshot here")
    parser.add_argument("--pdf", type=Path, help="print the report to this PDF file (print styles)")
    parser.add_argument("--width", type=int, default=1280, help="window width (px)")
    parser.add_argument("--height", type=int, default=2400, help="window height (px); the screenshot is this tall")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"check_report: no such file: {args.report}", file=sys.stderr)
        return 1
    try:
        problem = check(args.report, args.screenshot, args.width, args.height, args.pdf)
    except FileNotFoundError:
        print("check_report: no Chromium found on PATH (looked for " + ", ".join(BROWSERS) + "). Install one, "
              "e.g. on Debian/Ubuntu: apt-get install -y chromium (or chromium-browser).", file=sys.stderr)
        return 2
    except subprocess.TimeoutExpired:
        problem = f"the browser did not finish within {TIMEOUT_S} s"
    except (ValueError, UnicodeDecodeError) as exc:
        problem = f"could not read the report: {exc}"
    if problem:
        print(f"check_report: FAIL: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
