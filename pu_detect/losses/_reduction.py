"""The ``reduction`` argument shared by the per-sample losses."""

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(values, reduction):
    if reduction == "none":
        return values
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    raise ValueError(f"reduction must be one of {_REDUCTIONS}; got {reduction!r}.")
