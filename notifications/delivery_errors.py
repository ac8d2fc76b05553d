"""Why a message was not delivered, as the IT officer reads it in the CLI's language.

The outbox keeps a failure as the transport said it (`notifications/transports.py`: an SMTP reply
"550 5.1.1 ...", "cannot open the SMTP connection to HOST:PORT: ...", "timeout: ...", Python's
exception name and text); `dondoc remind` and `dondoc outbox` show it through `explain`, which in
Vietnamese says what happened and what to check, the technical words kept in brackets for whoever
searches them. English shows it as it was recorded. Nothing here is imported until a failure is shown.
"""
import re

_SMTP_REPLY = re.compile(r"^(?P<code>[2-5]\d\d)\s*(?P<text>.*)$", re.S)
_CONNECT = re.compile(r"^cannot open the SMTP connection to (?P<server>\S+?): (?P<cause>.*)$", re.S)
_NOT_SENT = re.compile(r"^(?P<count>\d+) message\(s\) not sent: (?P<cause>.*)$", re.S)
_OUTBOX_FOLDER = re.compile(r"^cannot write the outbox folder (?P<folder>.+?): (?P<reason>.*)$", re.S)

SETTINGS_SERVER = "DONDOC_SMTP_HOST, DONDOC_SMTP_PORT"


def explain(error: str, language: str) -> str:
    """One recorded failure (a transport's error text) in `language`: as recorded in English; in
    Vietnamese what happened, then what to check."""
    if language != "vi" or not error:
        return error
    found = _NOT_SENT.match(error)
    if found:
        return f"{found['count']} thư chưa gửi được: {explain(found['cause'], 'vi')}"
    found = _CONNECT.match(error)
    if found:
        return f"không mở được kết nối SMTP tới {found['server']}: {_connection_failure(found['cause'], found['server'])}"
    found = _OUTBOX_FOLDER.match(error)
    if found:
        return (f"không ghi được vào thư mục outbox {found['folder']} ({found['reason']}): kiểm tra quyền ghi và "
                "dung lượng ổ đĩa của thư mục dữ liệu (DONDOC_DATA_DIR)")
    if error.startswith("bounced: "):
        return (f"thư đã bị trả lại ({error.removeprefix('bounced: ')}): máy chủ thư của người nhận báo không "
                "nhận được thư; thư không gửi lại; kiểm tra địa chỉ email của đầu mối trong danh bạ (dondoc people "
                "edit, dondoc bounced) hoặc hỏi cơ quan đó địa chỉ đúng")
    if error.startswith("malformed address: "):
        return (f"địa chỉ người nhận không hợp lệ: {error.removeprefix('malformed address: ')}: sửa địa chỉ của đầu "
                "mối này trong danh bạ (dondoc people edit)")
    return _message_failure(error)


def _smtp_reply(text: str):
    found = _SMTP_REPLY.match(text.strip())
    return (int(found["code"]), found["text"].strip()) if found else (None, text)


def _message_failure(error: str) -> str:
    """A failure while one message was being sent (the connection was open)."""
    code, text = _smtp_reply(error)
    if code is not None:
        detail = f"({code} {text})".replace(" )", ")")
        if 400 <= code < 500:
            return (f"máy chủ thư tạm thời chưa nhận thư {detail}: thư sẽ được gửi lại tự động; nếu lỗi kéo dài, "
                    "hỏi người quản trị máy chủ thư (hộp thư đầy, giới hạn số thư gửi, máy chủ quá tải)")
        if _about_the_recipient(code, text):
            return (f"máy chủ thư từ chối người nhận {detail}: thư không gửi lại; kiểm tra địa chỉ email của đầu "
                    "mối trong danh bạ (dondoc people edit) hoặc hỏi cơ quan đó địa chỉ đúng")
        return (f"máy chủ thư từ chối thư {detail}: thư không gửi lại; hỏi người quản trị máy chủ thư lý do "
                "(địa chỉ gửi DONDOC_MAIL_FROM có được phép gửi qua máy chủ này không, nội dung bị lọc)")
    return _broken_connection(error)


def _about_the_recipient(code: int, text: str) -> bool:
    """550/551/553 or an enhanced status 5.1.x: the mailbox, not the message."""
    return code in (550, 551, 553) and not re.match(r"5\.7\.", text) or bool(re.match(r"5\.1\.\d", text))


