"""Lianxin (连心): an open platform for Chinese medical communities."""

__version__ = "0.1.0"
