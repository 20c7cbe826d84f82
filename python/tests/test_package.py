"""The package installs as python/README.md says: into a venv that sees Debian's zmq and numpy,
with pip, and nothing else; what is installed is the whole package, the console's page included."""
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REPO

PYTHON_DIR = REPO / "python"


def run(args, **kwargs) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, args))}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def module_name(path: Path) -> str:
    parts = path.relative_to(PYTHON_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_pip_installs_every_module_and_the_console_page_into_a_venv(tmp_path):
    # A copy, so pip's in-tree build leaves nothing in the checkout.
    source = tmp_path / "source"
    shutil.copytree(PYTHON_DIR, source, ignore=shutil.ignore_patterns("tests", "bench", "__pycache__"))
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(source)])

    # From a directory without the checkout on the path: only the installed copy can answer.
    report = run([str(python), "-c", (
        "import importlib.resources, pkgutil, roc, roc.aio, roc.console.web\n"
        "print(roc.__file__)\n"
        "print(roc.__version__)\n"
        "print(' '.join(sorted(m.name for m in pkgutil.walk_packages(roc.__path__, 'roc.'))))\n"
        "static = importlib.resources.files('roc.console') / 'static'\n"
        "print(' '.join(sorted(p.name for p in static.iterdir())))\n")], cwd=tmp_path).splitlines()
    installed_at, version, modules, static_files = report
    assert Path(installed_at).is_relative_to(venv)

    declared = tomllib.loads((PYTHON_DIR / "pyproject.toml").read_text())["project"]["version"]
    assert version == declared

    in_checkout = {module_name(p) for p in (PYTHON_DIR / "roc").rglob("*.py")} - {"roc"}
    assert sorted(modules.split()) == sorted(in_checkout)
    assert static_files.split() == sorted(p.name for p in (PYTHON_DIR / "roc/console/static").iterdir())

    # The console's own command line, from the installed copy.
    assert run([str(python), "-m", "roc.console", "web", "--version"], cwd=tmp_path).strip().endswith(version)
