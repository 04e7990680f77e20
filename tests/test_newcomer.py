"""What a newcomer meets first: the README's promises, the Makefile's first run, clean chapters.

* the Python the README claims is pyproject's ``requires-python``, every pin installs on it (no
  package in the environment asks for more), and it is no lower than the pins need;
* ``make`` refuses an older Python before creating anything, naming the version found and the
  one needed (a stub interpreter that reports 3.10, and a real older Python when there is one);
* the README names npm beside every command that runs it, and its no-make route runs on a
  system with only ``python3``; ``make lab`` adds ``--allow-root`` for root only;
* the kernels of the environment do not print ipykernel's unencrypted-TCP warning;
* the committed chapters are byte for byte what JupyterLab saves (``tools/notebook_format.py``),
  and every widget they display has its state stored, so the HTML book can render it.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import check_python
import notebook_format
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TCP_WARNING = "Kernel is running over TCP without encryption."


def _minimum() -> tuple[int, int]:
    return check_python.required_version()


def _pins() -> dict[str, str]:
    """``name: version`` of every ``==`` pin in requirements.txt."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"not an exact pin: {line}"
            pins[requirement.name] = specifier.version
    return pins


def _bash_blocks(section: str) -> list[str]:
    """The ```bash blocks of the README section headed ``## <section>``."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", body, re.DOTALL)


def _make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args],
                          capture_output=True, text=True, env=env, timeout=120)


# --- the Python requirement -----------------------------------------------------------------


def test_readme_claims_the_python_of_pyproject():
    """The README's "Python X.Y or newer" is requires-python, and it claims no other minimum."""
    major, minor = _minimum()
    assert f"**Python {major}.{minor} or newer**" in README
    claims = set(re.findall(r"Python (\d+\.\d+)(?:\+| or newer)", README))
    assert claims == {f"{major}.{minor}"}, claims


def test_every_pin_installs_on_the_claimed_python():
    """Each pin is what the environment has, and none needs more than the claimed X.Y.0.

    Only the pins: pip resolves the packages they bring for the Python at hand (soupsieve, by
    way of nbconvert, needs 3.11.5 in its newest release and pip takes an older one on 3.11.0).
    """
    minimum = Version("{}.{}.0".format(*_minimum()))
    too_new = {}
    for name, pinned in _pins().items():
        assert importlib.metadata.version(name) == pinned, f"{name}: the environment is stale"
        requires = importlib.metadata.metadata(name).get("Requires-Python")
        if requires and not SpecifierSet(requires).contains(minimum, prereleases=True):
            too_new[name] = requires
    assert not too_new, f"pins that need more than Python {minimum}: {too_new}"


def test_the_claim_is_what_the_pins_need():
    """The minimum is not lower than the pins need (the README once said 3.10 for numpy 2.4)."""
    major, minor = _minimum()
    below = Version(f"{major}.{minor - 1}.99")
    needing_it = [name for name in _pins()
                  if (requires := importlib.metadata.metadata(name).get("Requires-Python"))
                  and not SpecifierSet(requires).contains(below)]
    assert needing_it, f"no pin needs Python {major}.{minor}: the README could claim less"


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI only: CI tests the claimed minimum")
def test_ci_runs_the_claimed_minimum():
    """.ci/run tests the oldest Python the README claims, so the claim is tested."""
    assert tuple(sys.version_info[:2]) == _minimum(), (
        f"CI runs Python {sys.version.split()[0]}, the README claims "
        "{}.{}+: install that one for CI, or change the claim".format(*_minimum()))


# --- make refuses an older Python -------------------------------------------------------------


def test_check_python_message_names_both_versions():
    refusal = check_python.message((3, 10, 13), (3, 11), "/usr/bin/python3")
    assert refusal.startswith("Python 3.10.13 found (/usr/bin/python3)")
    assert "needs Python 3.11 or newer" in refusal and "make PYTHON=python3.11" in refusal
    assert check_python.message((3, 11, 0), (3, 11), "python3") is None
    assert check_python.message((3, 13, 1), (3, 11), "python3") is None
    environment = check_python.message((3, 10, 13), (3, 11), ".venv/bin/python",
                                       environment=True)
    assert "The environment .venv runs Python 3.10.13" in environment
    assert "make distclean" in environment


