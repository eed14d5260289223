#!/usr/bin/python3
"""A real training job for the live scheduler (`locus sched serve` / `locus sched worker`;
docs/sched-train.md).

A small PyTorch MLP learns a regression task on synthetic data made in-process from a fixed seed (no
downloads), on CPU with Debian's /usr/bin/python3 and python3-torch. Its DataLoader is wrapped in
locus_job.iterate, so a lease's end ends the iteration; the script then saves a checkpoint (model, optimizer,
step, data position, the RNG states of torch, Python's random and numpy) to $SYNERGY_CHECKPOINT_DIR,
atomically, and exits 0. Started again it resumes from that checkpoint: the same step count, the data order
going on where it stopped. One line per lease goes to leases.csv beside the checkpoint (lease, start and end
step, the held-out loss at both ends), for people and tests to read; stdout (the worker's log of the lease)
gets a line per step.

Without a scheduler, `train.py --steps N --checkpoint_dir DIR` trains (or resumes) to step N the same way: the
reference that a run preempted across leases must agree with.

Exit status: 0 at a lease's end, at done and after SIGTERM (the checkpoint saved, the lease reported); 1 on an
error (the message on stderr; a checkpoint of what was trained is still saved); 2 for bad arguments.
"""

import signal

# Before the slow imports: a SIGTERM (the worker's kill) from now on ends the training at a step boundary.
_terminated = False


def _on_term(signum, frame):
    global _terminated
    _terminated = True


signal.signal(signal.SIGTERM, _on_term)
signal.signal(signal.SIGINT, _on_term)

import argparse
import os
import pickle
import random
import sys

import torch

try:
    import numpy
except ImportError:
    numpy = None

FORMAT = "locus-train-py"
VERSION = 1
CHECKPOINT = "checkpoint.pt"
LEASES_CSV = "leases.csv"
CSV_HEADER = "lease,start_step,end_step,loss_start,loss_end,executed_at_start,threads,end\n"

# The task and model; stored in the checkpoint, which a run with other values refuses.
CONFIG = {"features": 16, "hidden": 64, "samples": 2048, "eval_samples": 512, "batch_size": 32, "lr": 5e-4,
          "dropout": 0.1, "jitter": 0.01}


def log(*words):
    print(*words, flush=True)


def cpu_threads():
    """Threads for torch: the CPUs the scheduler gave this server (SYNERGY_CPU_THIS_SERVER), but never more
    than the CPUs the process is pinned to (the worker maps the scheduler's CPU ids onto the ones it has)."""
    pinned = len(os.sched_getaffinity(0))
    v = os.environ.get("SYNERGY_CPU_THIS_SERVER", "")
    n = int(v) if v.isdigit() and int(v) > 0 else pinned
    return max(1, min(n, pinned))


def make_data(seed):
    """Inputs and targets of the training and held-out sets: a fixed random teacher network plus noise, all
    from `seed`, drawn from a generator of its own so the training's RNG state is untouched."""
    g = torch.Generator().manual_seed(1000 + seed)
    f, n, ne = CONFIG["features"], CONFIG["samples"], CONFIG["eval_samples"]
    w1 = torch.randn(f, 32, generator=g) / f ** 0.5
    w2 = torch.randn(32, 1, generator=g) / 32 ** 0.5
    x = torch.randn(n + ne, f, generator=g)
    y = torch.tanh(x @ w1) @ w2 + 0.05 * torch.randn(n + ne, 1, generator=g)
    return (x[:n], y[:n]), (x[n:], y[n:])


class EpochSampler(torch.utils.data.Sampler):
    """The sample order of each epoch, a permutation drawn from a generator seeded with (seed, epoch), from
    `position` batches on. A job started again asks for the epoch and position it stopped at and gets the rest
    of that epoch in the same order, without reading through the batches it had."""

    def __init__(self, n, batch_size, seed):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch = self.position = 0

    def batches(self):
        return self.n // self.batch_size

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 1000003 + self.epoch)
        order = torch.randperm(self.n, generator=g)
        return iter(order[self.position * self.batch_size:self.batches() * self.batch_size].tolist())

    def __len__(self):
        return (self.batches() - self.position) * self.batch_size


def make_model():
    f, h = CONFIG["features"], CONFIG["hidden"]
    return torch.nn.Sequential(torch.nn.Linear(f, h), torch.nn.ReLU(), torch.nn.Dropout(CONFIG["dropout"]),
                               torch.nn.Linear(h, h), torch.nn.ReLU(), torch.nn.Linear(h, 1))


