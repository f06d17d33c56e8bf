"""Reading the CSV files the app writes."""

import csv
import io


def read_csv(response) -> list[dict]:
    """The rows of a CSV download, as dictionaries keyed by the heading row."""
    text = response.get_data().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
