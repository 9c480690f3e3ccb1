"""What PostgreSQL knows of the statements prepared on the test's connection (apps.core.db.prepared_cursor)."""

import itertools
import re

from django.db import connection


def numbered(text: str) -> str:
    """A statement's text as psycopg sends it to be prepared: each %s numbered ($1, $2, …), each %% a %."""
    numbers = itertools.count(1)
    return re.sub("%%|%s", lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", text)


def plans_of(text: str, plans: str = "generic_plans + custom_plans") -> list[tuple]:
    """(`plans`,) of each statement of this text prepared on the connection: none when it is not prepared."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {plans} FROM pg_prepared_statements WHERE statement = %s", [numbered(text)])  # noqa: S608
        return cursor.fetchall()
