"""The config layer: detector TOML files and data sets in the forms collaborations publish.

* :mod:`.schema` — the pydantic schema (``schema_version``, strict types, JSON Schema export);
* :mod:`.tables` — the one numeric-table reader and the published rate units;
* :mod:`.datasets` — event lists, binned counts and rates, exonu's own data-set files;
* :mod:`.validate` — finding a config, reading and validating it;
* :mod:`.detector_parts` — the response model, background components and region corrections;
* :mod:`.backgrounds` — anchored amplitudes and the background model for any binning;
* :mod:`.build` — config → :class:`exonu.detector.DetectorSetup` (the only place that does it).

The key-by-key reference is ``docs/configuration.md``.
"""

from ..detector import Dataset, DetectorSetup, PublishedValue, SignalSystematics, WindowSetup
from .build import list_detectors, load_detector, packaged_detector_dir, validate_config
from .datasets import read_dataset, write_dataset
from .schema import SCHEMA_VERSION, DetectorCfg, json_schema
from .tables import RATE_UNITS, read_table, to_per_kg_day_kev

__all__ = [
    "RATE_UNITS",
    "SCHEMA_VERSION",
    "Dataset",
    "DetectorCfg",
    "DetectorSetup",
    "PublishedValue",
    "SignalSystematics",
    "WindowSetup",
    "json_schema",
    "list_detectors",
    "load_detector",
    "packaged_detector_dir",
    "read_dataset",
    "read_table",
    "to_per_kg_day_kev",
    "validate_config",
    "write_dataset",
]
