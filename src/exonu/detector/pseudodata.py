"""Sensitivity estimate and labelled pseudo-data of a loaded detector.

:func:`fisher_sigma_alpha` is the expected σ of a linear signal strength on background-only Asimov
data (the Gaussian pull terms of arXiv:2005.11891 Eq. (7) included); :func:`asimov_data` and
:func:`simulate_data` return expected or seeded-Poisson counts of one window, with metadata that marks
them SIMULATED.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError, check_int
from .setup import DetectorSetup

__all__ = ["asimov_data", "fisher_sigma_alpha", "simulate_data"]

_SIMULATED_NOTE = "SIMULATED pseudo-data (not a measurement)"


def fisher_sigma_alpha(
    signal: ArrayLike,
    templates: ArrayLike,
    activity_sigma: ArrayLike,
    shape_sys: ArrayLike | None = None,
    extra_variance: ArrayLike | None = None,
) -> float:
    """Expected 1σ uncertainty of a linear signal strength α on background-only Asimov data.

    Parameters α, p_j (one per background component) and q_k (one per shape systematic), expected
    counts E_i = α s_i + Σ_j p_j (B_ij + Σ_k q_k Δ_kji), per-bin variance V_i = E_i (+ extra), at
    α = 0, p = 1, q = 0. Fisher matrix F = Jᵀ V⁻¹ J + diag(0, 1/σ_j², 1): the Gaussian pull terms of
    Eq. (7) add 1/σ_j² (0 for free components, σ = inf) and 1 for every q_k. Components with σ = 0 are
    fixed and dropped; free components with an all-zero template are dropped (no information).

    Parameters
    ----------
    signal : array_like, shape (n_bins,)
        Signal counts at α = 1.
    templates : array_like, shape (n_comp, n_bins)
    activity_sigma : array_like, shape (n_comp,)
    shape_sys : array_like, shape (n_sys, n_comp, n_bins), optional
        Absolute shifts per +1σ.
    extra_variance : array_like, shape (n_bins,), optional
        e.g. σ²(B_stat) of the background MC.

    Returns
    -------
    float
        σ(α) = √(F⁻¹)_αα. The χ² of Eq. (4) rises by 1 at α = σ(α) after profiling.
    """
    s = np.asarray(signal, dtype=float)
    b = np.atleast_2d(np.asarray(templates, dtype=float))
    sig = np.asarray(activity_sigma, dtype=float).reshape(-1)
    if b.shape[1] != s.size or sig.size != b.shape[0]:
        raise InputError(
            f"fisher_sigma_alpha: shapes do not match (signal {s.shape}, templates {b.shape}, "
            f"activity_sigma {sig.shape})"
        )
    var = b.sum(axis=0) + (0.0 if extra_variance is None else np.asarray(extra_variance, dtype=float))
    keep = var > 0
    cols = [s]
    prior = [0.0]
    for j in range(b.shape[0]):  # a loop over components (≤ ~20), not over bins
        if sig[j] == 0 or (not np.isfinite(sig[j]) and not np.any(b[j] > 0)):
            continue
        cols.append(b[j])
        prior.append(0.0 if not np.isfinite(sig[j]) else 1.0 / sig[j] ** 2)
    if shape_sys is not None:
        d = np.asarray(shape_sys, dtype=float).reshape(-1, b.shape[0], s.size)
        for dk in d.sum(axis=1):
            if np.any(dk != 0):
                cols.append(dk)
                prior.append(1.0)
    j_mat = np.stack(cols, axis=1)[keep]
    fisher = j_mat.T @ (j_mat / var[keep][:, None]) + np.diag(prior)
    # σ(α)² = 1 / (F_αα − F_αθ F_θθ⁺ F_θα): the Schur complement profiles the nuisances; a pseudo-
    # inverse for F_θθ tolerates degenerate nuisances that α does not couple to
    f_tt = fisher[1:, 1:]
    f_at = fisher[0, 1:]
    info = fisher[0, 0] - (f_at @ np.linalg.pinv(f_tt, hermitian=True) @ f_at if f_at.size else 0.0)
    if info <= 1e-10 * fisher[0, 0]:
        return float("inf")  # the signal is a combination of nuisance directions: α is not measurable
    return float(1.0 / np.sqrt(info))


def asimov_data(
    setup: DetectorSetup, window: str, signal_counts: ArrayLike | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Asimov data set (expected counts, not integers) of a configured model: background (+ signal).

    Returns ``(counts, metadata)`` with ``metadata["simulated"] = True`` and ``"asimov": True``.
    """
    w = setup.window(window)
    counts = w.background.total.copy()
    if signal_counts is not None:
        counts = counts + _check_signal(signal_counts, counts.size)
    meta = {
        "simulated": True,
        "asimov": True,
        "seed": None,
        "detector": setup.name,
        "window": window,
        "config_sha256": setup.config_hash,
        "signal_added": signal_counts is not None,
        "note": _SIMULATED_NOTE + "; Asimov (expected) counts",
    }
    return counts, meta


def simulate_data(
    setup: DetectorSetup, window: str, seed: int, signal_counts: ArrayLike | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Seeded Poisson pseudo-data drawn around the background (+ signal) expectation.

    Parameters
    ----------
    setup : DetectorSetup
    window : str
    seed : int
        Seed of :func:`numpy.random.default_rng` (recorded in the metadata).
    signal_counts : array_like, optional
        Expected signal counts per bin added to the background.

    Returns
    -------
    counts : ndarray of int, shape (n_bins,)
    metadata : dict with ``"simulated": True`` and the seed.
    """
    expected, meta = asimov_data(setup, window, signal_counts)
    seed = check_int(seed, "seed", lower=0)  # numpy's generators take seeds ≥ 0
    counts = np.random.default_rng(seed).poisson(expected)
    meta.update({"asimov": False, "seed": seed, "note": _SIMULATED_NOTE + f"; Poisson, seed {seed}"})
    return counts, meta


def _check_signal(signal_counts: ArrayLike, n_bins: int) -> np.ndarray:
    s = np.asarray(signal_counts, dtype=float)
    if s.shape != (n_bins,) or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise InputError(f"signal_counts must be {n_bins} finite non-negative numbers; got shape {s.shape}")
    return s
