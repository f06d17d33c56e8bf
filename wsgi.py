from fieldportal import create_app

app = create_app()
