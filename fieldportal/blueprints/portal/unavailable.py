"""The branded page every portal URL answers while the company's portal is switched off."""

from flask import g, render_template


def portal_unavailable_response():
    return render_template("portal/unavailable.html", company=g.company), 503
