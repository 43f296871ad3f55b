"""`exonu fit --detector A --detector B --report PATH`: the joint fit's report.html holds the combined limit
as results.json gives it, then each detector's own limit, post-fit table and figures; written atomically,
and a bad path is refused before the fit."""

import contextlib
import io
import json
import re

import pytest

from exonu.cli import main

JOINT = ["fit", "--detector", "xmass-i", "--detector", "xenonnt-sr0", "--signal", "magnetic-moment", "--toys", "0"]
PNG = re.compile(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"')


@pytest.fixture(scope="module")
def joint(tmp_path_factory):
    """The JSON document and the report of one joint fit (Asimov medians only: --toys 0)."""
    path = tmp_path_factory.mktemp("joint") / "joint.html"
    out = io.StringIO()  # a module fixture has no capsys
    with contextlib.redirect_stdout(out):
        assert main([*JOINT, "--report", str(path), "--json"]) == 0
    return json.loads(out.getvalue()), path.read_text(encoding="utf-8")


def section(html: str, anchor: str) -> str:
    """The text of ``<section id="anchor">`` of the report."""
    match = re.search(rf'<section id="{anchor}".*?</section>', html, re.S)
    assert match, f"no section {anchor}"
    return match.group(0)


def test_the_joint_report_shows_the_combined_limit_of_the_json(joint):
    doc, html = joint
    combined = section(html, "results")
    assert f'data-field="observed" data-value="{doc["upper_limit"]!r}"' in combined
    assert f'data-field="expected" data-value="{doc["expected_upper_limit"]!r}"' in combined
    assert f'data-field="method">{doc["method"]}<' in combined
    assert f'data-field="statistic">{doc["statistic"]}<' in combined
    assert "90 % CL" in combined and "xmass-i + xenonnt-sr0" in html


def test_the_joint_report_has_a_section_per_detector_with_its_own_fit(joint):
    doc, html = joint
    assert html.count('class="detector-section"') == 2
    for name in ("xmass-i", "xenonnt-sr0"):
        own = section(html, f"detector-{name}")
        record = doc["per_detector"][name]
        assert name in own
        assert f'data-field="observed" data-value="{record["upper_limit"]!r}"' in own
        assert f'data-field="expected" data-value="{record["expected_upper_limit"]!r}"' in own
        # its post-fit table: one row per parameter of that detector's own fit, pulls column, goodness of fit
        assert f'id="postfit-{name}-magnetic_moment_mub"' in own and "<th>pull</th>" in own
        assert record["nuisances"]
        for p in record["nuisances"]:
            assert f'data-parameter="{p["name"]}"' in own, p["name"]
        assert "goodness of fit" in own
        assert f'id="{name}_fit_magnetic_moment_mub"' in own  # its data-vs-model figure
        assert len(PNG.findall(own)) >= 1
        assert doc["data_sources"][name].replace("'", "&#39;") in own
    # the reconstruction flag where (and only where) the detector is one
    assert "Reconstruction." in section(html, "detector-xmass-i")
    assert "Reconstruction." not in section(html, "detector-xenonnt-sr0")


def test_the_joint_report_ids_are_unique_and_it_has_no_machine_path(joint):
    _, html = joint
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "exonu:detectors/xmass_i.toml" in html and "exonu:detectors/xenonnt_sr0.toml" in html
    assert "/site-packages/" not in html and "/src/exonu/" not in html
    assert 'src="http' not in html and 'href="http' not in html  # self-contained


def test_the_joint_report_is_written_atomically(tmp_path, capsys, fill_disk):
    """A full disk while writing leaves the previous report as it was, and no temporary file."""
    target = tmp_path / "joint.html"
    target.write_text("old")
    fill_disk()
    assert main([*JOINT, "--report", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("exonu: error: cannot write") and "No space left on device" in err and err.count("\n") == 1
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["joint.html"]


def test_a_joint_report_path_is_checked_before_the_fit(tmp_path, capsys, monkeypatch):
    import exonu.searches

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit ran before --report was checked")

    monkeypatch.setattr(exonu.searches, "run_joint_search", no_fit)
    assert main([*JOINT, "--report", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("exonu: error: ") and err.count("\n") == 1 and "is a directory" in err
