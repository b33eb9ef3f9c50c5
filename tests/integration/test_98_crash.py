"""Lose nothing: acknowledged writes survive kill -9 at a random moment.

Several threads send CreateJob, UpdateJobExecution (device plane) and DeleteJobExecution,
plus writes that must fail (wrong expectedVersion, deleting a pending execution without
force), while the main thread kills jobsd with SIGKILL at a random moment. After the restart:

  * every write that got a 200 is there, exactly;
  * no write that got an error response is there;
  * a write whose connection broke without a response ("unknown") is either wholly there
    or wholly absent: a job with all its executions or none, an execution update with its
    status, version and statusDetails together or not at all;
  * each job's status and jobProcessDetails agree with its executions.

Each thread owns its things, so the expected state of every execution is known exactly.
Rounds accumulate: the world of round N is checked again after every later crash.
A final PRAGMA integrity_check runs on the file with python's sqlite3 module.

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_98_crash.py
      JOBSD_CRASH_SEED=123 to replay a particular sequence of choices.
"""

import http.client
import json
import os
import random
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import thing_arn  # noqa: E402

ROUNDS = 5
THREADS = 4
THINGS_PER_THREAD = 6
PENDING = ('QUEUED', 'IN_PROGRESS')
ABSENT = None


class Unknown(Exception):
    """The request may or may not have been applied (no response was read)."""


class Client:
    """One keep-alive connection per plane; any transport failure is Unknown."""

    def __init__(self, jobsd):
        self.urls = {'control': jobsd.control_url, 'data': jobsd.data_url}
        self.conns = {}

    def call(self, plane, method, path, body=None):
        c = self.conns.get(plane)
        if c is None:
            host, port = harness._hostport(self.urls[plane])
            c = self.conns[plane] = http.client.HTTPConnection(host, port, timeout=15)
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {'Content-Type': 'application/json', 'Content-Length': str(len(data or b''))}
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Unknown(repr(e))
        doc = json.loads(raw) if raw.strip() else {}
        return r.status, r.getheader('x-amzn-ErrorType'), doc

    def close(self):
        for c in self.conns.values():
            c.close()
        self.conns = {}


class World:
    """What the clients know. Guarded by one lock; each key is written by one thread."""

    def __init__(self):
        self.lock = threading.Lock()
        # job id -> {'targets': [...], 'doc': str, 'state': 'present'|'absent'|'unknown'}
        self.jobs = {}
        # (job, thing) -> list of acceptable states; a state is ABSENT or
        # (status, version, details-dict). One element when known exactly.
        self.execs = {}
        self.counts = {'ok': 0, 'error': 0, 'unknown': 0}
        self.log = []       # (round, thread, op, outcome) for failure messages


