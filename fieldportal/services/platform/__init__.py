"""The installation's own administration (``/platform``): every company as the
installation sees it, with plans and suspension (``companies``), and the platform audit
trail (``audit``). Nothing here belongs to a company."""
