"""Permutation-invariant (PI) state tomography of n battery qubits (Toth et al., PRL 105,
250403 (2010)): K = (n+1)(n+2)/2 settings instead of 3^n.

A setting is a unit direction d; ALL n qubits are measured along sigma.d (outcome 0 <->
eigenvalue +1, outcome index v = sum_i bit_i 2^i, qiskit's order).  Target: the PI part
rho_PI = (1/n!) sum_pi P_pi rho P_pi^dagger, with every total-spin block (not only the
symmetric sector), as a 2^n x 2^n matrix in the computational basis (|0> = Bloch +z).

Parametrisation.  The PI operators are spanned by the symmetrised Pauli strings S_abc = sum
of the distinct strings with a X's, b Y's, c Z's (k = a + b + c, n - k identities),
C(n+3, 3) of them, mutually orthogonal with ||S_abc||^2 = 2^n n!/(a! b! c! (n-k)!).  In the
orthonormal basis B_abc = S_abc / ||S_abc||, rho_PI = 1/2^n + sum_{k >= 1} x_abc B_abc with
x_abc = Tr[rho B_abc].

Statistic.  For a PI state the outcome distribution of setting d depends only on the
Hamming weight m of v, so each setting is reduced to q_d(m) = sum_{|v| = m} p_d(v)
(for any state this is the statistic of rho_PI).  Since Tr[sigma_alpha P_v] = (-1)^v
d_alpha for P_v = (1 + (-1)^v sigma.d)/2,

    q_d(m) = C(n, m)/2^n + sum_{k >= 1} sqrt(n!/(a! b! c! (n-k)! 2^n)) d_x^a d_y^b d_z^c K_m(k),

K_m(k) = sum_j (-1)^j C(k, j) C(n-k, m-j) the Krawtchouk polynomial.  The estimate is the
least-squares solution x = M^+ (q_hat - q_identity) of this linear map M (rows (d, m),
columns the non-identity (a, b, c)): linear, unbiased, trace 1 exactly, possibly not
positive (project with :func:`qbhw.tomography.project_physical`).  The degree-k block of
q_d is a homogeneous degree-k polynomial in d, so the top degree k = n needs
(n+1)(n+2)/2 directions in general position.

Settings.  :func:`pi_settings` returns stored directions that minimise cond(M) (random
directions are badly conditioned: median cond 1090 at n = 6 against 8.6 stored), found by
:func:`optimised_settings` (seeded random starts polished by L-BFGS); values in
:data:`OPTIMISED_SETTINGS`'s comment.

Matrix elements.  <u|B_abc|w> depends on (u, w) only through the counts of qubit pairs
(u_i, w_i) = (0,0), (0,1), (1,0), (1,1) (C(n+3, 3) classes): X and Y act on the differing
positions, I and Z on the equal ones, so the matrix is assembled from one value per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from math import comb, factorial

import numpy as np

from ..errors import InputError

__all__ = ["OPTIMISED_SETTINGS", "optimised_settings", "pi_circuits", "pi_conditioning", "pi_linear_estimate", "pi_settings"]

#: Seeded random direction sets screened by :func:`optimised_settings`.
SETTING_CANDIDATES = 64
SETTING_SEED = 20101214  # PRL 105, 250403 was published 14 Dec 2010
#: Smallest singular value of M, relative to the largest, below which settings are incomplete.
RANK_RTOL = 1e-10


def _compositions(n: int) -> list[tuple[int, int, int]]:
    """(a, b, c) with 1 <= a + b + c <= n: the non-identity symmetrised Pauli strings."""
    return [(a, b, k - a - b) for k in range(1, n + 1) for a in range(k, -1, -1) for b in range(k - a, -1, -1)]


def _multinomial(n: int, a: int, b: int, c: int) -> int:
    return factorial(n) // (factorial(a) * factorial(b) * factorial(c) * factorial(n - a - b - c))


def _krawtchouk(n: int) -> np.ndarray:
    """(n+1, n+1) K[m, k] = sum_{|v| = m} prod_{i < k} (-1)^{v_i}."""
    return np.array([[sum((-1) ** j * comb(k, j) * comb(n - k, m - j) for j in range(min(k, m) + 1))
                      for k in range(n + 1)] for m in range(n + 1)], dtype=float)


def _unit_directions(settings) -> np.ndarray:
    d = np.asarray(settings, dtype=float)
    if d.ndim != 2 or d.shape[1] != 3:
        raise InputError("settings", f"settings must be directions of shape (K, 3), got shape {d.shape}")
    norm = np.linalg.norm(d, axis=1)
    if not np.all(np.isfinite(norm)) or np.any(norm < 1e-12):
        raise InputError("settings", "every setting must be a finite nonzero 3-vector")
    return d / norm[:, None]


def _design_matrix(d: np.ndarray, n: int) -> np.ndarray:
    """M of the module docstring: (K (n+1), C(n+3, 3) - 1), rows (setting, weight m)."""
    comps = _compositions(n)
    powers = np.array(comps, dtype=float)  # (P, 3)
    monomials = np.prod(d[:, None, :] ** powers[None], axis=2)  # (K, P)
    scale = np.array([np.sqrt(_multinomial(n, a, b, c) / 2**n) for a, b, c in comps])
    kraw = _krawtchouk(n)[:, [a + b + c for a, b, c in comps]]  # (n+1, P)
    return (monomials[:, None, :] * kraw[None] * scale).reshape(d.shape[0] * (n + 1), len(comps))


def _pair_classes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(classes (C, 4) of counts (n00, n01, n10, n11), index (2^n, 2^n) of (u, w)'s class)."""
    u = np.arange(2**n)
    popcount = np.array([v.bit_count() for v in range(2**n)])
    n01 = popcount[~u[:, None] & u[None, :]]
    n10 = popcount[u[:, None] & ~u[None, :]]
    n11 = popcount[u[:, None] & u[None, :]]
    code = (n01 * (n + 1) + n10) * (n + 1) + n11
    codes, index = np.unique(code, return_inverse=True)
    n01c, rest = np.divmod(codes, (n + 1) ** 2)
    n10c, n11c = np.divmod(rest, n + 1)
    classes = np.stack([n - n01c - n10c - n11c, n01c, n10c, n11c], axis=1)
    return classes, index.reshape(2**n, 2**n)


