"""The input workbook: its declared sheets, reading and checking it, and the blank template."""
