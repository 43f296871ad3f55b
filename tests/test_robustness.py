"""Regression tests for the robustness report's R-cases that live in the CLI entry point, `simulate`,
`export-pyhf` and the file helpers: every bad input is ONE line on stderr (``exonu: error: …``) with exit
status 2, Ctrl-C is one line with 130, a closed pipe is silent, and no output is ever left truncated.

Each test runs the report's reproducer, in-process through :func:`exonu.cli.main` or, where the process
itself matters (signals, pipes, terminal encoding, file-size limits), as ``python -m exonu.cli``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import select
import signal
import subprocess
import sys

import numpy as np
import pytest

import exonu.cli.data
from exonu import fileio, xsec
from exonu.cli import main
from exonu.config import load_detector, read_dataset, read_table, write_dataset
from exonu.detector import (
    Binning,
    ConstantEfficiency,
    Dataset,
    DetectorModel,
    LogisticEfficiency,
    ParametricResolution,
    TabulatedSpectrum,
    double_beta_summed_pdf,
    fermi_function,
    histogram_edges_from_centres,
    integrate_over_bins,
    overlap_fractions,
    solar_sm_rate,
)
from exonu.detector.binning import MAX_RANGE_BINS
from exonu.detector.pseudodata import simulate_data
from exonu.errors import ConfigError, InputError, OutputError
from exonu.searches.joint import combine_models
from exonu.searches.mediators import exclusion_curve, mediator_masses, spec_factory
from exonu.searches.spec import SearchSpec, dark_photon_masses, dark_photon_specs, search_spec
from exonu.searches.templates import build_binned_model, choose_window, signal_templates
from exonu.spectrum import RecoilSpectrum, differential_rate, validate_energies


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``exonu argv`` in-process; argparse's SystemExit counts as its exit status."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def run_process(
    *argv: str, env: dict | None = None, limit_file_bytes: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``python -m exonu.cli argv`` in a child process (optionally under ``ulimit -f``)."""

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    return subprocess.run(
        [sys.executable, "-m", "exonu.cli", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        preexec_fn=limit if limit_file_bytes is not None else None,
    )


def assert_one_error_line(code, err: str, *fragments: str, status: int = 2) -> None:
    lines = err.strip().splitlines()
    assert code == status, err
    assert len(lines) == 1 and lines[0].startswith("exonu: error: "), err
    for fragment in fragments:
        assert fragment in lines[0]


# --- R16: argparse errors are one line ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (
            ["spectrum", "--signal", "bogus", "--energies-kev", "5"],
            ["spectrum:", "--signal", "invalid choice: 'bogus'"],
        ),
        (["fit", "--detector", "xmass-i", "--signal", "millicharge", "--statistic", "bogus"], ["fit:", "--statistic"]),
        (["spectrum", "--signal", "sm", "--energies-kev", "abc"], ["--energies-kev", "invalid float value: 'abc'"]),
        (["fit", "--detector", "xmass-i", "--signal", "millicharge", "--seed", "1.5"], ["--seed", "'1.5'"]),
        (["spectrum", "--signal", "sm"], ["required", "--energies-kev"]),
        (["spectrum", "--signal", "sm", "--energies-kev"], ["--energies-kev", "expected at least one argument"]),
        (["spectrum", "--signal", "sm", "--energies-kev", "5", "--sources"], ["--sources"]),
        (["no-such-command"], ["invalid choice: 'no-such-command'", "see `exonu --help`"]),
    ],
)
def test_r16_argparse_errors_are_one_line(capsys, argv, fragments):
    code, out, err = run(capsys, *argv)
    assert_one_error_line(code, err, *fragments)
    assert out == ""


def test_help_and_version_still_print_and_exit_zero(capsys):
    assert run(capsys, "--version")[0] == 0
    code, out, _ = run(capsys, "spectrum", "--help")
    assert code == 0 and "--energies-kev" in out


# --- R13 / R6: simulate seeds -----------------------------------------------------------------------


def test_r13_simulate_negative_seed_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "sim.json"
    code, _, err = run(capsys, "simulate", "--seed", "-1", "--out", str(out))
    assert_one_error_line(code, err, "--seed", "≥ 0", "-1")
    assert not out.exists()


def test_simulate_huge_seed_is_accepted_and_recorded(tmp_path, capsys):
    """numpy's SeedSequence takes any non-negative integer, so a 40-digit seed is legal input."""
    seed = 10**40 + 7
    out = tmp_path / "sim.json"
    code, _, _ = run(capsys, "simulate", "--seed", str(seed), "--window", "full", "--out", str(out))
    assert code == 0
    assert json.loads(out.read_text())["metadata"]["seed"] == seed