def _class_values(n: int, classes: np.ndarray) -> np.ndarray:
    """(C(n+3,3) - 1, classes) <u|B_abc|w> per pair class (n00, n01, n10, n11)."""
    out = np.zeros((len(_compositions(n)), len(classes)), dtype=complex)
    for j, (a, b, c) in enumerate(_compositions(n)):
        norm = np.sqrt(2**n * _multinomial(n, a, b, c))
        for i, (n00, n01, n10, n11) in enumerate(classes):
            if a + b != n01 + n10 or c > n00 + n11:
                continue
            # Z's on the equal positions: z_11 of them on (1,1) pairs (<1|Z|1> = -1); Y's on the
            # differing ones: y_01 on (0,1) pairs (<0|Y|1> = -i), the rest on (1,0) (+i)
            z = sum((-1) ** z_11 * comb(n11, z_11) * comb(n00, c - z_11) for z_11 in range(c + 1))
            y = sum(comb(n01, y_01) * comb(n10, b - y_01) * (-1j) ** y_01 * 1j ** (b - y_01) for y_01 in range(b + 1))
            out[j, i] = z * y / norm
    return out


def _settings_key(settings) -> tuple[tuple[float, float, float], ...]:
    return tuple(tuple(round(float(v), 12) for v in row) for row in _unit_directions(settings))


