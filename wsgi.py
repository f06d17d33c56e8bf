from fieldportal import create_app
from fieldportal.log_config import configure_logging

# Every entry point (flask run, gunicorn, flask tasks work) loads this module.
configure_logging()
app = create_app()
