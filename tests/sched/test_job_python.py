"""The Python module locus_job against the fake job scheduler (fake_job_sched, a program here): the calls it
records are compared line by line. iterate() over range(100) with a budget of 7 yields exactly 7 items and
ends at a stop; a continue extends it by the new budget under the new lease; done ends it at the total; an
epoch that ends inside the round leaves the lease open, and end() (also through `with`) reports what ran;
round_end asks again while the answer is "wait", and gives up after two rounds; progress lowers the budget. Refusals: each missing variable named, a wrong token, a stale lease; a closed port
and a server that never answers fail within their bounds.
usage: test_job_python.py FAKE_JOB_SCHED PYTHON_DIR (the folder holding locus_job: the source tree's or an
installed one)"""
import os
import socket
import subprocess
import sys
import tempfile
import time

fake, pydir = sys.argv[1], sys.argv[2]
sys.path.insert(0, pydir)
import locus_job  # noqa: E402

if not os.path.abspath(locus_job.__file__).startswith(os.path.abspath(pydir)):
    sys.exit("locus_job came from %s, not from %s" % (locus_job.__file__, pydir))

passed = failed = 0


def check(what, cond):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s" % what, file=sys.stderr)


tmp = tempfile.mkdtemp(prefix="locus-job-py-")
token_file = os.path.join(tmp, "token")
with open(token_file, "w") as f:
    f.write("tok123\n")
runs = 0


