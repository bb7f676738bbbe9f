"""Shared input checks for :mod:`qbhw.metrics` (internal).

Every check raises ``ValueError`` whose message starts with the argument name
and says what is allowed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: Relative tolerance for Hermiticity: ||A - A^dagger||_F <= HERMITIAN_RTOL * ||A||_F.
HERMITIAN_RTOL = 1e-10
#: Tolerance on trace and negative eigenvalues when a density matrix is required.
DENSITY_ATOL = 1e-8


def square_matrix(a, name: str, *, stack: bool = False) -> np.ndarray:
    """Return ``a`` as a finite square complex/real ndarray: 2-D, or (..., d, d) if ``stack``."""
    try:
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ValueError(f"{name} must be a square 2-D array of numbers") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise ValueError(f"{name} must be a square 2-D array of numbers, got dtype {arr.dtype}")
    if (arr.ndim < 2 if stack else arr.ndim != 2) or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] == 0:
        what = "array of square matrices (..., d, d)" if stack else "square 2-D array"
        raise ValueError(f"{name} must be a non-empty {what}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no nan/inf)")
    if not np.iscomplexobj(arr):
        arr = arr.astype(float)
    return arr


def hermitian(a, name: str, *, stack: bool = False) -> np.ndarray:
    """Return ``a`` as a square ndarray (or stack of them) after checking each matrix is
    Hermitian (tolerance 1e-10 * its Frobenius norm)."""
    arr = square_matrix(a, name, stack=stack)
    diffs = np.linalg.norm(arr - np.swapaxes(arr, -1, -2).conj(), axis=(-2, -1))
    norms = np.linalg.norm(arr, axis=(-2, -1))
    bad = np.flatnonzero(np.ravel(diffs > HERMITIAN_RTOL * norms))
    if bad.size:
        diff, norm = np.ravel(diffs)[bad[0]], np.ravel(norms)[bad[0]]
        raise ValueError(
            f"{name} must be Hermitian (||{name} - {name}^dagger|| = {diff:.3g} exceeds "
            f"{HERMITIAN_RTOL:g} * ||{name}|| = {HERMITIAN_RTOL * norm:.3g})"
        )
    return arr


def state_and_hamiltonian(rho, h, rho_name: str = "rho", h_name: str = "h", *, stack: bool = False):
    """Validate a Hermitian state ``rho`` (or stack (..., d, d) if ``stack``) and Hermitian ``h``
    of matching shape."""
    h_arr = hermitian(h, h_name)
    rho_arr = hermitian(rho, rho_name, stack=stack)
    if rho_arr.shape[-2:] != h_arr.shape:
        raise ValueError(
            f"{rho_name} has shape {rho_arr.shape} but {h_name} has shape {h_arr.shape}; "
            "they must be the same (d, d)"
        )
    return rho_arr, h_arr


def density_eigenvalues(rho: np.ndarray, name: str = "rho") -> np.ndarray:
    """Eigenvalues of a (validated Hermitian) ``rho`` that must be a density matrix.

    Requires unit trace and eigenvalues >= -1e-8; tiny negative eigenvalues are
    clipped to 0 and the result renormalised to sum 1.
    """
    p = np.linalg.eigvalsh(rho)
    tr = float(np.real(np.trace(rho)))
    if abs(tr - 1.0) > DENSITY_ATOL or p.min() < -DENSITY_ATOL:
        raise ValueError(
            f"{name} must be a density matrix (positive semidefinite, unit trace); "
            f"got trace {tr:.10g} and smallest eigenvalue {p.min():.3g}"
        )
    p = np.clip(p, 0.0, None)
    return p / p.sum()


def real_vector(a, name: str, *, min_len: int = 1) -> np.ndarray:
    """Return ``a`` as a finite real 1-D float array with at least ``min_len`` entries."""
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a 1-D array of real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size < min_len:
        raise ValueError(
            f"{name} must have at least {min_len} entr{'y' if min_len == 1 else 'ies'}, got {arr.size}"
        )
    if np.iscomplexobj(arr):
        if np.any(arr.imag != 0):
            raise ValueError(f"{name} must be real (non-zero imaginary part found)")
        arr = arr.real
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no nan/inf)")
    return arr


def time_grid(times, name: str = "times", *, min_len: int = 2) -> np.ndarray:
    """Return ``times`` as a finite, strictly increasing 1-D float array."""
    t = real_vector(times, name, min_len=min_len)
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return t


def time_series(times, values, t_name: str = "times", v_name: str = "energy", *, min_len: int = 2):
    """Validate a sampled curve: strictly increasing times and finite values of equal length."""
    t = time_grid(times, t_name, min_len=min_len)
    v = real_vector(values, v_name, min_len=1)
    if v.size != t.size:
        raise ValueError(
            f"{t_name} and {v_name} must have the same length (got {t.size} and {v.size})"
        )
    return t, v


def positive_real(x, name: str) -> float:
    """Return ``x`` as a finite float > 0."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a real number > 0, got {x!r}")
    x = float(x)
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {x!r}")
    return x


def positive_int(n, name: str) -> int:
    """Return ``n`` as a Python int >= 1."""
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"{name} must be a positive integer (>= 1), got {n!r}")
    if not isinstance(n, numbers.Integral):
        if isinstance(n, numbers.Real) and math.isfinite(n) and float(n).is_integer():
            n = int(n)
        else:
            raise ValueError(f"{name} must be a positive integer (>= 1), got {n!r}")
    n = int(n)
    if n <= 0:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {n}")
    return n
