"""Reading the numeric tables a config points to, and converting published rate units.

One reader (:func:`read_table`) for every text table: whitespace- or comma-separated numbers, ``#``
comments, blank lines ignored. One table of unit conversions (:data:`RATE_UNITS`, :func:`to_per_kg_day_kev`)
for every published rate. Errors name the file and the config key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ..constants import PER_TONNE_YEAR_TO_PER_KG_DAY
from ..detector import TabulatedSpectrum, histogram_edges_from_centres
from ..errors import ConfigError, ExonuError, InputError

__all__ = ["RATE_UNITS", "read_table", "read_tabulated_spectrum", "to_per_kg_day_kev"]

#: published rate unit → what it means; the conversion to events/(kg·day·keV) is :func:`to_per_kg_day_kev`
RATE_UNITS = {
    "per_tonne_year_kev": "events/(t·yr·keV)",
    "per_kg_day_kev": "events/(kg·day·keV)",
    "counts_per_kev": "events/keV for the detector's whole exposure",
    "counts_per_bin": "events per table bin for the detector's whole exposure (histograms)",
}
_MAX_TABLE_BYTES = 200_000_000  # refuse /dev/zero and other unbounded or absurd inputs


def to_per_kg_day_kev(
    values: ArrayLike, unit: str, exposure_kg_day: float, bin_widths_kev: ArrayLike | None = None
) -> np.ndarray:
    """Convert published rates to events/(kg·day·keV).

    Parameters
    ----------
    values : array_like
        Rates in ``unit``.
    unit : str
        One of :data:`RATE_UNITS`.
    exposure_kg_day : float
        The detector's exposure (kg·day), used by the ``counts_*`` units.
    bin_widths_kev : array_like, optional
        Table bin widths (keV), required by ``counts_per_bin``.

    Examples
    --------
    One event per tonne per day (365.25 per tonne-year) is 10⁻³ per kg·day:

    >>> to_per_kg_day_kev([365.25], "per_tonne_year_kev", exposure_kg_day=1.0)
    array([0.001])
    """
    v = np.asarray(values, dtype=float)
    if unit == "per_tonne_year_kev":
        return v * PER_TONNE_YEAR_TO_PER_KG_DAY
    if unit == "per_kg_day_kev":
        return v
    if unit == "counts_per_kev":
        return v / exposure_kg_day
    if unit == "counts_per_bin":
        if bin_widths_kev is None:
            raise ConfigError("rate unit 'counts_per_bin' needs the table's bin widths (a histogram)")
        return v / (exposure_kg_day * np.asarray(bin_widths_kev, dtype=float))
    raise ConfigError(f"unknown rate unit {unit!r}; expected one of {list(RATE_UNITS)}")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "…"


def read_table(path: Path, key: str, columns: list[int]) -> list[np.ndarray]:
    """Read numeric columns of a text table (whitespace or comma separated, ``#`` comments).

    Parameters
    ----------
    path : Path
        The table file.
    key : str
        ``"<config file>: key '<key>'"``, named in every error.
    columns : list of int
        0-based columns to return.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not UTF-8 text, ragged, non-numeric or non-finite.
    """
    if not isinstance(path, (str, Path)) or str(path) == "":
        raise InputError(f"{key}: table path must be a file name; got {path!r}")
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{key}: table file {path} not found or not a regular file (paths are relative to the TOML file)"
        )
    try:
        if path.stat().st_size > _MAX_TABLE_BYTES:
            raise ConfigError(f"{key}: {path} is larger than {_MAX_TABLE_BYTES // 1_000_000} MB; not a table")
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is dropped
    except UnicodeDecodeError:
        raise ConfigError(f"{key}: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{key}: {path} cannot be read ({exc.strerror})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        try:
            rows.append([float(x) for x in s.replace(",", " ").split()])
        except ValueError:
            raise ConfigError(f"{key}: {path} line {number} is not numeric ({_short(s)!r})") from None
        if len(rows[-1]) != len(rows[0]):
            raise ConfigError(
                f"{key}: {path} line {number} has {len(rows[-1])} columns but the first row has {len(rows[0])}"
            )
    if not rows:
        raise ConfigError(f"{key}: {path} has no data rows")
    arr = np.array(rows, dtype=float)
    if max(columns) >= arr.shape[1]:
        raise ConfigError(
            f"{key}: {path} has {arr.shape[1]} columns; column {max(columns)} was requested (columns count from 0)"
        )
    if not np.all(np.isfinite(arr[:, columns])):
        raise ConfigError(f"{key}: {path} contains non-finite values")
    return [arr[:, c] for c in columns]


def read_tabulated_spectrum(
    path: Path,
    key: str,
    shape: Literal["points", "histogram"],
    energy_column: int,
    value_column: int,
    unit: str,
    exposure_kg_day: float,
    high_edge_column: int | None = None,
    bin_width_kev: float | None = None,
    extend: Literal["none", "flat"] = "none",
) -> TabulatedSpectrum:
    """A published spectrum file as a :class:`TabulatedSpectrum` in events/(kg·day·keV).

    ``shape="histogram"`` tables give bin centres in ``energy_column`` (regular spacing, or
    ``bin_width_kev``), or low edges there and high edges in ``high_edge_column`` (contiguous bins).
    """
    cols = [energy_column, value_column] + ([high_edge_column] if high_edge_column is not None else [])
    arrs = read_table(path, key, cols)
    x, y = arrs[0], arrs[1]
    try:
        widths = None
        if shape == "histogram":
            if high_edge_column is not None:
                hi = arrs[2]
                if np.any(hi <= x) or np.any(np.abs(x[1:] - hi[:-1]) > 1e-6 * np.maximum(1.0, np.abs(hi[:-1]))):
                    raise ConfigError(
                        f"{key}: {path}: histogram bins must be contiguous (each low edge equal to "
                        "the previous high edge) with high > low"
                    )
                x = np.append(x, hi[-1])
            else:
                x = histogram_edges_from_centres(x, bin_width_kev, source=f"{key}: {path}")
            widths = np.diff(x)
        values = to_per_kg_day_kev(y, unit, exposure_kg_day, widths)
        return TabulatedSpectrum(x, values, shape=shape, extend=extend, source=str(path))
    except ConfigError:
        raise
    except ExonuError as exc:
        raise ConfigError(str(exc) if str(exc).startswith(key) else f"{key}: {exc}") from None
