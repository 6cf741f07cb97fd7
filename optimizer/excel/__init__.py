"""Writing Excel files: the XlsxWriter helpers every written workbook uses, and atomic saving."""
