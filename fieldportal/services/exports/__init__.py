"""Data going out: the operator lists as CSV (``lists``)."""
