"""Flask commands: demo-data, create-staff, create-company, owner-link,
create-platform-admin, platform-admin-link, outbox deliver, tasks work, quotes expire."""

import os

import click
from flask import Flask
from sqlalchemy import func, select

from .extensions import db


@click.command("demo-data")
@click.option(
    "--scale", type=click.Choice(["small", "large", "xl"]), default="small", show_default=True
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the database already has companies."
)
def demo_data_command(scale: str, seed: int, if_empty: bool) -> None:
    """Load realistic, deterministic demo data for two companies."""
    from .demo_data import DEMO_CREDENTIALS_TEXT, build_demo_data
    from .models import Company

    if if_empty and db.session.scalar(select(func.count(Company.id))):
        click.echo("The database already has data; demo data not loaded.")
        return
    summary = build_demo_data(scale=scale, seed=seed, echo=click.echo)
    click.echo(summary)
    click.echo(DEMO_CREDENTIALS_TEXT)


class CommandRefused(click.ClickException):
    """A command refused its input: the message says why, and the exit code is 2."""

    exit_code = 2


def _refusal(error) -> CommandRefused:
    lines = [
        f"--{field.replace('_', '-')}: {' '.join(messages)}"
        for field, messages in error.errors.items()
    ]
    return CommandRefused("\n".join(lines) or error.message)


@click.command("create-staff")
@click.option("--company", "company_slug", required=True, help="The company's slug.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["owner", "dispatcher", "technician"]), default="owner")
@click.password_option()
def create_staff_command(
    company_slug: str, email: str, name: str, role: str, password: str
) -> None:
    """Create a staff user for a company (the settings page's rules: a strong password,
    an email no other staff account uses)."""
    from .models import StaffRole
    from .services import settings, tenancy
    from .services.errors import RuleError
    from .transaction import unit_of_work

    company = tenancy.company_by_slug(company_slug)
    if company is None:
        raise CommandRefused(f"--company: no company with the slug {company_slug!r}.")
    try:
        with unit_of_work():
            settings.create_staff(
                company,
                by=None,
                name=name,
                email=email.strip(),
                role=StaffRole(role),
                password=password,
            )
    except RuleError as error:
        raise _refusal(error) from None
    click.echo(f"Created {role} {email.strip().lower()} at {company.name}.")


@click.group("quotes")
def quotes_group() -> None:
    """Quote housekeeping."""


@quotes_group.command("expire")
def quotes_expire_command() -> None:
    """Store 'expired' on sent quotes past their validity date (pages already show them
    expired by date; this keeps the stored status and filters in step, e.g. nightly)."""
    from .services.billing.quotes import expire_all_overdue_quotes
    from .transaction import unit_of_work

    with unit_of_work():
        count = expire_all_overdue_quotes()
    click.echo(f"{count} quote(s) expired.")


@click.group("tasks")
def tasks_group() -> None:
    """Background and periodic work (the huey task queue)."""


@tasks_group.command("work")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker threads [default: 2; 1 on SQLite, which lets one writer in at a time].",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also enqueue periodic work (each period runs once across every worker anyway).",
)
def tasks_work_command(workers: int | None, scheduler: bool) -> None:
    """Run tasks until SIGTERM or Ctrl-C (any number, on any number of machines)."""
    from flask import current_app

    from . import task_queue

    if workers is None:
        on_sqlite = current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        workers = 1 if on_sqlite else 2
    task_queue.work(workers=workers, scheduler=scheduler)


@click.group("outbox")
def outbox_group() -> None:
    """Deliver queued email."""


@outbox_group.command("deliver")
def outbox_deliver_command() -> None:
    """Deliver every due message once, then stop."""
    from .services.mail.outbox_delivery import deliver_pending

    report = deliver_pending(worker=f"cli-{os.getpid()}")
    for line in report.links:
        click.echo(f"[outbox, not sent] {line}")
    click.echo(
        f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, not sent {report.not_sent}"
    )


@click.command("create-company")
@click.option("--name", required=True, help="The company's name.")
@click.option("--slug", required=True, help="Its web address: /portal/<slug>/.")
@click.option("--owner-email", required=True, help="The first owner's email.")
@click.option("--owner-name", default="", help="The first owner's name (they can change it).")
@click.option("--country", default="US", show_default=True, help="ISO 3166 code, e.g. GB.")
@click.option("--time-zone", default="", help="Default: the country's main zone.")
@click.option("--currency", default="", help="Default: the country's currency.")
@click.option("--plan", type=click.Choice(["free", "pro"]), default="pro", show_default=True)
def create_company_command(**values) -> None:
    """Create a live company and print a one-time link for its owner to choose a password."""
    from .models import Plan
    from .services.companies import signup
    from .services.errors import RuleError
    from .transaction import unit_of_work

    plan = Plan(values.pop("plan"))
    values["country"] = values["country"].strip().upper()
    try:
        with unit_of_work():
            owner, link = signup.create_for_self_hoster(signup.NewCompany(**values), plan=plan)
    except RuleError as error:
        raise _refusal(error) from None
    click.echo(f"Created {owner.company.name} ({owner.company.slug}), plan {plan.value}.")
    click.echo(f"Send this link to {owner.email} to choose a password (works once, for 7 days):")
    click.echo(link)


@click.command("owner-link")
@click.argument("slug")
def owner_link_command(slug: str) -> None:
    """Print a new one-time set-password link for a company's first owner (the earlier
    one stops working)."""
    from .services.companies import signup
    from .services.errors import RuleError
    from .transaction import unit_of_work

    try:
        with unit_of_work():
            owner = signup.first_owner(slug)
            link = signup.owner_password_link(owner)
    except RuleError as error:
        raise _refusal(error) from None
    click.echo(f"Send this link to {owner.email} (works once, for 7 days):")
    click.echo(link)


@click.command("create-platform-admin")
@click.argument("email")
def create_platform_admin_command(email: str) -> None:
    """Create a platform admin (/platform: every company, plans, suspension) and print a
    one-time link for them to choose a password; two-factor is set up on first sign-in."""
    from .services.errors import RuleError
    from .services.platform import accounts
    from .transaction import unit_of_work

    try:
        with unit_of_work():
            admin, link = accounts.create_admin(email)
    except RuleError as error:
        raise CommandRefused(error.message) from None
    click.echo(f"Created platform admin {admin.email}.")
    _echo_platform_link(admin.email, link)


@click.command("platform-admin-link")
@click.argument("email")
def platform_admin_link_command(email: str) -> None:
    """Print a new one-time set-password link for a platform admin who lost their password
    or their authenticator: the earlier links stop working; using it ends every session
    and asks for two-factor to be set up again."""
    from .services.errors import RuleError
    from .services.platform import accounts
    from .transaction import unit_of_work

    try:
        with unit_of_work():
            admin, link = accounts.new_password_link(email)
    except RuleError as error:
        raise CommandRefused(error.message) from None
    _echo_platform_link(admin.email, link)


def _echo_platform_link(email: str, link: str) -> None:
    from .services.platform.accounts import LINK_LIFETIME

    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    click.echo(f"Send this link to {email} to choose a password (works once, for {hours} hours):")
    click.echo(link)


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_data_command)
    app.cli.add_command(create_staff_command)
    app.cli.add_command(create_company_command)
    app.cli.add_command(owner_link_command)
    app.cli.add_command(create_platform_admin_command)
    app.cli.add_command(platform_admin_link_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(tasks_group)
    app.cli.add_command(quotes_group)
