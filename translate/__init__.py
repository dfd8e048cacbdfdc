"""Offline zh->en prompt translation that never mangles --params, URLs or ::weights.

Not built yet: it arrives with its own issue ("Chinese prompts, translated offline"). Until
then the core sends prompts to the model as written.
"""
