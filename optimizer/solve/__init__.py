"""Solving the model's aims in turn, and proving what was found (``driver`` is the entry point)."""
