"""Validators shared by the forms of every blueprint."""

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange

from ..query_args import MAX_DATABASE_ID, MAX_PAGE

DATABASE_ID = NumberRange(min=1, max=MAX_DATABASE_ID, message="Choose one from the list.")
PAGE_NUMBER = NumberRange(min=1, max=MAX_PAGE, message="No such page.")


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """A select's options from (value, label) pairs, as WTForms wants them (SelectChoice:
    plain tuples are deprecated in WTForms 3.3 and go in 3.4)."""
    return [SelectChoice(value, label) for value, label in pairs]


def option_values(field) -> set:
    """The values a select offers, whichever form its options were given in."""
    return {choice.value for choice in field._choices_from_input(field.choices) or []}
