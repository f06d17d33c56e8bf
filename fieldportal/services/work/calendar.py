"""iCalendar (.ics) events for upcoming jobs ("Add to calendar")."""

from datetime import UTC

from ...models import Company, Job, utcnow


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r", "")
        .replace("\n", "\\n")
    )


def _stamp(value) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def job_event(company: Company, job: Job) -> str:
    """One VEVENT in a VCALENDAR for the job's booking window (times in UTC)."""
    end = job.window_end or job.window_start
    location = job.site.one_line_address if job.site else ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fieldportal//portal//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:job-{job.id}@{company.slug}.fieldportal",
        f"DTSTAMP:{_stamp(utcnow())}",
        f"DTSTART:{_stamp(job.window_start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_escape(f'{company.name}: {job.title}')}",
        f"DESCRIPTION:{_escape(job.description or '')}",
        f"LOCATION:{_escape(location)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