def pi_conditioning(settings, n: int) -> float:
    """2-norm condition number of M, the linear map inverted by :func:`pi_linear_estimate`:
    from the coordinates x_abc of rho_PI in the orthonormal (Frobenius) basis of traceless PI
    operators to the settings' stacked weight distributions q_d(m) (module docstring).  inf
    if the settings are not informationally complete for PI states of n qubits."""
    s = np.linalg.svd(_design_matrix(_unit_directions(settings), _qubits(n)), compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > RANK_RTOL * s[0] else float("inf")


def _qubits(n) -> int:
    if isinstance(n, bool) or int(n) != n or int(n) < 1:
        raise InputError("n", f"the number of battery qubits must be a positive integer, got {n!r}")
    return int(n)


def _hemisphere(d: np.ndarray) -> np.ndarray:
    """Unit rows flipped to z >= 0 (d and -d give the same information)."""
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    return d * np.where(d[:, 2:3] < 0, -1.0, 1.0)


def _log_condition(y: np.ndarray, n: int, weights: np.ndarray, powers: np.ndarray):
    """log cond(M) of the directions y / |y| (flattened (K, 3)) and its gradient in y
    (d sigma_i = u_i^T dM v_i for the extreme singular values)."""
    y = y.reshape(-1, 3)
    r = np.linalg.norm(y, axis=1, keepdims=True)
    d = y / r
    mono = np.prod(d[:, None, :] ** powers[None], axis=2)
    u, s, vt = np.linalg.svd((mono[:, None, :] * weights[None]).reshape(y.shape[0] * (n + 1), -1), full_matrices=False)
    grad_m = np.outer(u[:, 0], vt[0]) / s[0] - np.outer(u[:, -1], vt[-1]) / s[-1]
    grad_mono = np.einsum("kmj,mj->kj", grad_m.reshape(y.shape[0], n + 1, -1), weights)
    lowered = [np.maximum(powers - np.eye(3)[a], 0) for a in range(3)]
    dmono = np.stack([powers[None, :, a] * np.prod(d[:, None, :] ** lowered[a][None], axis=2) for a in range(3)], axis=-1)
    grad_d = np.einsum("kj,kja->ka", grad_mono, dmono)
    return float(np.log(s[0] / s[-1])), ((grad_d - d * np.sum(d * grad_d, axis=1, keepdims=True)) / r).ravel()


def optimised_settings(n: int, starts: int = 4, seed: int = SETTING_SEED, maxiter: int = 2000) -> np.ndarray:
    """(K, 3) directions minimising :func:`pi_conditioning`: of SETTING_CANDIDATES seeded
    random sets, the ``starts`` best-conditioned are polished by L-BFGS on log cond(M) (analytic
    gradient of the extreme singular values); the best result, on the z >= 0 hemisphere.
    Generates :data:`OPTIMISED_SETTINGS` (single-threaded BLAS, seconds up to n = 8)."""
    from scipy.optimize import minimize

    n = _qubits(n)
    k = (n + 1) * (n + 2) // 2
    rng = np.random.default_rng(seed + n)
    candidates = sorted((_hemisphere(rng.normal(size=(k, 3))) for _ in range(SETTING_CANDIDATES)),
                        key=lambda d: pi_conditioning(d, n))[:starts]
    comps = _compositions(n)
    powers = np.array(comps, dtype=float)
    weights = _krawtchouk(n)[:, [a + b + c for a, b, c in comps]] * np.sqrt(
        [_multinomial(n, a, b, c) / 2**n for a, b, c in comps])
    fits = [minimize(_log_condition, d.ravel(), args=(n, weights, powers), jac=True, method="L-BFGS-B",
                     options={"maxiter": maxiter}) for d in candidates]
    return _hemisphere(min(fits, key=lambda f: f.fun).x.reshape(k, 3))


@cache
def _settings(n: int) -> np.ndarray:
    d = np.array(OPTIMISED_SETTINGS[n]) if n in OPTIMISED_SETTINGS else optimised_settings(n)
    d = _hemisphere(d)
    d.setflags(write=False)
    return d


def pi_settings(n: int) -> np.ndarray:
    """(K, 3) unit directions, K = (n+1)(n+2)/2, deterministic and well conditioned: the
    stored :data:`OPTIMISED_SETTINGS` for n <= 8 (condition numbers in its comment), else
    :func:`optimised_settings` computed here (cached)."""
    return _settings(_qubits(n)).copy()


@lru_cache(maxsize=32)
def _estimator(key: tuple[tuple[float, float, float], ...], n: int):
    """Precomputed pieces of the linear estimate for these settings: (fold (2^n, n+1),
    gain (K (n+1), classes), offset (classes,), class index (2^n, 2^n))."""
    d = np.array(key, dtype=float)
    m = _design_matrix(d, n)
    s = np.linalg.svd(m, compute_uv=False)
    if s[-1] <= RANK_RTOL * s[0]:
        raise InputError("data", f"the {len(key)} settings do not determine a permutation-invariant state of "
                                 f"{n} qubits (rank-deficient: need >= {(n + 1) * (n + 2) // 2} directions in general position)")
    classes, index = _pair_classes(n)
    values = _class_values(n, classes)
    gain = np.linalg.pinv(m).T @ values  # (K (n+1), classes)
    identity = (classes[:, 1] + classes[:, 2] == 0) / 2**n  # <u|1/2^n|w> per class
    q_identity = np.tile([comb(n, w) / 2**n for w in range(n + 1)], len(key))
    offset = identity - q_identity @ gain
    popcount = np.array([v.bit_count() for v in range(2**n)])
    fold = (popcount[:, None] == np.arange(n + 1)[None, :]).astype(float)
    return fold, gain, offset, index


def pi_linear_estimate(data: Mapping, n: int) -> np.ndarray:
    """Least-squares linear estimate of rho_PI (module docstring), Hermitian, trace 1.

    ``data`` maps each setting (a direction: any 3-tuple, e.g. a NamedTuple Axis(x, y, z);
    normalised here) to counts or probabilities over the 2^n outcomes, shape (..., 2^n),
    outcome v = sum_i bit_i 2^i, bit 0 <-> eigenvalue +1 of sigma.d.  Leading axes (the
    same for every setting) are kept: returns (..., 2^n, 2^n).  Each setting's counts are
    normalised by their own total."""
    n = _qubits(n)
    if not data:
        raise InputError("data", "no settings given")
    fold, gain, offset, index = _estimator(_settings_key([tuple(k) for k in data]), n)
    stats = []
    for key, counts in data.items():
        c = np.asarray(counts, dtype=float)
        if c.shape[-1:] != (2**n,):
            raise InputError("data", f"setting {tuple(key)}: expected counts over 2^{n} = {2**n} outcomes, got shape {c.shape}")
        total = c.sum(axis=-1, keepdims=True)
        if np.any(total <= 0):
            raise InputError("data", f"setting {tuple(key)}: no counts")
        stats.append((c / total) @ fold)
    q = np.concatenate(np.broadcast_arrays(*stats), axis=-1)  # (..., K (n+1))
    values = q @ gain + offset  # (..., classes)
    return values[..., index]


def pi_circuits(state_prep, qubits, settings) -> list:
    """One circuit per setting: ``state_prep`` then every qubit of ``qubits`` rotated so that
    a Z measurement measures sigma.d (:func:`qbhw.compile.program.rotate_to_z`) and measured,
    qubits[i] into bit i of the classical register "meas" (``state_prep``'s own if it has one of
    that size, else a new one)."""
    from qiskit import ClassicalRegister

    from ..compile.program import rotate_to_z

    qubits = list(qubits)
    own = [r for r in state_prep.cregs if r.name == "meas" and r.size == len(qubits)]
    out = []
    for d in _unit_directions(settings):
        qc = state_prep.copy()
        if own:
            meas = own[0]
        else:
            meas = ClassicalRegister(len(qubits), "meas")
            qc.add_register(meas)
        for i, q in enumerate(qubits):
            rotate_to_z(qc, q, d)
            qc.measure(q, meas[i])
        out.append(qc)
    return out


#: Optimised directions, n -> K rows (x, y, z), from ``optimised_settings(n)`` with the defaults
#: (single-threaded BLAS), rounded to 6 decimals.  cond(M) (:func:`pi_conditioning`):
#: n=1: 1.00, n=2: 1.58, n=3: 2.73, n=4: 4.15, n=5: 6.02, n=6: 8.61, n=7: 12.85, n=8: 19.18;
#: the best (median) of the 64 seeded random sets: n=1: 1.4 (7.1), 2: 4.0 (18), 3: 9.6 (110),
#: 4: 32 (258), 5: 76 (432), 6: 175 (1742), 7: 498 (3121), 8: 732 (5204).
OPTIMISED_SETTINGS: dict[int, tuple[tuple[float, float, float], ...]] = {
    1: (
        (-0.228789, 0.624636, 0.746650), (0.943645, 0.330724, 0.012473), (0.239144, -0.707426, 0.665100),
    ),
    2: (
        (0.008036, 0.900990, 0.433766), (-0.878790, 0.472705, 0.065410), (-0.408037, 0.061463, 0.910894),
        (0.631575, 0.122123, 0.765636), (0.130119, -0.787528, 0.602386), (-0.803338, -0.570856, 0.169623),
    ),
    3: (
        (0.285209, -0.542822, 0.789937), (0.859756, -0.429685, 0.276026), (-0.909038, 0.051111, 0.413566),
        (0.254176, 0.814916, 0.520871), (-0.492888, -0.601423, 0.628770), (-0.536308, 0.765945, 0.354546),
        (-0.220330, 0.199741, 0.954756), (0.659503, 0.157673, 0.734979), (0.836002, 0.545714, 0.057408),
        (0.026902, -0.978448, 0.204735),
    ),
    4: (
        (-0.353260, 0.899331, 0.257703), (-0.957613, -0.197622, 0.209579), (0.574029, -0.273089, 0.771954),
        (-0.027257, -0.971903, 0.233799), (0.510608, 0.826398, 0.237371), (-0.570186, -0.714379, 0.405648),
        (-0.805963, 0.468064, 0.362407), (0.781394, 0.403771, 0.475807), (0.309416, 0.603601, 0.734798),
        (-0.648490, -0.213686, 0.730615), (0.938134, -0.241275, 0.248377), (0.043311, -0.507645, 0.860477),
        (0.561507, -0.778950, 0.279188), (0.071992, 0.063001, 0.995413), (-0.339762, 0.481799, 0.807732),
    ),
    5: (
        (-0.250338, 0.004752, 0.968147), (0.748021, -0.188760, 0.636266), (0.692597, -0.630104, 0.351111),
        (0.244925, -0.783962, 0.570452), (0.489972, 0.216475, 0.844433), (0.021437, 0.433850, 0.900730),
        (0.347866, -0.246493, 0.904561), (-0.726157, -0.621865, 0.293221), (-0.681745, -0.315906, 0.659869),
        (0.872157, 0.363148, 0.327821), (-0.950986, -0.122453, 0.283957), (-0.326541, -0.870117, 0.369145),
        (0.334954, -0.939274, 0.074633), (-0.505909, 0.759986, 0.408017), (-0.158585, -0.534723, 0.830014),
        (0.469617, 0.876749, 0.103778), (-0.522462, 0.422325, 0.740725), (-0.835809, 0.398728, 0.377411),
        (0.971140, -0.207803, 0.117069), (0.387029, 0.699900, 0.600290), (-0.004542, 0.947042, 0.321079),
    ),
    6: (
        (-0.438081, 0.891803, 0.113020), (0.974222, -0.034014, 0.223011), (0.179165, 0.965825, 0.187300),
        (-0.967674, -0.032995, 0.250038), (-0.593242, -0.577965, 0.560376), (0.547504, 0.397453, 0.736390),
        (-0.850345, 0.521285, 0.071943), (-0.672476, -0.733055, 0.102012), (0.072927, -0.350912, 0.933565),
        (0.028176, -0.750026, 0.660808), (-0.119685, 0.878756, 0.462021), (-0.536414, 0.672020, 0.510538),
        (-0.776414, 0.271527, 0.568730), (0.452596, 0.012986, 0.891621), (-0.118313, 0.060733, 0.991117),
        (-0.299565, -0.898053, 0.322120), (0.708337, 0.619396, 0.338536), (-0.423922, -0.343695, 0.837952),
        (-0.747709, -0.205494, 0.631430), (-0.405600, 0.349452, 0.844613), (0.921932, 0.385907, 0.033426),
        (0.430647, -0.547106, 0.717787), (0.572885, -0.758535, 0.310526), (0.770312, 0.046859, 0.635943),
        (0.803075, -0.389820, 0.450678), (0.125353, -0.960041, 0.250217), (0.294972, 0.758887, 0.580587),
        (-0.027925, 0.445762, 0.894716),
    ),
    7: (
        (0.213440, -0.414201, 0.884806), (0.398403, 0.057834, 0.915385), (0.705391, 0.192758, 0.682106),
        (0.935369, -0.349605, 0.053488), (0.205434, 0.771124, 0.602631), (-0.112579, -0.271824, 0.955739),
        (0.809609, 0.435366, 0.393688), (0.292572, -0.833443, 0.468801), (0.575660, -0.779720, 0.246276),
        (0.165004, 0.446849, 0.879261), (-0.775482, -0.492623, 0.394905), (0.609571, -0.231917, 0.758048),
        (0.663659, 0.739942, 0.109742), (-0.425407, -0.021349, 0.904750), (0.584083, -0.586575, 0.561049),
        (-0.767812, 0.089607, 0.634378), (-0.629338, -0.354668, 0.691480), (-0.250795, 0.537124, 0.805357),
        (0.557538, 0.517182, 0.649365), (0.857308, -0.287400, 0.427112), (0.371755, 0.897673, 0.236603),
        (-0.756089, 0.640805, 0.133032), (0.919027, 0.394195, 0.000412), (-0.475745, -0.665401, 0.575246),
        (0.980800, 0.003695, 0.194979), (-0.145013, -0.873608, 0.464522), (-0.063883, 0.168791, 0.983579),
        (-0.382067, 0.744643, 0.547295), (-0.093840, -0.593956, 0.799006), (-0.575445, 0.462842, 0.674270),
        (-0.943600, -0.140037, 0.300014), (-0.391741, 0.906714, 0.156234), (-0.870950, 0.332089, 0.362163),
        (-0.068373, 0.943787, 0.323406), (-0.421167, -0.898799, 0.121571), (0.080634, -0.985114, 0.151817),
    ),
    8: (
        (-0.034881, -0.444047, 0.895324), (-0.593546, -0.622856, 0.509659), (0.819046, 0.314488, 0.479855),
        (-0.807160, -0.544772, 0.227411), (-0.868076, -0.242655, 0.433085), (0.465893, 0.851369, 0.241069),
        (0.786467, 0.595265, 0.164709), (0.032574, -0.783881, 0.620056), (0.126181, -0.142131, 0.981772),
        (-0.833795, 0.431441, 0.344448), (-0.257839, -0.679745, 0.686634), (-0.209355, -0.897152, 0.388959),
        (-0.401358, 0.309834, 0.861925), (0.286456, 0.180888, 0.940862), (-0.568723, -0.808598, 0.150742),
        (0.841556, -0.049713, 0.537878), (0.390386, -0.859902, 0.328888), (-0.436449, 0.899607, 0.014811),
        (-0.386262, 0.615705, 0.686811), (0.649599, -0.344153, 0.677923), (0.466685, -0.636231, 0.614342),
        (0.324717, -0.412105, 0.851309), (-0.860032, 0.510230, 0.003119), (-0.363166, -0.063584, 0.929552),
        (0.684815, -0.680113, 0.261677), (-0.960153, -0.269679, 0.073341), (0.079495, -0.989218, 0.122999),
        (0.558005, 0.049889, 0.828336), (0.293703, 0.735490, 0.610568), (0.049078, 0.540206, 0.840100),
        (-0.645127, 0.389784, 0.657175), (0.616591, 0.626017, 0.477408), (0.971100, 0.042194, 0.234912),
        (0.081054, 0.958785, 0.272325), (-0.656372, 0.717264, 0.233898), (-0.271648, -0.961845, 0.032570),
        (0.529370, 0.392813, 0.751974), (-0.992766, 0.095203, 0.073155), (-0.645382, -0.121304, 0.754167),
        (-0.054662, 0.793830, 0.605678), (0.872102, -0.375808, 0.313378), (-0.305533, 0.863665, 0.400915),
        (-0.074149, 0.184026, 0.980121), (-0.842874, 0.108577, 0.527044), (-0.436911, -0.411866, 0.799672),
    ),
}
