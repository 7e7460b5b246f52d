"""The relational registry on SQLAlchemy 2: tables, repositories, unit of work."""