def test_r6_simulate_seed_with_asimov_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "simulate", "--seed", "3", "--asimov", "--out", str(tmp_path / "a.json"))
    assert_one_error_line(code, err, "--seed", "--asimov")


# --- R10: bad --out, checked before any computation ------------------------------------------------


@pytest.fixture
def out_cases(tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    a_file = tmp_path / "afile.json"
    a_file.write_text("{}")
    return {
        "existing folder": (str(folder), "is a directory"),
        "below a file": (str(a_file / "x.json"), "is a file, not a folder"),
        "empty": ("", "empty"),
    }


@pytest.mark.parametrize("case", ["existing folder", "below a file", "empty"])
@pytest.mark.parametrize("command", [["simulate", "--seed", "1"], ["export-pyhf"]])
def test_r10_bad_out_is_one_line_before_computing(capsys, monkeypatch, out_cases, case, command):
    out, fragment = out_cases[case]

    def must_not_load(*args, **kwargs):
        raise AssertionError("the detector was loaded before --out was checked")

    monkeypatch.setattr("exonu.config.load_detector", must_not_load)
    code, _, err = run(capsys, *command, "--out", out)
    assert_one_error_line(code, err, fragment)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_r10_read_only_out_folder_is_one_line(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _, err = run(capsys, "export-pyhf", "--out", str(folder / "ws.json"))
    finally:
        folder.chmod(0o700)
    assert_one_error_line(code, err, "not writable")


# --- R1: outputs are written atomically ----------------------------------------------------------


def test_r1_full_disk_during_export_leaves_previous_file_intact(tmp_path):
    """Under ``ulimit -f`` (the report's stand-in for a full disk) the write fails with one line, the
    previous workspace survives byte for byte, and no temporary file is left behind."""
    out = tmp_path / "ws.json"
    previous = '{"previous": "complete workspace"}\n'
    out.write_text(previous)
    proc = run_process("export-pyhf", "--detector", "xmass-i", "--out", str(out), limit_file_bytes=4096)
    assert_one_error_line(proc.returncode, proc.stderr, f"cannot write {out}", "File too large")
    assert out.read_text() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.json"]


def test_r1_full_disk_during_simulate_leaves_previous_file_intact(tmp_path):
    out = tmp_path / "sim.txt"
    out.write_text("previous\n")
    proc = run_process("simulate", "--seed", "1", "--window", "full", "--out", str(out), limit_file_bytes=512)
    assert_one_error_line(proc.returncode, proc.stderr, f"cannot write {out}", "File too large")
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.txt"]


def test_simulate_replaces_output_and_keeps_the_format_of_the_suffix(tmp_path, capsys):
    out = tmp_path / "sim.txt"
    out.write_text("old\n")
    assert run(capsys, "simulate", "--seed", "2", "--window", "full", "--out", str(out))[0] == 0
    text = out.read_text()
    assert text.startswith("# format:") and "seed" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.txt"]


# --- R9 / R11: unreadable or non-text inputs ------------------------------------------------------


def test_r9_non_utf8_data_file_is_one_line(tmp_path, capsys):
    data = tmp_path / "latin1.txt"
    data.write_bytes("# comment: caf\xe9\n1 2 3\n".encode("latin-1"))
    code, _, err = run(
        capsys, "fit", "--detector", "xmass-i", "--signal", "magnetic-moment", "--toys", "0", "--data", str(data)
    )
    assert_one_error_line(code, err, "not UTF-8")


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "is a directory"),
        (b"1 2\n\xff\xfe 3\n", "not UTF-8"),
        (b"1 2\n3 x\n", "line 2"),
        (b"1 2 3\n4 5 6\n", "two columns"),
        (b"", "at least two rows"),
        (b"1 2\n2 nan\n", "finite"),
    ],
)
def test_r11_bad_rrpa_ratio_file_is_one_line(tmp_path, capsys, content, fragment):
    path = tmp_path / "ratio.txt"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    code, _, err = run(
        capsys,
        "spectrum",
        "--signal",
        "millicharge",
        "--charge-e",
        "1e-12",
        "--energies-kev",
        "5",
        "--rrpa-ratio-file",
        str(path),
    )
    assert_one_error_line(code, err, str(path), fragment)


