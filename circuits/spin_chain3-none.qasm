// qbhw: spin_chain3, one Trotter step dt = 0.5, dephasing none
OPENQASM 3.0;
include "stdgates.inc";
gate rxx(p0) _gate_q_0, _gate_q_1 {
  h _gate_q_0;
  h _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  h _gate_q_1;
  h _gate_q_0;
}
gate sxdg _gate_q_0 {
  s _gate_q_0;
  h _gate_q_0;
  s _gate_q_0;
}
gate ryy(p0) _gate_q_0, _gate_q_1 {
  sxdg _gate_q_0;
  sxdg _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  sx _gate_q_0;
  sx _gate_q_1;
}
gate rzz(p0) _gate_q_0, _gate_q_1 {
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
}
bit[3] meas;
qubit[3] q;
rx(0.5) q[0];
rx(0.5) q[1];
rxx(-0.075) q[0], q[1];
ryy(-0.075) q[0], q[1];
rzz(-0.15) q[0], q[1];
rx(0.5) q[2];
rxx(-0.075) q[1], q[2];
ryy(-0.075) q[1], q[2];
rzz(-0.3) q[1], q[2];
ryy(-0.075) q[1], q[2];
rxx(-0.075) q[1], q[2];
rx(0.5) q[2];
rzz(-0.15) q[0], q[1];
ryy(-0.075) q[0], q[1];
rxx(-0.075) q[0], q[1];
rx(0.5) q[1];
rx(0.5) q[0];
meas[0] = measure q[0];
meas[1] = measure q[1];
meas[2] = measure q[2];
