#!/usr/bin/env python3
"""idle-cpu.py: the CPU an idle jobsd spends with N IN_PROGRESS jobs stored.

    bench/idle-cpu.py [--jobsd build/jobsd] [--jobs 0,3000] [--seconds 20]
                      [--kind plain|end|start|window] [--clients 4]

For each N: a fresh jobsd (SQLite in a temporary directory, --auth off, loopback ports it
chooses), one thing, N CreateJob over it (--clients at a time), 2 s of rest, then jobsd's
user+system CPU over --seconds of idleness, printed as a share of one core:

    op=idle-cpu kind=plain jobs=3000 cpu_pct=0.1

--kind says what the jobs wait for: plain, nothing (each stays IN_PROGRESS); end, an endTime
a day away (IN_PROGRESS); start, a startTime a day away (SCHEDULED); window, a maintenance
window that opens at 03:00 UTC (SCHEDULED until then, or IN_PROGRESS inside it).

What it shows: whether an idle tick costs more with more waiting jobs. Until issue 15 the
schedule passes read every SCHEDULED and IN_PROGRESS job on each 250 ms tick (2.6% of a core
with 3,000 plain jobs); now they read only the jobs due, through an index of due times
(docs/design.md "Costs that still grow with the store").
"""
import concurrent.futures
import datetime
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

here = os.path.dirname(os.path.abspath(__file__))
READY = re.compile(r'^jobsd ready control=(\S+) data=(\S+)\s*$')


def cpu_s(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def at(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc) \
        .strftime('%Y-%m-%dT%H:%M')


def job_kw(kind):
    """CreateJob's scheduling arguments for a job of this kind."""
    day = int(time.time() * 1000) + 24 * 3600 * 1000
    if kind == 'end':
        return {'schedulingConfig': {'endTime': at(day), 'endBehavior': 'CANCEL'}}
    if kind == 'start':
        return {'schedulingConfig': {'startTime': at(day)}}
    if kind == 'window':
        return {'schedulingConfig': {'maintenanceWindows': [
            {'startTime': 'cron(0 3 * * ? *)', 'durationInMinutes': 30}]}}
    return {}


def one(binary, n, seconds, kind='plain', clients=4):
    work = tempfile.mkdtemp(prefix='jobsd-idle.')
    # port 0: jobsd binds a free one and says which in its "jobsd ready" line
    proc = subprocess.Popen([binary, '--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0',
                             '--store', 'sqlite:%s/idle.db' % work, '--auth', 'off',
                             '--log-level', 'warn'],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = READY.match(proc.stdout.readline())
        if ready is None:
            raise RuntimeError('jobsd did not come up (%s)' % binary)
        # keep its stdout drained, as bench/lib.sh start_jobsd does
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        def client():
            return boto3.client('iot', endpoint_url='http://%s' % ready.group(1),
                                region_name='us-east-1', aws_access_key_id='idle',
                                aws_secret_access_key='idle',
                                config=Config(retries={'max_attempts': 1}))
        iot = client()
        iot.create_thing(thingName='idle-t0')
        arn = iot.describe_thing(thingName='idle-t0')['thingArn']
        kw = job_kw(kind)

        def create(k):
            c = client()  # boto3 clients are not to be shared between threads
            for i in range(k, n, clients):
                c.create_job(jobId='idle-j%d' % i, targets=[arn], document='{"op":"idle"}',
                             **kw)
        with concurrent.futures.ThreadPoolExecutor(clients) as ex:
            for f in [ex.submit(create, k) for k in range(clients)]:
                f.result()
        time.sleep(2)
        c0, t0 = cpu_s(proc.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu_s(proc.pid), time.monotonic()
        print('op=idle-cpu kind=%s jobs=%d cpu_pct=%.2f'
              % (kind, n, 100.0 * (c1 - c0) / (t1 - t0)), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--jobsd', default=os.environ.get('JOBSD',
                                                      os.path.join(here, '..', 'build', 'jobsd')))
    ap.add_argument('--jobs', default='0,3000')
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--kind', default='plain', choices=('plain', 'end', 'start', 'window'))
    ap.add_argument('--clients', type=int, default=4)
    a = ap.parse_args()
    for n in a.jobs.split(','):
        one(a.jobsd, int(n), a.seconds, a.kind, a.clients)
    return 0


if __name__ == '__main__':
    sys.exit(main())
