"""From checked inputs to the program: every candidate partnership, and the matrix of SPEC.md section 2."""
