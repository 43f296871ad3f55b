"""Compatibility shim: detector configs and data sets now live in :mod:`exonu.config` (and the containers
in :mod:`exonu.detector`). Import from there in new code."""

from .config import (
    RATE_UNITS,
    SCHEMA_VERSION,
    Dataset,
    DetectorCfg,
    DetectorSetup,
    PublishedValue,
    SignalSystematics,
    WindowSetup,
    list_detectors,
    load_detector,
    packaged_detector_dir,
    read_dataset,
    read_table,
    write_dataset,
)

__all__ = [
    "RATE_UNITS",
    "SCHEMA_VERSION",
    "Dataset",
    "DetectorCfg",
    "DetectorSetup",
    "PublishedValue",
    "SignalSystematics",
    "WindowSetup",
    "list_detectors",
    "load_detector",
    "packaged_detector_dir",
    "read_dataset",
    "read_table",
    "write_dataset",
]
