"""Refuse NUL bytes in operator input with a clear 400 (PostgreSQL cannot store them)."""

from flask import abort, request

from . import bp


@bp.before_request
def refuse_nul_bytes():
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description="The form contained a character that is not allowed (NUL).")
