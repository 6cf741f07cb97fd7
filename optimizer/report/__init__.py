"""The plan workbook: every sheet, with live formulas a reviewer can follow."""
