"""Stakeholder reports: built from the pages' own query functions, rendered to HTML and Markdown,
and written on a shift schedule under `hypercare serve`."""
