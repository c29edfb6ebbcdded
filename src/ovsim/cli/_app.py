"""The Typer application, the one-line error helpers shared by all commands, and the text
hygiene for the terminal (control characters stripped, rich markup escaped).

Exit codes of every ``ovsim`` command: 0 ok; 1 a result-level failure (a vial to discard, a
failed solve); 2 bad input (a file, a field or an option, one line naming it); 3 an internal
error (one line, the traceback in a log file, see :func:`run`); 130 interrupted.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import NoReturn

import typer

app = typer.Typer(
    name="ovsim",
    help="Oncolytic virotherapy (T-VEC) in silico: patients, dosing plans, virtual trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog="Exit codes: 0 ok; 1 result-level failure (a vial to discard, a failed solve); 2 bad input; "
           "3 internal error (traceback in $OVSIM_LOG_DIR or ~/.cache/ovsim/logs); 130 interrupted.",
)

EXIT_OK, EXIT_RESULT, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
"""The documented exit codes (see the module docstring)."""

_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"                    # CSI sequences: colours, cursor moves, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"         # OSC sequences: window title, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"               # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"                           # other escape sequences (and a lone ESC)
    r"|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]"     # remaining C0 (not \t \n), DEL, C1
)


def strip_control(text: object, *, newlines: bool = True) -> str:
    """``text`` as a string without terminal control: escape sequences (CSI, OSC, ...) removed
    whole, other C0 control characters (but tab and, if ``newlines``, newline), DEL and C1 removed.
    With ``newlines=False`` newlines and tabs become spaces (one-line messages)."""
    out = _CONTROL.sub("", str(text))
    if not newlines:
        out = out.replace("\r", "").replace("\n", " ").replace("\t", " ")
    return out


def safe_text(text: object) -> str:
    """User text (an id, a file name, a path) made safe to hand to rich as markup: control
    characters stripped (:func:`strip_control`), then ``[`` escaped (``rich.markup.escape``), so an id
    like ``a[/]`` prints as written and never raises ``MarkupError``."""
    from rich.markup import escape

    return escape(strip_control(text))


def rich_console(*, stderr: bool = False, **kwargs):
    """A rich Console for the commands: no emoji codes (``:x:`` stays text), no highlighting."""
    from rich.console import Console

    kwargs.setdefault("highlight", False)
    return Console(file=sys.stderr if stderr else sys.stdout, emoji=False, **kwargs)


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """Print ``ovsim: error: <message>`` on stderr (one line, control characters stripped) and exit with ``code``."""
    sys.stderr.write(f"ovsim: error: {strip_control(message, newlines=False)}\n")
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``ovsim: warning: <message>`` on stderr (one line, control characters stripped)."""
    sys.stderr.write(f"ovsim: warning: {strip_control(message, newlines=False)}\n")


def check_out_path(out: str | os.PathLike | None, *, flag: str = "--out", kind: str = "folder") -> Path:
    """Check an output path before any work starts; fail in one line (exit 2) if it cannot be used.

    ``kind="folder"``: refused if empty, an existing file that is not a folder, or under a file.
    ``kind="file"``: refused if empty, an existing folder, or under a file. Either is refused when
    the nearest existing folder above it is not writable. Returns the path.
    """
    text = "" if out is None else os.fspath(out)
    if not text.strip():
        fail(f"{flag}: expected a {kind} path (got an empty string)")
    path = Path(text)
    shown = repr(text)
    if kind == "folder" and path.exists() and not path.is_dir():
        fail(f"{flag}: {shown} exists and is not a folder")
    if kind == "file" and path.is_dir():
        fail(f"{flag}: {shown} is a folder (expected a file path)")
    parent = path if kind == "folder" else path.parent
    parent = Path(os.path.abspath(parent))
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        fail(f"{flag}: {shown} is under {str(parent)!r}, which is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        fail(f"{flag}: cannot write {shown} ({str(parent)!r} is not writable)")
    return path


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"ovsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Oncolytic virotherapy (T-VEC) in silico: patients, dosing plans, virtual trials.

    Exit codes: 0 ok; 1 result-level failure (a vial to discard, a failed solve); 2 bad input
    (one line naming the file, field or option); 3 internal error (one line, the traceback in a
    log file under $OVSIM_LOG_DIR or ~/.cache/ovsim/logs); 130 interrupted.
    """


# ---------------------------------------------------------------------------------------------
# The catch-all: ``run(argv)`` is what the ``ovsim`` console script executes (``ovsim.cli.main``).

USAGE_TYPES = {"integer": "an integer", "number": "a number", "boolean": "true or false"}


def _click_exceptions():
    """The click exception classes typer raises (vendored as ``typer._click`` in recent typer)."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - older typer on click
        from click import exceptions
    return exceptions


def _option_value(argv: list[str], opts: list[str]) -> tuple[str | None, str | None]:
    """(the flag as typed, the raw value after it) for one of ``opts`` in ``argv``; best effort."""
    found: tuple[str | None, str | None] = (None, None)
    for k, token in enumerate(argv):
        if token == "--":
            break
        for opt in opts:
            if token == opt:
                found = (opt, argv[k + 1] if k + 1 < len(argv) else None)
            elif opt.startswith("--") and token.startswith(opt + "="):
                found = (opt, token[len(opt) + 1:])
            elif not opt.startswith("--") and len(opt) == 2 and token.startswith(opt) and len(token) > 2 \
                    and not token.startswith("--"):
                found = (opt, token[2:])
    return found


def _param_name(param, argv: list[str]) -> tuple[str, str | None]:
    """The name to show for a parameter (the flag the user typed, else its long flag; an argument's
    metavar) and the raw value given, when it can be found in ``argv``."""
    opts = list(getattr(param, "opts", None) or [])
    if getattr(param, "param_type_name", "") == "option" and opts:
        typed, raw = _option_value(argv, opts + list(getattr(param, "secondary_opts", None) or []))
        long = [o for o in opts if o.startswith("--")]
        return typed or (long[0] if long else opts[0]), raw
    metavar = getattr(param, "metavar", None)
    name = metavar or (getattr(param, "name", None) or "argument").upper()
    return str(name), None


def usage_message(err: BaseException, argv: list[str]) -> str:
    """One line for a command-line usage error, naming the flag or argument:
    ``--patients: expected an integer (got 'x')``, ``--bogus: no such option of 'ovsim trial' ...``."""
    ce = _click_exceptions()
    command = getattr(getattr(err, "ctx", None), "command_path", None) or "ovsim"
    message = str(getattr(err, "message", "") or err).strip()
    if isinstance(err, ce.MissingParameter):
        name, _ = _param_name(err.param, argv) if err.param is not None else ("a parameter", None)
        kind = "option" if getattr(err.param, "param_type_name", "") == "option" else "argument"
        return f"{name}: missing (a required {kind} of '{command}'; see {command} --help)"
    if isinstance(err, ce.BadParameter):
        if err.param is None:
            return f"{_sentence(message)} (see {command} --help)"
        name, raw = _param_name(err.param, argv)
        return f"{name}: {_expected(message, raw)}"
    if isinstance(err, ce.NoSuchOption):
        hint = ""
        if err.possibilities:
            hint = f"; did you mean {' or '.join(sorted(err.possibilities)[:3])}?"
        return f"{err.option_name}: no such option of '{command}' (see {command} --help{hint})"
    if isinstance(err, ce.BadOptionUsage):
        if "requires an argument" in message:
            return f"{err.option_name}: expected a value after it"
        return f"{err.option_name}: {_sentence(message)}"
    return f"{_sentence(message)} (see {command} --help)"


def _sentence(message: str) -> str:
    """A click/typer message as a clause: first letter lower case, no final full stop."""
    message = " ".join(message.split())
    message = message[:1].lower() + message[1:]
    return message[:-1] if message.endswith(".") else message


def _expected(message: str, raw: str | None) -> str:
    """``Input should be a valid integer, ...`` -> ``expected an integer (got 'x')``, and the like."""
    text = _sentence(message)
    got = f" (got {raw!r})" if raw is not None else ""
    m = re.search(r"should be a valid (integer|number|boolean)", text) or re.search(
        r"is not a valid (integer|float|boolean)", text)
    if m:
        kind = {"float": "number"}.get(m.group(1), m.group(1))
        return f"expected {USAGE_TYPES[kind]}{got}"
    m = re.search(r"(.*?)\s*is not one of (.*)$", text)
    if m:
        choices = ", ".join(c.strip().strip("'\"") for c in m.group(2).split(","))
        value = m.group(1).split(",")[-1].strip().removeprefix("value error").strip()
        return f"expected one of {choices} (got {value or repr(raw)})"
    m = re.search(r"should be (greater|less) than( or equal to)? (\S+)", text)
    if m:
        op = {"greater": ">", "less": "<"}[m.group(1)] + ("=" if m.group(2) else "")
        return f"expected a value {op} {m.group(3)}{got}"
    text = re.sub(r"^(input should be|value error, )", "", text).strip()
    return f"{text}{got}" if raw is not None and repr(raw) not in text and raw not in text else text


def log_dir() -> Path:
    """Where internal-error logs go: ``$OVSIM_LOG_DIR``, else ``$XDG_CACHE_HOME/ovsim/logs``, else
    ``~/.cache/ovsim/logs``."""
    if os.environ.get("OVSIM_LOG_DIR"):
        return Path(os.environ["OVSIM_LOG_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "ovsim" / "logs"


def write_crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the traceback of ``exc`` (and the command line, versions, time) to a new log file;
    its path, or None when no folder could take it (the log folder, then the temporary folder)."""
    import platform
    import tempfile
    import time
    import traceback

    try:
        from .. import __version__
    except Exception:  # pragma: no cover - the package is importable if we got here
        __version__ = "unknown"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = (f"ovsim {__version__}, Python {platform.python_version()} on {platform.platform()}\n"
            f"time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n"
            f"command: {' '.join(['ovsim', *map(repr, argv)])}\n"
            f"cwd: {os.getcwd()}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"ovsim-{stamp}-{os.getpid()}.log"
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return None


def internal_error_line(exc: BaseException, log: Path | None) -> str:
    """``ovsim: internal error: <Type>: <first line of the message, at most 200 characters> (traceback in <log>)``."""
    first = strip_control(str(exc), newlines=True).strip().split("\n")[0].strip()
    if len(first) > 200:
        first = first[:199] + "\u2026"
    where = f"traceback in {log}" if log is not None else "the traceback could not be written to a log file"
    name = type(exc).__qualname__
    return f"ovsim: internal error: {name}{': ' + first if first else ''} ({where})\n"


def run(argv: list[str] | None = None) -> int:
    """Run ``ovsim`` with ``argv`` (default: ``sys.argv[1:]``) and return its exit code, never raising
    (but ``SystemExit`` from a command is passed on): every failure is one line on stderr.

    Usage errors (unknown option, bad value, missing argument) -> one line naming the flag, exit 2;
    Ctrl-C -> ``ovsim: interrupted``, exit 130; any unexpected exception -> one line
    ``ovsim: internal error: ...`` with the traceback in a log file (:func:`log_dir`), exit 3.
    """
    ce = _click_exceptions()
    no_args_is_help = getattr(ce, "NoArgsIsHelpError", ())
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            from .._jax import configure_jax

            configure_jax()
            rv = app(args=argv, prog_name="ovsim", standalone_mode=False)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else EXIT_OK
            if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C inside a command into Exit(130)
                _quiet_write("ovsim: interrupted\n")
            return code
        except no_args_is_help as err:  # ``ovsim`` alone: the help, as click does (exit 2)
            if err.message:
                sys.stderr.write(err.message.rstrip("\n") + "\n")
            return EXIT_INPUT
        except ce.UsageError as err:
            sys.stderr.write(f"ovsim: error: {strip_control(usage_message(err, argv), newlines=False)}\n")
            return EXIT_INPUT
        except ce.ClickException as err:  # e.g. a file that could not be opened
            sys.stderr.write(f"ovsim: error: {strip_control(err.format_message(), newlines=False)}\n")
            return getattr(err, "exit_code", EXIT_INPUT) or EXIT_INPUT
        except typer.Exit as err:  # normally returned by click; kept for safety
            return err.exit_code
    except (KeyboardInterrupt, typer.Abort):
        _quiet_write("ovsim: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``ovsim plan ... | head -1``): nothing to say
        _silence_stdout()
        return EXIT_RESULT
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the catch-all: one line, the traceback in a log
        try:
            line = internal_error_line(exc, write_crash_log(exc, argv))
        except BaseException:  # noqa: BLE001 - never a traceback on the terminal
            line = f"ovsim: internal error: {type(exc).__qualname__}\n"
        _quiet_write(line)
        return EXIT_INTERNAL


def _quiet_write(text: str) -> None:
    """Write to stderr, ignoring a closed or broken stream."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
