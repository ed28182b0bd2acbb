"""Settings of the benchmark's gunicorn: the product's, plus the baseline endpoint (bench/baseline.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline"
