"""Helpers every part of pu_detect shares: validation, atomic writes, estimator discovery."""
