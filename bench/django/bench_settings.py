"""The least Django needs to load and dump fixtures of the `sentry` app into PostgreSQL."""
import os
from urllib.parse import unquote, urlsplit

_url = urlsplit(os.environ.get("BENCH_DJANGO_URL", "postgres://postgres@127.0.0.1:5432/postgres"))

SECRET_KEY = "bench-only"
# DEBUG would keep every query in memory: 100,000 rows of loaddata are 200,000 of them.
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = ["sentry"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(_url.path.lstrip("/")),
        "USER": unquote(_url.username or "postgres"),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
    }
}
