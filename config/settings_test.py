"""Settings for the test suite: the real settings with a throwaway key.

`pytest` and `python manage.py test` use this module, so neither needs any
environment variable. Everything else (database, middleware, apps) is exactly
what production runs.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-only-not-a-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL", "0")
os.environ.setdefault("TRIAGE_REQUEST_LOG", "0")
os.environ.setdefault("TRIAGE_AUDIT_KEYS", "test:dGVzdC1zdWl0ZS1hdWRpdC1rZXktbm90LWEtc2VjcmV0")

from config.settings import *  # noqa: E402,F403

# Hashing passwords with PBKDF2 dominates a suite that logs users in often.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
