"""Refuse a Python older than the book needs, before ``make`` builds an environment with it.

The minimum is the one in ``pyproject.toml`` (``requires-python = ">=3.11"``), which the exact
pins of ``requirements.txt`` need (numpy 2.4, scipy 1.17, ... publish nothing for older
versions). The Makefile runs this file with ``$(PYTHON)`` before it creates ``.venv``, and with
the environment's own Python when ``.venv`` exists, so an old interpreter is named in one clear
line instead of a pip error about numpy::

    python3 tools/check_python.py            # exit 0, or 1 with the reason
    python3 tools/check_python.py --report   # also say which Python it is, when it passes

Deliberately written for any Python, even one far too old to run the book: no f-strings, no
``tomllib``, nothing outside the standard library.
"""

# No f-strings (UP032): this file must run, and refuse, on any Python, 2.7 included.
# ruff: noqa: UP032

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def required_version(pyproject=None):
    """The ``(major, minor)`` of ``requires-python = ">=X.Y"`` in ``pyproject.toml``."""
    pyproject = pyproject or os.path.join(ROOT, "pyproject.toml")
    with open(pyproject) as handle:
        text = handle.read()
    match = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("tools/check_python.py: no requires-python = \">=X.Y\" in " + pyproject)
    return int(match.group(1)), int(match.group(2))


def message(found, needed, executable, environment=False):
    """The refusal: the version found, the one needed, and what to do (None when it passes)."""
    if tuple(found[:2]) >= tuple(needed):
        return None
    found_text = ".".join(str(part) for part in found[:3])
    needed_text = "{}.{}".format(*needed)
    if environment:
        advice = ("It was made with an older Python: remove it (make distclean) and run make "
                  "again with a newer one, e.g. make PYTHON=python{}.".format(needed_text))
        what = "The environment .venv runs Python {} ({})".format(found_text, executable)
    else:
        advice = ("Install Python {0} or newer and name it, e.g. make PYTHON=python{0} "
                  "(or PYTHON=/path/to/python3).".format(needed_text))
        what = "Python {} found ({})".format(found_text, executable)
    return ("{}, but this book needs Python {} or newer: its pinned packages (numpy, scipy, "
            "scikit-learn, matplotlib, ipykernel) are not published for older versions. {}"
            .format(what, needed_text, advice))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    needed = required_version()
    found = tuple(sys.version_info[:3])
    refusal = message(found, needed, sys.executable, environment="--venv" in argv)
    if refusal is not None:
        sys.stderr.write("error: " + refusal + "\n")
        return 1
    if "--report" in argv:
        print("Python {} ({}); the book needs {}.{} or newer".format(
            ".".join(str(part) for part in found), sys.executable, *needed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
