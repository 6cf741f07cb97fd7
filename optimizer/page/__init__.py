"""The plan page (SPEC.md section 8): a plan or scenarios workbook as one self-contained HTML file."""
