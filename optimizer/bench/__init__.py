"""The benchmark matrix (``python -m optimizer.bench``): beside the pipeline, never imported by it."""
