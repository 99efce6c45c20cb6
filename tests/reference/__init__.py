"""Naive loop implementations: the ground truth the fast ops are tested against."""
