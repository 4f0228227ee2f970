"""Storage: the schema (SQLAlchemy models, Alembic migrations) and the queries on it."""
