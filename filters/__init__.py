"""Banned terms: normalisation against evasion and Aho-Corasick matching.

Not built yet: it arrives with its own issue ("Banned terms"). Until then no prompt is blocked.
"""
