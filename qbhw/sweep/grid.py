"""A sweep grid as data: Cartesian axes and zipped lists over experiment-file parameters.

    [sweep]                    # each key: a model, run or compile parameter and its values
    gamma_c = [0.1, 1.0, 10.0] # several keys form the Cartesian grid (first key slowest)
    F = [0.25, 0.5]
    [sweep.zip]                # lists of equal length taken together, along dimension "zip"
    backend = ["fake_fez-2025-02-26", "fake_marrakesh-2025-02-26"]
    qubits = [[5, 6], [12, 13]]

A point is one combination; its seed comes from the run seed and the point's coordinates
alone (:func:`point_seed`), so serial, parallel and resumed runs draw the same numbers and
adding values to an axis leaves the other points' seeds unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass

import numpy as np

ZIP_DIM = "zip"


@dataclass(frozen=True)
class Axis:
    """One swept parameter: ``section`` is "model", "run" or "compile"."""

    name: str
    section: str
    values: tuple


@dataclass(frozen=True)
class Point:
    """One grid point: ``index`` per dimension, ``coords`` = (parameter, value) of every swept one."""

    index: tuple[int, ...]
    coords: tuple[tuple[str, object], ...]

    @property
    def label(self) -> str:
        """Folder-safe, human-readable name, e.g. ``gamma_c=0.1,F=0.5`` (a "/" in a value as "%2F")."""
        return ",".join(f"{k}={format_value(v)}" for k, v in self.coords).replace("/", "%2F")


@dataclass(frozen=True)
class SweepGrid:
    axes: tuple[Axis, ...]
    zipped: tuple[Axis, ...] = ()

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes) + ((ZIP_DIM,) if self.zipped else ())

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes) + ((len(self.zipped[0].values),) if self.zipped else ())

    @property
    def parameters(self) -> tuple[Axis, ...]:
        return self.axes + self.zipped

    def points(self) -> list[Point]:
        """Every point in C order (the last dimension fastest)."""
        out = []
        for index in itertools.product(*(range(n) for n in self.shape)):
            coords = [(a.name, a.values[i]) for a, i in zip(self.axes, index)]
            if self.zipped:
                coords += [(a.name, a.values[index[-1]]) for a in self.zipped]
            out.append(Point(tuple(index), tuple(coords)))
        return out

    def to_dict(self) -> dict:
        return {**{a.name: list(map(_plain, a.values)) for a in self.axes},
                **({ZIP_DIM: {a.name: list(map(_plain, a.values)) for a in self.zipped}} if self.zipped else {})}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def format_value(value) -> str:
    """A value as it appears in folder names and coordinate labels (qubits as ``45-37``)."""
    if isinstance(value, tuple):
        return "-".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)  # repr: shortest exact float


def point_seed(run_seed: int, coords) -> int:
    """A 32-bit seed from the run seed and a point's coordinates (numpy SeedSequence over a
    SHA-256 of their canonical JSON): independent of the point's position in the grid."""
    text = json.dumps([[k, _plain(v)] for k, v in sorted(coords)], sort_keys=True)
    words = np.frombuffer(hashlib.sha256(text.encode()).digest()[:16], dtype="<u4")
    return int(np.random.SeedSequence([int(run_seed), *map(int, words)]).generate_state(1)[0])
