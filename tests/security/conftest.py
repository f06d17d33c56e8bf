"""Fixtures for the security walks: the small demo data set (two companies, every kind of
object) and its people."""

import pytest
from sqlalchemy import select

from fieldportal.demo_data import build_demo_data
from fieldportal.models import Company


@pytest.fixture
def demo(db):
    """(acme, northwind): two companies of the small demo data set."""
    build_demo_data(scale="small", seed=2, echo=lambda *_: None)
    acme = db.session.scalar(select(Company).where(Company.slug == "acme"))
    northwind = db.session.scalar(select(Company).where(Company.slug == "northwind"))
    return acme, northwind


@pytest.fixture(autouse=True)
def _pdf_cache_in_tmp(app, monkeypatch, tmp_path):
    """PDFs the walks render are cached in the test's own folder."""
    monkeypatch.setitem(app.config, "PDF_CACHE_FOLDER", str(tmp_path / "pdf-cache"))