def held_out_loss(model, eval_set):
    """Mean squared error on the held-out set; draws no random numbers (dropout is off in eval mode)."""
    model.eval()
    with torch.no_grad():
        loss = torch.nn.functional.mse_loss(model(eval_set[0]), eval_set[1]).item()
    model.train()
    return loss


def rng_states():
    s = {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": None}
    if numpy is not None:
        kind, keys, pos, has_gauss, gauss = numpy.random.get_state()
        s["numpy"] = (kind, torch.from_numpy(keys.astype("int64")), pos, has_gauss, gauss)
    return s


def set_rng_states(s):
    torch.set_rng_state(s["torch"])
    random.setstate(s["python"])
    if numpy is not None and s["numpy"] is not None:
        kind, keys, pos, has_gauss, gauss = s["numpy"]
        numpy.random.set_state((kind, keys.numpy().astype("uint32"), pos, has_gauss, gauss))


def fsync_dir(d):
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(ckdir, state):
    """Writes the checkpoint to a temporary file in the same folder, then renames it over the old one: a job
    killed while saving leaves the previous checkpoint whole."""
    path = os.path.join(ckdir, CHECKPOINT)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(ckdir)


def load_checkpoint(ckdir, seed):
    """The saved state, or None when there is none; raises ValueError for one of another format or run."""
    path = os.path.join(ckdir, CHECKPOINT)
    if not os.path.exists(path):
        return None
    # torch 1.13's weights_only loader cannot read floats (optimizer settings): a full unpickle, of a file
    # this job wrote in its own checkpoint folder
    state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("version") != VERSION:
        raise ValueError("%s: not a %s checkpoint of version %d" % (path, FORMAT, VERSION))
    if state.get("config") != CONFIG or state.get("seed") != seed:
        raise ValueError("%s: a checkpoint of another run (seed %s, config %s)" % (path, state.get("seed"),
                                                                                  state.get("config")))
    return state


def append_lease(ckdir, rec):
    """One line per lease in leases.csv (the header first in a new file), after its checkpoint."""
    path = os.path.join(ckdir, LEASES_CSV)
    new = not os.path.exists(path)
    with open(path, "a") as f:
        if new:
            f.write(CSV_HEADER)
        f.write("%d,%d,%d,%.9g,%.9g,%d,%d,%s\n" % (rec["lease"], rec["start_step"], rec["end_step"],
                                                   rec["loss_start"], rec["loss_end"], rec["executed"],
                                                   rec["threads"], rec["end"]))
        f.flush()
        os.fsync(f.fileno())


class Trainer:
    """The model, its optimizer, the data and where training is; checkpointed as one dict."""

    def __init__(self, ckdir, seed, threads):
        self.ckdir, self.seed, self.threads = ckdir, seed, threads
        train_set, self.eval_set = make_data(seed)
        dataset = torch.utils.data.TensorDataset(*train_set)
        self.sampler = EpochSampler(len(dataset), CONFIG["batch_size"], seed)
        # A generator of its own: each new iterator of a DataLoader draws a seed (for loader processes, none
        # here) from its generator, else from torch's global RNG, which a resumed run would then draw from
        # once more than an uninterrupted one, changing every dropout mask after it.
        self.loader = torch.utils.data.DataLoader(dataset, batch_size=CONFIG["batch_size"],
                                                  sampler=self.sampler, drop_last=True,
                                                  generator=torch.Generator().manual_seed(seed))
        torch.manual_seed(seed)  # the initial weights; dropout and jitter draw from it later
        random.seed(seed)
        if numpy is not None:
            numpy.random.seed(seed)
        self.model = make_model()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=CONFIG["lr"])
        self.step = 0
        state = load_checkpoint(ckdir, seed)
        if state is not None:
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            set_rng_states(state["rng"])
            self.step = state["step"]
            self.sampler.epoch, self.sampler.position = state["epoch"], state["position"]
        self.resumed = state is not None

    def train_step(self, x, y):
        x = x + CONFIG["jitter"] * torch.randn_like(x)
        self.opt.zero_grad()
        loss = torch.nn.functional.mse_loss(self.model(x), y)
        loss.backward()
        self.opt.step()
        self.step += 1
        self.sampler.position += 1
        return loss.item()

    def next_epoch(self):
        self.sampler.epoch += 1
        self.sampler.position = 0

    def save(self):
        save_checkpoint(self.ckdir, {"format": FORMAT, "version": VERSION, "config": CONFIG,
                                     "seed": self.seed, "step": self.step, "epoch": self.sampler.epoch,
                                     "position": self.sampler.position, "model": self.model.state_dict(),
                                     "optimizer": self.opt.state_dict(), "rng": rng_states()})

    def begin_lease(self, lease, executed):
        return {"lease": lease, "start_step": self.step, "executed": executed, "threads": self.threads,
                "loss_start": held_out_loss(self.model, self.eval_set)}

    def end_lease(self, rec, how):
        """Saves the checkpoint, then the lease's line; logs the lease's end."""
        rec.update(end_step=self.step, loss_end=held_out_loss(self.model, self.eval_set), end=how)
        self.save()
        append_lease(self.ckdir, rec)
        log("end lease=%d step=%d loss=%.6f %s" % (rec["lease"], self.step, rec["loss_end"], how))


