"""Money owed and received, for staff who see money: the payments received (online and
recorded) and the A/R ageing report (what each customer owes, by days past due). Both
pages answer ``?format=csv`` with the whole list in its filter and order."""

from flask import g, request

from ... import csv_export
from ...htmx import render
from ...models import Capability
from ...services.billing import ageing, payment_list
from ...services.exports import lists as exports
from . import bp
from .access import require


@bp.get("/payments")
@require(Capability.SEE_MONEY)
def payment_index():
    query = payment_list.PaymentQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(exports.payments_list(g.company, query), g.company, request.args)
    return render(
        page="operator/payments/index.html",
        fragment="partials/operator/_payment_table.html",
        result=payment_list.payment_list(g.company, query),
        query=query,
        methods=payment_list.METHOD_FILTERS,
    )


@bp.get("/reports/ageing")
@require(Capability.SEE_MONEY)
def ar_ageing():
    query = ageing.AgeingQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(exports.ar_ageing(g.company, query), g.company, request.args)
    return render(
        page="operator/reports/ageing.html",
        fragment="partials/operator/_ageing_table.html",
        report=ageing.report(g.company, query),
        query=query,
    )
