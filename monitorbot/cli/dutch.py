"""Typer's own texts in Dutch: help panels, the help option, usage errors.

Everything a person reads is Dutch, including what the command-line library
writes by itself ("Show this message and exit.", "No such option", "Missing
option"). Typer 0.29 vendors click without a message catalogue, so `install`
sets typer's documented text constants and wraps the three places its
English comes from: the help option, the usage line and the error panel.
tests/test_cli_startup.py checks the outcome, so an upgrade that moves these
texts fails CI instead of turning English again.
"""

from __future__ import annotations

import re
from typing import Any

HELP = "Toon deze hulp en stop."
USAGE = "Gebruik: "

#: typer.rich_utils constants → Dutch.
RICH_TEXTS = {
    "DEPRECATED_STRING": "(verouderd) ",
    "DEFAULT_STRING": "[standaard: {}]",
    "ENVVAR_STRING": "[omgevingsvariabele: {}]",
    "REQUIRED_LONG_STRING": "[verplicht]",
    "ARGUMENTS_PANEL_TITLE": "Argumenten",
    "OPTIONS_PANEL_TITLE": "Opties",
    "COMMANDS_PANEL_TITLE": "Opdrachten",
    "ERRORS_PANEL_TITLE": "Fout",
    "ABORTED_TEXT": "Afgebroken.",
    "RICH_HELP": "Zie [blue]'{command_path} {help_option}'[/] voor hulp.",
}

#: The start of a validation message → what it says in Dutch.
VALUE_MESSAGES = (
    ("Input should be a valid integer", "verwacht een geheel getal"),
    ("Input should be a valid number", "verwacht een getal"),
    ("Input should be a valid boolean", "verwacht ja of nee"),
    ("Input should be a valid date", "verwacht een datum (JJJJ-MM-DD)"),
    ("Input should be greater than or equal to", "moet minstens {} zijn"),
    ("Input should be less than or equal to", "mag hoogstens {} zijn"),
    ("Input should be ", "kies uit {}"),
)
_EXTRA = re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<what>.*)\)")
_NO_COMMAND = re.compile(r"No such command (?P<name>.+?)\.?")
_NOT_ONE_OF = re.compile(r"(?:Value error, )?(?P<value>.+) is not one of (?P<choices>.+?)\.?")
#: The usage line's placeholders.
USAGE_WORDS = (("[OPTIONS]", "[OPTIES]"), ("COMMAND", "OPDRACHT"), ("[ARGS]", "[ARGUMENTEN]"))


def install() -> None:
    """Make typer speak Dutch in this process (idempotent)."""
    from typer import rich_utils

    try:
        from typer._click import core, formatting
    except ImportError:  # pragma: no cover - typer before 0.29 uses click itself
        import click.core as core  # type: ignore[no-redef]
        import click.formatting as formatting  # type: ignore[no-redef]

    for name, text in RICH_TEXTS.items():
        setattr(rich_utils, name, text)
    command = core.Command
    if not getattr(command.get_help_option, "_dutch", False):
        command.get_help_option = _dutch_help_option(command.get_help_option)
    formatter = formatting.HelpFormatter
    if not getattr(formatter.write_usage, "_dutch", False):
        formatter.write_usage = _dutch_usage(formatter.write_usage)
    if not getattr(rich_utils.rich_format_error, "_dutch", False):
        rich_utils.rich_format_error = _dutch_error(rich_utils.rich_format_error)


def _mark(function: Any) -> Any:
    function._dutch = True
    return function


def _dutch_help_option(original: Any) -> Any:
    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = HELP
        return option

    return _mark(get_help_option)


def _dutch_usage(original: Any) -> Any:
    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, dutch in USAGE_WORDS:
            args = args.replace(english, dutch)
        original(self, prog, args, USAGE if prefix is None else prefix)

    return _mark(write_usage)


def _dutch_error(original: Any) -> Any:
    def rich_format_error(error: Any) -> None:
        text = dutch_message(error)
        error.format_message = lambda: text
        original(error)

    return _mark(rich_format_error)


def dutch_message(error: Any) -> str:
    """A usage error in Dutch, by its kind; an unknown kind keeps its own text."""
    kind = type(error).__name__
    hint = _hint(error)
    if kind == "NoSuchOption":
        possible = getattr(error, "possibilities", None)
        also = f" (bedoel je {', '.join(sorted(possible))}?)" if possible else ""
        return f"Onbekende optie: {error.option_name}{also}"
    if kind == "MissingParameter":
        what = "argument" if getattr(error, "param_type", None) == "argument" else "optie"
        return f"Verplichte {what} {hint} ontbreekt."
    if kind == "BadParameter":
        return f"Ongeldige waarde voor {hint}: {_value_message(str(error.message))}"
    message = str(getattr(error, "message", ""))
    if match := _EXTRA.fullmatch(message):
        return f"Onverwacht extra argument: {match.group('what')}"
    if match := _NO_COMMAND.fullmatch(message):
        return f"Onbekende opdracht: {match.group('name')}"
    if message == "Missing command.":
        return "Geef een opdracht; zie --help."
    return error.format_message()


def _hint(error: Any) -> str:
    param = getattr(error, "param", None)
    hint = getattr(error, "param_hint", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    return str(hint or "")


def _value_message(message: str) -> str:
    if match := _NOT_ONE_OF.fullmatch(message):
        choices = match.group("choices").replace(", ", ", ")
        return f"{match.group('value')} is geen mogelijke keuze; kies uit {choices}"
    for english, dutch in VALUE_MESSAGES:
        if message.startswith(english):
            rest = message[len(english) :].strip().rstrip(".")
            return dutch.format(rest.replace(" or ", " of ")) if "{}" in dutch else dutch
    return message
