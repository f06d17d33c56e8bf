"""Which sites of its customer a portal principal sees: every one, or a contact's chosen
few. ``None`` stands for "every site"; an empty set for "none of them"."""

from sqlalchemy import false


def scoped_site_ids(principal) -> set[int] | None:
    """None when the principal sees every site of its customer, else its site ids."""
    if getattr(principal, "all_sites", True):
        return None
    return {site.id for site in principal.sites}


def site_condition(model, site_ids: set[int] | None):
    """The SQL condition keeping ``model`` rows to those sites, or None for no limit."""
    if site_ids is None:
        return None
    return model.site_id.in_(site_ids) if site_ids else false()


def limit_to_sites(query, model, site_ids: set[int] | None):
    condition = site_condition(model, site_ids)
    return query if condition is None else query.where(condition)