def test_r11_os_error_on_an_input_is_one_line(capsys, monkeypatch):
    """Any OSError that reaches the CLI (here a permission error, as without CAP_DAC_OVERRIDE) is one line."""

    def unreadable(args):
        raise PermissionError(13, "Permission denied", "/somewhere/detector.toml")

    monkeypatch.setattr(exonu.cli.data, "cmd_detectors", unreadable)
    code, _, err = run(capsys, "detectors")
    assert_one_error_line(code, err, "/somewhere/detector.toml: Permission denied")


# --- R12 / R15: overflow and memory --------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--signal", "magnetic-moment", "--mu-bohr", "1e200"],
        ["--signal", "millicharge", "--charge-e", "1e200", "--atomic", "fea"],
        ["--signal", "dark-photon", "--g", "1e200", "--mass-mev", "1"],
    ],
)
def test_r12_huge_couplings_are_one_line(capsys, argv):
    code, _, err = run(capsys, "spectrum", *argv, "--energies-kev", "5")
    assert_one_error_line(code, err)
    assert "Traceback" not in err


def test_r15_memory_error_is_one_line(capsys, monkeypatch):
    def exhausted(args):
        raise MemoryError

    monkeypatch.setattr(exonu.cli.data, "cmd_detectors", exhausted)
    code, _, err = run(capsys, "detectors")
    assert_one_error_line(code, err, "out of memory")


def test_r15_deeply_nested_toml_is_one_line(tmp_path, capsys):
    """50 000 nested brackets make tomllib recurse too deep: one line, not a 3 000-line traceback."""
    config = tmp_path / "deep.toml"
    config.write_text("a = " + "[" * 50_000 + "\n")
    code, _, err = run(capsys, "fit", "--detector", str(config), "--signal", "millicharge", "--toys", "0")
    assert_one_error_line(code, err, "nested too deeply")


def test_programming_errors_keep_their_traceback(monkeypatch):
    """Only known input classes become one line: a bug (here a KeyError) still raises."""

    def bug(args):
        raise KeyError("a bug")

    monkeypatch.setattr(exonu.cli.data, "cmd_detectors", bug)
    with pytest.raises(KeyError):
        main(["detectors"])


# --- R14: Ctrl-C, closed pipes, ASCII terminals --------------------------------------------------


