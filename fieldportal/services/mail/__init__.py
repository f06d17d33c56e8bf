"""Email: composing (mailer), the outbox worker (delivery), secrets sealed at rest."""
