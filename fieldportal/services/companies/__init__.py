"""Companies as the installation sees them: sign-up and creation (``signup``), countries
and what they propose (``countries``), plans (``plans``), the platform admins' view and
actions (``platform``), and the onboarding checklist (``onboarding``)."""
