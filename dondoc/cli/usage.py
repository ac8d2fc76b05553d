"""Click's own refusals (a wrong option, a missing argument, an unknown command) in Vietnamese.

typer (0.29) carries its own copy of click, `typer._click`, whose messages are plain English f-strings,
not gettext calls (only two of typer's own strings still go through gettext): a gettext catalogue
would reach almost none of them. So `dondoc.cli.main`, the one place a usage error is shown, says it
here from the exception's own parts (its class, the option's name, the parameter), which are stable,
and in English as click says it. Imported only when a usage error is shown.
"""
import re

from config.errors import did_you_mean, validation_texts

# Plain UsageError messages click builds (by their English), in Vietnamese.
_PLAIN = [
    (re.compile(r"^No such command '(?P<name>.*)'\.$", re.S), "không có lệnh '{name}'."),
    (re.compile(r"^Missing command\.$"), "thiếu lệnh con: chọn một lệnh trong danh sách của --help."),
    (re.compile(r"^Got unexpected extra argument\(s\) \((?P<extra>.*)\)$", re.S), "thừa đối số ({extra})."),
    (re.compile(r"^Option '(?P<name>.*)' does not take a value\.$", re.S), "tùy chọn '{name}' không nhận giá trị."),
    (re.compile(r"^Option '(?P<name>.*)' requires an argument\.$", re.S), "tùy chọn '{name}' cần một giá trị."),
    (re.compile(r"^Option '(?P<name>.*)' requires (?P<count>\d+) arguments\.$", re.S),
     "tùy chọn '{name}' cần {count} giá trị."),
    (re.compile(r"^Argument '(?P<name>.*)' takes (?P<count>\d+) values\.$", re.S), "đối số '{name}' cần {count} giá trị."),
]
# The reasons typer gives for a bad value (after "Invalid value for X: "), in Vietnamese.
_REASONS = [
    (re.compile(r"^(?P<value>.*) is not one of (?P<choices>.*)\.$", re.S), "{value} không phải một trong {choices}"),
    (re.compile(r"^Value (?P<value>.*) is not a valid (?P<kind>.*)\.$", re.S), "{value} không hợp lệ"),
    (re.compile(r"^(?:File|Directory|Path) (?P<place>.*) does not exist\.$", re.S), "{place} không tồn tại"),
    (re.compile(r"^(?:File|Directory|Path) (?P<place>.*) is a file\.$", re.S), "{place} là một tệp, không phải thư mục"),
    (re.compile(r"^(?:File|Directory|Path) (?P<place>.*) is a directory\.$", re.S), "{place} là một thư mục, không phải tệp"),
    (re.compile(r"^(?:File|Directory|Path) (?P<place>.*) is not readable\.$", re.S), "không đọc được {place}"),
    (re.compile(r"^(?:File|Directory|Path) (?P<place>.*) is not writable\.$", re.S), "không ghi được {place}"),
]


def usage_message(exc, language: str) -> str:
    """The refusal `exc` (a click UsageError) in `language` ("vi" or "en"), without click's "Error: "."""
    if language != "vi":
        return exc.format_message()
    from typer._click import exceptions as click

    if isinstance(exc, click.NoSuchOption):
        name = exc.option_name
        known = sorted(exc.possibilities or [])
        if known:
            return f"không có tùy chọn {name} (các tùy chọn gần giống: {', '.join(known)})"
        options = [o for p in (exc.ctx.command.params if exc.ctx else []) for o in getattr(p, "opts", [])]
        return f"không có tùy chọn {name}{did_you_mean(name, options, 'vi')}"
    if isinstance(exc, click.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        what = {"option": "tùy chọn", "argument": "đối số", "parameter": "tham số"}.get(kind, kind)
        hint = _hint(exc)
        missing = f"thiếu {what} {hint}".rstrip() + "."
        choices = getattr(getattr(exc.param, "type_descriptor", None), "choices", None)
        if choices:
            missing += " Chọn một trong: " + ", ".join(str(getattr(c, "value", c)) for c in choices) + "."
        return missing
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc)
        reason = _reason(exc)
        return f"giá trị không hợp lệ cho {hint}: {reason}" if hint else f"giá trị không hợp lệ: {reason}"
    for pattern, vietnamese in _PLAIN:
        found = pattern.match(exc.message)
        if found:
            return vietnamese.format(**found.groupdict())
    return exc.message  # ours (LazyGroup's unknown command), said in the CLI's language already


def _hint(exc) -> str:
    """How click names the parameter: '--today', 'REF' (its own words, untranslated)."""
    hint = exc.param_hint if exc.param_hint is not None else (exc.param.get_error_hint() if exc.param else "")
    return " / ".join(hint) if isinstance(hint, (list, tuple)) else (hint or "")


def _reason(exc) -> str:
    """Why the value was refused: ours are in the CLI's language already; pydantic's (typer converts
    through it) and typer's own are said in Vietnamese."""
    cause = exc.__cause__  # typer converts values through pydantic: its ValidationError, when it refused
    error = cause.errors()[0] if type(cause).__name__ == "ValidationError" and cause.errors() else None
    reason = str(error["ctx"]["error"]) if error and error["type"] == "value_error" else exc.message
    for pattern, vietnamese in _REASONS:
        found = pattern.match(reason)
        if found:
            return vietnamese.format(**found.groupdict())
    return validation_texts(error)[1] if error else exc.message
