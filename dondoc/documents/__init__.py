"""Every document people receive or fill in, in one place: the báo cáo (the annual review's sơ kết
and the periodic reports on a quarter, half year or year) in the form of Decree 30/2020/NĐ-CP, as
.docx, .xlsx and .md; the XLSX template an agency fills in for its review; the overdue exports.

- report_content.py: what a báo cáo says, read from the database once (plain data)
- bao_cao.py: that content laid out as a document (docx in the Decree 30 form, xlsx, md)
- review_template.py: the review's XLSX template, and reading a submission (JSON, YAML, XLSX)
- files.py: writing a file whole (temporary name, then rename)
"""
