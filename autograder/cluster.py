"""Where a class's tasks run: this machine's process pool (`--jobs N`), or a Dask cluster's
workers (`--scheduler tcp://HOST:PORT`, or `--cluster N` for a LocalCluster of N workers).

Either runner takes tasks.Task objects and gives back concurrent.futures futures of
tasks.grade_task's (result, executed notebook). On a Dask worker the task runs in a process of
its own (one per worker thread, started once and reused), because Dask runs tasks on threads and
grading needs a main thread (the judges' time limits are signals); a worker may start processes
only when it is not a daemon (DASK_DISTRIBUTED__WORKER__DAEMON=False). The scheduler retries the
tasks of a worker that died (allowed-failures: 1 on the LocalCluster, the scheduler's own
setting elsewhere); a task lost twice comes back as KilledWorker and is reported, not recorded.
"""
import concurrent.futures
import concurrent.futures.process
import logging
import multiprocessing
import os
import platform
import signal
import threading
import time

import psutil

from . import sandbox, tasks
from .grade import pool

SCHEDULER_SECONDS = 30  # to reach the scheduler, and for its first worker to join
ALLOWED_FAILURES = 1  # a task whose worker died is run once more, elsewhere


class ClusterError(RuntimeError):
    """The cluster cannot grade: no scheduler, no worker, or a worker that lacks something."""


class LocalPool:
    """`--jobs N`: N processes of this machine."""

    # A worker that died (the OOM killer, say) breaks the whole pool: the tasks it held fail with
    # BrokenProcessPool, are reported "not graded, try again next run", and a new pool takes the rest.
    lost = (concurrent.futures.process.BrokenProcessPool,)

    def __init__(self, jobs):
        self.jobs, self.executor, self.stopped = jobs, pool(jobs), False

    def slots(self):
        return self.jobs

    def submit(self, task):
        try:
            return self.executor.submit(tasks.grade_task, task)
        except concurrent.futures.process.BrokenProcessPool:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = pool(self.jobs)
            return self.executor.submit(tasks.grade_task, task)

    def stop(self):
        """Now: what runs is killed, with everything it started, and what waits is dropped. Not
        only the workers: a sandbox caught starting (bwrap, before it has set --die-with-parent)
        would outlive its worker. The workers are suspended first, so that none starts one more."""
        self.stopped = True
        self.executor.shutdown(wait=False, cancel_futures=True)
        workers = [psutil.Process(w.pid) for w in multiprocessing.active_children() if w.pid]
        everything = list(workers)
        for worker in workers:
            try:
                worker.suspend()  # first: a stopped worker starts nothing more
                everything += worker.children(recursive=True)
            except psutil.NoSuchProcess:
                pass
        for process in everything:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass

    def close(self):
        if not self.stopped:
            self.executor.shutdown(wait=True)


class DaskCluster:
    """A Dask cluster: the scheduler at `address`, or a LocalCluster of `workers` processes."""

    def __init__(self, address=None, workers=None, sandboxed=True):
        import dask
        import distributed
        self.expected = tasks.expected_environment(sandboxed)
        missing = [name for name in sandbox.DATA_FILES if name not in self.expected["data files"]]
        if missing:  # without them here, there is nothing to hold the workers' copies to
            raise ClusterError(f"this machine lacks the course's {' and '.join(missing)}, against which the workers' "
                               f"copies are checked: put {'them' if len(missing) > 1 else 'it'} in $COURSE_DATA_DIR")
        self.lost = (distributed.KilledWorker, tasks.WorkerNotReady)
        self.cluster = None
        try:
            if address is None:
                with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                                      "distributed.worker.daemon": False}):
                    self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                            host="127.0.0.1", dashboard_address=None,
                                                            silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster or address, timeout=SCHEDULER_SECONDS)
        except (OSError, TimeoutError) as err:
            self._close_cluster()
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {err}; start one with `dask scheduler` "
                               "and workers with `dask worker ADDRESS --nthreads 1`") from None
        try:
            self.client.wait_for_workers(1, timeout=SCHEDULER_SECONDS)
        except (OSError, TimeoutError):
            self.close()
            raise ClusterError(f"no worker joined the Dask scheduler at {address} within {SCHEDULER_SECONDS} s: "
                               "start them with `dask worker ADDRESS --nthreads 1`") from None
        self.executor = self.client.get_executor(pure=False)
        self.check_workers()

    def check_workers(self):
        """Every worker now in the cluster grades as this machine does, or ClusterError naming what
        each one lacks. (A worker that joins later checks itself with each task it takes.)"""
        found = self.client.run(worker_problems, self.expected)
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        problems = [f"{info.get(address, {}).get('name', '?')} at {address}: {'; '.join(lacks)}"
                    for address, lacks in sorted(found.items()) if lacks]
        if problems:
            self.close()
            raise ClusterError("these workers cannot grade as this machine does: " + " | ".join(problems))

    def slots(self):
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, task):
        return self.executor.submit(run_on_worker, task)

    def stop(self):
        self.close()

    def close(self):
        """Idempotent: what waits is dropped; what runs on a LocalCluster dies with its workers (on
        another scheduler's workers it runs to its end, unheard)."""
        try:
            if self.client.status != "closed":
                self.executor.shutdown(wait=False)
                self.client.close()
        finally:
            self._close_cluster()

    def _close_cluster(self):
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def runner(jobs=None, scheduler=None, cluster=None, sandboxed=True):
    if scheduler or cluster:
        return DaskCluster(scheduler, cluster, sandboxed)
    return LocalPool(jobs)


# The worker's side.

_pool, _pool_lock = None, threading.Lock()


def _watch_parent():
    """A process of a worker's pool ends when the worker does (however it died). Not
    PR_SET_PDEATHSIG: that follows the thread that started the process, and Dask's threads come
    and go."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _pool_process_init():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, daemon=True).start()


def _worker_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            from distributed import get_worker
            context = multiprocessing.get_context("spawn")
            _pool = concurrent.futures.ProcessPoolExecutor(max_workers=get_worker().state.nthreads, mp_context=context,
                                                           initializer=_pool_process_init)
        return _pool


DAEMON = ("it runs as a daemon process, which may not start the processes that grade: start it with "
          "DASK_DISTRIBUTED__WORKER__DAEMON=False in its environment")


def worker_problems(expected):
    """What this Dask worker lacks to grade as the coordinator does ([] when nothing)."""
    return tasks.differences(expected, tasks.environment()) + ([DAEMON] if multiprocessing.current_process().daemon else [])


def run_on_worker(task):
    """What a Dask worker runs for a task: grade_task, in a process of the worker's own pool."""
    if multiprocessing.current_process().daemon:
        raise tasks.WorkerNotReady(f"the worker {platform.node()} cannot grade: {DAEMON}")
    return _worker_pool().submit(tasks.grade_task, task).result()
