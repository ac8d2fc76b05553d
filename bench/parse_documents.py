"""How long reading a long plan takes, as provinces publish it: .txt, .docx and the PDF LibreOffice
prints from the .docx. The target: a 100-page plan parses in under 5 s.

    .venv/bin/python bench/parse_documents.py [--runs N] [--sections S] [--rows R]

The plan is tests/plan_documents.py's, made longer: S more numbered sections of six duties in the
body and R more rows in the annex table (defaults: 64 and 190, 102 pages as a PDF). Each
format is read and parsed N times (default 3); the median is reported, with the page count.
Needs LibreOffice (soffice) for the PDF.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.files import read_agency_file  # noqa: E402
from config.policy import read_policy  # noqa: E402
from models.plan_parser import parse_plan, read_document  # noqa: E402
from tests.plan_documents import write_docx, write_pdf, write_txt  # noqa: E402

TARGET_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sections", type=int, default=64)
    parser.add_argument("--rows", type=int, default=190)
    args = parser.parse_args()
    directory = read_agency_file(ROOT / "config" / "agencies.yaml")
    policy = read_policy(ROOT / "config" / "policy.yaml")
    sizes = dict(extra_sections=args.sections, extra_rows=args.rows)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pdf = write_pdf(folder / "ke-hoach.pdf", **sizes)
        files = [write_txt(folder / "ke-hoach.txt", **sizes), folder / "ke-hoach.docx", pdf]
        import pypdfium2
        pages = len(pypdfium2.PdfDocument(str(pdf)))
        print(f"plan: {pages} pages as a PDF (LibreOffice), {args.sections} extra sections, {args.rows} extra annex rows")
        print(f"{'format':8} {'tasks':>6} {'read s':>8} {'parse s':>8} {'total s':>8}  target < {TARGET_SECONDS:.0f} s")
        for path in files:
            raw = path.read_bytes()
            reads, parses, tasks = [], [], 0
            for _ in range(args.runs):
                started = time.perf_counter()
                document = read_document(raw, path)
                read_at = time.perf_counter()
                plan = parse_plan(document, directory, policy)
                reads.append(read_at - started)
                parses.append(time.perf_counter() - read_at)
                tasks = len(plan.tasks)
            read, parse = statistics.median(reads), statistics.median(parses)
            verdict = "met" if read + parse < TARGET_SECONDS else "MISSED"
            print(f"{path.suffix[1:]:8} {tasks:>6} {read:>8.2f} {parse:>8.2f} {read + parse:>8.2f}  {verdict}")


if __name__ == "__main__":
    main()
