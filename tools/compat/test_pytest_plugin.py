"""The pytest plugin (tools/pytest-shoal) installed from the repository and run on its example
suite: 200 tests that must each start from an empty server, and a fault reaching boto3."""
import os
import shutil
import subprocess
import sys

from conftest import ROOT, shoal_binary


def test_the_plugin_installs_and_isolates_200_tests(tmp_path):
    # A copy: building it leaves build/ and *.egg-info beside the sources, which stay clean.
    plugin = str(tmp_path / "pytest-shoal")
    shutil.copytree(os.path.join(ROOT, "tools", "pytest-shoal"), plugin)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "--target", str(target), plugin],
                   check=True, capture_output=True, timeout=300)
    env = dict(os.environ, PYTHONPATH=str(target) + os.pathsep + os.environ.get("PYTHONPATH", ""), SHOAL_BIN=shoal_binary())
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", os.path.join(plugin, "examples")],
                            capture_output=True, text=True, env=env, timeout=600, cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "221 passed, 1 skipped" in result.stdout, result.stdout
    # The same suite under the manual clock runs the clock example too.
    manual = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--shoal-clock", "manual",
                             os.path.join(plugin, "examples")], capture_output=True, text=True, env=env, timeout=600, cwd=str(tmp_path))
    assert manual.returncode == 0, manual.stdout + manual.stderr
    assert "222 passed" in manual.stdout, manual.stdout
