"""Absensi warehouse: attendance data for Indonesian regional governments."""

__version__ = "0.1.0"