def test_r14_keyboard_interrupt_is_one_line_and_130(capsys, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(exonu.cli.data, "cmd_detectors", interrupted)
    code, _, err = run(capsys, "detectors")
    assert code == 130 and err == "exonu: interrupted\n"


@pytest.mark.parametrize(
    "signum, status, stderr", [(signal.SIGINT, 130, "exonu: interrupted\n"), (signal.SIGTERM, 143, "")]
)
def test_r14_signal_during_a_fit(signum, status, stderr):
    """The report's reproducer: SIGINT to a long `exonu fit` (100 000 toys take far longer than the wait)
    gives one line and 130; SIGTERM ends quietly with 143 (after unwinding, so temporary files are removed).

    The signal must land in the command, not in Python's start-up or before `main` has installed its
    SIGTERM handler (no program can catch it there): the child wraps `cmd_fit` so that it prints
    "started" on stdout only once `main` is dispatching, i.e. after the handlers are in place, and the
    parent waits for that line however loaded the machine is (bounded by the timeouts below).
    """
    child = (
        "import signal, sys, exonu.cli, exonu.cli.fit as fit\n"
        "original = fit.cmd_fit\n"
        "def started(args):\n"
        "    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL\n"
        "    print('started', flush=True)\n"
        "    return original(args)\n"
        "fit.cmd_fit = started\n"
        "sys.exit(exonu.cli.main(['fit', '--detector', 'xenon1t-sr1', '--signal', 'magnetic-moment', "
        "'--toys', '100000']))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready and proc.stdout.readline() == "started\n", "the child never reached cmd_fit"
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == status, err
    assert err == stderr


def test_r14_closed_pipe_ends_quietly():
    """`exonu spectrum … | head -1`: the reader closes the pipe; no BrokenPipeError traceback."""
    energies = [str(1 + i * 0.01) for i in range(6000)]  # ≈ 130 kB of table, more than a pipe buffer
    proc = subprocess.Popen(
        [sys.executable, "-m", "exonu.cli", "spectrum", "--signal", "sm", "--energies-kev", *energies],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert first.startswith(b"#")
    assert err == ""
    assert proc.returncode == 141


@pytest.mark.parametrize("argv", [["detectors"], ["spectrum", "--signal", "sm", "--energies-kev", "5"]])
def test_r14_ascii_only_terminal(argv):
    proc = run_process(
        *argv,
        env={"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout


def test_r14_ascii_terminal_error_line(tmp_path):
    """Error messages carry ≥ and μ; on an ASCII terminal they are still one readable line."""
    proc = run_process(
        "simulate", "--seed", "-1", "--out", str(tmp_path / "x.json"), env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    )
    assert_one_error_line(proc.returncode, proc.stderr, "--seed must be an integer")


# --- exonu.fileio: the helpers behind the safe outputs and the one-line input errors --------------


def test_atomic_write_replaces_whole_file_with_ordinary_permissions(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("old")
    assert fileio.atomic_write_text(target, "new ✓") == target
    assert target.read_text(encoding="utf-8") == "new ✓"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert fileio.atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01") == tmp_path / "b.bin"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "results.json"]


def test_atomic_write_failure_keeps_previous_file_and_removes_temporary(tmp_path, monkeypatch):
    """A disk that fills up while the data are flushed: OutputError, old content intact, no debris."""
    target = tmp_path / "results.json"
    target.write_text("previous complete result")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "fsync", disk_full)
    with pytest.raises(OutputError, match=f"cannot write {target}: No space left on device"):
        fileio.atomic_write_text(target, "new")
    assert target.read_text() == "previous complete result"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_atomic_output_path_interrupted_leaves_nothing(tmp_path):
    """Ctrl-C while a library writes the temporary file: the target is untouched and the temporary removed."""
    target = tmp_path / "fig.png"
    target.write_bytes(b"old figure")
    with pytest.raises(KeyboardInterrupt), fileio.atomic_output_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png"
        tmp.write_bytes(b"half a fig")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_sigterm_unwinds_through_atomic_output_path(tmp_path):
    """main's SIGTERM handler raises SystemExit, so a write in progress removes its temporary file."""
    target = tmp_path / "ws.json"
    child = (
        "import os, signal, sys; from exonu import fileio; from exonu.cli import catch_sigterm; catch_sigterm()\n"
        f"with fileio.atomic_output_path({str(target)!r}) as tmp:\n"
        "    tmp.write_text('partial'); os.kill(os.getpid(), signal.SIGTERM)\n"
    )
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 143 and proc.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_refuses_directories_and_bad_arguments(tmp_path):
    with pytest.raises(OutputError, match="is a directory"):
        fileio.atomic_write_text(tmp_path, "x")
    with pytest.raises(OutputError, match="cannot write"):
        fileio.atomic_write_text(tmp_path / "missing" / "x.json", "x")
    with pytest.raises(InputError, match="expected a file path"):
        fileio.atomic_write_text(None, "x")
    with pytest.raises(InputError, match="must be a str"):
        fileio.atomic_write_text(tmp_path / "x", b"bytes")
    with pytest.raises(InputError, match="must be bytes"):
        fileio.atomic_write_bytes(tmp_path / "x", "text")


def test_check_writable_dir_and_output_file(tmp_path):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    assert fileio.check_writable_dir(tmp_path) == tmp_path
    assert fileio.check_writable_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(OutputError, match="it is a file, not a folder"):
        fileio.check_writable_dir(a_file)
    with pytest.raises(OutputError, match="afile is a file, not a folder"):
        fileio.check_writable_dir(a_file / "sub")
    assert fileio.check_output_file(tmp_path / "new" / "ws.json") == tmp_path / "new" / "ws.json"
    with pytest.raises(OutputError, match="is a directory"):
        fileio.check_output_file(tmp_path)
    with pytest.raises(OutputError, match="afile is a file, not a folder"):
        fileio.check_output_file(a_file / "ws.json")
    with pytest.raises(InputError, match="empty"):
        fileio.check_output_file("")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_writable_dir_read_only(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            fileio.check_writable_dir(folder / "out")
    finally:
        folder.chmod(0o700)


def test_read_text_input_one_line_errors(tmp_path):
    good = tmp_path / "d.txt"
    good.write_text("5 keV ✓\n", encoding="utf-8")
    assert fileio.read_text_input(good, "data file") == "5 keV ✓\n"
    latin1 = tmp_path / "l.txt"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    cases = {
        tmp_path / "missing.txt": "data file not found",
        tmp_path: "data file is a directory, not a file",
        latin1: "data file is not UTF-8 text (byte 0xe9 at offset 3)",
    }
    for path, message in cases.items():
        with pytest.raises(ConfigError) as err:
            fileio.read_text_input(path, "data file")
        assert str(err.value) == f"{path}: {message}"
    with pytest.raises(InputError, match="expected a file path; got NoneType"):
        fileio.read_text_input(None, "data file")


def test_read_text_input_unreadable_file(tmp_path, monkeypatch):
    """Permission denied (as for a file of another user) is a ConfigError naming the file."""
    path = tmp_path / "secret.toml"
    path.write_text("x")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(fileio.Path, "read_bytes", denied)
    with pytest.raises(ConfigError, match=f"{path}: cannot read detector config: Permission denied"):
        fileio.read_text_input(path, "detector config")


# --- R9 / R19: data-set files (exonu.config.datasets.read_dataset) -----------------------------------


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("list.json", "[1, 2, 3]", "expected a JSON object with edges_kev and counts"),
        ("number.json", "42", "expected a JSON object with edges_kev and counts"),
        ("string.json", '"hello"', "expected a JSON object with edges_kev and counts"),
        ("null.json", "null", "expected a JSON object with edges_kev and counts"),
        ("nocounts.json", '{"edges_kev": [1, 2]}', "expected a JSON object with edges_kev and counts"),
        ("textcounts.json", '{"edges_kev": [1, 2], "counts": ["a"]}', "counts must be a flat list of numbers"),
        ("nestedcounts.json", '{"edges_kev": [1, 2, 3], "counts": [[1, 2]]}', "2 bins but counts of shape (1, 2)"),
        ("scalarcounts.json", '{"edges_kev": [1, 2], "counts": 5}', "must be JSON lists of numbers"),
        ("listmeta.json", '{"edges_kev": [1, 2], "counts": [1], "metadata": [1, 2]}', "metadata must be a JSON object"),
        ("hugecount.json", '{"edges_kev": [1, 2], "counts": [' + "9" * 400 + "]}", "a count is beyond the float range"),
        ("broken.json", '{"edges_kev": [1, 2', "not a valid data set"),
        ("ragged.txt", "1 2 3\n2 3\n", "line 2 has 2 columns"),
        ("words.txt", "1 2 three\n", "line 1 is not numeric"),
    ],
)
def test_r9_malformed_data_files_are_one_line_naming_the_file(tmp_path, capsys, name, content, fragment):
    data = tmp_path / name
    data.write_text(content, encoding="utf-8")
    code, _, err = run(
        capsys, "fit", "--detector", "xenon1t-sr1", "--signal", "magnetic-moment", "--toys", "0", "--data", str(data)
    )
    assert_one_error_line(code, err, str(data), fragment)


def test_r9_non_utf8_data_file_names_file_and_byte(tmp_path):
    data = tmp_path / "latin1.txt"
    data.write_bytes("# caf\xe9\n1 2 3\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.txt: data file is not UTF-8 text \(byte 0xe9 at offset 5\)"):
        read_dataset(data)


def test_r9_data_file_that_is_a_directory(tmp_path, capsys):
    code, _, err = run(
        capsys,
        "fit",
        "--detector",
        "xenon1t-sr1",
        "--signal",
        "magnetic-moment",
        "--toys",
        "0",
        "--data",
        str(tmp_path),
    )
    assert_one_error_line(code, err, "data file is a directory")


def test_r19_ordinary_comments_with_a_colon_are_comments(tmp_path):
    data = tmp_path / "c.txt"
    data.write_text("# source: my own run\n# run: 5\n1 2 3\n2 3 4\n", encoding="utf-8")
    ds = read_dataset(data)
    assert ds.counts.tolist() == [3.0, 4.0] and ds.edges_kev.tolist() == [1.0, 2.0, 3.0]
    assert ds.metadata == {"run": 5}  # "my own run" is not JSON: a comment, not metadata


@pytest.mark.parametrize("suffix", [".txt", ".json"])
def test_r19_one_bin_data_set_round_trips(tmp_path, suffix):
    ds = read_dataset(write_dataset(tmp_path / f"one{suffix}", [5], [1.0, 2.0], {"note": "x"}))
    assert ds.counts.tolist() == [5.0] and ds.edges_kev.tolist() == [1.0, 2.0] and ds.metadata["note"] == "x"


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"path": None}, "path must be a file name"),
        ({"metadata": [1, 2]}, "metadata must be a dict"),
        ({"metadata": {"two words": 1}}, "metadata keys must be single words"),
        ({"metadata": {"format": "x"}}, "metadata keys must be single words"),
        ({"counts": ["a"]}, "counts must be numbers"),
        ({"counts": [-1]}, "finite and ≥ 0"),
        ({"counts": [1, 2]}, "1 counts expected"),
    ],
)
def test_write_dataset_bad_arguments(tmp_path, kwargs, fragment):
    args = {"path": tmp_path / "d.txt", "counts": [1], "edges_kev": [1.0, 2.0], **kwargs}
    with pytest.raises(InputError, match=re.escape(fragment)):
        write_dataset(args.pop("path"), **args)
    assert list(tmp_path.iterdir()) == []


