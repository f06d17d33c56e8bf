"""The work itself: service requests, jobs, reports, calendar files."""
