"""Bringing records in from spreadsheets: customers, sites, vehicles and assets."""
