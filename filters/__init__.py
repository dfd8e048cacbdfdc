"""Banned terms: normalisation against evasion (`normalize`) and Aho-Corasick matching of
term lists (`terms`), with shipped defaults in `default_terms/`. Pure: no database, no bot."""
