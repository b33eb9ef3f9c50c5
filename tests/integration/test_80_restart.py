"""Durability: everything jobsd acknowledged survives a clean restart (SIGTERM) and a crash
(SIGKILL), with the same fields; numbering continues afterwards (decisions D4, D5, D14, D16).

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_80_restart.py
"""

import os
import sys

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import clean, group_arn, thing_arn  # noqa: E402

DOC = '{"operation":"upgrade","version":"2.1.0"}'


class RestartBase(harness.JobsdTestCase):

    eventually_timeout = 10.0   # this file's polls wait up to 10 s
    # the names this file's tests use for the harness's helpers
    describe = harness.JobsdTestCase.describe_exec
    upd = harness.JobsdTestCase.update_exec

    def all_pages(self, method, key, **kw):
        return harness.all_pages(method, key, max_pages=1000, **kw)

    def wait_job_gone(self, job):
        def probe():
            try:
                st = self.iot.describe_job(jobId=job)['job']['status']
            except botocore.exceptions.ClientError as e:
                if e.response['Error']['Code'] == 'ResourceNotFoundException':
                    return
                raise
            raise AssertionError('job %s still there (%s)' % (job, st))
        self.eventually(probe)

    # -- the world -----------------------------------------------------------

    def build_world(self):
        w = {'things': [], 'groups': [], 'jobs': [], 'execs': [], 'gone_things': [],
             'gone_jobs': [], 'gone_execs': []}
        ta = self.create_thing(attributePayload={'attributes': {'model': 'x1', 'fw': '1.0'}})
        tb = self.create_thing()
        tc = self.create_thing()
        td = self.create_thing()
        w['things'] += [ta, tb, tc]
        g1 = self.create_group(thingGroupProperties={
            'thingGroupDescription': 'parent group',
            'attributePayload': {'attributes': {'site': 'berlin'}}})
        g2 = self.create_group(parent=g1)
        w['groups'] += [g1, g2]
        self.iot.add_thing_to_thing_group(thingGroupName=g1, thingName=ta)
        self.iot.add_thing_to_thing_group(thingGroupName=g2, thingName=tb)

        # TIMED_OUT first: the clock advance must not time out anything created later.
        j_to = self.create_job(targets=[thing_arn(tc)], document=DOC,
                               timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.wait_exec(j_to, tc, 1, 'QUEUED')
        self.upd(j_to, tc, 'IN_PROGRESS', statusDetails={'phase': 'flash'})
        self.jobsd.advance_clock(120)
        self.wait_exec(j_to, tc, 1, 'TIMED_OUT')
        w['jobs'].append(j_to)
        w['execs'].append((j_to, tc, 1))

        # Snapshot job on three things: SUCCEEDED, IN_PROGRESS (with timer), CANCELED.
        j_snap = self.create_job(targets=[thing_arn(ta), thing_arn(tb), thing_arn(tc)],
                                 document=DOC, description='snapshot job',
                                 timeoutConfig={'inProgressTimeoutInMinutes': 600})
        for t in (ta, tb, tc):
            self.wait_exec(j_snap, t, 1, 'QUEUED')
        self.upd(j_snap, ta, 'IN_PROGRESS', statusDetails={'p': '50'})
        self.upd(j_snap, ta, 'SUCCEEDED', statusDetails={'p': '100', 'result': 'ok'})
        self.data.start_next_pending_job_execution(thingName=tb, statusDetails={'p': '10'})
        self.iot.cancel_job_execution(jobId=j_snap, thingName=tc, statusDetails={'why': 'ops'})
        w['jobs'].append(j_snap)
        w['execs'] += [(j_snap, ta, 1), (j_snap, tb, 1), (j_snap, tc, 1)]

        # Continuous job on the child group: exec 1 REMOVED, exec 2 QUEUED.
        j_cont = self.create_job(targets=[group_arn(g2)], targetSelection='CONTINUOUS',
                                 document=DOC)
        self.wait_exec(j_cont, tb, 1, 'QUEUED')
        self.iot.remove_thing_from_thing_group(thingGroupName=g2, thingName=tb)
        self.wait_exec(j_cont, tb, 1, 'REMOVED')
        self.iot.add_thing_to_thing_group(thingGroupName=g2, thingName=tb)
        self.wait_exec(j_cont, tb, 2, 'QUEUED')
        w['jobs'].append(j_cont)
        w['execs'] += [(j_cont, tb, 1), (j_cont, tb, 2)]
        w['continuous'] = (j_cont, g2, tb)

        # REJECTED and FAILED; one FAILED execution deleted.
        j_rf = self.create_job(targets=[thing_arn(ta), thing_arn(tc)], document=DOC)
        self.wait_exec(j_rf, ta, 1, 'QUEUED')
        self.wait_exec(j_rf, tc, 1, 'QUEUED')
        self.upd(j_rf, ta, 'REJECTED', statusDetails={'reason': 'battery'})
        self.upd(j_rf, tc, 'FAILED')
        self.iot.delete_job_execution(jobId=j_rf, thingName=tc, executionNumber=1)
        w['jobs'].append(j_rf)
        w['execs'].append((j_rf, ta, 1))
        w['gone_execs'].append((j_rf, tc, 1))

        # REMOVED through DeleteThing (D14: still describable by (thing, job)).
        j_rm = self.create_job(targets=[thing_arn(td), thing_arn(ta)], document=DOC)
        self.wait_exec(j_rm, td, 1, 'QUEUED')
        self.iot.delete_thing(thingName=td)
        self.wait_exec(j_rm, td, 1, 'REMOVED')
        w['jobs'].append(j_rm)
        w['execs'] += [(j_rm, td, 1), (j_rm, ta, 1)]
        w['gone_things'].append(td)

        # A canceled job (CancelJob) and a deleted job.
        j_cj = self.create_job(targets=[thing_arn(tc)], document=DOC)
        self.wait_exec(j_cj, tc, 1, 'QUEUED')
        self.iot.cancel_job(jobId=j_cj, reasonCode='OPS_STOP', comment='stopped by test')
        self.wait_exec(j_cj, tc, 1, 'CANCELED')
        w['jobs'].append(j_cj)
        w['execs'].append((j_cj, tc, 1))
        j_del = self.create_job(targets=[thing_arn(tc)], document=DOC)
        self.wait_exec(j_del, tc, 1, 'QUEUED')
        self.iot.delete_job(jobId=j_del, force=True)
        self.wait_job_gone(j_del)
        w['gone_jobs'].append(j_del)

        # A namespaced job, still queued.
        j_ns = self.create_job(targets=[thing_arn(ta)], document=DOC, namespaceId='ns-keep')
        self.wait_exec(j_ns, ta, 1, 'QUEUED')
        w['jobs'].append(j_ns)
        w['execs'].append((j_ns, ta, 1))
        return w

    def snapshot(self, w):
        iot, data = self.iot, self.data
        s = {}
        for t in w['things']:
            s['thing', t] = iot.describe_thing(thingName=t)
            s['for_thing', t] = self.all_pages(iot.list_job_executions_for_thing,
                                               'executionSummaries', thingName=t, maxResults=2)
            s['pending', t] = data.get_pending_job_executions(thingName=t)
            s['next', t] = data.describe_job_execution(jobId='$next', thingName=t)
        s['things'] = self.all_pages(iot.list_things, 'things')
        for g in w['groups']:
            s['group', g] = iot.describe_thing_group(thingGroupName=g)
            s['members', g] = self.all_pages(iot.list_things_in_thing_group, 'things',
                                             thingGroupName=g)
        s['groups'] = self.all_pages(iot.list_thing_groups, 'thingGroups')
        s['jobs'] = self.all_pages(iot.list_jobs, 'jobs')
        for j in w['jobs']:
            s['job', j] = iot.describe_job(jobId=j)
            s['doc', j] = iot.get_job_document(jobId=j)
            s['for_job', j] = self.all_pages(iot.list_job_executions_for_job,
                                             'executionSummaries', jobId=j, maxResults=2)
        for (j, t, n) in w['execs']:
            s['exec', j, t, n] = iot.describe_job_execution(jobId=j, thingName=t,
                                                            executionNumber=n)
            s['latest', j, t] = iot.describe_job_execution(jobId=j, thingName=t)
            if t not in w['gone_things']:
                s['dexec', j, t, n] = data.describe_job_execution(jobId=j, thingName=t,
                                                                  executionNumber=n)
        return clean(s)

    def assertWorldGone(self, w):
        for t in w['gone_things']:
            self.assertAwsError(self.iot.describe_thing, 'ResourceNotFoundException', 404,
                                thingName=t)
        for j in w['gone_jobs']:
            self.assertAwsError(self.iot.describe_job, 'ResourceNotFoundException', 404,
                                jobId=j)
        for (j, t, n) in w['gone_execs']:
            self.assertAwsError(self.iot.describe_job_execution, 'ResourceNotFoundException',
                                404, jobId=j, thingName=t, executionNumber=n)

    def assertSnapshotsEqual(self, before, after):
        self.assertEqual(sorted(map(repr, before)), sorted(map(repr, after)))
        for k in before:
            self.assertEqual(before[k], after[k], 'differs after restart: %r' % (k,))

    def sanity(self, w, s):
        """The world really has the states we think it has (guards against a vacuous pass)."""
        statuses = sorted(s['exec', j, t, n]['execution']['status'] for (j, t, n) in w['execs'])
        for want in ('SUCCEEDED', 'IN_PROGRESS', 'CANCELED', 'REMOVED', 'QUEUED', 'REJECTED',
                     'TIMED_OUT'):
            self.assertIn(want, statuses)


class RestartTest(RestartBase):

    def test_clean_restart_keeps_everything(self):
        w = self.build_world()
        before = self.snapshot(w)
        self.sanity(w, before)
        self.assertWorldGone(w)
        self.jobsd.restart()
        after = self.snapshot(w)
        self.assertSnapshotsEqual(before, after)
        self.assertWorldGone(w)
        # An IN_PROGRESS execution with a timer still reports one.
        j_snap = w['jobs'][1]
        tb = w['things'][1]
        self.assertIn('approximateSecondsBeforeTimedOut', self.describe(j_snap, tb))

    def test_kill9_keeps_everything_acknowledged(self):
        w = self.build_world()
        before = self.snapshot(w)
        self.jobsd.kill9()
        self.jobsd.start()
        after = self.snapshot(w)
        self.assertSnapshotsEqual(before, after)
        self.assertWorldGone(w)

    def test_two_restarts_in_a_row(self):
        w = self.build_world()
        before = self.snapshot(w)
        self.jobsd.restart()
        self.jobsd.kill9()
        self.jobsd.start()
        self.assertSnapshotsEqual(before, self.snapshot(w))

    def test_kill9_right_after_burst_of_writes(self):
        # No read between the last acknowledged write and the crash.
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)], document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        for i in range(20):
            self.upd(job, t, 'IN_PROGRESS', statusDetails={'i': str(i)})
        extra = [self.create_thing() for _ in range(10)]
        j2 = self.create_job(targets=[thing_arn(x) for x in extra], document=DOC)
        for x in extra:
            self.wait_exec(j2, x, 1, 'QUEUED')
        for x in extra[:5]:
            self.upd(j2, x, 'SUCCEEDED')
        self.iot.cancel_job_execution(jobId=j2, thingName=extra[5])
        self.upd(j2, extra[6], 'FAILED')
        self.iot.delete_job_execution(jobId=j2, thingName=extra[6], executionNumber=1)
        last = self.create_thing()
        self.jobsd.kill9()
        self.jobsd.start()
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertEqual(ex['versionNumber'], 21)
        self.assertEqual(ex['statusDetails'], {'detailsMap': {'i': '19'}})
        for x in extra[:5]:
            self.assertEqual(self.describe(j2, x)['status'], 'SUCCEEDED')
        self.assertEqual(self.describe(j2, extra[5])['status'], 'CANCELED')
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, j2, extra[6], 1)
        for x in extra[7:]:
            self.assertEqual(self.describe(j2, x)['status'], 'QUEUED')
        self.assertEqual(self.iot.describe_thing(thingName=last)['thingName'], last)
        counts = self.iot.describe_job(jobId=j2)['job']['jobProcessDetails']
        self.assertEqual(counts.get('numberOfSucceededThings', 0), 5)
        self.assertEqual(counts.get('numberOfCanceledThings', 0), 1)
        self.assertEqual(counts.get('numberOfFailedThings', 0), 0)
        self.assertEqual(counts.get('numberOfQueuedThings', 0), 3)

    def test_work_continues_after_restart(self):
        w = self.build_world()
        j_cont, g2, tb = w['continuous']
        j_snap = w['jobs'][1]
        self.jobsd.restart()
        # D4: numbering continues from the stored executions.
        self.iot.remove_thing_from_thing_group(thingGroupName=g2, thingName=tb)
        self.wait_exec(j_cont, tb, 2, 'REMOVED')
        self.iot.add_thing_to_thing_group(thingGroupName=g2, thingName=tb)
        ex = self.wait_exec(j_cont, tb, 3, 'QUEUED')
        self.assertEqual(ex['versionNumber'], 1)
        # D5: versions continue; the device finishes its IN_PROGRESS work.
        before = self.describe(j_snap, tb)
        r = self.upd(j_snap, tb, 'SUCCEEDED', expectedVersion=before['versionNumber'],
                     includeJobExecutionState=True)
        self.assertEqual(r['executionState']['versionNumber'], before['versionNumber'] + 1)
        # Ids stay taken.
        self.assertAwsError(self.iot.create_job, 'ResourceAlreadyExistsException', 409,
                            jobId=j_snap, targets=[thing_arn(tb)], document=DOC)
        # New work is accepted and persists through another restart.
        t_new = self.create_thing()
        j_new = self.create_job(targets=[thing_arn(t_new)], document=DOC)
        self.wait_exec(j_new, t_new, 1, 'QUEUED')
        self.jobsd.restart()
        self.assertEqual(self.describe(j_new, t_new)['status'], 'QUEUED')
        self.assertEqual(self.describe(j_snap, tb)['status'], 'SUCCEEDED')

    def test_timer_survives_restart(self):
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)], document=DOC,
                              timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.wait_exec(job, t, 1, 'QUEUED')
        self.upd(job, t, 'IN_PROGRESS')
        self.jobsd.restart()
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertIn('approximateSecondsBeforeTimedOut', ex)
        # Advance well past the deadline (whatever the clock did across the restart).
        self.jobsd.advance_clock(3600)
        self.assertEqual(self.describe(job, t)['status'], 'TIMED_OUT')

    def test_reset_is_durable(self):
        t = self.create_thing()
        self.create_job(targets=[thing_arn(t)], document=DOC)
        self.jobsd.reset()
        self.jobsd.restart()
        self.assertAwsError(self.iot.describe_thing, 'ResourceNotFoundException', 404,
                            thingName=t)
        self.assertEqual(self.iot.list_jobs()['jobs'], [])


if __name__ == '__main__':
    harness.main()