class Worker(threading.Thread):

    def __init__(self, test, world, jobsd, round_no, k, rng, stop):
        super().__init__(daemon=True, name='crash-worker-%d' % k)
        self.test, self.w, self.round, self.k, self.rng, self.stop = \
            test, world, round_no, k, rng, stop
        self.client = Client(jobsd)
        self.things = ['cr-t%d-%d' % (k, i) for i in range(THINGS_PER_THREAD)]
        self.n = 0
        self.error = None

    # -- helpers --------------------------------------------------------------------------

    def my_execs(self, pred):
        with self.w.lock:
            return [key for key, states in self.w.execs.items()
                    if key[1] in self.things and len(states) == 1 and pred(states[0])]

    def note(self, op, outcome):
        with self.w.lock:
            self.w.counts[outcome] += 1
            self.w.log.append((self.round, self.k, op, outcome))

    # -- operations ----------------------------------------------------------------------

    def create_job(self):
        self.n += 1
        jid = 'cr-r%d-k%d-%d' % (self.round, self.k, self.n)
        targets = sorted(self.rng.sample(self.things, self.rng.choice((1, 2, 3))))
        doc = json.dumps({'op': jid, 'pad': 'x' * self.rng.randrange(0, 2000)})
        with self.w.lock:
            self.w.jobs[jid] = {'targets': targets, 'doc': doc, 'state': 'unknown'}
            for t in targets:
                self.w.execs[(jid, t)] = [ABSENT, ('QUEUED', 1, {})]
        body = {'targets': [thing_arn(t) for t in targets], 'document': doc,
                'description': 'crash round %d' % self.round}
        try:
            st, et, doc_ = self.client.call('control', 'PUT', '/jobs/' + jid, body)
        except Unknown:
            self.note('CreateJob ' + jid, 'unknown')
            raise
        with self.w.lock:
            if st == 200:
                self.w.jobs[jid]['state'] = 'present'
                for t in targets:
                    self.w.execs[(jid, t)] = [('QUEUED', 1, {})]
            else:
                self.w.jobs[jid]['state'] = 'absent'
                for t in targets:
                    self.w.execs[(jid, t)] = [ABSENT]
        self.note('CreateJob %s -> %s %s' % (jid, st, et), 'ok' if st == 200 else 'error')
        if st != 200 and st != 503:
            self.error = 'CreateJob %s: unexpected %s %s %r' % (jid, st, et, doc_)

    def update(self, wrong_version=False):
        keys = self.my_execs(lambda s: s is not ABSENT and s[0] in PENDING)
        if not keys:
            return self.create_job()
        jid, t = self.rng.choice(keys)
        with self.w.lock:
            cur = self.w.execs[(jid, t)][0]
        status = self.rng.choice(('IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED'))
        self.n += 1
        details = {'op': 'r%d-k%d-%d' % (self.round, self.k, self.n)}
        ev = cur[1] + (7 if wrong_version else 0)
        new = (status, cur[1] + 1, details)
        with self.w.lock:
            self.w.execs[(jid, t)] = [cur] if wrong_version else [cur, new]
        body = {'status': status, 'statusDetails': details, 'expectedVersion': ev}
        try:
            st, et, doc = self.client.call('data', 'POST', '/things/%s/jobs/%s' % (t, jid), body)
        except Unknown:
            self.note('Update %s/%s' % (jid, t), 'unknown')
            raise
        with self.w.lock:
            self.w.execs[(jid, t)] = [new] if st == 200 else [cur]
        self.note('Update %s/%s v%d -> %s %s' % (jid, t, ev, st, et), 'ok' if st == 200 else 'error')
        if wrong_version and st != 409:
            self.error = 'update with a wrong expectedVersion: %s %s %r' % (st, et, doc)
        if not wrong_version and st not in (200, 503):
            self.error = 'Update %s/%s: unexpected %s %s %r' % (jid, t, st, et, doc)

    def delete(self, without_force_on_pending=False):
        if without_force_on_pending:
            keys = self.my_execs(lambda s: s is not ABSENT and s[0] in PENDING)
        else:
            keys = self.my_execs(lambda s: s is not ABSENT)
        if not keys:
            return self.create_job()
        jid, t = self.rng.choice(keys)
        with self.w.lock:
            cur = self.w.execs[(jid, t)][0]
        force = cur[0] in PENDING and not without_force_on_pending
        with self.w.lock:
            self.w.execs[(jid, t)] = [cur] if without_force_on_pending else [cur, ABSENT]
        path = '/things/%s/jobs/%s/executionNumber/1%s' % (t, jid, '?force=true' if force else '')
        try:
            st, et, doc = self.client.call('control', 'DELETE', path)
        except Unknown:
            self.note('Delete %s/%s' % (jid, t), 'unknown')
            raise
        with self.w.lock:
            self.w.execs[(jid, t)] = [ABSENT] if st == 200 else [cur]
        self.note('Delete %s/%s -> %s %s' % (jid, t, st, et), 'ok' if st == 200 else 'error')
        if without_force_on_pending and st != 409:
            self.error = 'delete of a pending execution without force: %s %s %r' % (st, et, doc)
        if not without_force_on_pending and st not in (200, 503):
            self.error = 'Delete %s/%s: unexpected %s %s %r' % (jid, t, st, et, doc)

    def run(self):
        try:
            while not self.stop.is_set() and self.error is None:
                x = self.rng.random()
                if x < 0.30:
                    self.create_job()
                elif x < 0.75:
                    self.update()
                elif x < 0.88:
                    self.delete()
                elif x < 0.94:
                    self.update(wrong_version=True)
                else:
                    self.delete(without_force_on_pending=True)
        except Unknown:
            pass
        except Exception as e:      # reported by the test
            self.error = 'worker crashed: %r' % e
        finally:
            self.client.close()