# --- R11 / R15: detector configs ------------------------------------------------------------------


def test_r11_detector_directory_says_so(tmp_path, capsys):
    code, _, err = run(capsys, "fit", "--detector", str(tmp_path), "--signal", "millicharge", "--toys", "0")
    assert_one_error_line(code, err, str(tmp_path), "is a directory, not a file")


def test_r11_non_utf8_detector_config_names_file_and_byte(tmp_path, capsys):
    config = tmp_path / "latin.toml"
    config.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    code, _, err = run(capsys, "fit", "--detector", str(config), "--signal", "millicharge", "--toys", "0")
    assert_one_error_line(code, err, str(config), "not UTF-8 text (byte 0xe9 at offset 11)")


def test_r15_deeply_nested_toml_names_the_file(tmp_path):
    config = tmp_path / "deep.toml"
    config.write_text("a = " + "[" * 50_000 + "\n")
    with pytest.raises(ConfigError, match=re.escape(f"{config}: not valid TOML (nested too deeply)")):
        load_detector(config)


def test_r15_binning_from_range_refuses_absurd_bin_counts():
    with pytest.raises(InputError, match="9.9e\\+10 bins; at most 100000"):
        Binning.from_range(1.0, 100.0, 1e-9)
    assert Binning.from_range(0.0, 10.0, 1e-4).n_bins == MAX_RANGE_BINS  # the limit itself is allowed


