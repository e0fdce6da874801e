"""`growth budget channels --fit LOGS --budget B` as data, for the console tests: placement ->
{"spend", "installs", "logins", "retained"} read from the command's split table (or None when
this growth command has no --fit)."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("GROWTH_CLI") or os.path.join(ROOT, "build", "cli", "growth")
COLUMNS = ("spend", "installs", "logins", "retained")


def fit_supported():
    if not os.path.exists(CLI):
        return False
    r = subprocess.run([CLI, "budget", "--help"], capture_output=True, text=True)
    return "--fit" in r.stdout + r.stderr


def parse_split(out):
    """The split table: a header line naming placement and the COLUMNS (comma- or
    space-separated), then one row per placement until a blank line or a "total" row. Numbers
    are read from the right, so an empty platform field does not shift them."""
    lines = out.splitlines()
    split = lambda ln: [t for t in re.split(r"[,\s]+", ln.strip()) if t != ""]
    for k, ln in enumerate(lines):
        hdr = split(ln)
        if hdr and hdr[0] == "placement" and all(c in hdr for c in COLUMNS):
            break
    else:
        raise AssertionError("no split table in the output:\n" + out)
    rows = {}
    for ln in lines[k + 1:]:
        tok = split(ln)
        if not tok or tok[0] == "total":
            break
        rows[tok[0]] = {c: float(tok[len(tok) - (len(hdr) - hdr.index(c))]) for c in COLUMNS}
    return rows


def split(log, budget):
    """placement -> numbers from the CLI for this log and budget, or None without --fit."""
    if not fit_supported():
        return None
    r = subprocess.run([CLI, "budget", "channels", "--fit", str(log), "--budget", repr(float(budget))],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return parse_split(r.stdout)
