"""The error every bad input becomes: where (file, line, field) and what is wrong; and the one for a
service we need that is not there."""


class InputError(Exception):
    """`message` is for the command line (English); `vi`, where given, is the same in Vietnamese for
    the web pages focal points read."""

    def __init__(self, message: str, *, path=None, line: int | None = None, field: str | None = None,
                 vi: str | None = None):
        self.message = message
        self.vi = vi
        self.path = path
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path) if self.path else ""
        if self.line:
            where += f":{self.line}"
        prefix = f"{where}: " if where else ""
        field = f"{self.field}: " if self.field else ""
        return f"{prefix}{field}{self.message}"


class ServiceUnavailable(Exception):
    """A service the command needs did not start or answer (not the user's input: exit status 1)."""


def did_you_mean(value: str, choices) -> str:
    """" (did you mean X?)" for the closest of `choices` to a mistyped `value`, else ""."""
    import difflib
    choices = list(choices)
    by_upper = {c.upper(): c for c in choices}
    close = difflib.get_close_matches(value.upper(), list(by_upper), n=1, cutoff=0.6)
    return f" (did you mean {by_upper[close[0]]}?)" if close else ""
