"""locus_job: a Python job's side of the live scheduler (`locus sched serve`; docs/sched-serve.md, "Job <->
scheduler"), the protocol of the C library include/locus/sched_job.h, with the standard library only.

A training script started by a `locus sched worker`::

    import locus_job
    with locus_job.Job.begin() as job:          # registers, from the worker's environment
        while job.action == locus_job.CONTINUE:
            for batch in locus_job.iterate(loader, job):
                train(batch)
            # the epoch ended, or the lease did (job.action is then "stop" or "done")
        if job.action == locus_job.STOP:
            save_checkpoint(job.executed)

The scheduler gives each round a step budget; `Job.step()` (called after each iteration; `iterate` does it)
counts the steps and, when the budget is used up or the round's time is over, reports the round and returns
the answer: "continue" (the lease was extended: `job.lease` and `job.budget` are the new ones), "stop" (save
a checkpoint and exit) or "done" (the total is reached). Every request has a timeout (LOCUS_JOB_TIMEOUT_MS,
default 5000 ms) and is retried at most 3 times on a refused connection; while the scheduler answers round_end
with "wait" (the next round is not decided yet) the job asks again after the retry_s it gives, for at most two
round lengths. Errors raise JobError: ConfigError for the environment (naming the
variable), SchedulerError for a scheduler that cannot be reached or refuses a call, JobTimeout (a
SchedulerError) for one that does not answer in time. After an error `job.action` is "stop".

Installed with Locus under <prefix>/lib/python3.X/dist-packages, where Debian's /usr/bin/python3 looks for
the prefixes /usr and /usr/local; for another prefix, PYTHONPATH=$(pkg-config --variable=pythondir
locus-job).
"""

import json
import os
import time
import urllib.error
import urllib.request

__all__ = ["Job", "iterate", "CONTINUE", "STOP", "DONE", "JobError", "ConfigError", "SchedulerError",
           "JobTimeout"]

CONTINUE = "continue"
STOP = "stop"
DONE = "done"

DEFAULT_TIMEOUT_MS = 5000
RETRIES = 3
TOKEN_MAX = 255


class JobError(Exception):
    """A failed call of the job library."""


class ConfigError(JobError):
    """A missing or malformed environment variable (the message names it)."""


class SchedulerError(JobError):
    """The scheduler could not be reached, refused the call, or sent a reply the protocol does not allow."""


class JobTimeout(SchedulerError):
    """The scheduler did not answer within the timeout."""


def _env(environ, name):
    v = environ.get(name, "")
    if v == "":
        raise ConfigError("%s is not set (the worker sets it for the jobs it starts)" % name)
    return v


def _env_int(environ, name, minimum):
    v = _env(environ, name)
    try:
        x = int(v, 10)
    except ValueError:
        x = None
    if x is None or x < minimum:
        raise ConfigError("%s='%s' is not an integer >= %d" % (name, v, minimum))
    return x


def _env_pos(environ, name):
    v = _env(environ, name)
    try:
        x = float(v)
    except ValueError:
        x = float("nan")
    if not (0 < x <= 1e12):
        raise ConfigError("%s='%s' is not a number > 0" % (name, v))
    return x


def _read_token(path):
    try:
        with open(path, "rb") as f:
            line = f.readline(TOKEN_MAX + 2)
    except OSError as e:
        raise ConfigError("LOCUS_SCHED_TOKEN_FILE: %s: cannot open the token file: %s" % (path, e.strerror))
    token = line.split(b"\n")[0].split(b"\r")[0]
    if not token:
        raise ConfigError("LOCUS_SCHED_TOKEN_FILE: %s: the first line (the token) is empty" % path)
    if len(token) > TOKEN_MAX or (len(token) == len(line) and len(line) > TOKEN_MAX):
        raise ConfigError("LOCUS_SCHED_TOKEN_FILE: %s: the token is longer than %d bytes" % (path, TOKEN_MAX))
    return token.decode("utf-8", "replace")


