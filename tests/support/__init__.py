"""Helpers the tests share: random small instances written as real workbooks, and the exhaustive reference."""
