"""Flask commands: demo-data, create-staff (and the outbox worker, see services/mailer)."""

import click
from flask import Flask
from sqlalchemy import func, select

from .extensions import db


@click.command("demo-data")
@click.option("--scale", type=click.Choice(["small", "large"]), default="small", show_default=True)
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


@click.command("create-staff")
@click.option("--company", "company_slug", required=True, help="The company's slug.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["owner", "dispatcher", "technician"]), default="owner")
@click.password_option()
def create_staff_command(
    company_slug: str, email: str, name: str, role: str, password: str
) -> None:
    """Create a staff user for a company."""
    from .models import Company, StaffRole, StaffUser
    from .services.passwords import hash_secret, password_problem

    company = db.session.scalar(select(Company).where(Company.slug == company_slug))
    if company is None:
        raise click.ClickException(f"No company with slug {company_slug!r}.")
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    db.session.add(
        StaffUser(
            company_id=company.id,
            email=email.strip().lower(),
            name=name,
            role=StaffRole(role),
            password_hash=hash_secret(password),
        )
    )
    db.session.commit()
    click.echo(f"Created {role} {email} at {company.name}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_data_command)
    app.cli.add_command(create_staff_command)
