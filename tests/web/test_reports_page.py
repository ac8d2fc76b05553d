"""The periodic reports page for Alliance staff."""
import io

from docx import Document


def test_staff_download_a_periodic_report_from_the_reports_page(alice):
    assert 'value="2015-Q4"' in alice.get("/reports").text
    response = alice.get("/reports/download?period=2015-Q4&format=docx")
    assert response.status_code == 200 and "wordprocessingml" in response.headers["content-type"]
    doc = Document(io.BytesIO(response.content))
    assert any(p.text.endswith("quý IV/2015") for p in doc.paragraphs)
    assert alice.get("/reports/download?period=2015-Q9").status_code == 422
