"""The command line's literal names (exonu.cli.vocabulary) are the library's: a renamed signal, a new
charge set or limit method, or a changed band minimum must be changed in both places."""

from __future__ import annotations

from exonu.cli import vocabulary
from exonu.searches import SIGNALS
from exonu.searches.spec import MEDIATORS
from exonu.stats import METHODS, MIN_BAND_TOYS
from exonu.xsec import CHARGE_SETS


def test_signal_names_and_descriptions_are_the_search_table():
    assert {name: options.description for name, options in SIGNALS.items()} == vocabulary.SIGNAL_DESCRIPTIONS
    assert list(vocabulary.SIGNAL_DESCRIPTIONS) == list(SIGNALS)


def test_mediators_charge_sets_and_methods_are_the_library():
    assert tuple(MEDIATORS) == vocabulary.MEDIATORS
    assert tuple(sorted(CHARGE_SETS)) == vocabulary.CHARGE_SETS
    assert tuple(METHODS) == vocabulary.LIMIT_METHODS
    assert vocabulary.MIN_BAND_TOYS == MIN_BAND_TOYS
