#!/usr/bin/python3
"""Django's side of `npm run bench`: loaddata/dumpdata of the same snapshot on equivalent models.

Run by bench/django.ts with Debian's /usr/bin/python3 (python3-django, python3-psycopg2) and
BENCH_DJANGO_URL naming an empty database, e.g.
    BENCH_DJANGO_URL=postgres://postgres@127.0.0.1:5432/db /usr/bin/python3 manage.py migrate --run-syncdb
"""
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