def _parse_addr(addr):
    host, sep, port = addr.rpartition(":")
    try:
        p = int(port, 10)
    except ValueError:
        p = 0
    if not sep or not host or not 1 <= p <= 65535:
        raise ConfigError("LOCUS_SCHED_ADDR: '%s' is not HOST:PORT (a port 1-65535)" % addr)
    return host, p


# Requests go straight to the scheduler, never through an http_proxy of the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _int_field(reply, call, name):
    v = reply.get(name)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise SchedulerError("%s reply: field '%s': %s" % (call, name, "missing" if v is None else
                                                           "not an integer >= 0"))
    return v


def _num_field(reply, call, name):
    v = reply.get(name)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0:
        raise SchedulerError("%s reply: field '%s': %s" % (call, name, "missing" if v is None else
                                                           "not a number >= 0"))
    return float(v)


class Job:
    """One job under one scheduler; not thread-safe (call it from the training thread)."""

    def __init__(self, addr, token, job_id, lease, time_scale=1.0, timeout_ms=DEFAULT_TIMEOUT_MS):
        """A job not yet registered; Job.begin() builds one from the environment and registers it."""
        self.host, self.port = _parse_addr(addr)
        self.token = token
        self.id = job_id
        self.lease = lease
        self.time_scale = time_scale
        self.timeout_ms = timeout_ms
        self.progress_s = 0.0
        self.round_s = 0.0
        self.budget = 0
        self.round_steps = 0
        self.executed = 0
        self.total = 0
        self.action = STOP  # until registered
        self._over = True  # no lease to report (not registered, or stop/done answered)
        self._round_start = self._lease_start = self._last_progress = 0.0

    @classmethod
    def begin(cls, environ=None, progress_s=0.0):
        """Registers (`/v1/job/register`) from the environment the worker sets (LOCUS_SCHED_ADDR,
        LOCUS_SCHED_TOKEN_FILE, LOCUS_JOB_ID, LOCUS_JOB_LEASE, LOCUS_TIME_SCALE; LOCUS_JOB_TIMEOUT_MS
        optional) and returns the job, its round's clock running. progress_s > 0: send `progress` every
        that many seconds within a round. Raises ConfigError naming a missing or malformed variable."""
        env = os.environ if environ is None else environ
        addr = _env(env, "LOCUS_SCHED_ADDR")
        token_file = _env(env, "LOCUS_SCHED_TOKEN_FILE")
        job_id = _env_int(env, "LOCUS_JOB_ID", 0)
        lease = _env_int(env, "LOCUS_JOB_LEASE", 0)
        scale = _env_pos(env, "LOCUS_TIME_SCALE")
        timeout = DEFAULT_TIMEOUT_MS
        if "LOCUS_JOB_TIMEOUT_MS" in env:
            timeout = min(_env_int(env, "LOCUS_JOB_TIMEOUT_MS", 1), 3600000)
        if progress_s < 0:
            raise ValueError("progress_s must be >= 0")
        job = cls(addr, _read_token(token_file), job_id, lease, scale, timeout)
        job.progress_s = float(progress_s)
        job.register()
        return job

    def register(self):
        r = self._post("register", {"job": self.id, "lease": self.lease}, self.timeout_ms)
        self.round_s = _num_field(r, "register", "round_s")
        used_s = _num_field(r, "register", "used_s")
        self.budget = _int_field(r, "register", "steps")
        self.executed = _int_field(r, "register", "executed")
        self.total = _int_field(r, "register", "total")
        now = time.monotonic()
        self._round_start = now - used_s
        self._lease_start = self._last_progress = now
        self.round_steps = 0
        self.action = CONTINUE
        self._over = False

    def step(self):
        """Counts one finished iteration; returns "continue", "stop" or "done" (see the module's text)."""
        if self.action != CONTINUE:
            raise JobError("job %d: step after the lease ended (%s)" % (self.id, self.action))
        self.executed += 1
        self.round_steps += 1
        now = time.monotonic()
        self.action = STOP  # until an answer says otherwise: an error leaves the job stopped
        if self.executed >= self.total:
            return self._round_end(True)
        if self.round_steps >= self.budget or now >= self._round_start + self.round_s:
            return self._round_end(False)
        if self.progress_s > 0 and now - self._last_progress >= self.progress_s:
            r = self._post("progress", self._lease_body(now), self.timeout_ms)
            self.budget = _int_field(r, "progress", "steps")
            self._last_progress = now
            if self.round_steps >= self.budget:
                return self._round_end(False)
        self.action = CONTINUE
        return CONTINUE

    def end(self):
        """Reports `lease_ended` with the steps and seconds of the lease if it was cut short (neither stop nor
        done answered, e.g. the job is being killed). Safe to call twice."""
        if not self._over:
            self.action = STOP
            self._over = True
            self._post("lease_ended", self._lease_body(time.monotonic()), self.timeout_ms)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.end()
        except JobError:
            if exc[0] is None:
                raise
        return False

    # ---- internals ----

    def _lease_body(self, now):
        return {"job": self.id, "lease": self.lease, "steps": self.round_steps, "seconds": now - self._lease_start}

    def _round_end(self, done):
        now = time.monotonic()
        deadline = now + 2 * self.round_s + self.timeout_ms / 1000.0
        body = self._lease_body(now)
        body["done"] = done
        while True:
            r = self._post("round_end", body, self.timeout_ms)
            if done or r.get("action") != "wait":
                break
            retry = r.get("retry_s")
            retry = min(max(retry, 0.001), 1.0) if isinstance(retry, (int, float)) else 0.05
            if time.monotonic() + retry > deadline:
                raise JobTimeout("job %d: round_end: the scheduler still answers 'wait' after %.3g s (two rounds)"
                                 % (self.id, 2 * self.round_s))
            time.sleep(retry)
            body["again"] = True  # the same numbers, asked again
        if done:
            self.action = DONE
            self._over = True
            return DONE
        a = r.get("action")
        if a == STOP:
            self.action = STOP
            self._over = True
        elif a == CONTINUE:
            lease = _int_field(r, "round_end", "lease")
            budget = _int_field(r, "round_end", "steps")
            used_s = _num_field(r, "round_end", "used_s") if "used_s" in r else 0.0
            now = time.monotonic()
            self.lease, self.budget, self.round_steps = lease, budget, 0
            self._round_start = now - used_s
            self._lease_start = self._last_progress = now
            self.action = CONTINUE
        else:
            raise SchedulerError("round_end reply: field 'action': %r is not wait, continue or stop" % (a,))
        return self.action

    def _post(self, call, body, timeout_ms):
        """POST /v1/job/<call>; the reply object, or SchedulerError/JobTimeout naming the URL."""
        url = "http://%s:%d/v1/job/%s" % (self.host, self.port, call)
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.token}
        for attempt in range(RETRIES):
            req = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with _opener.open(req, timeout=timeout_ms / 1000.0) as resp:
                    text = resp.read(1 << 20)
                break
            except urllib.error.HTTPError as e:
                try:
                    msg = json.loads(e.read(1 << 16)).get("error", "")
                except (ValueError, AttributeError, OSError):
                    msg = ""
                raise SchedulerError("job %d: %s: %d %s" % (self.id, url, e.code, msg)) from None
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                    raise JobTimeout("job %d: %s: timed out (after %d ms)" % (self.id, url, timeout_ms)) from None
                if not isinstance(reason, ConnectionRefusedError) or attempt == RETRIES - 1:
                    raise SchedulerError("job %d: %s: %s (after %d tries)" % (self.id, url, reason, attempt + 1)) \
                        from None
                time.sleep(0.1 * (attempt + 1))
        try:
            reply = json.loads(text) if text else {}
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise SchedulerError("job %d: %s: the reply is not a JSON object" % (self.id, url))
        return reply


def iterate(iterable, job):
    """Yields the items of iterable (a PyTorch DataLoader, a range, ...), calling job.step() after each one
    is processed, and ends early when the lease ends (job.action is then "stop" or "done"), as Synergy's
    iterator does; progress is reported along the way (Job.begin's progress_s). Nothing is taken from the
    iterable once the lease has ended. Errors of the scheduler raise (JobError)."""
    if job.action != CONTINUE:
        return
    for item in iterable:
        yield item
        if job.step() != CONTINUE:
            return
