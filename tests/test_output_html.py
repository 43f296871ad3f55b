"""report.html as a library call: one self-contained file with the results, figures and provenance."""

from __future__ import annotations

import re

import pytest

from exonu.config import load_detector
from exonu.errors import InputError
from exonu.output import provenance, results_markdown, write_html_report
from exonu.searches import reproduce_paper


@pytest.fixture(scope="module")
def xenon1t_results():
    return reproduce_paper(
        load_detector("xenon1t-sr1"), n_toys=0, masses_mev=[1e-3, 10.0], dark_photon_toys=0, progress=False
    )


def test_report_is_self_contained(xenon1t_results, tmp_path):
    path = write_html_report(
        xenon1t_results,
        tmp_path / "report.html",
        provenance={**provenance(xenon1t_results, ["exonu", "fit"]), "data_files": ["d.txt"]},
    )
    html = path.read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 6
    # nothing fetched: no external URL in any src/href, no external script or stylesheet
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "@media print" in html
    assert xenon1t_results.statistic == "poisson"  # the detector config's, which the report must name
    for text in ("xenon1t-sr1", xenon1t_results.setup.config_hash, "exonu fit", "d.txt", "poisson"):
        assert text in html, text


def test_published_values_only_where_the_config_has_them(xenon1t_results, tmp_path):
    """XENON1T's config gives only its μ_ν interval (arXiv:2006.09721), none of the XMASS-I paper's values:
    one published entry, no paper prose, the window as configured."""
    html = write_html_report(xenon1t_results, tmp_path / "r.html", figures={}).read_text(encoding="utf-8")
    assert 'id="published-table"' in html and "2006.09721" in html
    assert html.count('data-field="published" data-value=""') == len(xenon1t_results.searches) - 1 + len(
        xenon1t_results.dark_photon
    )
    assert "This run wrote no figures" in html
    md = results_markdown(xenon1t_results)
    assert "What the differences mean" not in md
    assert "1–30 keV" in md  # the window as configured, not the paper's 2–15 / 2–200 keV


def test_no_published_values_means_none_shown(tmp_path):
    """A detector config without [[published]] entries: no published column entries at all."""
    from exonu.config import packaged_detector_dir

    text = (packaged_detector_dir() / "xenon1t_sr1.toml").read_text(encoding="utf-8")
    text = text[: text.index("[[published]]")].replace(
        '"../xenon1t_sr1/', f'"{packaged_detector_dir().parent}/xenon1t_sr1/'
    )
    (tmp_path / "d.toml").write_text(text, encoding="utf-8")
    res = reproduce_paper(
        load_detector(tmp_path / "d.toml"), n_toys=0, masses_mev=[10.0], dark_photon_toys=0, progress=False
    )
    html = write_html_report(res, tmp_path / "r.html", figures={}).read_text(encoding="utf-8")
    assert 'id="published-table"' not in html and "gives no published limits" in html
    assert 'data-field="published"' not in html and "<th>published</th>" not in html
    assert "gives no published limits" in results_markdown(res)


def test_report_of_a_single_search(xenon1t_results, tmp_path):
    """What `exonu fit --report` will call: one search, its table row, its fit figure with residuals and the
    post-fit figures (pulls, correlations, Δχ² profile)."""
    result = xenon1t_results.searches["magnetic_moment_mub"]
    html = write_html_report(
        result, tmp_path / "fit.html", setup=xenon1t_results.setup, data_source="the detector's data set"
    ).read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 4 and 'data-key="magnetic_moment_mub"' in html
    for figure in ("fit", "pulls", "correlations", "profile"):
        assert f'<figure id="{figure}_magnetic_moment_mub">' in html
    assert repr(result.observed) in html
    with pytest.raises(InputError, match="setup"):
        write_html_report(result, tmp_path / "x.html")


def test_report_states_the_atomic_nuisance_on_and_off(xenon1t_results):
    """A XENON detector runs with the atomic nuisance on (its config's default); the report shows both."""
    from exonu.output.html import render_report

    res = xenon1t_results
    assert res.atomic and all(c.in_run for c in res.atomic.values())
    mm = res.atomic["magnetic_moment_mub"]
    assert (mm.observed_on, mm.expected_on) == (
        res.searches["magnetic_moment_mub"].observed,
        res.searches["magnetic_moment_mub"].expected,
    )
    html = render_report(res, {}, provenance(res))
    assert 'id="atomic-table"' in html and "the &#39;off&#39; columns are the same fits without it" in html
    assert f"<td>{mm.observed_off:.3e}</td>" in html and f"<td>{mm.expected_change:+.1%}</td>" in html
    assert "## Atomic nuisance on and off" in results_markdown(res)