# --- R6: options that do not apply to the model (cli/spectrum.py) ----------------------------------


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--signal", "sm", "--mu-bohr", "1e-11"], "--mu-bohr does not apply to --signal sm"),
        (["--signal", "sm", "--rrpa-ratio-file", "RATIO"], "--rrpa-ratio-file does not apply to --signal sm"),
        (
            ["--signal", "magnetic-moment", "--mu-bohr", "1e-11", "--charge-e", "1e-12"],
            "--charge-e does not apply to --signal magnetic-moment",
        ),
        (
            ["--signal", "millicharge", "--charge-e", "1e-12", "--atomic", "fea", "--rrpa-ratio-file", "RATIO"],
            "give one of --atomic and --rrpa-ratio-file",
        ),
    ],
)
def test_r6_spectrum_options_that_do_not_apply_are_refused(tmp_path, capsys, argv, fragment):
    ratio = tmp_path / "ratio.txt"
    ratio.write_text("1 1\n100 1\n")
    argv = [str(ratio) if a == "RATIO" else a for a in argv]
    code, out, err = run(capsys, "spectrum", *argv, "--energies-kev", "5")
    assert_one_error_line(code, err, fragment)
    assert out == ""


@pytest.mark.parametrize("indent", ["-5", "100000000"])
def test_config_schema_indent_out_of_range_is_refused(capsys, indent):
    """A negative indent was silently clamped to 0; 10⁸ spaces per level were killed for memory."""
    code, out, err = run(capsys, "config-schema", "--indent", indent)
    assert_one_error_line(code, err, f"--indent must be an integer from 0 to 16; got {indent}")
    assert out == ""


# --- R7 / R20: the Python API raises ExonuError subclasses naming the argument ------------------------


@pytest.fixture(scope="module")
def xmass():
    return load_detector("xmass-i")


