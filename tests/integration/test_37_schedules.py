"""schedulingConfig.endTime with each endBehavior (spec §9.5), driven by the test rig's virtual
clock: what each behaviour leaves of the executions, and the job's status.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import schedule_time, thing_arn  # noqa: E402

HOUR = 3600


class EndBehaviour(harness.JobsdTestCase):

    def job_ending(self, things, behaviour, hours=1, **kw):
        now = self.jobsd.clock_now_ms()
        sc = {'endTime': schedule_time(now + hours * HOUR * 1000 + 60000)}
        if behaviour is not None:
            sc['endBehavior'] = behaviour
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in things], document='{}',
                            schedulingConfig=sc, **kw)
        return jid

    def statuses(self, jid, things):
        return [self.describe_exec(jid, t)['status'] for t in things]

    def past_end(self, hours=1):
        self.jobsd.advance_clock(hours * HOUR + 120)

    def test_cancel(self):
        things = [self.create_thing() for _ in range(3)]
        jid = self.job_ending(things, 'CANCEL')
        self.data.start_next_pending_job_execution(thingName=things[0])
        self.data.update_job_execution(jobId=jid, thingName=things[1], status='SUCCEEDED')
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')
        self.past_end()
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'CANCELED')
        self.assertIs(job['forceCanceled'], False)
        self.assertIn('endTime', job['comment'])
        # QUEUED canceled, IN_PROGRESS runs on, terminal untouched
        self.assertEqual(self.statuses(jid, things), ['IN_PROGRESS', 'SUCCEEDED', 'CANCELED'])
        self.data.update_job_execution(jobId=jid, thingName=things[0], status='SUCCEEDED')
        self.assertEqual(self.describe_exec(jid, things[0])['status'], 'SUCCEEDED')

    def test_force_cancel(self):
        things = [self.create_thing() for _ in range(2)]
        jid = self.job_ending(things, 'FORCE_CANCEL')
        self.data.start_next_pending_job_execution(thingName=things[0])
        self.past_end()
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'CANCELED')
        self.assertIs(job['forceCanceled'], True)
        self.assertEqual(self.statuses(jid, things), ['CANCELED', 'CANCELED'])

    def test_stop_rollout(self):
        things = [self.create_thing() for _ in range(4)]
        # a paced rollout of 1 a minute: one queued at once, the rest wait
        jid = self.job_ending(things, 'STOP_ROLLOUT',
                              jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        first = [t for t in things if self.iot.list_job_executions_for_thing(
            thingName=t)['executionSummaries']]
        self.assertEqual(len(first), 1)
        self.data.start_next_pending_job_execution(thingName=first[0])
        # the end comes before the rollout could reach every thing: 60 s a batch, but the
        # clock jumps past the end in one step, so only what was due before it may run
        self.jobsd.advance_clock(HOUR + 120)
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'IN_PROGRESS')  # its execution still runs
        self.assertIs(job['isConcurrent'], False)
        n_before = sum(1 for t in things if self.iot.list_job_executions_for_thing(
            thingName=t)['executionSummaries'])
        self.jobsd.advance_clock(600)
        n_after = sum(1 for t in things if self.iot.list_job_executions_for_thing(
            thingName=t)['executionSummaries'])
        self.assertEqual(n_after, n_before)  # no execution created after the end
        for t in things:
            for x in self.iot.list_job_executions_for_thing(thingName=t)['executionSummaries']:
                if x['jobExecutionSummary']['status'] in ('QUEUED', 'IN_PROGRESS'):
                    self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.jobsd.advance_clock(1)
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'COMPLETED')

    def test_continuous_completes_after_end(self):
        t = self.create_thing()
        jid = self.job_ending([t], 'STOP_ROLLOUT', targetSelection='CONTINUOUS')
        self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')
        self.past_end()
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'COMPLETED')

    def test_before_end_nothing_happens(self):
        t = self.create_thing()
        jid = self.job_ending([t], 'CANCEL', hours=2)
        self.jobsd.advance_clock(HOUR)
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'IN_PROGRESS')
        self.assertEqual(self.describe_exec(jid, t)['status'], 'QUEUED')


if __name__ == '__main__':
    harness.main()
