"""Connection to crmlake's serving database for the notebooks.

The connection comes from the environment, never from a notebook:
  CRMLAKE_PG_DSN      a libpq connection string or URI; default: the embedded server that
                      `bin/crmlake demo` starts, postgresql://postgres@localhost:54329/postgres
  CRMLAKE_DB_PASSWORD the password, when the server needs one (publish.serving.password-env)
  CRMLAKE_PG_SCHEMA   the schema publish loads (publish.serving.schema); default crm
"""

import os

import pandas as pd
import psycopg2

DEFAULT_DSN = "postgresql://postgres@localhost:54329/postgres"


def schema():
    return os.environ.get("CRMLAKE_PG_SCHEMA", "crm")


def connect():
    """A read-only connection whose search path is the serving schema."""
    kwargs = {}
    if os.environ.get("CRMLAKE_DB_PASSWORD"):
        kwargs["password"] = os.environ["CRMLAKE_DB_PASSWORD"]
    conn = psycopg2.connect(os.environ.get("CRMLAKE_PG_DSN", DEFAULT_DSN), **kwargs)
    conn.set_session(readonly=True, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('search_path', %s, false)", (schema(),))
    return conn


def query(conn, sql, params=None):
    """The rows of a query as a DataFrame (numeric columns as floats)."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        columns = [c.name for c in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=columns)
    for c in frame.columns:
        if frame[c].map(lambda v: v.__class__.__name__ == "Decimal").any():
            frame[c] = frame[c].astype(float)
    return frame
