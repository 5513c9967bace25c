"""Hypothesis settings for the fuzz levels: CI is derandomized (the same values every run), the budget
scales with --fuzz-scale / GRAPHGOV_FUZZ_SCALE, and no example database is written into the repository."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

from fuzz.harness import random_mode, scale


def fuzz_settings(examples: int, shrink: bool = False) -> settings:
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=max(1, int(examples * scale())), derandomize=not random_mode(), database=None,
                    deadline=None, phases=phases, suppress_health_check=list(HealthCheck), print_blob=True)
