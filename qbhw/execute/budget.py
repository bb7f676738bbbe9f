"""QPU time on IBM devices: the repetition delay, the usage jobs report, a budget per account.

Repetition delay (:func:`choose_rep_delay`)
-------------------------------------------
After each shot's final measurement the device waits ``rep_delay`` before the next shot,
chosen from the backend's ``rep_delay_range`` (``default_rep_delay`` otherwise, 250 us on
Heron).  Every shot pays it, so at a few microseconds of circuit it is most of the QPU time.

With ``init_qubits`` (the runtime's default) the control system resets every qubit at the start
of every shot: measure, flip if read 1.  A misread outcome leaves (or puts) the qubit in |1>, so
even a fully relaxed qubit starts a shot excited with probability of order its readout
assignment error eps_q (the snapshot's ``readout_error``, the mean of P(1|0) and P(0|1)).  The
worst previous shot ends with qubit q in |1>; after the delay d its excitation is
exp(-d / T1_q).  The delay has done its work once that is no larger than what the reset leaves
anyway::

    exp(-d / T1_q) <= eps_q  for every used qubit   =>   d_init = max_q T1_q ln(1 / eps_q),

after which the reset carries at most eps_q exp(-d / T1_q) <= eps_q**2 of the previous shot into
the next (second order).  d_init is clipped to [range minimum, default]: never shorter than the
device allows, never longer than the device's default (the wait every other job gets).  Relying
on the reset's own suppression alone (d = T1 ln(P(0|1) / P(1|0)), tens of microseconds) would
let the previous circuit bias the next shot's preparation by up to the reset's error itself,
correlated with the circuit order (the device runs shot k of every circuit before shot k + 1,
and IBM's guide "Qubit initialization" shows the state-preparation error growing as rep_delay
falls below the default, init_qubits on); qbhw does not.  On Heron (T1 ~ 100-250 us, eps ~ 1 %)
T1 ln(1/eps) is 0.5-1.2 ms, so the rule keeps the 250 us default unless every used qubit has T1
below about 55 us (at eps = 1 %; on fake_fez 3 of 156 qubits need less than 250 us).

Without ``init_qubits`` nothing resets the qubits: the excitation has to decay by itself,
d = 5 T1_max (exp(-5) = 0.7 %), clipped to the allowed range (it may exceed the default).
When the range, a T1 or a readout error is not reported: the snapshot's default, else
:data:`DEFAULT_REP_DELAY`.

Usage and budget
----------------
:func:`job_usage` reads the QPU seconds a finished runtime job reports (``metrics()["usage"]``,
``usage()``; local-mode jobs report none).  A :class:`Ledger` (``$QBHW_HOME/usage.json``,
default ``~/.qbhw/usage.json``) keeps the QPU seconds used per account and a budget per
rolling window (IBM's Open Plan: 600 QPU seconds per 28 days); :meth:`Ledger.check` refuses a
run whose estimate would exceed it.  Accounts are keyed by :func:`account_id`, a hash of the
channel and instance; tokens are never read, stored or hashed.

Times are in seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import InputError
from .targets import CostError

__all__ = [
    "DEFAULT_REP_DELAY",
    "DEFAULT_WINDOW_DAYS",
    "BudgetError",
    "Ledger",
    "account_id",
    "backend_account",
    "choose_rep_delay",
    "job_usage",
    "ledger_path",
    "record_usage",
    "run_usage",
]

#: Repetition delay (seconds) when the snapshot reports none (IBM's Heron default).
DEFAULT_REP_DELAY = 250e-6
#: Decay times T1 the previous shot's excitation is given without qubit initialisation.
UNINITIALISED_T1S = 5.0
#: IBM Open Plan: 10 QPU minutes per rolling 28 days.
DEFAULT_WINDOW_DAYS = 28.0
LEDGER_FORMAT = "qbhw.usage/1"
#: How the user raises a budget (the exception message names it).
RAISE_BUDGET = "qbhw budget set SECONDS"
#: Account key when a backend's channel and instance cannot be read.
DEFAULT_ACCOUNT = "default"


class BudgetError(CostError):
    """A run would take an account past the QPU-time budget the user set (a
    :class:`qbhw.execute.targets.CostError`: the CLI exits 3 on it)."""


# -- repetition delay ------------------------------------------------------------------------


def choose_rep_delay(snapshot, physical_qubits: Sequence[int], *, init_qubits: bool = True) -> tuple[float, str]:
    """(rep delay in seconds, one-line reason) for a run on ``physical_qubits`` of the device
    ``snapshot`` describes, by the rule of the module doc."""
    default = snapshot.default_rep_delay or DEFAULT_REP_DELAY
    qubits = [snapshot.qubits[q] for q in physical_qubits]
    t1s = [q.t1 for q in qubits]
    if snapshot.rep_delay_range is None or not qubits or any(t is None or t <= 0 for t in t1s):
        return default, f"device default {default * 1e6:.0f} us (rep_delay_range or T1 not reported)"
    low, high = snapshot.rep_delay_range
    if not init_qubits:
        wanted = UNINITIALISED_T1S * max(t1s)
        delay = min(max(wanted, low), high)
        clipped = f", clipped to the allowed [{low * 1e6:.0f}, {high * 1e6:.0f}] us" if delay != wanted else ""
        return delay, (f"{delay * 1e6:.0f} us: without qubit initialisation the previous shot decays for "
                       f"{UNINITIALISED_T1S:g} T1_max = {wanted * 1e6:.0f} us" + clipped)
    errors = [q.readout_error for q in qubits]
    if any(e <= 0 or e >= 1 for e in errors):
        return default, f"device default {default * 1e6:.0f} us (a readout assignment error is not reported)"
    needs = [t1 * math.log(1.0 / e) for t1, e in zip(t1s, errors)]
    worst = max(range(len(needs)), key=needs.__getitem__)
    delay = min(max(needs[worst], low), max(default, low))
    bound = "the device default" if delay < needs[worst] else "the allowed minimum" if delay > needs[worst] else ""
    return delay, (f"{delay * 1e6:.0f} us: with qubit initialisation the previous shot's excitation need only decay "
                   f"to the reset's error, exp(-d/T1) <= readout error, T1 ln(1/eps) = "
                   f"{needs[worst] * 1e6:.0f} us on qubit {physical_qubits[worst]} (T1 {t1s[worst] * 1e6:.0f} us, "
                   f"eps {errors[worst]:.3g})" + (f", clipped to {bound}" if bound else ""))


# -- usage a job reports ---------------------------------------------------------------------

#: Keys of ``metrics()["usage"]`` holding QPU seconds, newest client first.
USAGE_KEYS = ("qpu_charge_time_seconds", "quantum_seconds", "seconds")


def job_usage(job) -> float | None:
    """QPU seconds a finished runtime job reports, or None: local-mode jobs (fake backends,
    which report 0), usage still pending, or no usage field in this client version.  Reads
    ``job.metrics()["usage"]`` (``qpu_charge_time_seconds`` in runtime 0.51, ``quantum_seconds``
    in older clients); only a job without ``metrics()`` is asked ``usage()``, whose 0 means
    "not computed yet" and counts as not reported.  A failed request counts as not reported."""
    if type(job).__name__ == "LocalRuntimeJob":
        return None
    try:
        metrics = job.metrics()
    except Exception:  # the usage is extra information: a failing request (or no such method) loses only it
        metrics = None
    if isinstance(metrics, dict):
        usage = metrics.get("usage") or {}
        if usage.get("status") == "pending":
            return None
        return next((float(usage[key]) for key in USAGE_KEYS if usage.get(key) is not None), None)
    try:
        seconds = job.usage()
    except Exception:
        return None
    number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    return float(seconds) if number and seconds > 0 else None


#: ``qpu_usage["source"]`` of a run on a local-mode backend (fake backends).
LOCAL_SOURCE = "not reported in local mode"


def run_usage(jobs: Sequence[dict], estimates: Sequence[float], *, local: bool) -> dict:
    """A run's ``qpu_usage`` metadata from its finished ``jobs`` (``job_id``, ``pub_indices``,
    ``reported_seconds``: :meth:`qbhw.execute.executors.RuntimeExecutor.fetched_jobs`,
    :func:`qbhw.execute.manifest.finished_jobs`) and qbhw's estimate of each (seconds):
    ``reported_seconds`` (sum of what the jobs reported, None if none did), ``jobs`` (per job:
    id, PUBs, reported and estimated seconds) and ``source`` (where the number comes from)."""
    rows = [{"job_id": j["job_id"], "pubs": len(j["pub_indices"]), "reported_seconds": j["reported_seconds"],
             "estimated_seconds": float(e)} for j, e in zip(jobs, estimates, strict=True)]
    reported = [r["reported_seconds"] for r in rows if r["reported_seconds"] is not None]
    if local:
        source = LOCAL_SOURCE
    elif not rows:
        source = "no job ran"
    elif len(reported) == len(rows):
        source = f"reported by the runtime for all {len(rows)} jobs"
    elif not reported:
        source = ("not reported by the jobs (usage pending or not exposed by this client): "
                  "the ledger counts qbhw's estimate")
    else:
        source = f"reported by {len(reported)} of {len(rows)} jobs: the ledger counts qbhw's estimate for the others"
    return {"reported_seconds": float(sum(reported)) if reported else None, "jobs": rows, "source": source}


def record_usage(ledger: Ledger, account: str, usage: dict, *, backend: str, label: str | None = None) -> float:
    """Record every job of ``usage`` (:func:`run_usage`) in ``ledger``: the seconds it reported,
    else qbhw's estimate (marked estimated).  Returns the seconds newly recorded (jobs already in
    the ledger, from an earlier process of a resumed run, count 0)."""
    added = 0.0
    for job in usage["jobs"]:
        seconds = job["estimated_seconds"] if job["reported_seconds"] is None else job["reported_seconds"]
        if ledger.record(account, seconds, job_ids=[job["job_id"]], backend=backend,
                         estimated=job["reported_seconds"] is None, label=label):
            added += seconds
    return added


# -- accounts --------------------------------------------------------------------------------


def account_id(channel: str | None, instance: str | None) -> str:
    """Ledger key of an IBM account: 16 hex digits of SHA-256 over channel and instance
    (:data:`DEFAULT_ACCOUNT` when neither is known).  Never derived from a token."""
    if not channel and not instance:
        return DEFAULT_ACCOUNT
    return hashlib.sha256(f"{channel or ''}\n{instance or ''}".encode()).hexdigest()[:16]


def backend_account(backend) -> tuple[str, str]:
    """(account id, label) of the account an ``IBMBackend`` was opened with: the channel and
    instance of ``backend.service`` (:func:`qbhw.execute.runtime.connect`); ``("default",
    "default")`` when the backend has no service or it does not say."""
    service = getattr(backend, "service", None)
    channel = getattr(service, "channel", None)
    instance = None
    with contextlib.suppress(Exception):  # older clients, stand-ins without an active instance
        instance = service.active_instance()
    channel = channel if isinstance(channel, str) else None
    instance = instance if isinstance(instance, str) else None
    key = account_id(channel, instance)
    return key, DEFAULT_ACCOUNT if key == DEFAULT_ACCOUNT else f"{channel or '?'} {instance or '?'}"


# -- ledger ----------------------------------------------------------------------------------


def ledger_path() -> Path:
    """``$QBHW_HOME/usage.json``, default ``~/.qbhw/usage.json``."""
    home = os.environ.get("QBHW_HOME")
    return (Path(home) if home else Path.home() / ".qbhw") / "usage.json"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _seconds(value, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(key, f"must be a number of seconds >= 0, got {value!r}")
    return float(value)


class Ledger:
    """QPU seconds used per account and the budget per rolling window, in a JSON file
    (``path``, default :func:`ledger_path`), rewritten atomically under a lock.  A missing file
    is an empty ledger; one that is not a ledger is an :class:`InputError` naming it."""

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else ledger_path()

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"format": LEDGER_FORMAT, "accounts": {}}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError("QBHW_HOME", f"{self.path} is not valid JSON ({exc}); repair it or move it away "
                                          "(a missing file starts an empty usage ledger)") from None
        valid = isinstance(data, dict) and data.get("format") == LEDGER_FORMAT
        if not valid or not isinstance(data.get("accounts"), dict):
            raise InputError("QBHW_HOME", f"{self.path} is not a qbhw usage ledger (format {LEDGER_FORMAT!r}); "
                                          "repair it or move it away")
        return data

    @contextlib.contextmanager
    def _update(self):
        """The ledger's data, written back atomically on exit; one writer at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            yield data
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w") as fh:
                    json.dump(data, fh, indent=1)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    @staticmethod
    def _account(data: dict, account: str, label: str | None) -> dict:
        entry = data["accounts"].setdefault(account, {"label": label or account, "budget_seconds": None,
                                                      "window_days": DEFAULT_WINDOW_DAYS, "runs": []})
        if label:
            entry["label"] = label
        return entry

    def set_budget(self, account: str, seconds: float | None, *, window_days: float = DEFAULT_WINDOW_DAYS,
                   label: str | None = None) -> None:
        """Allow ``account`` ``seconds`` of QPU time per rolling ``window_days`` (None: no budget)."""
        seconds = None if seconds is None else _seconds(seconds, "budget")
        if isinstance(window_days, bool) or not isinstance(window_days, (int, float)) or not window_days > 0:
            raise InputError("window_days", f"must be a number of days > 0, got {window_days!r}")
        with self._update() as data:
            entry = self._account(data, account, label)
            entry["budget_seconds"], entry["window_days"] = seconds, float(window_days)

    def record(self, account: str, seconds: float, *, job_ids: Sequence[str], backend: str,
               when: datetime | None = None, estimated: bool = False, label: str | None = None) -> bool:
        """Add ``seconds`` of QPU time used by ``job_ids`` on ``backend`` at ``when`` (default now;
        ``estimated``: qbhw's estimate, the jobs reported none).  Jobs already recorded are not
        counted twice (a resumed run records its jobs again): returns False and changes nothing."""
        seconds = _seconds(seconds, "seconds")
        ids = [str(j) for j in job_ids]
        if not ids:
            raise InputError("job_ids", "a usage record names the jobs it counts")
        when = (when or _now()).astimezone(timezone.utc)
        with self._update() as data:
            entry = self._account(data, account, label)
            known = {j for run in entry["runs"] for j in run["job_ids"]}
            if known.intersection(ids):
                if not known.issuperset(ids):
                    raise InputError("job_ids", f"{sorted(known.intersection(ids))} already recorded, "
                                                f"{sorted(set(ids) - known)} not: record jobs one at a time")
                return False
            entry["runs"].append({"when": when.isoformat(timespec="seconds"), "seconds": seconds, "job_ids": ids,
                                  "backend": str(backend), "estimated": bool(estimated)})
        return True

    def accounts(self) -> dict[str, str]:
        """Account id -> label of every account in the ledger."""
        return {key: entry["label"] for key, entry in self._load()["accounts"].items()}

    def _entry(self, account: str) -> dict | None:
        return self._load()["accounts"].get(account)

    @staticmethod
    def _runs(entry: dict | None, since: datetime | None) -> list[dict]:
        if entry is None:
            return []
        since = since or _now() - timedelta(days=entry["window_days"])
        return [r for r in entry["runs"] if datetime.fromisoformat(r["when"]) >= since]

    def used(self, account: str, since: datetime | None = None) -> float:
        """QPU seconds ``account`` used since ``since`` (default: its rolling window back from now)."""
        return float(sum(r["seconds"] for r in self._runs(self._entry(account), since)))

    def check(self, account: str, estimate_seconds: float) -> None:
        """Raise :class:`BudgetError` when the QPU seconds used in the window plus
        ``estimate_seconds`` exceed the budget set for ``account`` (none set: pass)."""
        estimate = _seconds(estimate_seconds, "estimate_seconds")
        entry = self._entry(account)
        if entry is None or entry["budget_seconds"] is None:
            return
        used, budget = self.used(account), entry["budget_seconds"]
        if used + estimate > budget:
            raise BudgetError(f"QPU budget of {entry['label']}: {used:.0f} s used in the last "
                              f"{entry['window_days']:g} days + {estimate:.0f} s estimated for this run = "
                              f"{used + estimate:.0f} s > budget {budget:.0f} s; raise it with `{RAISE_BUDGET}` "
                              f"(Ledger().set_budget({account!r}, SECONDS) in qbhw.execute.budget) or plan fewer shots")

    def summary(self, account: str) -> str:
        """One line: QPU seconds used in the window, the budget and what is left."""
        entry = self._entry(account)
        if entry is None:
            return f"QPU usage of {account}: none recorded, no budget set"
        runs = self._runs(entry, None)
        used, budget = sum(r["seconds"] for r in runs), entry["budget_seconds"]
        estimated = sum(r["seconds"] for r in runs if r["estimated"])
        text = f"QPU usage of {entry['label']}: {used:.0f} QPU s in the last {entry['window_days']:g} days"
        if estimated:
            text += f" ({estimated:.0f} s of it qbhw's estimate for jobs that reported none)"
        if budget is None:
            return text + ", no budget set"
        return text + f", budget {budget:.0f} s, {max(budget - used, 0.0):.0f} s left"
