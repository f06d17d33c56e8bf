"""Mutation testing of the rule modules: ``make mutate`` (not part of ``make test`` or CI).

Each rule module is mutated by mutmut (pinned in pyproject's dev extras) and run against
the tests that guard it, on SQLite, in a work folder of its own under ``.mutmut/`` (kept
out of git): a copy of the project whose pyproject.toml says which file to mutate and
which tests to select. mutmut only mutates code inside functions, so the figures a rule
is made of at module level (a lockout of 15 minutes, 5 links an hour, the portal's
30-minute idle timeout) are changed here, one at a time, as FIGURES, and the same tests
run against each.

    python tools/mutate.py                 every module
    python tools/mutate.py lockout money   some of them
    python tools/mutate.py --list          the modules, their tests and figures

A mutant that no test kills is a rule tested from one side only: add a test that kills it,
or, if it cannot change what anyone sees or what the database holds, list it in
EQUIVALENT with the reason. The run exits 1 while any other mutant survives.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutmut"
COPIED = ("fieldportal", "tests", "static", "migrations")


@dataclass(frozen=True)
class Figure:
    """A module-level figure of a rule, changed in place: ``old`` → ``new`` in ``path``."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Module:
    path: str
    tests: tuple[str, ...]
    # mutmut mutant-name globs (functions of the file that hold the rule); () = all of it
    functions: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = field(default=())

    @property
    def dotted(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


SESSIONS_CONFIG = "fieldportal/config.py"

MODULES: dict[str, Module] = {
    "intervals": Module(
        "fieldportal/services/fleet/intervals.py",
        tests=(
            "tests/operator/test_intervals.py",
            "tests/operator/test_vehicle_status_everywhere.py",
        ),
    ),
    "site_scope": Module(
        "fieldportal/services/portal/site_scope.py",
        tests=("tests/portal/test_site_scope.py",),
        figures=(
            Figure(
                "fieldportal/services/portal/site_scope.py",
                "JOB_DOCUMENTS = (Invoice, Report)",
                "JOB_DOCUMENTS = (Invoice,)",
            ),
            Figure(
                "fieldportal/services/portal/site_scope.py",
                "JOB_DOCUMENTS = (Invoice, Report)",
                "JOB_DOCUMENTS = (Report,)",
            ),
        ),
    ),
    "money": Module(
        "fieldportal/services/billing/money.py",
        tests=(
            "tests/billing/test_money.py",
            "tests/billing/test_amount_input.py",
            "tests/billing/test_tax_rates.py",
            "tests/billing/test_figures_agree.py",
            "tests/billing/test_money_edges.py",
        ),
        figures=(
            Figure(
                "fieldportal/services/billing/money.py",
                "MAX_CENTS = 1_000_000_000",
                "MAX_CENTS = 1_000_000_001",
            ),
            Figure(
                "fieldportal/services/billing/money.py",
                'MAX_QUANTITY = Decimal("100000")',
                'MAX_QUANTITY = Decimal("100001")',
            ),
            Figure(
                "fieldportal/services/billing/money.py",
                "PERCENT_PLACES = 4",
                "PERCENT_PLACES = 5",
            ),
            Figure(
                "fieldportal/services/billing/money.py",
                "BillingTerms.NET_15: 15,",
                "BillingTerms.NET_15: 14,",
            ),
            Figure(
                "fieldportal/services/billing/money.py",
                "BillingTerms.NET_30: 30}",
                "BillingTerms.NET_30: 31}",
            ),
        ),
    ),
    "invoices": Module(
        "fieldportal/services/billing/invoices.py",
        tests=(
            "tests/billing/test_invoice_overdue.py",
            "tests/billing/test_money.py",
            "tests/billing/test_stripe.py",
            "tests/billing/test_operator_invoices.py",
            "tests/billing/test_payment_edges.py",
        ),
        functions=(
            "*.x_is_overdue__*",
            "*.x_overdue_clause__*",
            "*.x_shown_status__*",
            "*.x_with_shown_status__*",
            "*.x_is_editable__*",
            "*.x_apply_payment__*",
            "*.x_reverse_payment__*",
        ),
    ),
    "lockout": Module(
        "fieldportal/services/auth/lockout.py",
        tests=(
            "tests/foundation/test_staff_auth.py",
            "tests/portal/test_sign_in.py",
            "tests/portal/test_phone_sign_in.py",
        ),
        figures=(
            Figure(
                "fieldportal/services/auth/lockout.py",
                "MAX_FAILED_ATTEMPTS = 10",
                "MAX_FAILED_ATTEMPTS = 11",
            ),
            Figure(
                "fieldportal/services/auth/lockout.py",
                "MAX_FAILED_ATTEMPTS = 10",
                "MAX_FAILED_ATTEMPTS = 9",
            ),
            Figure(
                "fieldportal/services/auth/lockout.py",
                "LOCKOUT = timedelta(minutes=15)",
                "LOCKOUT = timedelta(minutes=16)",
            ),
            Figure(
                "fieldportal/services/auth/lockout.py",
                "LOCKOUT = timedelta(minutes=15)",
                "LOCKOUT = timedelta(minutes=14)",
            ),
        ),
    ),
    "tokens": Module(
        "fieldportal/services/auth/tokens.py",
        tests=("tests/portal/test_sign_in.py",),
    ),
    "throttle": Module(
        "fieldportal/services/auth/throttle.py",
        tests=(
            "tests/email/test_throttle.py",
            "tests/foundation/test_too_many_attempts.py",
        ),
        figures=(
            Figure(
                "fieldportal/services/auth/throttle.py",
                'LINKS_PER_ADDRESS = parse("5 per hour")',
                'LINKS_PER_ADDRESS = parse("6 per hour")',
            ),
            Figure(
                "fieldportal/services/auth/throttle.py",
                'LINKS_PER_ADDRESS = parse("5 per hour")',
                'LINKS_PER_ADDRESS = parse("5 per minute")',
            ),
            Figure(
                "fieldportal/services/auth/throttle.py",
                'LINKS_PER_IP = parse("20 per hour")',
                'LINKS_PER_IP = parse("21 per hour")',
            ),
            Figure(
                "fieldportal/services/auth/throttle.py",
                'LINKS_PER_IP = parse("20 per hour")',
                'LINKS_PER_IP = parse("20 per minute")',
            ),
        ),
    ),
    "sessions": Module(
        "fieldportal/services/auth/auth_sessions.py",
        tests=(
            "tests/portal/test_sign_in.py",
            "tests/foundation/test_staff_auth.py",
            "tests/portal/test_portal_switch.py",
            "tests/portal/test_contact_password.py",
            "tests/email/test_fleet_link.py",
            "tests/portal/test_tabs.py",
            "tests/staff/test_two_factor_sign_in.py",
            "tests/staff/test_profile.py",
            "tests/platform/test_suspension_and_plans.py",
            "tests/portal/test_sessions_edges.py",
        ),
        figures=(
            Figure(
                SESSIONS_CONFIG,
                '"PORTAL_IDLE_TIMEOUT": timedelta(minutes=30)',
                '"PORTAL_IDLE_TIMEOUT": timedelta(minutes=31)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"PORTAL_IDLE_TIMEOUT": timedelta(minutes=30)',
                '"PORTAL_IDLE_TIMEOUT": timedelta(minutes=29)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"PORTAL_ABSOLUTE_TIMEOUT": timedelta(hours=12)',
                '"PORTAL_ABSOLUTE_TIMEOUT": timedelta(hours=13)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"PORTAL_ABSOLUTE_TIMEOUT": timedelta(hours=12)',
                '"PORTAL_ABSOLUTE_TIMEOUT": timedelta(hours=11)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"STAFF_IDLE_TIMEOUT": timedelta(hours=8)',
                '"STAFF_IDLE_TIMEOUT": timedelta(hours=9)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"STAFF_IDLE_TIMEOUT": timedelta(hours=8)',
                '"STAFF_IDLE_TIMEOUT": timedelta(hours=7)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"STAFF_ABSOLUTE_TIMEOUT": timedelta(days=7)',
                '"STAFF_ABSOLUTE_TIMEOUT": timedelta(days=8)',
            ),
            Figure(
                SESSIONS_CONFIG,
                '"STAFF_ABSOLUTE_TIMEOUT": timedelta(days=7)',
                '"STAFF_ABSOLUTE_TIMEOUT": timedelta(days=6)',
            ),
            Figure(
                "fieldportal/services/auth/auth_sessions.py",
                "{PortalPermission.JOBS, PortalPermission.HISTORY, PortalPermission.VEHICLES}",
                "{PortalPermission.JOBS, PortalPermission.HISTORY, PortalPermission.VEHICLES,"
                " PortalPermission.QUOTES}",
            ),
            Figure(
                "fieldportal/services/auth/auth_sessions.py",
                "{PortalPermission.JOBS, PortalPermission.HISTORY, PortalPermission.VEHICLES}",
                "{PortalPermission.JOBS, PortalPermission.HISTORY, PortalPermission.VEHICLES,"
                " PortalPermission.INVOICES}",
            ),
        ),
    ),
}

# Surviving mutants that cannot change what anyone sees or what the database holds, with
# the reason (mutant name as mutmut prints it, or "module:figure old -> new").
_INTERVALS = "fieldportal.services.fleet.intervals."
_THROTTLE = "fieldportal.services.auth.throttle."
_KEY_NAME = "a renamed counter key: it counts the same, apart from the other kinds' keys"
_LIMITER_SETS_IT = (
    "another default for config.get('RATELIMIT_ENABLED'): Flask-Limiter's init_app puts the "
    "key in every app's config (config.setdefault), so the default is never read"
)
_SCOPE = "fieldportal.services.portal.site_scope."
_ALL_SITES = "every portal principal (Contact, FleetTokenViewer) has all_sites: no default used"
_SQL_NULL = "a NULL interval or date makes the comparison NULL, which flags no row either way"
_MONEY = "fieldportal.services.billing.money."
_EXACT_PERCENT = (
    "str() of ppm / 10,000 never uses exponent notation: the quotient's exponent is 0 to -4"
)
_PAYMENTS = "fieldportal.services.billing.invoices."
_NO_SYNC = "SQLAlchemy reads synchronize_session=None as False; _expire does the syncing"
_UNPAID_NULL = (
    "the rows it leaves unpaid have no paid_at already: only a paid invoice has one, and "
    "apply_payment updates only sent invoices"
)
_DATETIME_TYPE = (
    "a datetime literal without a type binds as DateTime, which stores the same UTC value"
)
_SESSIONS = "fieldportal.services.auth.auth_sessions."
_OVERWRITTEN = "the first expires_at is replaced by the limit before the row is flushed"
_ONLY_GET_ID = (
    "read only by get_id, which Flask-Login calls only in login_user, with start_session's "
    "own row; the next request loads the principal afresh"
)
_MICROSECOND = "> against >=: differs only at the very microsecond of the limit"
EQUIVALENT: dict[str, str] = {
    "fieldportal.services.auth.lockout.x_is_locked__mutmut_3": (
        "> -> >=: differs only at the very microsecond the lock ends"
    ),
    "fieldportal.services.auth.tokens.x_new_token__mutmut_1": (
        "token_urlsafe(None) uses secrets.DEFAULT_ENTROPY, which is 32 bytes: the same token"
    ),
    _THROTTLE + "x_link_request_allowed__mutmut_1": _KEY_NAME,
    _THROTTLE + "x_link_request_allowed__mutmut_2": _KEY_NAME,
    _THROTTLE + "x_link_request_allowed__mutmut_6": _LIMITER_SETS_IT,
    _THROTTLE + "x_link_request_allowed__mutmut_8": _LIMITER_SETS_IT,
    _THROTTLE + "x_link_request_allowed__mutmut_11": _LIMITER_SETS_IT,
    _THROTTLE + "x_link_request_allowed__mutmut_21": (
        "upper() instead of lower(): the same spellings of an address count together"
    ),
    _THROTTLE + "x_link_request_allowed__mutmut_30": _KEY_NAME,
    _THROTTLE + "x_link_request_allowed__mutmut_31": _KEY_NAME,
    _INTERVALS + "x__soon_margin__mutmut_1": (
        "// -> /: miles and days left are whole numbers, so left <= m / 100 exactly when "
        "left <= m // 100"
    ),
    _INTERVALS + "x_vehicle_service_status__mutmut_1": (
        "the default due_soon_percent is never used: the one caller passes the company's"
    ),
    _INTERVALS + "x_vehicle_service_status__mutmut_28": "overdue is still False here: |= is =",
    _INTERVALS + "x_vehicle_service_status__mutmut_32": "soon is still False here: |= is =",
    _INTERVALS + "x_overdue_clause__mutmut_14": (
        "'or True': with due_soon_percent 0 the margin is CAST(interval * 0 / 100) = 0"
    ),
    _INTERVALS + "x_overdue_clause__mutmut_26": (
        "'or True': with due_soon_percent 0 the margin is CAST(interval * 0 / 100) = 0"
    ),
    _SCOPE + "x_scoped_site_ids__mutmut_3": _ALL_SITES,
    _SCOPE + "x_scoped_site_ids__mutmut_6": _ALL_SITES,
    _SCOPE + "x_scoped_site_ids__mutmut_9": _ALL_SITES,
    _SCOPE + "x_site_condition__mutmut_3": (
        "'or True': an empty set goes to IN (), which SQLAlchemy renders as false"
    ),
    _SCOPE + "x_customer_records__mutmut_3": (
        "the one caller passing a query (requests._is_requestable: select(model.id)) only "
        "asks whether a row exists; select(model) finds the same rows"
    ),
    _SCOPE + "x_customer_records__mutmut_9": (
        "without company_id: a customer id belongs to one company, so customer_id alone "
        "keeps to the same rows"
    ),
    _MONEY + "x__parse_exact__mutmut_3": (
        "'XXXX' for no text: refused as not digits, the same message as the empty text"
    ),
    _MONEY + "x__parse_exact__mutmut_10": (
        "strip('XX.XX') strips X as well as '.': a text with an X fails the digits check anyway"
    ),
    _MONEY + "x__parse_exact__mutmut_28": (
        "quantize takes only the exponent: Decimal(2).scaleb(-2) has the same as Decimal(1)'s"
    ),
    _MONEY + "x_format_percent__mutmut_4": _EXACT_PERCENT,
    _MONEY + "x_format_percent__mutmut_7": "'F' is 'f' but for infinity and NaN, never a rate",
    _PAYMENTS + "x_apply_payment__mutmut_5": _NO_SYNC,
    _PAYMENTS + "x_reverse_payment__mutmut_2": _NO_SYNC,
    _PAYMENTS + "x_apply_payment__mutmut_28": _UNPAID_NULL,
    _PAYMENTS + "x_apply_payment__mutmut_30": _UNPAID_NULL,
    _PAYMENTS + "x_reverse_payment__mutmut_5": _UNPAID_NULL,
    _PAYMENTS + "x_reverse_payment__mutmut_23": _UNPAID_NULL,
    _PAYMENTS + "x_reverse_payment__mutmut_25": _UNPAID_NULL,
    _PAYMENTS + "x_apply_payment__mutmut_33": _DATETIME_TYPE,
    _PAYMENTS + "x_apply_payment__mutmut_35": _DATETIME_TYPE,
    _PAYMENTS + "x_reverse_payment__mutmut_27": "NULL is NULL whatever its type",
    _PAYMENTS + "x_reverse_payment__mutmut_29": "NULL is NULL whatever its type",
    _SESSIONS + "x_start_session__mutmut_10": _OVERWRITTEN,
    _SESSIONS + "x_start_session__mutmut_17": _OVERWRITTEN,
    _SESSIONS + "x_start_session__mutmut_33": _ONLY_GET_ID,
    _SESSIONS + "x_load_principal__mutmut_32": _ONLY_GET_ID,
    _SESSIONS + "x_load_principal__mutmut_23": _MICROSECOND,
    _SESSIONS + "x_load_principal__mutmut_27": _MICROSECOND,
    _SESSIONS + "x_load_principal__mutmut_36": _MICROSECOND,
    _SESSIONS + "x_load_half_signed_in__mutmut_15": _MICROSECOND,
    _SESSIONS + "x_load_half_signed_in__mutmut_7": (
        "its one caller (staff_two_factor) takes the row only when its awaiting step is the "
        "page's, and a full session awaits none"
    ),
    _INTERVALS + "x_overdue_clause__mutmut_51": _SQL_NULL,
    _INTERVALS + "x_overdue_clause__mutmut_68": _SQL_NULL,
    _INTERVALS + "x_overdue_clause__mutmut_69": _SQL_NULL,
}
# Mutants of a PostgreSQL-only branch: the SQLite run cannot reach them; the same tests
# kill them on PostgreSQL (FIELDPORTAL_TEST_DATABASE_URL=... python tools/mutate.py MODULE).
POSTGRES_ONLY: dict[str, str] = {
    f"{_INTERVALS}x__today_number__mutmut_{n}": "the PostgreSQL day number (epoch 2000-01-01)"
    for n in range(6, 16)
}


def _toml_value(value) -> str:
    return json.dumps(value)  # strings, lists of strings, numbers and booleans: valid TOML


def _pyproject_for(module: Module) -> str:
    """The project's pyproject.toml with its [tool.mutmut] table set for this module."""
    text = (ROOT / "pyproject.toml").read_text()
    settings = tomllib.loads(text).get("tool", {}).get("mutmut", {})
    settings = settings | {
        "only_mutate": [module.path],
        "pytest_add_cli_args_test_selection": list(module.tests),
        "use_git_change_detection": False,
    }
    table = "[tool.mutmut]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in settings.items())
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    return text.rstrip() + "\n\n" + table


def _fresh_copy(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)


def _mutmut(folder: Path, *args: str, log=None) -> subprocess.CompletedProcess:
    mutmut = Path(sys.executable).with_name("mutmut")
    return subprocess.run(
        ["nice", str(mutmut), *args],
        cwd=folder,
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1"},
    )


def run_mutmut(name: str, module: Module, max_children: int) -> dict[str, str]:
    """{mutant name: status} for the module's functions, and its survivors' diffs on disk."""
    from mutmut.stats import status_by_exit_code

    folder = WORK / name
    _fresh_copy(folder)
    (folder / "pyproject.toml").write_text(_pyproject_for(module))
    with open(folder / "mutmut.log", "w") as log:
        done = _mutmut(
            folder, "run", "--max-children", str(max_children), *module.functions, log=log
        )
    meta = folder / "mutants" / (module.path + ".meta")
    if done.returncode != 0 or not meta.exists():
        raise SystemExit(f"mutmut failed for {name}: see {folder / 'mutmut.log'}")
    exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
    chosen = [
        m
        for m in exit_codes
        if not module.functions or any(_glob(m, pattern) for pattern in module.functions)
    ]
    statuses = {m: status_by_exit_code[exit_codes[m]] for m in sorted(chosen, key=_natural)}
    with open(folder / "survivors.diff", "w") as out:
        for mutant, status in statuses.items():
            if status != "killed":
                out.write(_mutmut(folder, "show", mutant).stdout + "\n")
    return statuses


def _glob(name: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatch(name, pattern)


def _natural(name: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _pytest(folder: Path, tests: tuple[str, ...]) -> int:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    env = os.environ | {"PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        ["nice", *command], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return done.returncode


def run_figures(name: str, module: Module) -> dict[str, str]:
    """{figure: killed/survived}: each figure changed alone in a copy, the tests run."""
    if not module.figures:
        return {}
    folder = WORK / f"{name}-figures"
    _fresh_copy(folder)
    (folder / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    check = subprocess.run(
        [sys.executable, "-c", "import fieldportal; print(fieldportal.__file__)"],
        cwd=folder,
        env=os.environ | {"PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
    )
    if not check.stdout.startswith(str(folder)):
        raise SystemExit(f"the copy in {folder} does not import its own fieldportal")
    if _pytest(folder, module.tests) != 0:
        raise SystemExit(f"{name}: the tests fail without any change ({folder})")
    results = {}
    for figure in module.figures:
        target = folder / figure.path
        original = target.read_text()
        if original.count(figure.old) != 1:
            raise SystemExit(f"{name}: {figure.old!r} is not once in {figure.path}")
        target.write_text(original.replace(figure.old, figure.new))
        try:
            code = _pytest(folder, module.tests)
        finally:
            target.write_text(original)
        label = f"{name}:{figure.old} -> {figure.new}"
        results[label] = "killed" if code == 1 else "survived" if code == 0 else f"error {code}"
    (folder / "results.txt").write_text("".join(f"{s}: {f}\n" for f, s in results.items()))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"some of: {', '.join(MODULES)}")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown modules: {', '.join(sorted(unknown))}")
    names = args.modules or list(MODULES)
    if args.list:
        for name in names:
            module = MODULES[name]
            print(f"{name}: {module.path} {' '.join(module.functions)}")
            print(f"  tests: {' '.join(module.tests)}; figures: {len(module.figures)}")
        return 0

    on_postgres = bool(os.environ.get("FIELDPORTAL_TEST_DATABASE_URL"))
    if on_postgres:
        # One database for every worker: they would drop each other's tables.
        args.max_children = 1
        print("FIELDPORTAL_TEST_DATABASE_URL is set: on PostgreSQL, one mutant at a time")
    explained = EQUIVALENT if on_postgres else EQUIVALENT | POSTGRES_ONLY
    WORK.mkdir(exist_ok=True)
    lines, unexplained = [], []
    for name in names:
        module = MODULES[name]
        started = time.monotonic()
        results = run_mutmut(name, module, args.max_children)
        if not args.no_figures:
            results |= run_figures(name, module)
        minutes = (time.monotonic() - started) / 60
        # A mutant whose tests never finish within mutmut's CPU limit was caught too.
        timeouts = sum(status == "timeout" for status in results.values())
        results = {m: "killed" if s == "timeout" else s for m, s in results.items()}
        killed = sum(status == "killed" for status in results.values())
        equivalent = [m for m, s in results.items() if s != "killed" and m in explained]
        alive = [m for m, s in results.items() if s != "killed" and m not in explained]
        unexplained += [f"{m}: {results[m]}" for m in alive]
        lines.append(
            f"{name:<11} {killed:>4} killed ({timeouts} by timeout) / {len(results):>4}  "
            f"({len(equivalent)} equivalent or PostgreSQL-only, {len(alive)} alive)"
            f"  {minutes:5.1f} min"
        )
        print(lines[-1], flush=True)
        with open(WORK / "progress.txt", "a") as progress:
            progress.write(lines[-1] + "\n" + "".join(f"  {m}: {results[m]}\n" for m in alive))
    report = "\n".join(lines) + "\n"
    if unexplained:
        report += "\nNot killed (add a test, or say why in EQUIVALENT in tools/mutate.py):\n"
        report += "".join(f"  {line}\n" for line in unexplained)
        report += "Diffs: .mutmut/<module>/survivors.diff\n"
    (WORK / "report.txt").write_text(report)
    print("\n" + report, end="")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
