"""Chunked fan-out (issue 15): a job over a group larger than one chunk is IN_PROGRESS at
once and its executions are queued chunk by chunk, each chunk its own transaction with a
durable cursor. A kill -9 in the middle of it loses nothing and doubles nothing; a paced
rollout, a cancel and AssociateTargetsWithJob work with it.

jobsd runs with --fanout-chunk 30 and --test-fanout-pause-ms 100 (a test-rig knob: a pause
between chunks), so a fan-out over 600 things takes 20 chunks and about 2 s, and a kill
lands in the middle deterministically: the test waits until some but not all are queued.
(The chunk is small so that the test is fast; the path is the one 100,000 things take.)

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_39_fanout.py
"""

import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import group_arn, thing_arn  # noqa: E402

N = 600
CHUNK = 30


class FanoutTest(harness.JobsdTestCase):

    jobsd_extra_args = ('--fanout-chunk', str(CHUNK), '--test-fanout-pause-ms', '100')
    eventually_timeout = 30.0

    def group_of(self, n, prefix):
        """A group of n new things (raw requests on 8 threads: boto3 would take 10 s)."""
        g = self.create_group()
        names = ['%s-%05d' % (prefix, i) for i in range(n)]

        def make(name):
            st, _, body = self.jobsd.raw('POST', '/things/%s' % name, {})
            self.assertEqual(st, 200, body)
            st, _, body = self.jobsd.raw('PUT', '/thing-groups/addThingToThingGroup',
                                         {'thingGroupName': g, 'thingName': name})
            self.assertEqual(st, 200, body)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(make, names))
        return g, names

    def queued(self, job):
        d = self.iot.describe_job(jobId=job)['job']
        return d['status'], d['jobProcessDetails'].get('numberOfQueuedThings', 0)

    def executions(self, job):
        return harness.all_pages(self.iot.list_job_executions_for_job, 'executionSummaries',
                                 max_pages=1000, jobId=job, maxResults=250)

    def assert_exactly_once(self, job, names):
        rows = self.executions(job)
        things = [r['thingArn'].rsplit('/', 1)[1] for r in rows]
        self.assertEqual(len(things), len(set(things)), 'an execution twice')
        self.assertEqual(sorted(things), sorted(names))
        self.assertTrue(all(r['jobExecutionSummary']['executionNumber'] == 1 for r in rows))

    def wait_partial(self, job, n):
        """Until some but not all of n are queued; returns how many."""
        def probe():
            status, q = self.queued(job)
            self.assertEqual(status, 'IN_PROGRESS')
            self.assertGreater(q, 0)
            return q
        q = self.eventually(probe)
        self.assertLess(q, n, 'the fan-out ended before the test looked')
        return q

    def test_kill9_mid_fanout_resumes_exactly_once(self):
        g, names = self.group_of(N, 'k9')
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[group_arn(g)], document='{"op":"x"}')
        self.wait_partial(job, N)
        self.jobsd.kill9()
        self.jobsd.start()
        self.eventually(lambda: self.assertEqual(self.queued(job), ('IN_PROGRESS', N)))
        self.assert_exactly_once(job, names)
        # the cursor is gone: another pass queues nothing more
        self.assertEqual(self.queued(job), ('IN_PROGRESS', N))

    def test_counts_grow_and_snapshot_completes_after_fanout(self):
        g, names = self.group_of(N // 4, 'sn')
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[group_arn(g)], document='{"op":"x"}')
        first = self.wait_partial(job, len(names))
        # the devices finish what is queued so far: the job must not complete early
        done = set()
        for r in self.executions(job):
            t = r['thingArn'].rsplit('/', 1)[1]
            self.data.update_job_execution(jobId=job, thingName=t, status='SUCCEEDED')
            done.add(t)
        self.assertGreaterEqual(len(done), first)
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'IN_PROGRESS')
        self.eventually(lambda: self.assertEqual(
            len(self.executions(job)), len(names)))
        for t in names:
            if t not in done:
                self.data.update_job_execution(jobId=job, thingName=t, status='SUCCEEDED')
        self.eventually(lambda: self.assertEqual(
            self.iot.describe_job(jobId=job)['job']['status'], 'COMPLETED'))
        self.assert_exactly_once(job, names)

    def test_cancel_stops_fanout(self):
        g, names = self.group_of(N // 2, 'cx')
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[group_arn(g)], document='{"op":"x"}')
        self.wait_partial(job, len(names))
        self.iot.cancel_job(jobId=job)
        n1 = len(self.executions(job))
        self.assertLess(n1, len(names))
        self.jobsd.restart()
        self.assertEqual(len(self.executions(job)), n1)
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'CANCELED')

    def test_paced_rollout_with_chunked_fanout(self):
        g, names = self.group_of(N // 4, 'ro')
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[group_arn(g)], document='{"op":"x"}',
                            jobExecutionsRolloutConfig={'maximumPerMinute': 40})
        self.eventually(lambda: self.assertEqual(self.queued(job), ('IN_PROGRESS', 40)))
        self.assertTrue(self.iot.describe_job(jobId=job)['job'].get('isConcurrent'))
        # a batch a minute, at most 40 each, until every thing is queued (a batch that
        # falls due while the fan-out still fills the queue may be smaller; the rest
        # waits for the next minute, never lost)
        minutes = [0]

        def a_minute_later():
            minutes[0] += 1
            self.jobsd.advance_clock(61)
            q = self.queued(job)[1]
            self.assertLessEqual(q, 40 * (minutes[0] + 1))
            self.assertEqual(q, len(names))
        self.eventually(a_minute_later)
        self.assert_exactly_once(job, names)

    def test_associate_group_fans_out(self):
        g, names = self.group_of(N // 4, 'as')
        t0 = self.create_thing()
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[thing_arn(t0)], document='{"op":"x"}',
                            targetSelection='CONTINUOUS')
        self.iot.associate_targets_with_job(jobId=job, targets=[group_arn(g)])
        self.eventually(lambda: self.assertEqual(self.queued(job),
                                                 ('IN_PROGRESS', len(names) + 1)))
        self.assert_exactly_once(job, names + [t0])

    def test_nested_and_overlapping_groups_once(self):
        parent, a = self.group_of(40, 'na')
        child = self.create_group(parent=parent)
        other, b = self.group_of(40, 'nb')
        for t in b[:25] + a[:5]:   # in the child too, and a[:5] in two groups
            self.iot.add_thing_to_thing_group(thingGroupName=child, thingName=t)
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[group_arn(parent), group_arn(other)],
                            document='{"op":"x"}')
        self.eventually(lambda: self.assertEqual(self.queued(job), ('IN_PROGRESS', 80)))
        self.assert_exactly_once(job, a + b)

    def test_hundred_explicit_targets_one_pass(self):
        things = ['ex-%03d' % i for i in range(100)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: self.jobsd.raw('POST', '/things/%s' % n, {}), things))
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[thing_arn(t) for t in things],
                            document='{"op":"x"}', targetSelection='CONTINUOUS')
        self.assertEqual(self.queued(job), ('IN_PROGRESS', 100))
        self.assertAwsError(lambda: self.iot.create_job(
            jobId=self.name('job'), targets=[thing_arn(t) for t in things[:99]] +
            [thing_arn('ex-missing')], document='{"op":"x"}'), 'ResourceNotFoundException')
        # associate: the ones the job reached are left alone; a REMOVED one is queued again
        self.data.update_job_execution(jobId=job, thingName=things[0], status='SUCCEEDED')
        self.iot.associate_targets_with_job(jobId=job, targets=[thing_arn(things[0])])
        self.assertEqual(self.describe_exec(job, things[0])['status'], 'SUCCEEDED')


if __name__ == '__main__':
    unittest.main()
