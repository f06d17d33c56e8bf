"""The operator home page: today's figures for the signed-in staff's company."""

from flask import g

from ...htmx import render
from ...services import operator_home
from . import bp


@bp.get("/")
def home():
    return render("operator/home.html", figures=operator_home.today_figures(g.company))
