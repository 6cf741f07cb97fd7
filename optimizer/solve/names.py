"""The solvers ``--solver`` and Settings accept, in a module that loads none of them: validating a
workbook must not import highspy or PuLP. HiGHS and CBC come with the package; the others run
through PuLP when installed with their licence (``optimizer.solve.backends.other``)."""

NATIVE = ("highs", "cbc")  # the LP-first exact method of optimizer.solve.driver
OTHER = {"gurobi": "gurobipy", "scip": "pyscipopt"}  # solver -> the package `pip install` needs
SOLVERS = (*NATIVE, *OTHER)