API_CASES = {
    # R7: physics inputs that gave negative or NaN rates
    "epa-mass-above-pp-energies": (
        lambda s: differential_rate([1, 5, 10], "millicharge", charge_e=1e-12, epa_neutrino_mass_ev=1e6),
        "epa_neutrino_mass_ev",
    ),
    "sin2w-nan": (lambda s: xsec.DarkPhotonBL(1e-6, 1.0, sin2_theta_w=float("nan")), "sin2_theta_w must be finite"),
    "sin2w-above-one": (lambda s: xsec.DarkPhotonBL(1e-6, 1.0, sin2_theta_w=5), "sin2_theta_w must be ≤ 1"),
    "no-flavours": (lambda s: xsec.Millicharge(1e-12, flavours=[]), "at least one of"),
    "unknown-flavour": (lambda s: xsec.Millicharge(1e-12, flavours=["x"]), "unknown flavour 'x'"),
    # R12 / R20: couplings of the wrong type
    "moment-as-text": (lambda s: xsec.MagneticMoment("1e-11"), "magnetic moment must be a real number"),
    "sin2w-none": (lambda s: xsec.Weak(None), "sin2_theta_w must be a real number"),
    "sin2w-text": (lambda s: xsec.Weak("0.23"), "sin2_theta_w must be a real number"),
    "coupling-text": (lambda s: xsec.DarkPhotonBL("a", 1), "coupling g must be a real number"),
    "dsigma-text": (lambda s: xsec.Weak().dsigma_dt("a", 100.0), "t_kev must be numbers"),
    "dsigma-nan-energy": (lambda s: xsec.Weak().dsigma_dt(5.0, float("nan")), "e_nu_kev must be finite"),
    "dsigma-negative-recoil": (lambda s: xsec.Weak().dsigma_dt(-5.0, 500.0), "t_kev must be ≥ 0"),
    "dsigma-shapes": (lambda s: xsec.Weak().dsigma_dt(np.ones(3), np.ones(2)), "do not broadcast"),
    "t-max-text": (lambda s: xsec.max_recoil_kev("a"), "e_nu_kev must be numbers"),
    "e-min-negative": (lambda s: xsec.electron_min_neutrino_energy_kev(-1.0), "t_kev must be ≥ 0"),
    "delta-gv-text": (lambda s: xsec.delta_gv("a"), "charge radius <r^2> must be a real number"),
    # spectrum.py
    "energies-text": (lambda s: validate_energies(["a"]), "energies must be numbers in keV"),
    "energies-string": (lambda s: differential_rate("abc"), "energies must be numbers in keV"),
    "model-as-list": (lambda s: differential_rate([5.0], model=["sm"]), "unknown model ['sm']"),
    "flux-as-name": (lambda s: RecoilSpectrum(flux="pp"), "flux must be a SolarFlux"),
    "interaction-as-name": (lambda s: RecoilSpectrum().rate([5.0], "sm"), "use differential_rate for model names"),
    "nodes-nan": (lambda s: RecoilSpectrum(quadrature_nodes=float("nan")), "quadrature_nodes must be an integer"),
    "nodes-huge": (lambda s: RecoilSpectrum(quadrature_nodes=10**9), "quadrature_nodes must be an integer"),
    # config/ and detector/
    "detector-none": (lambda s: load_detector(None), "give a packaged detector name or a TOML path"),
    "dataset-none": (lambda s: read_dataset(None), "path must be a file name"),
    "table-none": (lambda s: read_table(None, "k", [0]), "table path must be a file name"),
    "edges-text": (lambda s: Binning(["a", "b"]), "bin edges must be numbers"),
    "fold-text": (lambda s: s.window("full").response.fold("abc"), "rate must be numbers"),
    "fold-not-callable": (lambda s: s.window("full").fold("x"), "the rate must be a function of T"),
    "fold-lines-text": (lambda s: s.window("full").response.fold_lines(["a"], [1.0]), "energies_kev"),
    "seed-negative": (lambda s: simulate_data(s, "full", seed=-1), "seed must be ≥ 0"),
    "fermi-text": (lambda s: fermi_function(["a"], 55, 136), "kinetic_kev must be an array of real numbers"),
    "fermi-z-too-large": (lambda s: fermi_function([10.0], 200, 136), "daughter_z must be ≤ 137"),
    "centres-text": (lambda s: histogram_edges_from_centres(["a"]), "bin centres (keV)"),
    "integrate-binning-text": (lambda s: integrate_over_bins(lambda e: e, "x"), "binning must be a Binning"),
    "overlap-text": (lambda s: overlap_fractions([1.0, 2.0], [3.0, "a"]), "region_edges_kev"),
    "exposure-text": (
        lambda s: DetectorModel(exposure_kg_day="a", resolution=ParametricResolution(0.5)),
        "exposure_kg_day must be a real number",
    ),
    "resolution-as-text": (
        lambda s: DetectorModel(exposure_kg_day=1.0, resolution="x"),
        "resolution must be a ParametricResolution",
    ),
    "threshold-text": (
        lambda s: DetectorModel(1.0, ParametricResolution(0.5), threshold_kev="1"),
        "threshold_kev must be a real number",
    ),
    "resolution-term-none": (lambda s: ParametricResolution(None), "resolution a_sqrt_kev must be a real number"),
    "efficiency-text": (lambda s: ConstantEfficiency("a"), "efficiency must be a real number"),
    "logistic-text": (lambda s: LogisticEfficiency("a", 1.0, 1.0), "plateau must be a real number"),
    "dataset-counts-text": (lambda s: Dataset([1.0, 2.0], ["a"]), "Dataset counts must be an array of real numbers"),
    "dataset-counts-negative": (lambda s: Dataset([1.0, 2.0], [-1.0]), "Dataset counts must be ≥ 0"),
    "dataset-counts-shape": (lambda s: Dataset([1.0, 2.0, 3.0], [1.0]), "2 bins but counts of shape (1,)"),
    "table-energies-text": (lambda s: TabulatedSpectrum([1.0, 2.0], [1.0, 2.0]).integrate("x"), "energies (keV)"),
    "double-beta-q-text": (lambda s: double_beta_summed_pdf([1.0], "x"), "Q (keV) must be a real number"),
    "double-beta-energies-text": (lambda s: double_beta_summed_pdf(["a"], 2458.0), "sum_kinetic_kev"),
    "solar-sm-spectrum-text": (lambda s: solar_sm_rate([5.0], spectrum="x"), "spectrum must be a RecoilSpectrum"),
    # searches/
    "spec-mass-text": (lambda s: SearchSpec("k", "dark-photon", mass_mev="1"), "mediator mass must be a real number"),
    "spec-model-list": (lambda s: SearchSpec("k", ["sm"]), "unknown signal model ['sm']"),
    "spec-window-number": (lambda s: SearchSpec("k", "magnetic-moment", window=5), "window must be a window name"),
    "spec-atomic-unknown": (lambda s: SearchSpec("k", "magnetic-moment", atomic_model="xx"), "atomic_model must be"),
    "spec-published-text": (
        lambda s: SearchSpec("k", "magnetic-moment", published="x"),
        "published must be a real number",
    ),
    "spec-published-nan": (lambda s: SearchSpec("k", "magnetic-moment", published=float("nan")), "published"),
    "spec-published-negative": (
        lambda s: SearchSpec("k", "magnetic-moment", published=-1.0),
        "published must be a non-zero limit with the sign of the search",
    ),
    "search-spec-list": (lambda s: search_spec(["sm"]), "unknown signal ['sm']"),
    "dp-masses-float-n": (lambda s: dark_photon_masses(2.5), "integer number ≥ 2"),
    "dp-masses-negative": (lambda s: dark_photon_masses(5, low_mev=-1), "mediator mass must be > 0"),
    "dp-specs-text": (lambda s: dark_photon_specs(["a"]), "masses_mev must be an array of real numbers"),
    "mediator-masses-text": (lambda s: mediator_masses(5, low_mev="a"), "mediator mass must be a real number"),
    "setup-as-name": (
        lambda s: choose_window("xmass-i", search_spec("magnetic-moment")),
        "setup must be a loaded detector",
    ),
    "templates-spec-as-name": (lambda s: signal_templates(s, "magnetic-moment"), "spec must be a SearchSpec"),
    "model-data-text": (lambda s: build_binned_model(s, search_spec("magnetic-moment"), data="abc"), "must be numbers"),
    "model-spectrum-text": (
        lambda s: build_binned_model(s, search_spec("magnetic-moment"), spectrum="x"),
        "spectrum must be a RecoilSpectrum",
    ),
    "exclusion-setup-as-name": (
        lambda s: exclusion_curve("xmass-i", spec_factory("dark-photon"), [1.0]),
        "setup must be a loaded detector",
    ),
    "exclusion-masses-text": (lambda s: exclusion_curve(s, spec_factory("dark-photon"), ["a"]), "masses_mev"),
    "factory-signal-list": (lambda s: spec_factory(["dark-photon"]), "has no mediator mass"),
    "combine-text": (lambda s: combine_models("abc"), "models must be a mapping"),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_r7_r20_api_bad_arguments_raise_input_errors(xmass, case):
    call, fragment = API_CASES[case]
    with pytest.raises(InputError) as info:
        call(xmass)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_activity_constraints_apply_to_every_signal_model(xmass):
    """Only the paper's searches free a component (free_in_searches); any other model keeps every constraint."""
    background = xmass.window("full").background
    constrained = background.activity_sigma()
    assert np.array_equal(background.activity_sigma("light-vector"), constrained)
    assert np.isinf(background.activity_sigma("magnetic-moment")).sum() > 0  # arXiv:2005.11891 §4.1
    with pytest.raises(InputError, match="unknown signal model 'bogus'"):
        background.activity_sigma("bogus")
