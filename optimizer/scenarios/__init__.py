"""Scenarios side by side (SPEC.md section 5): one workbook's variants, solved in parallel, compared.

``changes``: a scenario's changes made to the inputs; ``sweep``: ``--sweep`` into scenarios;
``solve``: the scenarios' plans, on local workers or a Dask cluster (``optimizer.parallel``);
``workbook``: the scenarios workbook and the folder of plans beside it, written atomically.
"""
