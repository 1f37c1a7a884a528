"""Catalog search: one interface (base), a database backend (SQLite FTS5 / PostgreSQL full
text) and a Meilisearch backend, chosen by ODOP_SEARCH_BACKEND."""