def _connection_failure(cause: str, server: str) -> str:
    """Why a connection to the mail server could not be opened, and what to check."""
    code, text = _smtp_reply(cause)
    if code in (530, 534, 535, 538):
        return (f"máy chủ không chấp nhận tên đăng nhập hoặc mật khẩu ({code} {text}): kiểm tra DONDOC_SMTP_USER "
                "và DONDOC_SMTP_PASSWORD (mật khẩu có đổi không, tài khoản có bị khóa không)")
    if code is not None:
        return (f"máy chủ trả lời lỗi khi bắt đầu phiên gửi ({code} {text}): hỏi người quản trị máy chủ thư; "
                f"kiểm tra {SETTINGS_SERVER} và DONDOC_SMTP_TLS")
    name, _, detail = cause.partition(": ")
    shown = f"({cause})"
    if name == "ConnectionRefusedError":
        return (f"máy chủ từ chối kết nối {shown}: không có dịch vụ thư nào nghe ở cổng này; kiểm tra "
                f"{SETTINGS_SERVER} và máy chủ thư có đang chạy, tường lửa có mở cổng không")
    if name == "gaierror" or "Name or service not known" in cause or "nodename nor servname" in cause:
        host = server.rsplit(":", 1)[0]
        return (f"không tìm thấy máy chủ tên {host} {shown}: kiểm tra DONDOC_SMTP_HOST (viết đúng tên chưa) và "
                "DNS của máy này")
    if cause.startswith("timeout") or name in ("TimeoutError", "socket.timeout"):
        return (f"máy chủ không trả lời trong thời gian chờ {shown}: kiểm tra {SETTINGS_SERVER}, đường mạng và "
                "tường lửa tới máy chủ thư; có thể tăng DONDOC_SMTP_TIMEOUT_SECONDS")
    if "CERTIFICATE_VERIFY_FAILED" in cause or name == "SSLCertVerificationError":
        return (f"không tin được chứng chỉ TLS của máy chủ {shown}: kiểm tra DONDOC_SMTP_CA_FILE (chứng chỉ của "
                "nơi cấp cho máy chủ thư) và tên máy chủ trong DONDOC_SMTP_HOST có đúng tên ghi trên chứng chỉ")
    if name.startswith("SSL") or "SSL" in detail:
        return (f"không thiết lập được kết nối TLS {shown}: kiểm tra DONDOC_SMTP_TLS (starttls, ssl hoặc none) "
                "có khớp với cổng của máy chủ (thường 587: starttls, 465: ssl)")
    if name == "SMTPNotSupportedError":
        return (f"máy chủ không hỗ trợ điều được yêu cầu {shown}: kiểm tra DONDOC_SMTP_TLS (máy chủ không có "
                "STARTTLS?) và DONDOC_SMTP_USER (máy chủ không cho đăng nhập?)")
    if name == "UnicodeEncodeError":
        return (f"tên đăng nhập hoặc mật khẩu có ký tự ngoài ASCII {shown}: SMTP chỉ đăng nhập bằng ASCII; kiểm "
                "tra DONDOC_SMTP_USER và DONDOC_SMTP_PASSWORD")
    if name in ("OSError", "ConnectionResetError", "ConnectionAbortedError", "SMTPServerDisconnected",
                "SMTPConnectError", "BrokenPipeError"):
        return (f"kết nối tới máy chủ thư bị lỗi {shown}: kiểm tra {SETTINGS_SERVER}, đường mạng và máy chủ "
                "thư có đang chạy")
    return f"lỗi {shown}: kiểm tra {SETTINGS_SERVER}, DONDOC_SMTP_TLS và máy chủ thư có đang chạy"


# What the transport records when the connection broke while a message was on its way
# (notifications/transports.py `_describe`: the exception's name, then its text).
_BROKEN = ("SMTPServerDisconnected", "ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError", "OSError")


def _broken_connection(error: str) -> str:
    """The connection broke or fell silent while a message was on its way: it is sent again. Any other
    text is shown as recorded, with no cause guessed for it (a wrong cause misleads more than none)."""
    if error.startswith("timeout"):
        return (f"máy chủ thư ngừng trả lời giữa chừng ({error}): thư sẽ được gửi lại; nếu lặp lại, kiểm tra "
                "đường mạng tới máy chủ thư hoặc tăng DONDOC_SMTP_TIMEOUT_SECONDS")
    if error.partition(":")[0] in _BROKEN:
        return (f"kết nối tới máy chủ thư bị ngắt giữa chừng ({error}): thư sẽ được gửi lại; nếu lặp lại, hỏi "
                "người quản trị máy chủ thư")
    return f"gửi không thành công ({error})"


def explain_line(line: str, language: str) -> str:
    """A line of a delivery report ("RECIPIENT: ERROR", or "N message(s) not sent: ERROR") in `language`."""
    recipient, separator, error = line.partition(": ")
    if separator and "@" in recipient and " " not in recipient:
        return f"{recipient}: {explain(error, language)}"
    return explain(line, language)
