"""The customer portal: sign-in, site scope, dashboard, records, billing, access."""
