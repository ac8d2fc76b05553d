"""What the command line and the pages call the stored words (an outbox status, an email's kind, a
focal role, a review channel, an agency's kind, a task's timing, who made a change), in Vietnamese and
English. A value with no label shows as it is stored. Plain data: the CLI imports it without the web app
(dondoc/web/labels.py gives it to the templates).
"""

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {  # models.outbox.MessageStatus
        "queued": ("chờ gửi", "queued"), "sending": ("đang gửi", "sending"), "sent": ("đã gửi", "sent"),
        "failed": ("gửi lỗi", "failed"),
    },
    "kind": {  # the outbox's kinds of email (notifications/templates/)
        "daily": ("nhắc việc hằng ngày", "daily reminder"), "signin": ("liên kết đăng nhập", "sign-in link"),
        "review_request": ("đề nghị báo cáo sơ kết", "review request"),
        "review_chaser": ("nhắc nộp báo cáo sơ kết", "review chaser"),
        "review_missing": ("danh sách chưa nộp sơ kết", "review: who has not reported"),
        "reply_confirmation": ("xác nhận thư trả lời", "reply confirmation"),
        "address_dead": ("báo địa chỉ thư không nhận", "dead address notice"),
        "reassignment": ("điều chuyển nhiệm vụ", "duty reassigned"),
        "task_work": ("gia hạn, trả lại, giải trình", "extension, return or explanation"),
    },
    "outcome": {  # models.outbox.DeliveryAttempt.outcome
        "sent": ("đã gửi", "sent"), "temporary": ("lỗi tạm thời, sẽ gửi lại", "temporary failure, will retry"),
        "failed": ("lỗi, không gửi lại", "failed, not retried"), "permanent": ("lỗi, không gửi lại", "failed, not retried"),
        "lost": ("mất kết nối giữa chừng", "lost mid-way"), "bounced": ("bị trả lại", "bounced"),
    },
    "role": {  # models.agency.FocalPoint.role
        "primary": ("đầu mối chính", "primary contact"), "deputy": ("cấp phó", "deputy"),
        "head": ("thủ trưởng", "head"),
    },
    "channel": {  # models.review.rules.Channel
        "web": ("trang web", "web form"), "cli": ("dòng lệnh", "command line"), "xlsx": ("tệp Excel", "Excel file"),
        "simulated": ("mô phỏng", "simulated"),
    },
    "agency_kind": {  # models.agency.AgencyKind
        "department": ("sở, ban, ngành", "department"), "district": ("huyện, thị xã", "district"),
        "alliance": ("Liên minh HTX", "cooperative alliance"), "steering_committee": ("ban chỉ đạo", "steering committee"),
        "other": ("khác", "other"),
    },
    "timing": {  # models.plan.Timing
        "one-off": ("một lần", "one-off"), "recurring": ("định kỳ", "recurring"),
        "ongoing": ("thường xuyên", "ongoing"), "undated": ("không ghi thời hạn", "undated"),
    },
    "occurrence_kind": {  # models.occurrence_values.OccurrenceKind
        "deadline": ("kỳ hạn", "deadline"), "checkin": ("báo cáo hằng năm", "yearly check-in"),
        "final": ("mốc cuối", "final date"), "withdrawn": ("đã rút khỏi lịch", "withdrawn"),
    },
    "progress": {  # models.occurrence_values.Progress
        "open": ("chưa hoàn thành", "open"), "in_progress": ("đang thực hiện", "in progress"),
        "done": ("đã hoàn thành", "done"),
    },
    "field": {  # the audit's field names (a task's and an occurrence's history)
        "created": ("tạo", "created"), "progress": ("tiến độ", "progress"), "completed_on": ("ngày hoàn thành", "completed on"),
        "progress_percent": ("phần trăm", "percent"), "note": ("ghi chú", "note"), "due_date": ("hạn", "due date"),
        "original_due": ("hạn theo Kế hoạch", "plan's due date"), "lead_agency": ("chủ trì", "lead agency"),
        "coordinators": ("phối hợp", "coordinating"), "retired": ("thôi theo dõi", "retired"),
    },
}


def label_of(group: str, value, lang: str = "vi") -> str:
    pair = LABELS.get(group, {}).get(str(value)) if value is not None else None
    if pair is None:
        return "" if value is None else str(value)
    return pair[1] if lang == "en" else pair[0]


def actor_of(actor: str | None, people: dict[str, str], lang: str = "vi") -> str:
    """How the history names who made a change, from the audit's actor:
    web:focal:EMAIL and web:staff:EMAIL -> the person's name and role; web:CODE -> the agency's review
    form; email:EMAIL -> a reply by email; cli:USER -> the command line; simulated:CODE, demo, ..."""
    en = lang == "en"
    if not actor:
        return ""
    kind, _, rest = actor.partition(":")
    if kind == "web" and rest.startswith(("focal:", "staff:")):
        role, _, email = rest.partition(":")
        name = people.get(email.lower(), email)
        if role == "focal":
            return f"{name} ({'focal point' if en else 'đầu mối của đơn vị'})"
        return f"{name} ({'Alliance staff' if en else 'cán bộ Liên minh HTX'})"
    if kind == "web" and rest:
        return f"{'Review form of' if en else 'Biểu mẫu sơ kết của'} {rest}"
    if kind == "email" and rest:
        name = people.get(rest.lower())
        said = f"{name} <{rest}>" if name else rest
        return f"{said} ({'by email' if en else 'trả lời qua email'})"
    if kind == "cli":
        return f"{'Command line' if en else 'Dòng lệnh'}{f' ({rest})' if rest else ''}"
    if kind == "simulated":
        return f"{'Simulation' if en else 'Mô phỏng'} ({rest})"
    if actor == "demo":
        return "Demo" if en else "Dữ liệu minh họa"
    return actor
