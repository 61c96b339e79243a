"""The JavaScript SDK's jobs sample, ready to run: its pinned npm dependencies and its compiled
index.js in a cache directory (``python tests/mqtt/js_sample.py`` installs it; .ci/run does).

The sample (tests/mqtt/sdk_samples_js/index.ts, unchanged, see NOTICE there) is built as its
README says: ``npm install`` (here ``npm ci`` from the pinned package-lock.json) and ``tsc``
with its own tsconfig.json. The cache directory is named after a hash of those files, so a
change to the pins installs afresh; ``MOTO_IOTJOBS_JS_SAMPLE_DIR`` overrides the location.
Standalone on purpose (no package-relative imports): .ci/run runs it as a script.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_samples_js")
FILES = ("package.json", "package-lock.json", "tsconfig.json", "index.ts")
INSTALL_TIMEOUT = 600  # seconds: npm ci fetches ~80 packages (aws-crt's prebuilt binaries: ~30 MB)
BUILD_TIMEOUT = 180


class SampleUnavailable(RuntimeError):
    """node or npm is missing, or the install failed: the message says what to do."""


def sample_dir() -> str:
    """Where the installed sample lives (it need not exist yet)."""
    override = os.environ.get("MOTO_IOTJOBS_JS_SAMPLE_DIR")
    if override:
        return override
    digest = hashlib.sha256()
    for name in FILES:
        with open(os.path.join(SOURCE_DIR, name), "rb") as handle:
            digest.update(handle.read())
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "moto-iotjobs", "js-jobs-sample", digest.hexdigest()[:16])


def entry_point(directory: str) -> str:
    return os.path.join(directory, "dist", "index.js")


def ensure_installed() -> str:
    """The compiled sample's path (dist/index.js), installing it first if it is missing."""
    directory = sample_dir()
    if os.path.exists(entry_point(directory)):
        return entry_point(directory)
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise SampleUnavailable(
            "the JavaScript SDK sample needs node (v18+) and npm on PATH; install them "
            "(Debian: apt-get install nodejs npm) and run `python tests/mqtt/js_sample.py`"
        )
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".installing-", dir=parent)
    try:
        for name in FILES:
            shutil.copy(os.path.join(SOURCE_DIR, name), staging)
        # --ignore-scripts: aws-crt ships prebuilt binaries (linux-x64-glibc among them); its
        # install script would only build from source where none fits.
        _run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], staging, INSTALL_TIMEOUT)
        _run([node, os.path.join("node_modules", "typescript", "bin", "tsc"), "-p", "."],
             staging, BUILD_TIMEOUT)
        try:
            os.rename(staging, directory)  # atomic: a half-done install is never used
        except OSError:
            if not os.path.exists(entry_point(directory)):  # not installed meanwhile by another
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry_point(directory)


def _run(command: list[str], directory: str, timeout: float) -> None:
    try:
        done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        raise SampleUnavailable(f"`{' '.join(command)}` took over {timeout:.0f} s") from expired
    if done.returncode != 0:
        raise SampleUnavailable(
            f"`{' '.join(command)}` failed (exit {done.returncode}) in {directory}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )


if __name__ == "__main__":
    try:
        print(ensure_installed())
    except SampleUnavailable as problem:
        print(f"JavaScript SDK jobs sample: {problem}", file=sys.stderr)
        sys.exit(1)
