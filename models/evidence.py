"""Evidence (sản phẩm): files that go with a completion or a progress note.

The type is read from the content, never from the name (`sniff`): PDF, PNG, JPEG, GIF, WebP, and
Office files, which are zip packages: a DOCX has [Content_Types].xml declaring a wordprocessingml
document and word/document.xml; an XLSX a spreadsheetml workbook and xl/workbook.xml. Each file is at
most DONDOC_ATTACHMENT_MAX_BYTES. Files are kept under <data folder>/evidence, named by their SHA-256
(the same content is stored once), and only ever served as downloads (dondoc/web/attachments.py).

Nothing is stored on refusal: every file is checked before anything is written, the rows are in the
caller's transaction, and a file this call wrote is removed again if that transaction rolls back.
"""
import hashlib
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Column, event
from sqlmodel import Field, Session, SQLModel, select
import models.schema  # noqa: F401,E402  (every table loaded before the ORM's first query)

from config.errors import InputError
from models.audit import record
from models.numbers import number
from models.occurrence import Occurrence
from models.plan import Task, TaskCoordinator
from models.types import UtcDateTime
from models.updates import check_note, find_task, pick_occurrence

MAX_FILES = 10  # at once


class EvidenceFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    occurrence_id: int | None = Field(default=None, foreign_key="occurrence.id", index=True)
    # The agency it was filed for (the occurrence's credited agency when uploaded).
    agency_id: int = Field(foreign_key="agency.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=100)
    filename: str = Field(max_length=200)  # as the person named it, cleaned; the extension is the content's
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


@dataclass(frozen=True)
class Kind:
    media_type: str
    extension: str
    label: str


PDF = Kind("application/pdf", "pdf", "PDF")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word (DOCX)")
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel (XLSX)")
PNG, JPEG = Kind("image/png", "png", "PNG"), Kind("image/jpeg", "jpg", "JPEG")
GIF, WEBP = Kind("image/gif", "gif", "GIF"), Kind("image/webp", "webp", "WebP")
KINDS = (PDF, DOCX, XLSX, PNG, JPEG, GIF, WEBP)
ACCEPTED = "PDF, DOCX, XLSX, PNG, JPEG, GIF, WebP"


def _office_kind(raw: bytes) -> Kind | None:
    try:
        package = zipfile.ZipFile(io.BytesIO(raw))
        names = set(package.namelist())
        info = package.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
        if info is None or info.file_size > 1_000_000:
            return None
        types = package.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError, EOFError, ValueError):
        return None
    if "word/document.xml" in names and "wordprocessingml.document.main+xml" in types:
        return DOCX
    if "xl/workbook.xml" in names and "spreadsheetml.sheet.main+xml" in types:
        return XLSX
    return None


def sniff(raw: bytes) -> Kind | None:
    """What a file is, by its first bytes (and, for a zip, the package's parts); None: not accepted."""
    if raw.startswith(b"%PDF-"):
        return PDF
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if raw.startswith(b"\xff\xd8\xff"):
        return JPEG
    if raw[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return WEBP
    if raw.startswith(b"PK\x03\x04"):
        return _office_kind(raw)
    return None


def clean_name(name: str, kind: Kind) -> str:
    """The name shown and offered on download: the person's stem (no folders, no control characters,
    at most 150 characters) with the extension of what the file really is."""
    stem = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", stem).strip(" .")
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{(stem or 'tep')[:150]}.{kind.extension}"


def checked(files: list[tuple[str, bytes]], *, max_bytes: int) -> list[tuple[str, bytes, Kind]]:
    """Every file's kind, or an InputError naming the file and what is wrong (nothing written yet)."""
    if len(files) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} files at once", field="files", vi=f"Tối đa {MAX_FILES} tệp mỗi lần")
    found = []
    for name, raw in files:
        shown = (name or "?")[:150]
        if len(raw) > max_bytes:
            raise InputError(f"{shown}: larger than the {max_bytes / 1_000_000:g} MB limit per file", field="files",
                             vi=f"{shown}: vượt quá giới hạn {f'{max_bytes / 1_000_000:g}'.replace('.', ',')} MB mỗi tệp; "
                                f"không có gì được lưu")
        if not raw:
            raise InputError(f"{shown}: the file is empty", field="files", vi=f"{shown}: tệp rỗng")
        kind = sniff(raw)
        if kind is None:
            raise InputError(f"{shown}: not an accepted file type (by its content); accepted: {ACCEPTED}", field="files",
                             vi=f"{shown}: không phải loại tệp được chấp nhận (xét theo nội dung); chấp nhận: {ACCEPTED}")
        found.append((name, raw, kind))
    return found


