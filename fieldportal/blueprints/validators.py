"""Validators shared by the forms of every blueprint."""

from wtforms.validators import NumberRange

from ..query_args import MAX_DATABASE_ID, MAX_PAGE

DATABASE_ID = NumberRange(min=1, max=MAX_DATABASE_ID, message="Choose one from the list.")
PAGE_NUMBER = NumberRange(min=1, max=MAX_PAGE, message="No such page.")
