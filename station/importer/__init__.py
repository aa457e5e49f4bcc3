"""Importing people from a spreadsheet's CSV export: read, map, preview, then apply.

`preview.preview` reads the file (reading), maps its columns (mapping), checks each row
(rows, values) and sorts the people into new, already there, and problem rows
(existing); nothing is written until `apply.apply` creates the new ones in the
caller's transaction. The console keeps the uploaded file between the two steps in
the database (batches); the command line reads it again.
"""
