"""Shared-services optimiser for UK councils: workbook in, provably optimal sharing plan out."""

__version__ = "0.1.0"
