"""The config format's reference: `exonu config-schema`, `schema_version`, and docs/configuration.md.

The documentation test reads the JSON Schema and fails when any key of any config section is missing from
that section of docs/configuration.md (sections are marked `<!-- schema: ModelName -->`).
"""

import json
import re
import tomllib
import typing
from pathlib import Path

from exonu.cli import main
from exonu.config import RATE_UNITS, SCHEMA_VERSION, json_schema, packaged_detector_dir
from exonu.config.schema import RateUnit

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"<!-- schema: (\w+) -->", text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_config_schema_command_prints_the_json_schema(capsys):
    assert main(["config-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(json_schema()))
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert schema["additionalProperties"] is False
    assert (
        "ShapeSysCfg" in schema["$defs"]
        and schema["$defs"]["ShapeSysCfg"]["properties"]["high_kev"]["default"] == "inf"
    )


def test_every_schema_key_is_documented_in_its_section():
    schema = json_schema()
    sections = _sections(DOCS.read_text(encoding="utf-8"))
    models = {"DetectorCfg": schema, **schema["$defs"]}
    missing = {
        name: [k for k in model["properties"] if f"`{k}`" not in sections.get(name, "")]
        for name, model in models.items()
    }
    assert {n: m for n, m in missing.items() if m} == {}
    assert set(models) <= set(sections)


def test_every_packaged_config_states_its_schema_version():
    for path in packaged_detector_dir().glob("*.toml"):
        assert tomllib.loads(path.read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION, path


def test_one_table_of_rate_units_matches_the_schema():
    assert set(RATE_UNITS) == set(typing.get_args(RateUnit))