def batches(t):
    """The loader's batches from the saved position on, epoch after epoch, until the caller stops."""
    while True:
        for batch in t.loader:
            yield batch
        t.next_epoch()


def run_scheduled(t, locus_job):
    """Trains under the scheduler until the lease ends (stop), the job is done, or SIGTERM."""
    with locus_job.Job.begin() as job:
        log("start job=%d lease=%d step=%d executed=%d total=%d threads=%d resumed=%s epoch=%d position=%d" %
            (job.id, job.lease, t.step, job.executed, job.total, t.threads, t.resumed, t.sampler.epoch,
             t.sampler.position))
        if t.step != job.executed:
            log("warning: the checkpoint is at step %d, the scheduler counts %d" % (t.step, job.executed))
        rec = t.begin_lease(job.lease, job.executed)
        try:
            for x, y in locus_job.iterate(batches(t), job):
                if _terminated:
                    break  # this batch is neither trained nor counted
                if job.lease != rec["lease"]:  # the lease was extended: the same process goes on
                    t.end_lease(rec, "extended")
                    rec = t.begin_lease(job.lease, job.executed)
                loss = t.train_step(x, y)
                log("step=%d lease=%d loss=%.6f" % (t.step, job.lease, loss))
        except locus_job.JobError as e:
            print("train.py: %s" % e, file=sys.stderr, flush=True)
            t.end_lease(rec, "error")
            return 1
        if job.lease != rec["lease"]:  # SIGTERM right after an extension
            t.end_lease(rec, "extended")
            rec = t.begin_lease(job.lease, job.executed)
        how = "terminated" if _terminated and job.action == locus_job.CONTINUE else job.action
        t.end_lease(rec, how)
    return 0


def run_standalone(t, steps):
    """Trains to `steps` without a scheduler: one lease of id -1 in leases.csv."""
    log("start standalone step=%d steps=%d threads=%d resumed=%s" % (t.step, steps, t.threads, t.resumed))
    rec = t.begin_lease(-1, t.step)
    for x, y in batches(t):
        if t.step >= steps or _terminated:
            break
        loss = t.train_step(x, y)
        log("step=%d lease=-1 loss=%.6f" % (t.step, loss))
    t.end_lease(rec, "done" if t.step >= steps else "terminated")
    return 0


def import_locus_job():
    try:
        import locus_job
    except ImportError:  # run from the source tree: the module is in python/, two folders up
        sys.dont_write_bytecode = True
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
        import locus_job
    return locus_job


def main():
    p = argparse.ArgumentParser(description="A small PyTorch job for locus sched serve "
                                            "(docs/sched-train.md).")
    p.add_argument("--steps", type=int, help="train to this step without a scheduler (the reference run)")
    p.add_argument("--checkpoint_dir", help="default: $SYNERGY_CHECKPOINT_DIR")
    p.add_argument("--seed", type=int, help="data, weights and order (default: $LOCUS_JOB_ID, else 0)")
    a = p.parse_args()
    ckdir = a.checkpoint_dir or os.environ.get("SYNERGY_CHECKPOINT_DIR", "")
    if not ckdir:
        p.error("no checkpoint folder: --checkpoint_dir, or SYNERGY_CHECKPOINT_DIR (the worker sets it)")
    if a.steps is not None and a.steps < 0:
        p.error("--steps must be >= 0")
    seed = a.seed if a.seed is not None else int(os.environ.get("LOCUS_JOB_ID", "0") or 0)
    os.makedirs(ckdir, exist_ok=True)
    threads = cpu_threads()
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    locus_job = import_locus_job() if a.steps is None else None
    try:
        t = Trainer(ckdir, seed, threads)
    except (ValueError, KeyError, TypeError, RuntimeError, OSError, EOFError, pickle.UnpicklingError) as e:
        print("train.py: cannot resume: %s" % e, file=sys.stderr)
        return 1
    if locus_job is None:
        return run_standalone(t, a.steps)
    try:
        return run_scheduled(t, locus_job)
    except locus_job.JobError as e:  # registration failed: nothing trained
        print("train.py: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
