from flask import g

from ...htmx import render
from ...services.operator_home import today_figures
from . import bp


@bp.route("/")
def home():
    return render("operator/home.html", figures=today_figures(g.company))