class TestCrashDurability(unittest.TestCase):

    def test_kill9_under_load(self):
        seed = int(os.environ.get('JOBSD_CRASH_SEED') or random.randrange(1 << 30))
        rng = random.Random(seed)
        sys.stderr.write('\n[test_98] seed %d (JOBSD_CRASH_SEED to replay)\n' % seed)
        world = World()
        with harness.Jobsd() as jobsd:
            iot = jobsd.iot()
            for k in range(THREADS):
                for i in range(THINGS_PER_THREAD):
                    iot.create_thing(thingName='cr-t%d-%d' % (k, i))
            t_start = time.monotonic()
            for rnd in range(1, ROUNDS + 1):
                stop = threading.Event()
                workers = [Worker(self, world, jobsd, rnd, k, random.Random(rng.random()), stop)
                           for k in range(THREADS)]
                for w in workers:
                    w.start()
                time.sleep(rng.uniform(0.3, 1.5))
                before = dict(world.counts)
                jobsd.kill9()
                stop.set()
                for w in workers:
                    w.join(20)
                    self.assertFalse(w.is_alive(), 'a worker did not stop after the crash')
                for w in workers:
                    self.assertIsNone(w.error, 'round %d thread %d: %s' % (rnd, w.k, w.error))
                jobsd.start()
                self.verify(jobsd, world, rnd, seed)
                sys.stderr.write('[test_98] round %d: %s acknowledged so far (%s at the kill)\n'
                                 % (rnd, world.counts, before))
            self.assertLess(time.monotonic() - t_start, 100)
            self.assertGreater(world.counts['ok'], 50, 'too little load to mean anything')
            self.assertGreater(world.counts['error'], 0, 'no failing write was exercised')
            db = os.path.join(jobsd.data_dir, 'jobsd.db')
            jobsd.stop()
            if harness.STORE != 'sqlite':
                return   # the integrity check below reads the SQLite file
            con = sqlite3.connect(db)
            try:
                self.assertEqual(con.execute('PRAGMA integrity_check').fetchall(), [('ok',)])
            finally:
                con.close()

    def verify(self, jobsd, world, rnd, seed):
        iot = jobsd.iot()
        problems = []
        where = 'round %d, seed %d' % (rnd, seed)

        def describe_exec(jid, t):
            try:
                e = iot.describe_job_execution(jobId=jid, thingName=t, executionNumber=1)
            except iot.exceptions.ResourceNotFoundException:
                return ABSENT
            e = e['execution']
            return (e['status'], e['versionNumber'],
                    e.get('statusDetails', {}).get('detailsMap', {}))

        for jid, j in sorted(world.jobs.items()):
            try:
                d = iot.describe_job(jobId=jid)['job']
            except iot.exceptions.ResourceNotFoundException:
                d = None
            if j['state'] == 'present' and d is None:
                problems.append('acknowledged CreateJob %s is missing' % jid)
                continue
            if j['state'] == 'absent' and d is not None:
                problems.append('CreateJob %s failed but the job exists' % jid)
                continue
            observed = {t: describe_exec(jid, t) for t in j['targets']}
            if d is None:
                # Unknown outcome, not applied: no execution may exist either.
                for t, s in observed.items():
                    if s is not ABSENT:
                        problems.append('job %s is absent but its execution on %s exists: %r'
                                        % (jid, t, s))
                j['state'] = 'absent'
                for t in j['targets']:
                    world.execs[(jid, t)] = [ABSENT]
                continue
            if j['state'] == 'unknown':
                # Unknown outcome, applied: wholly, every execution QUEUED at version 1.
                for t, st in observed.items():
                    if st != ('QUEUED', 1, {}):
                        problems.append('job %s (outcome unknown) exists but its execution on '
                                        '%s is %r' % (jid, t, st))
            j['state'] = 'present'
            doc = iot.get_job_document(jobId=jid)['document']
            if doc != j['doc']:
                problems.append('job %s document differs' % jid)
            for t in j['targets']:
                ok = world.execs[(jid, t)]
                s = observed[t]
                if s not in ok:
                    problems.append('execution %s/%s is %r, acceptable %r' % (jid, t, s, ok))
                world.execs[(jid, t)] = [s]    # resolve unknowns to what is there
            present = [s for s in observed.values() if s is not ABSENT]
            pending = [s for s in present if s[0] in PENDING]
            want = 'IN_PROGRESS' if pending else 'COMPLETED'
            if d['status'] != want:
                problems.append('job %s is %s with executions %r' % (jid, d['status'], observed))
            pd = d.get('jobProcessDetails', {})
            for status, key in (('QUEUED', 'numberOfQueuedThings'),
                                ('IN_PROGRESS', 'numberOfInProgressThings'),
                                ('SUCCEEDED', 'numberOfSucceededThings'),
                                ('FAILED', 'numberOfFailedThings')):
                n = sum(1 for s in present if s[0] == status)
                if pd.get(key, 0) != n:
                    problems.append('job %s %s=%s but %d executions are %s'
                                    % (jid, key, pd.get(key), n, status))
        if problems:
            self.fail('%s: %d problem(s) after kill -9:\n  %s\nlast operations:\n  %s'
                      % (where, len(problems), '\n  '.join(problems[:30]),
                         '\n  '.join(map(repr, world.log[-20:]))))


if __name__ == '__main__':
    harness.main()
