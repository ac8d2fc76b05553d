"""The error every bad input becomes: where (file, line, field) and what is wrong; and the one for a
service we need that is not there."""


class InputError(Exception):
    """`message` is the English text, `vi`, where given, the same in Vietnamese: the web pages and the
    command line each show the one their reader's language asks for (`in_language`)."""

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

    def in_language(self, language: str) -> str:
        """The whole refusal (where, then what) in `language` ("vi" or "en"); English where no
        Vietnamese was written."""
        if language != "vi" or not self.vi:
            return str(self)
        return str(self).removesuffix(self.message) + self.vi


class ServiceUnavailable(Exception):
    """A service the command needs did not start or answer (not the user's input: exit status 1).
    `vi`, where given, is the message in Vietnamese (as InputError's)."""

    def __init__(self, message: str = "", *, vi: str | None = None):
        self.vi = vi
        super().__init__(message)

    def in_language(self, language: str) -> str:
        return self.vi if language == "vi" and self.vi else str(self)


def did_you_mean(value: str, choices, language: str = "en") -> str:
    """" (did you mean X?)" (en) or " (có phải X?)" (vi) for the closest of `choices` to a mistyped
    `value`, else ""."""
    import difflib
    choices = list(choices)
    by_upper = {c.upper(): c for c in choices}
    close = difflib.get_close_matches(value.upper(), list(by_upper), n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (có phải {by_upper[close[0]]}?)" if language == "vi" else f" (did you mean {by_upper[close[0]]}?)"


# The operating system's reasons a user most meets, in Vietnamese (by errno name); others stay as the system says.
_OS_REASONS_VI = {"ENOENT": "không có tệp hay thư mục này", "EACCES": "không có quyền truy cập",
                  "EISDIR": "là một thư mục, không phải tệp", "ENOTDIR": "không phải thư mục",
                  "ENOSPC": "ổ đĩa đã đầy", "EROFS": "ổ đĩa chỉ cho đọc", "EEXIST": "đã có rồi"}


def os_reason(exc: OSError, language: str = "en") -> str:
    """Why the system refused a file or folder, in `language` ("vi" or "en")."""
    import errno
    english = exc.strerror or str(exc)
    if language != "vi" or exc.errno is None:
        return english
    return _OS_REASONS_VI.get(errno.errorcode.get(exc.errno, ""), english)


def unreadable(exc: OSError, path) -> InputError:
    """The refusal of a file that cannot be opened, with the system's reason, in both languages."""
    return InputError(f"cannot read the file ({os_reason(exc)})", path=path,
                      vi=f"không đọc được tệp ({os_reason(exc, 'vi')})")
