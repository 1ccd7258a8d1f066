"""Array-likes read as time series by the wrappers: ``[n, T]`` tables, ``[n, C, T]`` panels and
lists of series (numpy ``[T]`` or ``[C, T]`` arrays of any lengths), validated with the exceptions
scikit-learn's conformance checks expect: ``ValueError`` for NaN/inf, empty or zero-length
input, complex numbers and wrong dimensions; ``TypeError`` for sparse matrices and objects that
are not numbers."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array
from torch.utils.data import Dataset

from jepa_domains.data.timeseries_readers import Series


@dataclass
class SeriesInput:
    """Validated series: ``values`` (``[C, T_i]`` float32 each), the ``layout`` they came in
    (``"table"`` ``[n, T]``, ``"panel"`` ``[n, C, T]`` or ``"list"``), their channel count and
    their common length (None when lengths vary)."""

    values: list[np.ndarray]
    layout: str
    channels: int
    length: int | None

    def as_series(self, prefix: str = "X") -> list[Series]:
        """Unlabelled :class:`Series`, named ``X[i]`` in error messages."""
        return [Series(v, None, f"{prefix}[{i}]") for i, v in enumerate(self.values)]


def is_array_input(X: Any) -> bool:
    """True when ``X`` is to be read as numbers (an array, a DataFrame, a sparse matrix, a list
    of numbers or of arrays); False for a torch ``Dataset`` or a list of modality samples
    (e.g. :class:`Series` objects, graphs)."""
    if isinstance(X, Dataset):
        return False
    if isinstance(X, (list, tuple)):
        return len(X) == 0 or _numeric_like(X[0])
    return True


def _numeric_like(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.generic, np.ndarray, list, tuple, str, bytes)) or hasattr(x, "__array__")


def read_series(X: Any) -> SeriesInput:
    """Validate ``X`` and cut it into series ``[C, T_i]``.

    Raises:
        TypeError: sparse input, or elements that are not numbers (e.g. dicts in an object array).
        ValueError: no samples, zero-length series or channels, NaN/inf, complex numbers, values
            beyond float32, a 1-D or 4-D+ array, series with different channel counts.
    """
    if isinstance(X, (str, bytes)):
        raise ValueError(f"X must be series (an array or a list of them) or a list of modality samples, "
                         f"got the string {X!r}")
    if sp.issparse(X):
        raise TypeError("sparse X is not supported (JEPA encoders read dense series): pass X.toarray()")
    if isinstance(X, (list, tuple)) and not X:
        raise ValueError("X is empty: found 0 sample(s), a minimum of 1 is required")
    # a list of numpy series, or of different shapes (a list of equal lists of numbers is a table, as in scikit-learn)
    if isinstance(X, (list, tuple)) and (any(isinstance(x, np.ndarray) for x in X) or len({np.shape(x) for x in X}) > 1):
        return _read_ragged(X)
    arr = check_array(X, allow_nd=True, dtype="numeric", ensure_all_finite=True, input_name="X")
    if arr.ndim == 2:
        return SeriesInput([_float32(row[None, :], f"X[{i}]") for i, row in enumerate(arr)], "table", 1, arr.shape[1])
    if arr.ndim != 3:
        raise ValueError(f"X must be [n, T], [n, C, T] or a list of series, got an array of shape {arr.shape}")
    if arr.shape[1] == 0 or arr.shape[2] == 0:
        raise ValueError(f"X of shape {arr.shape} has zero-length series or no channels")
    return SeriesInput([_float32(s, f"X[{i}]") for i, s in enumerate(arr)], "panel", arr.shape[1], arr.shape[2])


def _read_ragged(X: list | tuple) -> SeriesInput:
    """Series of different lengths, each ``[T]`` or ``[C, T]``, with one channel count."""
    values = []
    for i, x in enumerate(X):
        if sp.issparse(x):
            raise TypeError(f"X[{i}] is sparse, which is not supported: pass dense series")
        try:
            one = check_array(x, ensure_2d=False, dtype="numeric", ensure_all_finite=True, input_name=f"X[{i}]")
        except (TypeError, ValueError) as err:
            raise type(err)(f"series X[{i}]: {err}") from None
        if one.ndim == 1:
            one = one[None, :]
        if one.ndim != 2:
            raise ValueError(f"series X[{i}] must be [T] or [C, T], got shape {one.shape}")
        if values and one.shape[0] != values[0].shape[0]:
            raise ValueError(f"series X[{i}] has {one.shape[0]} channels, X[0] has {values[0].shape[0]}")
        values.append(_float32(one, f"X[{i}]"))
    return SeriesInput(values, "list", values[0].shape[0], None)


def _float32(values: np.ndarray, name: str) -> np.ndarray:
    """A float32 copy (never a view of a read-only input); values beyond float32 raise."""
    out = np.array(values, dtype=np.float32, copy=True)
    if not np.isfinite(out).all():
        raise ValueError(f"series {name} has values beyond the float32 range (the encoders compute in float32)")
    return out
