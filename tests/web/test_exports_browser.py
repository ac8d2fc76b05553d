"""The overdue list's downloads, taken in real Chromium as Alliance staff: an Excel file people can
filter (real dates, autofilter, frozen header, the focal point) and a CSV for Excel in Vietnamese."""
import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.web.test_browser import CHROMIUM, chromium, live  # noqa: F401  (fixtures)
from tests.web.test_words_and_errors import as_alice  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y chromium (.ci/run does)"),
]


def test_alice_downloads_the_overdue_list_as_excel_with_real_dates_a_filter_and_the_focal_points(live, as_alice):
    base, _ = live
    page = as_alice
    page.goto(f"{base}/overdue?agency=BA-BE")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "Đầu mối" and all("Hoàng Văn Nam <nam.hv@babe.example.org>" in r[-1] and "Carol Hoàng" in r[-1] for r in rows[1:])
    assert all(isinstance(r[4], datetime) for r in rows[1:]) and sheet["E2"].number_format == "DD/MM/YYYY"
    assert sheet.auto_filter.ref == f"A1:J{len(rows)}" and sheet.freeze_panes == "A2"
    with page.expect_download() as download:
        page.click("#export-csv-semicolon")
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith("\ufeffMã nhiệm vụ;Nhiệm vụ;Mục;".encode())
    assert raw.decode("utf-8-sig").splitlines()[1].count(";") >= 9