class Fake:
    """fake_job_sched for job 12, first lease 5, with the given options."""

    def __init__(self, *args):
        global runs
        runs += 1
        self.log = os.path.join(tmp, "calls%d.log" % runs)
        port_file = os.path.join(tmp, "port%d" % runs)
        self.proc = subprocess.Popen([fake, "--token_file", token_file, "--port_file", port_file, "--log",
                                      self.log, "--job", "12", "--lease", "5", "--max_s", "60"] + list(args))
        for _ in range(500):
            if os.path.exists(port_file) or self.proc.poll() is not None:
                break
            time.sleep(0.01)
        with open(port_file) as f:
            self.port = int(f.read())

    def env(self, **over):
        e = {"LOCUS_SCHED_ADDR": "127.0.0.1:%d" % self.port, "LOCUS_SCHED_TOKEN_FILE": token_file,
             "LOCUS_JOB_ID": "12", "LOCUS_JOB_LEASE": "5", "LOCUS_TIME_SCALE": "100"}
        e.update(over)
        return {k: v for k, v in e.items() if v is not None}

    def calls(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def expect_calls(what, fk, want):
    got = fk.calls()
    check("%s: calls\n--- got\n%s--- want\n%s---" % (what, got, want), got == want)


# a budget of 7, then stop
fk = Fake("--steps", "7", "--executed", "40", "--total", "1000")
job = locus_job.Job.begin(fk.env())
check("register's fields", (job.id, job.lease, job.budget, job.executed, job.total, job.round_s, job.time_scale)
      == (12, 5, 7, 40, 1000, 60.0, 100.0))
items = list(locus_job.iterate(range(100), job))
check("stop: exactly the 7 budgeted items, got %r" % items, items == list(range(7)))
check("stop: action", job.action == locus_job.STOP and job.executed == 47)
check("stop: nothing more yielded", list(locus_job.iterate(range(100), job)) == [])
job.end()
expect_calls("stop", fk, "register job=12 lease=5\nround_end job=12 lease=5 steps=7 done=false\n")
fk.stop()

# continue extends the iteration under the new lease, then stop
fk = Fake("--steps", "7", "--answer", "continue:6:4", "--answer", "stop")
job = locus_job.Job.begin(fk.env())
items = list(locus_job.iterate(range(100), job))
check("continue: 7 + 4 items, got %r" % items, items == list(range(11)))
check("continue: the new lease", job.lease == 6 and job.action == locus_job.STOP)
job.end()
expect_calls("continue", fk, "register job=12 lease=5\nround_end job=12 lease=5 steps=7 done=false\n"
             "round_end job=12 lease=6 steps=4 done=false\n")
fk.stop()

# the scheduler answers "wait" until each round's end (0.5 s), longer than the 200 ms timeout: the job asks
# again (marked "again", the same numbers; the fake logs an unmarked repeat) and gets continue, then stop
fk = Fake("--steps", "3", "--round_s", "0.5", "--hold", "--answer", "continue:6:2", "--answer", "stop")
t0 = time.monotonic()
job = locus_job.Job.begin(fk.env(LOCUS_JOB_TIMEOUT_MS="200"))
items = list(locus_job.iterate(range(100), job))
t = time.monotonic() - t0
check("wait: 3 + 2 items after two rounds, got %r in %.2f s" % (items, t), items == list(range(5)) and 0.9 <= t < 2)
expect_calls("wait", fk, "register job=12 lease=5\nround_end job=12 lease=5 steps=3 done=false\n"
             "round_end job=12 lease=6 steps=2 done=false\n")
fk.stop()

# "wait" for ever: the job gives up after two rounds, stopped, and end() reports the lease
fk = Fake("--steps", "2", "--round_s", "0.3", "--wait_forever")
job = locus_job.Job.begin(fk.env(LOCUS_JOB_TIMEOUT_MS="200"))
t0 = time.monotonic()
try:
    list(locus_job.iterate(range(100), job))
    check("wait for ever: refused", False)
except locus_job.JobTimeout as e:
    t = time.monotonic() - t0
    check("wait for ever: gave up after two rounds (%s, %.2f s)" % (e, t), 0.6 <= t < 1.2 and "'wait'" in str(e))
check("wait for ever: stopped", job.action == locus_job.STOP)
job.end()
expect_calls("wait for ever", fk, "register job=12 lease=5\nround_end job=12 lease=5 steps=2 done=false\n"
             "lease_ended job=12 lease=5 steps=2\n")
fk.stop()

# done at the total
fk = Fake("--steps", "50", "--executed", "95", "--total", "100")
job = locus_job.Job.begin(fk.env())
items = list(locus_job.iterate(range(100), job))
check("done: the 5 items left, got %r" % items, items == list(range(5)))
check("done: action", job.action == locus_job.DONE and job.executed == 100)
job.end()
expect_calls("done", fk, "register job=12 lease=5\nround_end job=12 lease=5 steps=5 done=true\n")
fk.stop()

# two epochs inside one round, then the job ends early: lease_ended with what ran (through `with`)
fk = Fake("--steps", "50")
with locus_job.Job.begin(fk.env()) as job:
    n = sum(1 for _ in locus_job.iterate(range(10), job)) + sum(1 for _ in locus_job.iterate(range(10), job))
    check("epochs: 20 items, the lease open", n == 20 and job.action == locus_job.CONTINUE)
expect_calls("cut short", fk, "register job=12 lease=5\nlease_ended job=12 lease=5 steps=20\n")
fk.stop()

# progress every 50 ms of 20 ms steps; the scheduler lowers the budget to 12
fk = Fake("--steps", "20", "--progress_steps", "12")
job = locus_job.Job.begin(fk.env(), progress_s=0.05)
n = 0
for _ in locus_job.iterate(range(100), job):
    time.sleep(0.02)
    n += 1
check("progress: the lowered budget, got %d" % n, n == 12)
lines = fk.calls().splitlines()
prog = [ln for ln in lines[1:-1]]
steps = [int(ln.rsplit("=", 1)[1]) for ln in prog if ln.startswith("progress job=12 lease=5 steps=")]
check("progress: calls %r" % lines, lines[0] == "register job=12 lease=5" and
      lines[-1] == "round_end job=12 lease=5 steps=12 done=false" and len(steps) == len(prog) and
      2 <= len(steps) <= 6 and steps == sorted(set(steps)) and steps[-1] < 12)
fk.stop()

# refusals
fk = Fake()
for var in ["LOCUS_SCHED_ADDR", "LOCUS_SCHED_TOKEN_FILE", "LOCUS_JOB_ID", "LOCUS_JOB_LEASE", "LOCUS_TIME_SCALE"]:
    try:
        locus_job.Job.begin(fk.env(**{var: None}))
        check("%s missing: refused" % var, False)
    except locus_job.ConfigError as e:
        check("%s missing: named (%s)" % (var, e), var in str(e) and "not set" in str(e))
for var, val in [("LOCUS_JOB_ID", "12x"), ("LOCUS_TIME_SCALE", "0"), ("LOCUS_SCHED_ADDR", "localhost"),
                 ("LOCUS_SCHED_TOKEN_FILE", "/nonexistent")]:
    try:
        locus_job.Job.begin(fk.env(**{var: val}))
        check("%s=%s: refused" % (var, val), False)
    except locus_job.ConfigError as e:
        check("%s=%s: named (%s)" % (var, val, e), var in str(e))
try:
    locus_job.Job.begin(fk.env(LOCUS_JOB_LEASE="4"))
    check("stale lease refused", False)
except locus_job.SchedulerError as e:
    check("stale lease: 409 (%s)" % e, "409" in str(e) and "lease 4" in str(e))
other = os.path.join(tmp, "other")
with open(other, "w") as f:
    f.write("wrong\n")
try:
    locus_job.Job.begin(fk.env(LOCUS_SCHED_TOKEN_FILE=other))
    check("wrong token refused", False)
except locus_job.SchedulerError as e:
    check("wrong token: 401 (%s)" % e, "401" in str(e))
expect_calls("refusals", fk, "register job=12 lease=4 -> 409\n")
port = fk.port
fk.stop()

# nothing listening, and a server that never answers
t0 = time.monotonic()
try:
    locus_job.Job.begin(fk.env())
    check("closed port refused", False)
except locus_job.SchedulerError as e:
    check("closed port: named, fast (%s)" % e, "register" in str(e) and time.monotonic() - t0 < 2)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
t0 = time.monotonic()
try:
    locus_job.Job.begin(fk.env(LOCUS_SCHED_ADDR="127.0.0.1:%d" % s.getsockname()[1], LOCUS_JOB_TIMEOUT_MS="300"))
    check("silent server: refused", False)
except locus_job.JobTimeout as e:
    t = time.monotonic() - t0
    check("silent server: the timeout (%s, %.2f s)" % (e, t), 0.25 <= t < 1.5 and "300 ms" in str(e))
s.close()

subprocess.call(["rm", "-rf", tmp])
print("sched_job_python: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
