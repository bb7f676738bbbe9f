"""Sweeps: a grid of experiment specs run as Dask tasks, merged into one xarray Dataset.

- :mod:`qbhw.sweep.grid`: the grid as data (Cartesian axes, zipped lists, points, seeds);
  imports nothing of qbhw, so the experiment-file parser can build it.
- :mod:`qbhw.sweep.engine`: runs the points (a ``dask.distributed`` cluster, or serially),
  each finished point written to the run folder before anything is merged.
- :mod:`qbhw.sweep.hardware`: target "ibm": serial points through the job manifest after one
  QPU-time estimate for the grid.
- :mod:`qbhw.sweep.dataset`: the per-point results merged into one labelled Dataset
  (``sweep.nc``).

Import the submodules directly; this package module imports nothing.
"""
