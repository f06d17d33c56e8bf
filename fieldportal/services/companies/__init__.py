"""Companies as the installation sees them: sign-up and creation (``signup``), countries
and what they propose (``countries``), set-up links (``links``). What a plan includes is
``models.company.Plan``; the platform admins' view of every company and their actions
(plans, suspension) are ``services/platform``."""
