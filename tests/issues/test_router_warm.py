"""A web process loads jieba's dictionary and scikit-learn when it starts (config/wsgi.py, issues.router.loading.warm),
not at its first dispatch (1–3 s of that request under load: bench/README.md, session 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys; import config.wsgi; from issues.router import tokens; "
    "print(tokens._jieba is not None, 'sklearn.pipeline' in sys.modules, 'sklearn.linear_model' in sys.modules)"
)


def test_a_web_process_has_jieba_and_scikit_learn_loaded_before_its_first_request():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "True"]
