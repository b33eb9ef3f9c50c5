"""DeleteJobExecution acceptance table (seeds/DeleteJobExecution.txt; decisions D1-D4, D10, D14).

  DELETE /things/{thingName}/jobs/{jobId}/executionNumber/{executionNumber}?force=&namespaceId=

Every row of the acceptance table is its own test method; boto3 for the modeled calls, raw HTTP
for inputs botocore can't produce.
Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_70_delete_job_execution.py
"""

import json
import os
import sys

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import COUNT_KEY, group_arn, strip, thing_arn  # noqa: E402

DOC = '{"operation":"reboot"}'


class DeleteJobExecutionTest(harness.JobsdTestCase):

    # -- helpers -----------------------------------------------------------

    # the names this file's tests use for the harness's helpers
    describe = harness.JobsdTestCase.describe_exec
    counts = harness.JobsdTestCase.job_counts

    def delete(self, job, thing, number, **kw):
        return self.iot.delete_job_execution(jobId=job, thingName=thing,
                                             executionNumber=number, **kw)

    def for_job(self, job):
        r = self.iot.list_job_executions_for_job(jobId=job)
        return [(s['thingArn'], s['jobExecutionSummary']['executionNumber'])
                for s in r['executionSummaries']]

    def for_thing(self, thing):
        r = self.iot.list_job_executions_for_thing(thingName=thing)
        return [(s['jobId'], s['jobExecutionSummary']['executionNumber'])
                for s in r['executionSummaries']]

    def make(self, status, timeout=False):
        """A job on two things: `victim` in `status`, `bystander` left QUEUED (keeps the job
        IN_PROGRESS so its counts stay observable). Returns (job, victim, bystander)."""
        victim = self.create_thing()
        bystander = self.create_thing()
        if status == 'REMOVED':
            # Continuous job on a group; leaving the group makes the execution REMOVED (D14)
            # while the thing itself still exists, so its list can be checked.
            g = self.create_group()
            for t in (victim, bystander):
                self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
            job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS',
                                  document=DOC)
        else:
            kw = {}
            if status == 'TIMED_OUT' or timeout:
                kw['timeoutConfig'] = {'inProgressTimeoutInMinutes': 1}
            job = self.create_job(targets=[thing_arn(victim), thing_arn(bystander)],
                                  document=DOC, **kw)
        self.wait_exec(job, victim, 1, 'QUEUED')
        self.wait_exec(job, bystander, 1, 'QUEUED')
        if status == 'IN_PROGRESS':
            self.data.update_job_execution(jobId=job, thingName=victim, status='IN_PROGRESS')
        elif status in ('SUCCEEDED', 'FAILED', 'REJECTED'):
            self.data.update_job_execution(jobId=job, thingName=victim, status=status)
        elif status == 'CANCELED':
            self.iot.cancel_job_execution(jobId=job, thingName=victim)
        elif status == 'TIMED_OUT':
            self.data.update_job_execution(jobId=job, thingName=victim, status='IN_PROGRESS')
            self.jobsd.advance_clock(120)
        elif status == 'REMOVED':
            self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=victim)
        self.wait_exec(job, victim, 1, status)
        return job, victim, bystander

    def assertGone(self, job, thing, number=1):
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, thing, number)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, thing)
        self.assertNotIn((thing_arn(thing), number), self.for_job(job))
        self.assertNotIn((job, number), self.for_thing(thing))
        r = self.iot.list_job_executions_for_thing(thingName=thing, jobId=job)
        self.assertEqual(r['executionSummaries'], [])

    def assertUnchanged(self, job, thing, before):
        after = self.describe(job, thing, before['executionNumber'])
        self.assertEqual(after['status'], before['status'])
        self.assertEqual(after['versionNumber'], before['versionNumber'])
        self.assertEqual(after, before)
        self.assertIn((thing_arn(thing), before['executionNumber']), self.for_job(job))
        self.assertIn((job, before['executionNumber']), self.for_thing(thing))

    def assertRawError(self, status, headers, body, want_status, want_code):
        self.assertEqual(status, want_status, body)
        etype = headers.get('x-amzn-errortype')
        self.assertIsNotNone(etype, 'x-amzn-ErrorType header missing: %r' % headers)
        self.assertEqual(etype.split(':', 1)[0], want_code)
        doc = json.loads(body)
        self.assertIsInstance(doc, dict)
        self.assertIsInstance(doc.get('message'), str)
        self.assertIsNotNone(headers.get('x-amzn-requestid'))

    # -- terminal, no force: 200, empty body, gone, counts drop ---------------

    def check_terminal_delete(self, status):
        job, victim, bystander = self.make(status)
        before = self.counts(job)
        self.assertEqual(before[COUNT_KEY[status]], 1, before)
        self.assertEqual(before['numberOfQueuedThings'], 1, before)
        r = self.delete(job, victim, 1)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(strip(r), {})
        self.assertTrue(r['ResponseMetadata'].get('RequestId'))
        self.assertGone(job, victim)
        self.eventually(lambda: self._counts_dropped(job, status, before))
        # the bystander is untouched
        self.assertEqual(self.describe(job, bystander)['status'], 'QUEUED')
        return job, victim

    def _counts_dropped(self, job, status, before):
        """The count for `status` is one less than `before`; every other count unchanged."""
        want = dict(before)
        want[COUNT_KEY[status]] -= 1
        c = self.counts(job)
        self.assertEqual(c, want)
        return c

    def test_terminal_succeeded_no_force(self):
        self.check_terminal_delete('SUCCEEDED')

    def test_terminal_failed_no_force(self):
        self.check_terminal_delete('FAILED')

    def test_terminal_rejected_no_force(self):
        self.check_terminal_delete('REJECTED')

    def test_terminal_canceled_no_force(self):
        self.check_terminal_delete('CANCELED')

    def test_terminal_timed_out_no_force(self):
        # D1: TIMED_OUT is terminal although the seed's list omits it.
        self.check_terminal_delete('TIMED_OUT')

    def test_terminal_removed_no_force(self):
        self.check_terminal_delete('REMOVED')

    def test_terminal_raw_delete_empty_body(self):
        job, victim, _ = self.make('SUCCEEDED')
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/1' % (victim, job))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b'')
        self.assertTrue(h.get('x-amzn-requestid'), h)
        self.assertNotIn('x-amzn-errortype', h)
        self.assertGone(job, victim)

    def test_terminal_force_false_explicit(self):
        job, victim, _ = self.make('FAILED')
        r = self.delete(job, victim, 1, force=False)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertGone(job, victim)

    def test_terminal_with_force_true(self):
        job, victim, _ = self.make('SUCCEEDED')
        self.delete(job, victim, 1, force=True)
        self.assertGone(job, victim)

    # -- QUEUED / IN_PROGRESS without force: 409, nothing changed -------------

    def check_pending_refused(self, status, **kw):
        job, victim, _ = self.make(status)
        before = self.describe(job, victim, 1)
        counts = self.counts(job)
        self.assertAwsError(self.delete, 'InvalidStateTransitionException', 409,
                            job, victim, 1, **kw)
        self.assertUnchanged(job, victim, before)
        self.assertEqual(self.counts(job), counts)
        # the device still sees it
        ex = self.data.describe_job_execution(jobId=job, thingName=victim)['execution']
        self.assertEqual((ex['status'], ex['versionNumber']),
                         (before['status'], before['versionNumber']))

    def test_queued_no_force_409(self):
        self.check_pending_refused('QUEUED')

    def test_queued_force_false_409(self):
        self.check_pending_refused('QUEUED', force=False)

    def test_in_progress_no_force_409(self):
        self.check_pending_refused('IN_PROGRESS')

    def test_in_progress_force_false_409(self):
        self.check_pending_refused('IN_PROGRESS', force=False)

    def test_force_false_raw_behaves_like_absent(self):
        job, victim, _ = self.make('QUEUED')
        before = self.describe(job, victim, 1)
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/1?force=false' % (victim, job))
        self.assertRawError(status, h, body, 409, 'InvalidStateTransitionException')
        self.assertUnchanged(job, victim, before)
        job2, victim2, _ = self.make('REJECTED')
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/1?force=false' % (victim2, job2))
        self.assertEqual(status, 200, body)
        self.assertGone(job2, victim2)

    # -- QUEUED / IN_PROGRESS with force=true: 200, gone, device gets 404 -----

    def check_forced_delete(self, status):
        job, victim, bystander = self.make(status)
        before = self.counts(job)
        r = self.delete(job, victim, 1, force=True)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(strip(r), {})
        self.assertGone(job, victim)
        self.eventually(lambda: self._counts_dropped(job, status, before))
        # D3: the device working on it now gets ResourceNotFound.
        self.assertAwsError(self.data.describe_job_execution, 'ResourceNotFoundException', 404,
                            jobId=job, thingName=victim)
        # (lambdas: assertAwsError has its own `status` parameter)
        self.assertAwsError(lambda: self.data.update_job_execution(
            jobId=job, thingName=victim, status='SUCCEEDED'), 'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.data.update_job_execution(
            jobId=job, thingName=victim, status='IN_PROGRESS', executionNumber=1),
            'ResourceNotFoundException', 404)
        pending = self.data.get_pending_job_executions(thingName=victim)
        self.assertEqual(pending.get('inProgressJobs', []), [])
        self.assertEqual(pending.get('queuedJobs', []), [])
        self.assertNotIn('execution',
                         self.data.describe_job_execution(jobId='$next', thingName=victim))
        self.assertNotIn('execution',
                         self.data.start_next_pending_job_execution(thingName=victim))
        self.assertEqual(self.describe(job, bystander)['status'], 'QUEUED')

    def test_queued_force_true(self):
        self.check_forced_delete('QUEUED')

    def test_in_progress_force_true(self):
        self.check_forced_delete('IN_PROGRESS')

    def test_in_progress_force_true_timer_does_not_resurrect(self):
        # A force-deleted IN_PROGRESS execution with a running timer stays deleted when the
        # timer would have fired.
        job, victim, _ = self.make('IN_PROGRESS', timeout=True)
        self.delete(job, victim, 1, force=True)
        self.jobsd.advance_clock(120)
        self.assertGone(job, victim)
        self.assertEqual(self.counts(job)['numberOfTimedOutThings'], 0)

    def test_in_progress_force_raw(self):
        job, victim, _ = self.make('IN_PROGRESS')
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/1?force=true' % (victim, job))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, b'')
        self.assertGone(job, victim)

    # -- not found ----------------------------------------------------------

    def test_wrong_execution_number_404(self):
        job, victim, _ = self.make('SUCCEEDED')
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 2)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 2,
                            force=True)
        self.assertEqual(self.describe(job, victim, 1)['status'], 'SUCCEEDED')

    def test_unknown_job_404(self):
        t = self.create_thing()
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, 'no-such-job', t, 1)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, 'no-such-job', t, 1,
                            force=True)

    def test_unknown_thing_404(self):
        job, _, _ = self.make('SUCCEEDED')
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job,
                            'no-such-thing', 1)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job,
                            'no-such-thing', 1, force=True)

    def test_thing_not_targeted_404(self):
        job, _, _ = self.make('SUCCEEDED')
        other = self.create_thing()
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, other, 1)

    def test_execution_number_zero_404(self):
        job, victim, _ = self.make('SUCCEEDED')
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 0)
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/0' % (victim, job))
        self.assertRawError(status, h, body, 404, 'ResourceNotFoundException')
        self.assertEqual(self.describe(job, victim, 1)['status'], 'SUCCEEDED')

    def test_never_existing_execution_number_404(self):
        job, victim, _ = self.make('SUCCEEDED')
        for n in (7, 1234567890, 9223372036854775807):
            self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, n)
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/9223372036854775807' % (victim, job))
        self.assertRawError(status, h, body, 404, 'ResourceNotFoundException')

    def test_delete_twice_second_404(self):
        job, victim, _ = self.make('CANCELED')
        self.delete(job, victim, 1)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 1)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 1,
                            force=True)

    # -- validation: 400 ------------------------------------------------------

    def test_job_id_65_chars_400(self):
        t = self.create_thing()
        self.assertAwsError(self.delete, 'InvalidRequestException', 400, 'j' * 65, t, 1)

    def test_job_id_with_space_400(self):
        t = self.create_thing()
        self.assertAwsError(self.delete, 'InvalidRequestException', 400, 'bad job', t, 1)

    def test_thing_name_129_chars_400(self):
        job, _, _ = self.make('SUCCEEDED')
        self.assertAwsError(self.delete, 'InvalidRequestException', 400, job, 't' * 129, 1)

    def test_namespace_with_dot_400(self):
        job, victim, _ = self.make('SUCCEEDED')
        self.assertAwsError(self.delete, 'InvalidRequestException', 400, job, victim, 1,
                            namespaceId='bad.ns')
        self.assertEqual(self.describe(job, victim, 1)['status'], 'SUCCEEDED')

    def test_boundary_lengths_valid(self):
        # 64-char job id and 128-char thing name pass validation (and then are not found).
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, 'j' * 64,
                            't' * 128, 1)

    def raw_bad(self, suffix):
        job, victim, _ = self.make('SUCCEEDED')
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/%s' % (victim, job, suffix))
        self.assertRawError(status, h, body, 400, 'InvalidRequestException')
        # nothing was deleted
        self.assertEqual(self.describe(job, victim, 1)['status'], 'SUCCEEDED')

    def test_raw_execution_number_abc_400(self):
        self.raw_bad('abc')

    def test_raw_execution_number_negative_400(self):
        self.raw_bad('-1')

    def test_raw_execution_number_overflow_400(self):
        self.raw_bad('9223372036854775808')

    def test_raw_execution_number_other_garbage_400(self):
        for bad in ('1.0', '1e3', '0x1', '%201', '18446744073709551617'):
            job, victim, _ = self.make('SUCCEEDED')
            status, h, body = self.jobsd.raw(
                'DELETE', '/things/%s/jobs/%s/executionNumber/%s' % (victim, job, bad))
            self.assertRawError(status, h, body, 400, 'InvalidRequestException')
            self.assertEqual(self.describe(job, victim, 1)['status'], 'SUCCEEDED', bad)

    def test_raw_force_yes_400(self):
        self.raw_bad('1?force=yes')

    def test_raw_force_other_spellings_400(self):
        for bad in ('TRUE', '1', ''):
            job, victim, _ = self.make('SUCCEEDED')
            status, h, body = self.jobsd.raw(
                'DELETE', '/things/%s/jobs/%s/executionNumber/1?force=%s' % (victim, job, bad))
            self.assertRawError(status, h, body, 400, 'InvalidRequestException')
            self.assertEqual(self.describe(job, victim, 1)['status'], 'SUCCEEDED', bad)

    # -- D4: reuse of the deleted highest number -------------------------------

    def continuous(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS',
                              document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        return g, t, job

    def test_requeue_reuses_deleted_newest_number(self):
        g, t, job = self.continuous()
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.delete(job, t, 1)
        self.assertGone(job, t, 1)
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        ex = self.wait_exec(job, t, 1, 'QUEUED')
        self.assertEqual(ex['executionNumber'], 1)
        self.assertEqual(ex['versionNumber'], 1)
        self.assertNotIn('startedAt', ex)
        self.assertEqual(self.for_job(job), [(thing_arn(t), 1)])

    def test_requeue_takes_max_existing_plus_one(self):
        g, t, job = self.continuous()
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 2, 'QUEUED')
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 2, 'REMOVED')
        self.delete(job, t, 2)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 2)
        self.assertEqual(self.describe(job, t)['executionNumber'], 1)  # latest is now #1
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        ex = self.wait_exec(job, t, 2, 'QUEUED')
        self.assertEqual(ex['executionNumber'], 2)
        self.assertEqual(self.describe(job, t)['executionNumber'], 2)
        self.assertEqual(self.describe(job, t, 1)['status'], 'REMOVED')

    def test_delete_older_number_keeps_newer(self):
        g, t, job = self.continuous()
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 2, 'QUEUED')
        self.delete(job, t, 1)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 1)
        ex = self.describe(job, t)
        self.assertEqual((ex['executionNumber'], ex['status']), (2, 'QUEUED'))
        self.assertEqual(self.for_thing(t), [(job, 2)])
        # the device continues on #2 unaffected
        self.data.update_job_execution(jobId=job, thingName=t, status='SUCCEEDED')
        self.assertEqual(self.describe(job, t, 2)['status'], 'SUCCEEDED')

    # -- D10: namespaceId ---------------------------------------------------

    def test_namespace_accepted(self):
        job, victim, _ = self.make('SUCCEEDED')
        r = self.delete(job, victim, 1, namespaceId='my-ns_1')
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertGone(job, victim)

    def test_namespace_on_namespaced_job(self):
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)], document=DOC, namespaceId='aws-gg-deployment')
        self.wait_exec(job, t, 1, 'QUEUED')
        self.iot.cancel_job_execution(jobId=job, thingName=t)
        self.delete(job, t, 1, namespaceId='aws-gg-deployment')
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 1)

    def test_thing_name_with_colon(self):
        # botocore percent-encodes ':' in the path (a%3Ab); the server decodes per segment.
        base = self.name('dev')
        t = base + ':sub:1'
        self.create_thing(t)
        job = self.create_job(targets=[thing_arn(t)], document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        self.data.update_job_execution(jobId=job, thingName=t, status='SUCCEEDED')
        self.delete(job, t, 1)
        self.assertGone(job, t)

    def test_completed_job_execution(self):
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)], document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        self.data.update_job_execution(jobId=job, thingName=t, status='SUCCEEDED')
        self.eventually(lambda: self.assertEqual(
            self.iot.describe_job(jobId=job)['job']['status'], 'COMPLETED'))
        self.delete(job, t, 1)
        self.assertGone(job, t)
        self.assertEqual(self.counts(job)['numberOfSucceededThings'], 0)

    def test_canceled_job_execution(self):
        job, victim, bystander = self.make('QUEUED')
        self.iot.cancel_job(jobId=job)
        self.wait_exec(job, victim, 1, 'CANCELED')
        self.delete(job, victim, 1)
        self.assertGone(job, victim)
        self.assertEqual(self.describe(job, bystander)['status'], 'CANCELED')

    def test_retry_record_deleted_then_numbering(self):
        # D4/D13: the retry takes number 2; deleting the retry frees 2 for the next retry.
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)], document=DOC, jobExecutionsRetryConfig={
            'criteriaList': [{'failureType': 'FAILED', 'numberOfRetries': 2}]})
        self.wait_exec(job, t, 1, 'QUEUED')
        self.data.update_job_execution(jobId=job, thingName=t, status='FAILED')
        self.wait_exec(job, t, 2, 'QUEUED')
        self.delete(job, t, 2, force=True)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 2)
        self.assertEqual(self.describe(job, t)['executionNumber'], 1)
        self.assertNotIn('execution', self.data.describe_job_execution(jobId='$next',
                                                                       thingName=t))

    def test_raw_percent_encoded_segments(self):
        # §2.1: each path segment is percent-decoded before use.
        job, victim, _ = self.make('SUCCEEDED')
        enc_job = ''.join('%%%02X' % ord(c) for c in job)
        status, h, body = self.jobsd.raw(
            'DELETE', '/things/%s/jobs/%s/executionNumber/%%31' % (victim, enc_job))
        self.assertEqual(status, 200, body)
        self.assertGone(job, victim)

    def test_job_deleted_then_delete_execution_404(self):
        job, victim, _ = self.make('SUCCEEDED')
        self.iot.delete_job(jobId=job, force=True)
        def gone():
            try:
                self.iot.describe_job(jobId=job)
            except botocore.exceptions.ClientError as e:
                self.assertEqual(e.response['Error']['Code'], 'ResourceNotFoundException')
                return
            raise AssertionError('job still there')
        self.eventually(gone, timeout=10)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 1)
        self.assertAwsError(self.delete, 'ResourceNotFoundException', 404, job, victim, 1,
                            force=True)

    # -- D14: executions of deleted things -------------------------------------

    def test_execution_of_deleted_thing(self):
        t = self.create_thing()
        other = self.create_thing()
        job = self.create_job(targets=[thing_arn(t), thing_arn(other)], document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        self.iot.delete_thing(thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.assertIn((thing_arn(t), 1), self.for_job(job))
        before = self.counts(job)
        self.assertEqual(before['numberOfRemovedThings'], 1)
        r = self.delete(job, t, 1)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 1)
        self.assertEqual(self.for_job(job), [(thing_arn(other), 1)])
        self.eventually(lambda: self._counts_dropped(job, 'REMOVED', before))

    def test_in_progress_execution_of_deleted_thing(self):
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)], document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        self.data.update_job_execution(jobId=job, thingName=t, status='IN_PROGRESS')
        self.iot.delete_thing(thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.delete(job, t, 1)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 1)
        self.assertEqual(self.for_job(job), [])

    # -- misc ----------------------------------------------------------------

    def test_request_id_on_success(self):
        job, victim, _ = self.make('SUCCEEDED')
        r = self.delete(job, victim, 1)
        self.assertTrue(r['ResponseMetadata'].get('RequestId'))
        self.assertTrue(r['ResponseMetadata']['HTTPHeaders'].get('x-amzn-requestid'))

    def test_delete_head_leaves_next_pending(self):
        # Force-deleting the head of the pending list: the next one becomes the head.
        t = self.create_thing()
        j1 = self.create_job(targets=[thing_arn(t)], document=DOC)
        self.wait_exec(j1, t, 1, 'QUEUED')
        self.jobsd.advance_clock(2)
        j2 = self.create_job(targets=[thing_arn(t)], document=DOC)
        self.wait_exec(j2, t, 1, 'QUEUED')
        self.data.update_job_execution(jobId=j1, thingName=t, status='IN_PROGRESS')
        self.assertEqual(self.data.describe_job_execution(
            jobId='$next', thingName=t)['execution']['jobId'], j1)
        self.delete(j1, t, 1, force=True)
        nxt = self.data.describe_job_execution(jobId='$next', thingName=t)['execution']
        self.assertEqual((nxt['jobId'], nxt['status']), (j2, 'QUEUED'))
        pending = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual(pending['inProgressJobs'], [])
        self.assertEqual([q['jobId'] for q in pending['queuedJobs']], [j2])

    def test_aws_cli(self):
        job, victim, _ = self.make('SUCCEEDED')
        rc, out, err = self.jobsd.aws('iot', 'delete-job-execution', '--job-id', job,
                                      '--thing-name', victim, '--execution-number', '1')
        self.assertEqual(rc, 0, err)
        self.assertIsNone(out)
        self.assertGone(job, victim)
        rc, out, err = self.jobsd.aws('iot', 'delete-job-execution', '--job-id', job,
                                      '--thing-name', victim, '--execution-number', '1',
                                      check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('ResourceNotFoundException', err)


if __name__ == '__main__':
    harness.main()
