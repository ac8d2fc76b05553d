"""The compiled report's .docx tables are filled without python-docx's per-cell API (for speed);
they must come out exactly as that API writes them."""
from docx import Document

from dondoc.review_files import _fill_rows

ROWS = [["3.1.1", "Tuyên truyền Luật Hợp tác xã năm 2012", "30/06/2015", "Hoàn thành", "100%", ""],
        ["3.3.2", "Dòng một\nDòng hai", "31/12/2016", "Đang thực hiện", "50%", "Kết quả:\tđã có  "],
        ["", " khoảng trắng ở đầu", "", "", "", "\r\ncuối"]]


def _table_xml(fill) -> str:
    doc = Document()
    grid = doc.add_table(rows=2, cols=len(ROWS[0]))
    grid.style = "Table Grid"
    fill(grid)
    return grid._tbl.xml


def _through_cell_text(grid) -> None:
    grid._tbl.remove(grid.rows[1]._tr)
    for values in ROWS:
        for cell, value in zip(grid.add_row().cells, values):
            cell.text = value


def test_report_table_rows_are_the_xml_python_docx_writes_for_cell_text():
    assert _table_xml(lambda grid: _fill_rows(grid, ROWS)) == _table_xml(_through_cell_text)


def test_report_table_cells_read_back_with_their_line_breaks_and_tabs():
    doc = Document()
    grid = doc.add_table(rows=2, cols=len(ROWS[0]))
    _fill_rows(grid, ROWS)
    assert [[cell.text for cell in row.cells] for row in grid.rows[1:]] == [
        [v.replace("\r", "\n") for v in row] for row in ROWS]
