"""The example notebook (examples/notebook/cohort.ipynb) runs headless in a
Jupyter kernel (nbclient, ipykernel): any cell that fails fails the test."""

from __future__ import annotations

import os

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = ROOT / "examples" / "notebook" / "cohort.ipynb"


def test_notebook_runs(tmp_path, monkeypatch):
    # The kernel inherits the environment (PYTHONPATH finds the uninstalled
    # package); Jupyter's and matplotlib's state goes to a scratch folder.
    for var, sub in (("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl"), ("JUPYTER_DATA_DIR", "data")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # the kernel imports the same mesoscreen as this test (the kernel's cwd differs)
    import mesoscreen

    here = os.path.dirname(os.path.dirname(os.path.abspath(mesoscreen.__file__)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError if a cell fails

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    mimes = [m for o in outputs for m in o.get("data", {})]
    assert "image/png" in mimes, "the verdict plot"
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("CONTRAINDICATED" in h and "<table" in h for h in html), "a patient's result as HTML"
    assert os.path.exists(NOTEBOOK)
