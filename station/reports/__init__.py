"""Reports: the tables the tallies produce, their labels, formats and published form.

`table` is the shape (ReportTable); `labels` and `words` name things in French or
English; `publish` hides small cells; `text`, `xlsx` and `charts` write the formats.
"""
