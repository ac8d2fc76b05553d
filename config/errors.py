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


class Said(str):
    """A message that is not a refusal (a warning): as a str, the English; `vi` the same in Vietnamese,
    for the command line and pages to show the one their reader's language asks for (`in_language`)."""

    vi: str

    def __new__(cls, message: str, vi: str):
        said = super().__new__(cls, message)
        said.vi = vi
        return said

    def in_language(self, language: str) -> str:
        return self.vi if language == "vi" else str.__str__(self)


def in_language(text, language: str) -> str:
    """`text` in `language` when it is `Said` in both; as it is otherwise."""
    return text.in_language(language) if isinstance(text, Said) else str(text)


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


class Refusal(ValueError):
    """A validator's refusal of a value, in English and Vietnamese: pydantic keeps the exception in its
    error (`ctx["error"]`), where `validation_texts` finds the Vietnamese."""

    def __init__(self, message: str, *, vi: str):
        super().__init__(message)
        self.vi = vi


# pydantic's own refusals (by error type) in Vietnamese; {name} is from the error's ctx, {input} the value.
_PYDANTIC_VI = {
    "missing": "thiếu trường bắt buộc này",
    "extra_forbidden": "không có trường này (kiểm tra lỗi chính tả)",
    "string_type": "phải là chữ (văn bản)",
    "string_too_long": "dài quá {max_length} ký tự",
    "string_too_short": "cần ít nhất {min_length} ký tự",
    "string_pattern_mismatch": "'{input}' không đúng dạng yêu cầu",
    "int_type": "phải là số nguyên",
    "int_parsing": "'{input}' không phải số nguyên",
    "int_from_float": "'{input}' không phải số nguyên",
    "float_type": "phải là số",
    "float_parsing": "'{input}' không phải số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "'{input}' không phải true hay false",
    "date_type": "phải là ngày (YYYY-MM-DD, ví dụ 2016-01-15)",
    "date_parsing": "'{input}' không phải ngày hợp lệ (viết YYYY-MM-DD, ví dụ 2016-01-15)",
    "date_from_datetime_parsing": "'{input}' không phải ngày hợp lệ (viết YYYY-MM-DD, ví dụ 2016-01-15)",
    "date_from_datetime_inexact": "'{input}' có cả giờ: chỉ ghi ngày (YYYY-MM-DD)",
    "datetime_type": "phải là ngày giờ",
    "datetime_parsing": "'{input}' không phải ngày giờ hợp lệ",
    "datetime_from_date_parsing": "'{input}' không phải ngày giờ hợp lệ",
    "literal_error": "'{input}' không phải một trong các giá trị: {expected}",
    "enum": "'{input}' không phải một trong các giá trị: {expected}",
    "list_type": "phải là một danh sách",
    "tuple_type": "phải là một danh sách",
    "set_type": "phải là một danh sách",
    "dict_type": "phải là một ánh xạ (các cặp khóa: giá trị)",
    "model_type": "phải là một ánh xạ (các cặp khóa: giá trị)",
    "model_attributes_type": "phải là một ánh xạ (các cặp khóa: giá trị)",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "too_short": "cần ít nhất {min_length} mục",
    "too_long": "nhiều nhất {max_length} mục",
    "url_parsing": "'{input}' không phải URL hợp lệ",
    "url_scheme": "URL phải bắt đầu bằng {expected_schemes}",
    "json_invalid": "không phải JSON hợp lệ",
    "union_tag_invalid": "'{tag}' không phải một trong các giá trị: {expected_tags}",
    "union_tag_not_found": "thiếu trường '{discriminator}'",
    "frozen_field": "trường này không được sửa",
    "decimal_parsing": "'{input}' không phải số",
    "finite_number": "phải là một số hữu hạn",
}


def validation_texts(error: dict) -> tuple[str, str]:
    """One pydantic error (an item of `ValidationError.errors()`) as (English, Vietnamese): our
    validators' `Refusal` with its own Vietnamese, pydantic's own refusals from `_PYDANTIC_VI`."""
    english = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, Refusal):
        return str(cause), cause.vi
    template = _PYDANTIC_VI.get(error["type"])
    if template is None:  # a refusal we did not foresee: say which, with pydantic's words for the detail
        return english, f"giá trị không hợp lệ ({english})"
    shown = error.get("input")
    shown = shown if isinstance(shown, (str, int, float)) and len(str(shown)) <= 80 else "…"
    values = {key: value for key, value in ctx.items() if key != "error"}
    try:
        return english, template.format(input=shown, **values)
    except (KeyError, IndexError):
        return english, template.split(":")[0]


def validation_refusal(error: dict, **where) -> InputError:
    """The refusal of one pydantic error, in both languages, at `where` (path, line, field)."""
    english, vietnamese = validation_texts(error)
    return InputError(english, vi=vietnamese, **where)
