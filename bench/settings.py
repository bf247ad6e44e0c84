"""Settings for the benchmark server: the real settings, plus a bare DRF view as the ceiling."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
