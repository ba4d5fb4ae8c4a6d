"""The bad-input corpus: ``manifest.py`` (the cases), ``make_corpus.py`` (generated files), ``files/`` (committed)."""
