"""Regression tests, one per fixed bug, each named after it."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JobsdTestCase, group_arn, thing_arn  # noqa: E402


class Regressions(JobsdTestCase):

    _iso = staticmethod(harness.schedule_time)

    def test_associate_targets_does_not_rerun_finished_things(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[group_arn(g)], document='{}',
                            targetSelection='CONTINUOUS')
        self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        g2 = self.create_group()
        self.iot.add_thing_to_thing_group(thingGroupName=g2, thingName=t)
        self.iot.associate_targets_with_job(jobId=jid, targets=[group_arn(g2)])
        runs = self.iot.list_job_executions_for_thing(thingName=t, jobId=jid)
        self.assertEqual([s['jobExecutionSummary']['status']
                          for s in runs['executionSummaries']], ['SUCCEEDED'])

    def test_scheduled_job_with_a_vanished_target_runs_on_the_rest(self):
        t1, t2 = self.create_thing(), self.create_thing()
        now = self.jobsd.clock_now_ms()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t1), thing_arn(t2)], document='{}',
                            schedulingConfig={'startTime': self._iso(now + 3600 * 1000)})
        self.assertEqual(self.iot.describe_job(jobId=jid)['job']['status'], 'SCHEDULED')
        self.assertEqual(self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries'], [])
        self.iot.delete_thing(thingName=t1)
        self.jobsd.advance_clock(2 * 3600)
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'IN_PROGRESS')
        execs = self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries']
        self.assertEqual([e['thingArn'] for e in execs], [thing_arn(t2)])

    def test_scheduled_job_start_is_paced(self):
        ts = sorted(self.create_thing() for _ in range(3))
        now = self.jobsd.clock_now_ms()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in ts], document='{}',
                            schedulingConfig={'startTime': self._iso(now + 3600 * 1000)},
                            jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        self.jobsd.advance_clock(2 * 3600)
        execs = self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries']
        self.assertEqual(len(execs), 1)
        self.assertTrue(self.iot.describe_job(jobId=jid)['job']['isConcurrent'])

    def test_clock_jump_releases_every_due_rollout_batch(self):
        ts = sorted(self.create_thing() for _ in range(5))
        jid = self.create_job(targets=[thing_arn(t) for t in ts],
                              jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        self.assertEqual(len(self.iot.list_job_executions_for_job(jobId=jid)
                             ['executionSummaries']), 1)
        self.jobsd.advance_clock(10 * 60)  # ten minutes: every remaining batch is due
        execs = self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries']
        self.assertEqual(len(execs), 5)
        self.assertFalse(self.iot.describe_job(jobId=jid)['job']['isConcurrent'])

    def test_deleted_job_leaves_device_views_at_once(self):
        t = self.create_thing()
        jid = self.create_job(targets=[thing_arn(t)])
        self.iot.delete_job(jobId=jid, force=True)
        pend = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual(pend['queuedJobs'], [])
        self.assertNotIn('execution', self.data.start_next_pending_job_execution(thingName=t))

    def test_abort_wins_over_retry_of_the_same_failure(self):
        t1, t2 = self.create_thing(), self.create_thing()
        jid = self.create_job(targets=[thing_arn(t1), thing_arn(t2)],
                              abortConfig={'criteriaList': [{
                                  'failureType': 'FAILED', 'action': 'CANCEL',
                                  'thresholdPercentage': 50.0, 'minNumberOfExecutedThings': 1}]},
                              jobExecutionsRetryConfig={'criteriaList': [
                                  {'failureType': 'FAILED', 'numberOfRetries': 2}]})
        self.data.update_job_execution(jobId=jid, thingName=t1, status='FAILED')
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertEqual(job['status'], 'CANCELED')
        runs = self.iot.list_job_executions_for_thing(thingName=t1, jobId=jid)
        self.assertEqual([s['jobExecutionSummary']['status']
                          for s in runs['executionSummaries']], ['FAILED'])

    def test_update_execution_number_zero_is_not_found(self):
        t = self.create_thing()
        jid = self.create_job(targets=[thing_arn(t)])
        self.assertAwsError(lambda: self.data.update_job_execution(
            jobId=jid, thingName=t, status='IN_PROGRESS', executionNumber=0),
            'ResourceNotFoundException', 404)

    def test_template_maintenance_windows_go_to_scheduling_config(self):
        t = self.create_thing()
        tid = self.name('tpl')
        win = [{'startTime': 'cron(0 0 * * ? *)', 'durationInMinutes': 60}]
        self.iot.create_job_template(jobTemplateId=tid, description='d', document='{}',
                                     maintenanceWindows=win)
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t)], jobTemplateArn=(
            'arn:aws:iot:%s:%s:jobtemplate/%s' % (harness.REGION, harness.ACCOUNT, tid)))
        job = self.iot.describe_job(jobId=jid)['job']
        self.assertNotIn('maintenanceWindows', job)
        self.assertEqual(job['schedulingConfig']['maintenanceWindows'], win)


if __name__ == '__main__':
    harness.main()
