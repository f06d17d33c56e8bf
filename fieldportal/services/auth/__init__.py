"""Staff and contact sign-in: sessions, passwords, tokens, throttles."""
