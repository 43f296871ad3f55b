"""`exonu fit --report`: the report says what the command line says (published value, run time, method),
draws the post-fit figures and holds no machine path."""

import re

import pytest

from exonu.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "fit.html"
    argv = ["fit", "--detector", "xenon1t-sr1", "--signal", "magnetic-moment", "--method", "plr", "--toys", "0"]
    assert main([*argv, "--report", str(path)]) == 0
    return path.read_text(encoding="utf-8")


def test_the_report_shows_the_published_interval_whatever_its_method(report):
    # xenon1t_sr1.toml: 2.9e-11 μ_B, a two-sided interval of an unbinned profile likelihood (arXiv:2006.09721)
    assert "The detector config gives no published limits" not in report
    assert "2.900e-11" in report and "two-sided interval" in report


def test_the_footer_names_the_method_used_and_the_run_time_is_real(report):
    footer = re.search(r"<footer>(.*?)</footer>", report, re.S).group(1)
    assert "plr" in footer and "arXiv:2005.11891" not in footer  # the paper's method only for bayesian
    seconds = float(re.search(r"· ([0-9.]+) s ·", report).group(1))
    assert seconds > 0


def test_the_report_draws_pulls_correlations_and_the_profile(report):
    for name in ("pulls_magnetic_moment_mub", "correlations_magnetic_moment_mub", "profile_magnetic_moment_mub"):
        assert f'id="{name}"' in report
    assert 'data-parameter="p_b0"' in report  # the post-fit parameter table
    assert "goodness of fit poisson" in report


def test_the_report_has_no_machine_path(report):
    assert "exonu:detectors/xenon1t_sr1.toml" in report
    assert "/site-packages/" not in report and "/src/exonu/" not in report
    command = re.search(r"<dt>command line</dt><dd><code>(.*?)</code>", report).group(1)
    assert command.split()[0] == "exonu"