def _python_reporting(tmp_path: Path, version: tuple[int, int, int]) -> Path:
    """An executable ``python3`` stand-in: this interpreter, reporting ``version``."""
    fake = tmp_path / "fake_version.py"
    fake.write_text("import runpy, sys\n"
                    f"sys.version_info = {(*version, 'final', 0)!r}\n"
                    "sys.argv = sys.argv[1:]\n"
                    "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    stub = tmp_path / "python3"
    stub.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n')
    stub.chmod(0o755)
    return stub


def test_make_refuses_python_310_before_creating_the_environment(tmp_path):
    venv = tmp_path / "venv"
    stub = _python_reporting(tmp_path, (3, 10, 13))
    result = _make("lint", f"PYTHON={stub}", f"VENV={venv}")
    assert result.returncode != 0
    assert "Python 3.10.13 found" in result.stderr
    assert "needs Python {}.{} or newer".format(*_minimum()) in result.stderr
    assert not venv.exists(), "nothing is created with a Python that cannot install the pins"


def test_make_refuses_an_environment_made_by_python_310(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    _python_reporting(tmp_path, (3, 10, 13)).rename(venv / "bin" / "python")
    result = _make("lint", f"VENV={venv}")
    assert result.returncode != 0
    assert "The environment .venv runs Python 3.10.13" in result.stderr
    assert "make distclean" in result.stderr


def test_make_names_a_missing_python(tmp_path):
    result = _make("lint", "PYTHON=no-such-python3", f"VENV={tmp_path / 'venv'}")
    assert result.returncode != 0
    assert "no-such-python3 was not found" in result.stderr
    assert "needs Python {}.{} or newer".format(*_minimum()) in result.stderr


def _older_pythons() -> list[str]:
    """Working interpreters older than the minimum on this machine (pyenv's, say)."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(6, _minimum()[1])]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(path) for path in sorted(pyenv.glob("*/bin/python"))]
    found = []
    for candidate in filter(None, candidates):
        probe = subprocess.run(  # written for any Python, 2.7 included
            [candidate, "-c", "import sys; sys.stdout.write('%d %d' % sys.version_info[:2])"],
            capture_output=True, text=True)
        if probe.returncode == 0 and tuple(map(int, probe.stdout.split())) < _minimum():
            found.append(candidate)
    return found


@pytest.mark.parametrize("python", _older_pythons() or [None])
def test_check_python_refuses_a_real_older_python(python):
    """The check itself runs on old interpreters (2.7 too) and refuses them."""
    if python is None:
        pytest.skip("no Python older than the minimum on this machine")
    result = subprocess.run([python, str(ROOT / "tools" / "check_python.py")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "but this book needs Python {}.{} or newer".format(*_minimum()) in result.stderr


# --- the README's commands ---------------------------------------------------------------------


def test_no_make_route_runs_with_only_python3():
    """Every Python command of the no-make route is python3 or the environment's own."""
    (block,) = _bash_blocks("Without make")
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands[0] == "python3 -m venv .venv"
    for command in filter(None, commands):
        for word in re.findall(r"(?:^|[\s;&|(])([\w./-]*python[\w.]*)(?=\s)", command):
            assert word in ("python3", ".venv/bin/python"), f"{word!r} in: {command}"
    tools = {"jupyter", "jupyter-book", "pytest"}
    for command in filter(None, commands):
        first = command.split()[0]
        assert first not in tools, f"{first} is only on PATH in an activated environment"


def _npm_targets() -> set[str]:
    """Makefile targets whose prerequisites include the npm-installed assets."""
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+):[^=\n]*\$\(ASSETS\)", makefile, re.MULTILINE))


def test_readme_names_npm_beside_every_command_that_needs_it():
    """make book and make test (through unit) beside the two commands, the others in the table."""
    targets = _npm_targets()
    assert {"book", "unit", "bench", "book-student", "assets"} <= targets
    (block,) = _bash_blocks("Two commands")
    for line in block.splitlines():
        assert "npm" in line, f"npm not named beside: {line}"
    for target in targets - {"book", "unit"}:
        rows = [row for row in README.splitlines() if row.startswith(f"| `make {target}`")]
        assert rows, f"make {target} is not in the README's table"
        assert "npm" in rows[0].rsplit("|", 2)[1], f"make {target}: npm not named"


def test_make_names_a_missing_npm():
    """Without npm, the assets step says what is missing and why (not "npm: No such file")."""
    result = _make("-W", "package.json", "assets", "NPM=no-such-npm")
    assert result.returncode != 0
    assert "no-such-npm was not found" in result.stderr
    assert "install Node.js and npm" in result.stderr


def test_make_lab_passes_allow_root_for_root_only(tmp_path):
    """JupyterLab refuses to start as root without --allow-root (containers run as root)."""
    commands = {}
    for uid in ("0", "1000"):
        fake_bin = tmp_path / uid
        fake_bin.mkdir()
        (fake_bin / "id").write_text(f"#!/bin/sh\necho {uid}\n")
        (fake_bin / "id").chmod(0o755)
        env = dict(os.environ, PATH=f"{fake_bin}:{os.environ['PATH']}")
        result = _make("-n", "lab", f"VENV={tmp_path / 'venv'}", env=env)
        assert result.returncode == 0, result.stderr
        (commands[uid],) = [line for line in result.stdout.splitlines()
                            if "jupyter lab" in line]
    assert "--allow-root" in commands["0"]
    assert "--allow-root" not in commands["1000"]


def test_make_installs_the_jupyter_settings_and_formats_executed_chapters(tmp_path):
    venv = tmp_path / "venv"
    lab = _make("-n", "lab", f"VENV={venv}").stdout
    assert f"{venv}/etc/ipython/ipython_kernel_config.py" in lab
    assert f"{venv}/share/jupyter/lab/settings/overrides.json" in lab
    execute = _make("-n", "execute", f"VENV={venv}").stdout
    assert "tools/notebook_format.py book/01-what-is-unlearning.ipynb" in execute
    settings = json.loads((ROOT / "tools" / "jupyter" / "overrides.json").read_text())
    assert settings["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": False}
    # a student's JupyterLab asks no news host and shows no news pop-up (the book runs offline)
    assert settings["@jupyterlab/apputils-extension:notification"] == {
        "checkForUpdates": False, "fetchNews": "false"}


# --- no kernel warning -------------------------------------------------------------------------


@pytest.fixture
def kernel_logger():
    """The IPKernelApp logger with the filters of tools/jupyter/ipython_kernel_config.py."""
    logger = logging.getLogger("IPKernelApp")
    before = list(logger.filters)
    config = ROOT / "tools" / "jupyter" / "ipython_kernel_config.py"
    exec(compile(config.read_text(), str(config), "exec"), {"c": None})
    yield logger
    logger.filters[:] = before


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("IPKernelApp", logging.WARNING, __file__, 1, message, None, None)


def test_kernel_config_drops_only_the_tcp_warning(kernel_logger):
    assert not kernel_logger.filter(_record(TCP_WARNING + " All communication ..."))
    assert kernel_logger.filter(_record("Some other kernel warning"))


@pytest.mark.integration
def test_a_kernel_of_the_environment_prints_no_tcp_warning(tmp_path):
    """Started as nbclient, nbval and JupyterLab start it (TCP, no CurveZMQ keys)."""
    installed = Path(sys.prefix, "etc", "ipython", "ipython_kernel_config.py")
    if not installed.is_file():
        pytest.skip(f"{installed} is missing: make installs it (any target)")
    from jupyter_client.manager import KernelManager

    stderr = tmp_path / "kernel.err"
    manager = KernelManager(kernel_name="python3")
    assert manager.transport == "tcp"
    with stderr.open("w") as handle:
        manager.start_kernel(stderr=handle)
        try:
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            client.stop_channels()
        finally:
            manager.shutdown_kernel(now=True)
    assert TCP_WARNING not in stderr.read_text()


# --- chapters as JupyterLab saves them ----------------------------------------------------------


def test_kernelspec_is_ipykernels():
    """The name and display name JupyterLab writes are those of ipykernel's own kernel spec."""
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

    spec = get_kernel_dict()
    ipykernels = {"display_name": spec["display_name"], "language": spec["language"],
                  "name": KERNEL_NAME}
    assert ipykernels == notebook_format.KERNELSPEC


def test_as_saved_by_browser():
    value = {"a": [0.0, 1.0, -2.0, 0.5, 1e21, True, "1.0"], "b": 3}
    saved = notebook_format.as_saved_by_browser(value)
    assert saved == {"a": [0, 1, -2, 0.5, 1e21, True, "1.0"], "b": 3}
    assert [type(item) for item in saved["a"][:5]] == [int, int, int, float, float]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_as_jupyterlab_saves_it(path):
    """Opening and saving the chapter in JupyterLab changes nothing (run make execute)."""
    text = path.read_text(encoding="utf-8")
    assert notebook_format.lab_form(text) == text, (
        f"run: .venv/bin/python tools/notebook_format.py {path.relative_to(ROOT)}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_displayed_widget_has_its_state_stored(path):
    """A chapter saved after a JupyterLab run shows widgets whose state is not stored."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    state = notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = [output["data"][WIDGET_VIEW]["model_id"] for cell in notebook["cells"]
             for output in cell.get("outputs", []) if WIDGET_VIEW in output.get("data", {})]
    missing = [model for model in shown if model not in state]
    assert not missing, (f"widgets without stored state {missing}: re-execute with make execute "
                         f"CHAPTERS={path.relative_to(ROOT)}")
