"""The names the command line offers — signals, mediators, charge sets, limit methods — as plain literals.

A command's parser (and so ``exonu fit --help``, ``exonu toys --help``, …) needs these names but must not
import NumPy, SciPy or the library to get them (issue 20: ``--help`` under 0.2 s of CPU). The library stays
the source of truth: ``tests/test_cli_vocabulary.py`` fails when a name here differs from
:data:`exonu.searches.SIGNALS`, :data:`exonu.searches.spec.MEDIATORS`, :data:`exonu.xsec.CHARGE_SETS`,
:data:`exonu.stats.METHODS` or :data:`exonu.stats.MIN_BAND_TOYS`.
"""

from __future__ import annotations

#: ``--signal`` choices with their one-line descriptions (:data:`exonu.searches.SIGNALS`), in its order
SIGNAL_DESCRIPTIONS: dict[str, str] = {
    "millicharge": "neutrino millicharge q (e)",
    "magnetic-moment": "neutrino magnetic moment μ (μ_B)",
    "dark-photon": "U(1)_{B−L} gauge boson, coupling g",
    "light-vector": "light Z′ with charges ['B-L', 'Le-Lmu', 'Le-Ltau', 'Lmu-Ltau', 'universal']",
    "axial-vector": "light axial-vector mediator, g = g_ν = g_e^A",
    "scalar": "light scalar mediator, g = g_ν = g_e",
    "pseudoscalar": "light pseudoscalar mediator, g = g_ν = g_e",
    "nsi": "contact NSI ε^{eP}_{αα}; chirality L, R or V (default L), flavour α (default e)",
    "charge-radius": "neutrino charge radius ⟨r²⟩ (cm²), flavour default e",
}
#: The mediator signals (:data:`exonu.searches.spec.MEDIATORS`): they take ``--mass-mev``
MEDIATORS: tuple[str, ...] = ("dark-photon", "light-vector", "axial-vector", "scalar", "pseudoscalar")
#: ``--charges`` of the light vector (:data:`exonu.xsec.CHARGE_SETS`, sorted)
CHARGE_SETS: tuple[str, ...] = ("B-L", "Le-Lmu", "Le-Ltau", "Lmu-Ltau", "universal")
#: ``--method`` choices (:data:`exonu.stats.METHODS`)
LIMIT_METHODS: tuple[str, ...] = ("bayesian", "plr", "neyman", "cls", "pcl", "fc")
#: Fewest toys of an expected band that is not flagged as too small (:data:`exonu.stats.MIN_BAND_TOYS`)
MIN_BAND_TOYS = 40
