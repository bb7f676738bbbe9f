"""Model + times -> circuits (Trotter steps, emulated dephasing, tomography rotations)."""

from .program import DEPHASING, Program, PubInfo, compile_program

__all__ = ["DEPHASING", "Program", "PubInfo", "compile_program"]
