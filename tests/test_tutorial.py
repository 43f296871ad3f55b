"""The tutorial notebook ``docs/tutorial.ipynb`` executes from top to bottom, so it cannot rot.

The notebook is run with nbclient in a fresh IPython kernel started from *this* test's interpreter (a
kernel spec written into a temporary folder, so whatever ``python3`` kernel a machine has installed is
never used), with its working directory in a temporary folder. Any cell error fails the test; every cell
has a time limit. The notebook checks physics on the way (μ² scaling of the magnetic-moment rate, its own
config reproducing the packaged XENONnT SR0 detector, the contact-regime scaling g ∝ M of the dark-photon
limit), and these tests check that it draws its figures and that it is committed without outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
kernelspec = pytest.importorskip("ipykernel.kernelspec")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402  (installed with nbclient)
from jupyter_client.manager import KernelManager  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"
#: Seconds any one cell may take (the whole notebook needs ≈ 15 s on a 2-core machine)
CELL_TIMEOUT_S = 120
#: Seconds the kernel may take to start
STARTUP_TIMEOUT_S = 60
#: Figures the notebook draws: spectra, release data vs B0, fit + profile, exclusion curve
EXPECTED_FIGURES = 4
KERNEL_NAME = "exonu-tutorial-test"


def read_notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def kernel_manager(tmp_path: Path) -> KernelManager:
    """A kernel manager whose only kernel runs ``sys.executable -m ipykernel_launcher``."""
    kernels = tmp_path / "kernels"
    kernelspec.write_kernel_spec(path=str(kernels / KERNEL_NAME), overrides={"display_name": "exonu test kernel"})
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a complete run (raises CellExecutionError on the first failing cell)."""
    tmp_path = tmp_path_factory.mktemp("tutorial")
    run_dir = tmp_path / "cwd"
    run_dir.mkdir()
    notebook = read_notebook()
    client = nbclient.NotebookClient(
        notebook,
        km=kernel_manager(tmp_path),
        timeout=CELL_TIMEOUT_S,
        startup_timeout=STARTUP_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(run_dir)}},
    )
    client.execute()
    return notebook, run_dir


def test_notebook_runs_without_errors(executed):
    notebook, _ = executed
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert code_cells, "the tutorial has no code cells"
    assert all(c.execution_count is not None for c in code_cells), "a code cell was not executed"
    errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_notebook_draws_its_figures(executed):
    notebook, _ = executed
    figures = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "display_data" and "image/png" in o.get("data", {})
    ]
    assert len(figures) == EXPECTED_FIGURES


def test_notebook_writes_nothing_into_its_working_directory(executed):
    _, run_dir = executed
    assert list(run_dir.iterdir()) == []


def test_committed_notebook_has_no_outputs():
    """The repository holds the notebook cleared; CI executes it (outputs would go stale)."""
    notebook = read_notebook()
    nbformat.validate(notebook)
    stale = [
        i
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert stale == [], f"clear the outputs of cells {stale} before committing"


def test_notebook_cites_its_sources():
    text = "\n".join(c.source for c in read_notebook().cells if c.cell_type == "markdown")
    for source in ("arXiv:2005.11891", "docs/physics.md", "docs/configuration.md", "arXiv:2207.11330"):
        assert source in text
