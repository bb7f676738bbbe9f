"""Model + times -> circuits (Trotter steps, emulated dephasing and dissipation, tomography rotations)."""

from .program import DEPHASING, Program, PubInfo, compile_program

__all__ = ["DEPHASING", "Program", "PubInfo", "compile_program"]
