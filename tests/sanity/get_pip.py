"""Stand-in for get-pip.py, which ansible-test downloads to put pip into each
venv it makes for a sanity test. That host (ci-files.testing.ansible.com) is
not reachable from these machines, PyPI is: tests/run_all.py downloads the
pip wheel ansible-test pins beside this file, in the cache where ansible-test
looks for its bootstrap script. Like get-pip.py it runs ``pip install`` with
the given arguments, from the wheel (a wheel of pure Python is importable)."""

import glob
import os
import runpy
import sys

# get-pip.py's own options; pip would refuse them.
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")

sys.path.insert(0, glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-*.whl"))[0])
sys.argv[1:] = ["install"] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
