"""Business rules as plain functions: they take and return models and never commit."""