def stored_path(data_dir: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256")
    return Path(data_dir) / "evidence" / sha256[:2] / sha256


def _write(data_dir: Path, sha256: str, raw: bytes) -> Path | None:
    """Write the content under its hash (write then rename); the path when this call created it."""
    path = stored_path(data_dir, sha256)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{sha256}.{os.getpid()}.tmp")
    temporary.write_bytes(raw)
    os.replace(temporary, path)
    return path


def _remove_on_rollback(session: Session, written: list[Path]) -> None:
    """The files this call wrote go again if the transaction rolls back; once it commits they stay."""
    def forget(_session, *_args) -> None:
        for path in written:
            path.unlink(missing_ok=True)
        written.clear()

    event.listen(session, "after_rollback", forget)
    event.listen(session, "after_commit", lambda _session: written.clear())


def attach(session: Session, *, occurrence: Occurrence, task: Task, agency_id: int, files: list[tuple[str, bytes]],
           data_dir: Path, max_bytes: int, at: datetime, actor: str, note: str | None = None) -> list[EvidenceFile]:
    """File `files` with an occurrence, in the caller's transaction (and in the audit)."""
    accepted = checked(files, max_bytes=max_bytes)
    rows, written = [], []
    _remove_on_rollback(session, written)
    for name, raw, kind in accepted:
        digest = hashlib.sha256(raw).hexdigest()
        path = _write(data_dir, digest, raw)
        if path is not None:
            written.append(path)
        row = EvidenceFile(task_id=task.id, occurrence_id=occurrence.id, agency_id=agency_id, sha256=digest,
                           size=len(raw), media_type=kind.media_type, filename=clean_name(name, kind), actor=actor, at=at)
        session.add(row)
        session.flush()
        record(session, at=at, actor=actor, entity="occurrence", entity_id=occurrence.id, ref=task.ref,
               field="evidence", new=f"{row.filename} ({kind.label}, {number(len(raw))} B, sha256 {digest[:12]})",
               note=note)
        rows.append(row)
    return rows


def attach_to(session: Session, *, ref: str, due: date | None, files: list[tuple[str, bytes]], data_dir: Path,
              max_bytes: int, at: datetime, actor: str, note: str | None = None,
              plan_code: str | None = None) -> list[EvidenceFile]:
    """The use case `dondoc task attach` and the task page share: files for one occurrence of a duty."""
    from models.reassignment import credited_agency
    check_note(note)
    if not files:
        raise InputError("no file given", field="files", vi="Chưa chọn tệp")
    task = find_task(session, ref=ref, plan_code=plan_code)
    occ = pick_occurrence(session, task=task, due=due) if due else _latest(session, task)
    return attach(session, occurrence=occ, task=task, agency_id=credited_agency(occ.held_by_agency_id, task.lead_agency_id),
                  files=files, data_dir=data_dir, max_bytes=max_bytes, at=at, actor=actor, note=note)


def _latest(session: Session, task: Task) -> Occurrence:
    from models.occurrence import OccurrenceKind, Progress
    base = select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.kind != OccurrenceKind.WITHDRAWN)
    occ = session.exec(base.where(Occurrence.progress != Progress.DONE).order_by(Occurrence.due_date)).first()
    occ = occ or session.exec(base.order_by(Occurrence.due_date.desc())).first()
    if occ is None:
        raise InputError(f"{task.ref} has no occurrence to file evidence with", field="ref",
                         vi=f"Nhiệm vụ {task.ref} không có kỳ hạn nào để gắn tệp")
    return occ


def files_of(session: Session, task_id: int) -> list[EvidenceFile]:
    return list(session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task_id).order_by(EvidenceFile.id)))


def may_read(*, is_staff: bool, agency_ids, evidence: EvidenceFile, task: Task, coordinator_ids) -> bool:
    """Staff; the agency it was filed for; the duty's lead now; its coordinating agencies. Nobody else."""
    if is_staff:
        return True
    mine = set(agency_ids)
    return bool(mine & ({evidence.agency_id, task.lead_agency_id} | set(coordinator_ids)))


def coordinator_ids(session: Session, task_id: int) -> set[int]:
    return set(session.exec(select(TaskCoordinator.agency_id).where(TaskCoordinator.task_id == task_id)))
