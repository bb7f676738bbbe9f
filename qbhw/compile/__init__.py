"""Model + times -> circuits (Trotter steps, emulated dephasing, tomography rotations)."""

from .collision import compile_collisions
from .program import DEPHASING, Program, PubInfo, compile_program

__all__ = ["DEPHASING", "Program", "PubInfo", "compile_collisions", "compile_program"]
