"""Device data plane over HTTP (service iot-jobs-data): GetPendingJobExecutions,
StartNextPendingJobExecution, DescribeJobExecution ($next), UpdateJobExecution, and D6 routing
of the shared paths for unsigned requests.

Spec: aws-iot-jobs.md §2, §5, §7.1, §8.2; decisions D5, D6, D7, D10, D11, D12, D15.
Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_60_device_http.py
"""

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.exceptions  # noqa: E402
import harness  # noqa: E402
from harness import admin_request, strip, thing_arn  # noqa: E402

DOC = '{"operation":"install","url":"https://example.com/fw.bin","size":123}'


class DeviceBase(harness.JobsdTestCase):

    job_document = DOC
    # the names this file's tests use for the harness's helpers
    ctl_describe = harness.JobsdTestCase.describe_exec
    update = harness.JobsdTestCase.update_exec

    def ddescribe(self, job, thing, **kw):
        return self.data.describe_job_execution(jobId=job, thingName=thing, **kw)

    def assertIntSeconds(self, v, what):
        # D7: data plane timestamps are integer epoch seconds.
        self.assertIsInstance(v, int, '%s=%r' % (what, v))
        self.assertNotIsInstance(v, bool, what)
        now = self.jobsd.clock_now_ms() / 1000.0
        self.assertLess(abs(v - now), 600, '%s=%r is not epoch seconds near %r' % (what, v, now))


class GetPendingJobExecutionsTest(DeviceBase):

    def test_in_progress_first_then_queued_by_queued_at(self):
        t = self.create_thing()
        j1, j2, j3 = self.jobs_in_order(t, 3)
        self.update(j2, t, 'IN_PROGRESS')
        r = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual([s['jobId'] for s in r['inProgressJobs']], [j2])
        self.assertEqual([s['jobId'] for s in r['queuedJobs']], [j1, j3])
        ip = r['inProgressJobs'][0]
        self.assertEqual(ip['versionNumber'], 2)
        self.assertEqual(ip['executionNumber'], 1)
        for k in ('queuedAt', 'startedAt', 'lastUpdatedAt'):
            self.assertIntSeconds(ip[k], k)
        for q in r['queuedJobs']:
            self.assertEqual(q['versionNumber'], 1)
            self.assertEqual(q['executionNumber'], 1)
            self.assertIntSeconds(q['queuedAt'], 'queuedAt')
            self.assertIntSeconds(q['lastUpdatedAt'], 'lastUpdatedAt')
            self.assertNotIn('startedAt', q)
        self.assertLess(r['queuedJobs'][0]['queuedAt'], r['queuedJobs'][1]['queuedAt'])

    def test_raw_integers_and_shape(self):
        t = self.create_thing()
        j = self.job_on([t])
        status, h, body = self.jobsd.raw('GET', '/things/%s/jobs' % t, plane='data')
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc['inProgressJobs'], [])
        self.assertEqual(len(doc['queuedJobs']), 1)
        q = doc['queuedJobs'][0]
        self.assertEqual(q['jobId'], j)
        for k in ('queuedAt', 'lastUpdatedAt'):
            self.assertIsInstance(q[k], int, k)   # json: no fraction, no exponent
        self.assertNotIn('executionSummaries', doc)

    def test_terminal_executions_not_listed(self):
        t = self.create_thing()
        j1, j2, j3, j4 = self.jobs_in_order(t, 4)
        self.update(j1, t, 'SUCCEEDED')
        self.update(j2, t, 'REJECTED')
        self.iot.cancel_job_execution(jobId=j3, thingName=t)
        r = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual(r['inProgressJobs'], [])
        self.assertEqual([s['jobId'] for s in r['queuedJobs']], [j4])

    def test_unknown_thing_empty_lists(self):
        # D15
        r = self.data.get_pending_job_executions(thingName='never-created-thing')
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(r.get('inProgressJobs', []), [])
        self.assertEqual(r.get('queuedJobs', []), [])

    def test_known_thing_nothing_pending(self):
        t = self.create_thing()
        r = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual(r.get('inProgressJobs', []), [])
        self.assertEqual(r.get('queuedJobs', []), [])

    def test_namespaced_jobs_excluded(self):
        # D10: namespaced executions appear only in that namespace's device views.
        t = self.create_thing()
        plain = self.job_on([t])
        self.jobsd.advance_clock(2)
        self.job_on([t], namespaceId='aws-gg-deployment')
        r = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual([s['jobId'] for s in r['queuedJobs']], [plain])
        self.assertEqual(r['inProgressJobs'], [])

    def test_bad_thing_name_400(self):
        self.assertAwsError(self.data.get_pending_job_executions, 'InvalidRequestException',
                            400, thingName='x' * 129)


class StartNextPendingJobExecutionTest(DeviceBase):

    def test_queued_head_goes_in_progress(self):
        t = self.create_thing()
        j1, j2 = self.jobs_in_order(t, 2)
        r = self.data.start_next_pending_job_execution(thingName=t,
                                                       statusDetails={'step': 'begin'})
        ex = r['execution']
        self.assertEqual(ex['jobId'], j1)
        self.assertEqual(ex['thingName'], t)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertEqual(ex['versionNumber'], 2)
        self.assertEqual(ex['executionNumber'], 1)
        self.assertEqual(ex['statusDetails'], {'step': 'begin'})
        self.assertIsInstance(ex['jobDocument'], str)
        self.assertEqual(json.loads(ex['jobDocument']), json.loads(DOC))
        for k in ('queuedAt', 'startedAt', 'lastUpdatedAt'):
            self.assertIntSeconds(ex[k], k)
        self.assertNotIn('thingArn', ex)
        c = self.ctl_describe(j1, t)
        self.assertEqual((c['status'], c['versionNumber']), ('IN_PROGRESS', 2))
        self.assertEqual(c['statusDetails'], {'detailsMap': {'step': 'begin'}})
        self.assertEqual(self.ctl_describe(j2, t)['status'], 'QUEUED')

    def test_second_call_returns_same_execution_unchanged(self):
        t = self.create_thing()
        j1, _ = self.jobs_in_order(t, 2)
        first = self.data.start_next_pending_job_execution(thingName=t,
                                                           statusDetails={'a': '1'})['execution']
        self.jobsd.advance_clock(3)
        second = self.data.start_next_pending_job_execution(
            thingName=t, statusDetails={'b': '2'})['execution']
        self.assertEqual(second['jobId'], j1)
        self.assertEqual(second['status'], 'IN_PROGRESS')
        self.assertEqual(second['versionNumber'], first['versionNumber'])
        self.assertEqual(second['statusDetails'], {'a': '1'})
        self.assertEqual(second['startedAt'], first['startedAt'])
        self.assertEqual(second['lastUpdatedAt'], first['lastUpdatedAt'])
        self.assertEqual(second, first)

    def test_in_progress_head_preferred_over_older_queued(self):
        t = self.create_thing()
        j1, j2 = self.jobs_in_order(t, 2)
        self.update(j2, t, 'IN_PROGRESS')
        ex = self.data.start_next_pending_job_execution(thingName=t)['execution']
        self.assertEqual(ex['jobId'], j2)
        self.assertEqual(ex['versionNumber'], 2)
        self.assertEqual(self.ctl_describe(j1, t)['status'], 'QUEUED')

    def test_nothing_pending_returns_empty(self):
        t = self.create_thing()
        r = self.data.start_next_pending_job_execution(thingName=t)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertNotIn('execution', r)
        status, _, body = self.jobsd.raw('PUT', '/things/%s/jobs/$next' % t, body={},
                                         plane='data')
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body) if body.strip() else {}, {})

    def test_nothing_pending_after_all_terminal(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'SUCCEEDED')
        r = self.data.start_next_pending_job_execution(thingName=t)
        self.assertNotIn('execution', r)

    def test_unknown_thing_nothing_pending(self):
        r = self.data.start_next_pending_job_execution(thingName='no-such-thing-here')
        self.assertNotIn('execution', r)

    def test_status_details_validated(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.assertAwsError(self.data.start_next_pending_job_execution,
                            'InvalidRequestException', 400, thingName=t,
                            statusDetails={'k%d' % i: 'v' for i in range(11)})
        self.assertEqual(self.ctl_describe(j, t)['status'], 'QUEUED')

    def test_raw_literal_next(self):
        t = self.create_thing()
        j = self.job_on([t])
        status, _, body = self.jobsd.raw('PUT', '/things/%s/jobs/$next' % t,
                                         body={'statusDetails': {'via': 'raw'}}, plane='data')
        self.assertEqual(status, 200, body)
        ex = json.loads(body)['execution']
        self.assertEqual((ex['jobId'], ex['status']), (j, 'IN_PROGRESS'))
        self.assertIsInstance(ex['jobDocument'], str)
        self.assertIsInstance(ex['startedAt'], int)


class DataDescribeJobExecutionTest(DeviceBase):

    def test_next_via_boto3_does_not_change_head(self):
        t = self.create_thing()
        j1, _ = self.jobs_in_order(t, 2)
        r = self.ddescribe('$next', t)
        ex = r['execution']
        self.assertEqual(ex['jobId'], j1)
        self.assertEqual(ex['status'], 'QUEUED')
        self.assertEqual(ex['versionNumber'], 1)
        self.assertEqual(ex['thingName'], t)
        self.assertEqual(json.loads(ex['jobDocument']), json.loads(DOC))
        again = self.ddescribe('$next', t)['execution']
        self.assertEqual(again, ex)
        self.assertEqual(self.ctl_describe(j1, t)['versionNumber'], 1)

    def test_next_prefers_in_progress(self):
        t = self.create_thing()
        _, j2 = self.jobs_in_order(t, 2)
        self.update(j2, t, 'IN_PROGRESS', statusDetails={'x': 'y'})
        ex = self.ddescribe('$next', t)['execution']
        self.assertEqual((ex['jobId'], ex['status']), (j2, 'IN_PROGRESS'))
        self.assertEqual(ex['statusDetails'], {'x': 'y'})

    def test_next_raw_literal_and_encoded(self):
        t = self.create_thing()
        j = self.job_on([t])
        for spelling in ('$next', '%24next'):
            status, h, body = self.jobsd.raw('GET', '/things/%s/jobs/%s' % (t, spelling),
                                             plane='data')
            self.assertEqual(status, 200, (spelling, body))
            ex = json.loads(body)['execution']
            self.assertEqual(ex['jobId'], j, spelling)
            self.assertEqual(ex['thingName'], t)
            self.assertIsInstance(ex['queuedAt'], int)
            self.assertIsInstance(ex['jobDocument'], str)
            self.assertIsNotNone(h.get('x-amzn-requestid'))

    def test_next_nothing_pending(self):
        t = self.create_thing()
        r = self.ddescribe('$next', t)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertNotIn('execution', r)

    def test_next_skips_namespaced(self):
        t = self.create_thing()
        self.job_on([t], namespaceId='ns-x')
        self.assertNotIn('execution', self.ddescribe('$next', t))
        self.assertNotIn('execution', self.data.start_next_pending_job_execution(thingName=t))

    def test_include_job_document(self):
        t = self.create_thing()
        j = self.job_on([t])
        ex = self.ddescribe(j, t)['execution']
        self.assertEqual(json.loads(ex['jobDocument']), json.loads(DOC))
        ex = self.ddescribe(j, t, includeJobDocument=True)['execution']
        self.assertIn('jobDocument', ex)
        ex = self.ddescribe(j, t, includeJobDocument=False)['execution']
        self.assertNotIn('jobDocument', ex)
        self.assertEqual(ex['jobId'], j)
        ex = self.ddescribe('$next', t, includeJobDocument=False)['execution']
        self.assertNotIn('jobDocument', ex)

    def test_shape_and_terminal_describable(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'IN_PROGRESS', statusDetails={'k': 'v'})
        self.update(j, t, 'SUCCEEDED')
        ex = self.ddescribe(j, t)['execution']
        self.assertEqual(ex['status'], 'SUCCEEDED')
        self.assertEqual(ex['statusDetails'], {'k': 'v'})  # flat map on the data plane
        self.assertEqual(ex['versionNumber'], 3)
        self.assertEqual(ex['executionNumber'], 1)
        for k in ('queuedAt', 'startedAt', 'lastUpdatedAt'):
            self.assertIntSeconds(ex[k], k)
        self.assertNotIn('approximateSecondsBeforeTimedOut', ex)
        status, _, body = self.jobsd.raw('GET', '/things/%s/jobs/%s' % (t, j), plane='data')
        self.assertEqual(status, 200)
        raw = json.loads(body)['execution']
        self.assertEqual(raw['statusDetails'], {'k': 'v'})
        self.assertNotIn('thingArn', raw)
        self.assertNotIn('forceCanceled', raw)

    def test_execution_number(self):
        t = self.create_thing()
        j = self.job_on([t])
        ex = self.ddescribe(j, t, executionNumber=1)['execution']
        self.assertEqual(ex['executionNumber'], 1)
        self.assertAwsError(self.ddescribe, 'ResourceNotFoundException', 404, j, t,
                            executionNumber=2)

    def test_unknown_404(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.assertAwsError(self.ddescribe, 'ResourceNotFoundException', 404, 'nosuchjob', t)
        self.assertAwsError(self.ddescribe, 'ResourceNotFoundException', 404, j, 'nosuchthing')

    def test_bad_job_id_400(self):
        t = self.create_thing()
        self.assertAwsError(self.ddescribe, 'InvalidRequestException', 400, 'bad id', t)
        self.assertAwsError(self.ddescribe, 'InvalidRequestException', 400, '$nextx', t)

    def test_approximate_seconds_while_in_progress(self):
        t = self.create_thing()
        j = self.job_on([t], timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.assertNotIn('approximateSecondsBeforeTimedOut', self.ddescribe(j, t)['execution'])
        self.data.start_next_pending_job_execution(thingName=t)
        ex = self.ddescribe(j, t)['execution']
        self.assertGreater(ex['approximateSecondsBeforeTimedOut'], 0)
        self.assertLessEqual(ex['approximateSecondsBeforeTimedOut'], 60)
        self.jobsd.advance_clock(120)
        ex = self.ddescribe(j, t)['execution']
        self.assertEqual(ex['status'], 'TIMED_OUT')
        self.assertNotIn('approximateSecondsBeforeTimedOut', ex)
        self.assertAwsError(self.update, 'InvalidStateTransitionException', 409, j, t,
                            'SUCCEEDED')


class UpdateJobExecutionTest(DeviceBase):

    def test_queued_straight_to_terminal(self):
        # D11
        t = self.create_thing()
        for final in ('SUCCEEDED', 'FAILED', 'REJECTED'):
            j = self.job_on([t])
            r = self.update(j, t, final)
            self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
            self.assertEqual(strip(r), {})
            c = self.ctl_describe(j, t)
            self.assertEqual((c['status'], c['versionNumber']), (final, 2))

    def test_in_progress_then_terminal(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'IN_PROGRESS')
        self.update(j, t, 'IN_PROGRESS')
        self.update(j, t, 'FAILED')
        c = self.ctl_describe(j, t)
        self.assertEqual((c['status'], c['versionNumber']), ('FAILED', 4))

    def test_out_of_terminal_409(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'SUCCEEDED')
        for s in ('IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'):
            self.assertAwsError(self.update, 'InvalidStateTransitionException', 409, j, t, s)
        c = self.ctl_describe(j, t)
        self.assertEqual((c['status'], c['versionNumber']), ('SUCCEEDED', 2))

    def test_service_only_and_bogus_statuses_400(self):
        t = self.create_thing()
        j = self.job_on([t])
        for s in ('QUEUED', 'CANCELED', 'TIMED_OUT', 'REMOVED', 'BOGUS', 'SUCCESS',
                  'succeeded'):
            self.assertAwsError(self.update, 'InvalidRequestException', 400, j, t, s)
        self.update(j, t, 'IN_PROGRESS')
        for s in ('QUEUED', 'CANCELED', 'TIMED_OUT', 'REMOVED', 'BOGUS'):
            self.assertAwsError(self.update, 'InvalidRequestException', 400, j, t, s)
        c = self.ctl_describe(j, t)
        self.assertEqual((c['status'], c['versionNumber']), ('IN_PROGRESS', 2))

    def test_missing_status_400_raw(self):
        t = self.create_thing()
        j = self.job_on([t])
        status, h, body = self.jobsd.raw('POST', '/things/%s/jobs/%s' % (t, j),
                                         body={'statusDetails': {'a': 'b'}}, plane='data')
        self.assertEqual(status, 400, body)
        self.assertTrue(h.get('x-amzn-errortype', '').startswith('InvalidRequestException'))

    def test_expected_version_mismatch_409(self):
        # D5: data-plane HTTP mismatch -> 409 InvalidStateTransitionException
        t = self.create_thing()
        j = self.job_on([t])
        self.assertAwsError(self.update, 'InvalidStateTransitionException', 409, j, t,
                            'IN_PROGRESS', expectedVersion=2)
        c = self.ctl_describe(j, t)
        self.assertEqual((c['status'], c['versionNumber']), ('QUEUED', 1))
        self.update(j, t, 'IN_PROGRESS', expectedVersion=1)
        self.assertAwsError(self.update, 'InvalidStateTransitionException', 409, j, t,
                            'SUCCEEDED', expectedVersion=1)
        self.update(j, t, 'SUCCEEDED', expectedVersion=2)
        c = self.ctl_describe(j, t)
        self.assertEqual((c['status'], c['versionNumber']), ('SUCCEEDED', 3))

    def test_include_flags(self):
        t = self.create_thing()
        j = self.job_on([t])
        r = strip(self.update(j, t, 'IN_PROGRESS', includeJobExecutionState=True,
                              statusDetails={'p': '1'}))
        self.assertEqual(set(r), {'executionState'})
        self.assertEqual(r['executionState'],
                         {'status': 'IN_PROGRESS', 'statusDetails': {'p': '1'},
                          'versionNumber': 2})
        r = strip(self.update(j, t, 'IN_PROGRESS', includeJobDocument=True))
        self.assertEqual(set(r), {'jobDocument'})
        self.assertIsInstance(r['jobDocument'], str)
        self.assertEqual(json.loads(r['jobDocument']), json.loads(DOC))
        r = strip(self.update(j, t, 'SUCCEEDED', includeJobDocument=True,
                              includeJobExecutionState=True))
        self.assertEqual(r['executionState']['status'], 'SUCCEEDED')
        self.assertEqual(r['executionState']['versionNumber'], 4)
        self.assertEqual(r['executionState']['statusDetails'], {'p': '1'})
        self.assertEqual(json.loads(r['jobDocument']), json.loads(DOC))
        j2 = self.job_on([t])
        r = strip(self.update(j2, t, 'IN_PROGRESS', includeJobDocument=False,
                              includeJobExecutionState=False))
        self.assertEqual(r, {})

    def test_status_details_replace_vs_unchanged(self):
        # D12
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'IN_PROGRESS', statusDetails={'a': '1', 'b': '2'})
        self.assertEqual(self.ddescribe(j, t)['execution']['statusDetails'],
                         {'a': '1', 'b': '2'})
        self.update(j, t, 'IN_PROGRESS')
        self.assertEqual(self.ddescribe(j, t)['execution']['statusDetails'],
                         {'a': '1', 'b': '2'})
        self.update(j, t, 'IN_PROGRESS', statusDetails={'c': '3'})
        self.assertEqual(self.ddescribe(j, t)['execution']['statusDetails'], {'c': '3'})
        r = self.update(j, t, 'SUCCEEDED', includeJobExecutionState=True)
        self.assertEqual(r['executionState']['statusDetails'], {'c': '3'})
        self.assertEqual(self.ctl_describe(j, t)['statusDetails'], {'detailsMap': {'c': '3'}})

    def test_status_details_limits(self):
        t = self.create_thing()
        j = self.job_on([t])
        bad = [
            {'k%d' % i: 'v' for i in range(11)},   # 11 pairs
            {'k': 'x' * 1025},                      # value too long
            {'bad key': 'v'},                       # key outside [a-zA-Z0-9:_-]
            {'k' * 129: 'v'},                       # key too long
            {'k': 'line\nbreak'},                   # control character
        ]
        for details in bad:
            self.assertAwsError(self.update, 'InvalidRequestException', 400, j, t,
                                'IN_PROGRESS', statusDetails=details)
        # botocore refuses an empty value client-side (min 1), so send that one raw.
        status, h, body = self.jobsd.raw('POST', '/things/%s/jobs/%s' % (t, j), plane='data',
                                         body={'status': 'IN_PROGRESS',
                                               'statusDetails': {'k': ''}})
        self.assertEqual(status, 400, body)
        self.assertTrue(h.get('x-amzn-errortype', '').startswith('InvalidRequestException'))
        c = self.ctl_describe(j, t)
        self.assertEqual((c['status'], c['versionNumber']), ('QUEUED', 1))
        ok = {'k%d' % i: 'v' for i in range(10)}
        ok['k0'] = 'x' * 1024
        ok['k:with_colon-dash'] = ok.pop('k9')
        self.update(j, t, 'IN_PROGRESS', statusDetails=ok)
        self.assertEqual(self.ddescribe(j, t)['execution']['statusDetails'], ok)

    def test_execution_number_and_unknown(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.assertAwsError(self.update, 'ResourceNotFoundException', 404, j, t,
                            'IN_PROGRESS', executionNumber=2)
        self.update(j, t, 'IN_PROGRESS', executionNumber=1)
        self.assertAwsError(self.update, 'ResourceNotFoundException', 404, 'nosuchjob', t,
                            'IN_PROGRESS')
        self.assertAwsError(self.update, 'ResourceNotFoundException', 404, j, 'nosuchthing',
                            'IN_PROGRESS')
        self.assertAwsError(self.update, 'InvalidRequestException', 400, 'bad id', t,
                            'IN_PROGRESS')

    def test_canceled_execution_rejects_update(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'IN_PROGRESS')
        self.iot.cancel_job_execution(jobId=j, thingName=t, force=True)
        self.assertAwsError(self.update, 'InvalidStateTransitionException', 409, j, t,
                            'SUCCEEDED')

    def test_error_wire_shape(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'SUCCEEDED')
        status, h, body = self.jobsd.raw('POST', '/things/%s/jobs/%s' % (t, j),
                                         body={'status': 'FAILED'}, plane='data')
        self.assertEqual(status, 409, body)
        self.assertTrue(h.get('x-amzn-errortype', '').startswith(
            'InvalidStateTransitionException'), h)
        self.assertIn('message', json.loads(body))
        self.assertIsNotNone(h.get('x-amzn-requestid'))


class SharedPathRoutingTest(DeviceBase):
    """D6: unsigned requests are routed by listener."""

    def test_list_path_shapes_by_listener(self):
        t = self.create_thing()
        j = self.job_on([t])
        status, _, body = self.jobsd.raw('GET', '/things/%s/jobs' % t, plane='data')
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertIn('inProgressJobs', doc)
        self.assertIn('queuedJobs', doc)
        self.assertNotIn('executionSummaries', doc)
        self.assertEqual([q['jobId'] for q in doc['queuedJobs']], [j])

        status, _, body = self.jobsd.raw('GET', '/things/%s/jobs' % t, plane='control')
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertIn('executionSummaries', doc)
        self.assertNotIn('queuedJobs', doc)
        self.assertNotIn('inProgressJobs', doc)
        self.assertEqual([s['jobId'] for s in doc['executionSummaries']], [j])

    def test_describe_path_shapes_by_listener(self):
        t = self.create_thing()
        j = self.job_on([t])
        self.update(j, t, 'IN_PROGRESS', statusDetails={'a': 'b'})
        status, _, body = self.jobsd.raw('GET', '/things/%s/jobs/%s' % (t, j), plane='data')
        self.assertEqual(status, 200, body)
        ex = json.loads(body)['execution']
        self.assertEqual(ex['thingName'], t)
        self.assertEqual(ex['statusDetails'], {'a': 'b'})
        self.assertIsInstance(ex['startedAt'], int)
        self.assertIn('jobDocument', ex)

        status, _, body = self.jobsd.raw('GET', '/things/%s/jobs/%s' % (t, j), plane='control')
        self.assertEqual(status, 200, body)
        ex = json.loads(body)['execution']
        self.assertEqual(ex['thingArn'], thing_arn(t))
        self.assertEqual(ex['statusDetails'], {'detailsMap': {'a': 'b'}})
        self.assertNotIn('jobDocument', ex)

    def test_signature_wins_over_listener(self):
        # D6: a request signed for iot is control plane on any listener, and one signed for
        # iot-jobs-data is data plane on any listener.
        t = self.create_thing()
        j = self.job_on([t])
        iot_on_data = self.jobsd._client('iot', self.jobsd.data_url)
        data_on_ctl = self.jobsd._client('iot-jobs-data', self.jobsd.control_url)
        r = iot_on_data.list_job_executions_for_thing(thingName=t)
        self.assertEqual([s['jobId'] for s in r['executionSummaries']], [j])
        ex = iot_on_data.describe_job_execution(jobId=j, thingName=t)['execution']
        self.assertEqual(ex['thingArn'], thing_arn(t))
        r = data_on_ctl.get_pending_job_executions(thingName=t)
        self.assertEqual([s['jobId'] for s in r['queuedJobs']], [j])
        ex = data_on_ctl.describe_job_execution(jobId='$next', thingName=t)['execution']
        self.assertEqual((ex['jobId'], ex['thingName']), (j, t))

    def test_signed_clients_on_their_own_ports(self):
        t = self.create_thing()
        j = self.job_on([t])
        r = self.iot.list_job_executions_for_thing(thingName=t)
        self.assertEqual([s['jobId'] for s in r['executionSummaries']], [j])
        r = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual([s['jobId'] for s in r['queuedJobs']], [j])


class ConcurrentDeviceWritesTest(DeviceBase):
    """Device writes racing each other. StartNext and UpdateJobExecution read
    outside the writer and write on condition (svc/exec.c, "Optimistic device writes"); a
    write whose row changed since its read runs again the usual way, and the end of a job's
    last active execution is always made the usual way, which completes the job. Each test
    also checks jobsd_conditional_writes_total exactly, on both stores (SQLite
    runs its conditional writes as riders since round 14)."""

    jobsd_extra_args = ('--admin-listen', '127.0.0.1:0')

    def cond_writes(self):
        status, _, body = admin_request(self.jobsd, 'GET', '/metrics')
        self.assertEqual(status, 200)
        got = {}
        for line in body.decode().splitlines():
            for outcome in ('applied', 'retried'):
                key = 'jobsd_conditional_writes_total{outcome="%s"} ' % outcome
                if line.startswith(key):
                    got[outcome] = int(line[len(key):])
        self.assertEqual(set(got), {'applied', 'retried'})
        return got

    def assertCondWrites(self, before, applied, retried=None):
        after = self.cond_writes()
        self.assertEqual(after['applied'] - before['applied'], applied)
        if retried is not None:
            self.assertEqual(after['retried'] - before['retried'], retried)

    def run_threads(self, n, fn):
        errors, threads = [], []

        def body(i):
            try:
                fn(i)
            except Exception as e:  # noqa: BLE001 (collected, asserted below)
                errors.append(e)
        for i in range(n):
            threads.append(threading.Thread(target=body, args=(i,)))
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return errors

    def test_concurrent_ends_complete_the_job(self):
        things = [self.create_thing() for _ in range(24)]
        job = self.job_on(things)
        before = self.cond_writes()

        def device(i):
            for t in things[i::8]:
                ex = self.data.start_next_pending_job_execution(thingName=t)['execution']
                self.assertEqual((ex['jobId'], ex['status'], ex['versionNumber']),
                                 (job, 'IN_PROGRESS', 2))
                r = self.update(job, t, 'SUCCEEDED', expectedVersion=2,
                                includeJobExecutionState=True)
                self.assertEqual((r['executionState']['status'],
                                  r['executionState']['versionNumber']), ('SUCCEEDED', 3))
        self.assertEqual(self.run_threads(8, device), [])
        d = self.iot.describe_job(jobId=job)['job']
        self.assertEqual(d['status'], 'COMPLETED')
        counts = self.job_counts(job)
        self.assertEqual(counts['numberOfSucceededThings'], 24)
        self.assertEqual(sum(counts.values()), 24)
        for t in things:
            ex = self.ctl_describe(job, t)
            self.assertEqual((ex['status'], ex['versionNumber']), ('SUCCEEDED', 3))
        # 24 starts and 23 ends on condition; the end of the last active execution is
        # refused there and made the usual way
        self.assertCondWrites(before, 24 + 23, 1)

    def test_racing_progress_reports_each_count(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.data.start_next_pending_job_execution(thingName=t)
        done = []

        def device(i):
            for k in range(10):
                self.update(job, t, 'IN_PROGRESS', statusDetails={'w': '%d-%d' % (i, k)})
                done.append(1)
        self.assertEqual(self.run_threads(6, device), [])
        ex = self.ctl_describe(job, t)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertEqual(ex['versionNumber'], 2 + len(done))
        self.assertEqual(len(done), 60)
        self.assertEqual(self.job_counts(job)['numberOfInProgressThings'], 1)

    def test_racing_expected_version_one_wins(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.data.start_next_pending_job_execution(thingName=t)
        for version in (2, 3, 4):
            wins, conflicts = [], []

            def device(i, version=version):
                try:
                    self.update(job, t, 'IN_PROGRESS', expectedVersion=version,
                                statusDetails={'w': str(i)})
                    wins.append(i)
                except botocore.exceptions.ClientError as e:
                    self.assertEqual(e.response['Error']['Code'], 'InvalidStateTransitionException')
                    conflicts.append(i)
            self.assertEqual(self.run_threads(6, device), [])
            self.assertEqual(len(wins), 1, (wins, conflicts))
            self.assertEqual(len(conflicts), 5)
            ex = self.ctl_describe(job, t)
            self.assertEqual(ex['versionNumber'], version + 1)
            self.assertEqual(ex['statusDetails'], {'detailsMap': {'w': str(wins[0])}})

    def test_racing_start_next_one_execution(self):
        t = self.create_thing()
        job = self.job_on([t])
        before = self.cond_writes()
        got = []

        def device(i):
            ex = self.data.start_next_pending_job_execution(thingName=t)['execution']
            got.append((ex['jobId'], ex['status'], ex['versionNumber']))
        self.assertEqual(self.run_threads(6, device), [])
        self.assertEqual(got, [(job, 'IN_PROGRESS', 2)] * 6)
        self.assertEqual(self.ctl_describe(job, t)['versionNumber'], 2)
        self.assertEqual(self.job_counts(job)['numberOfInProgressThings'], 1)
        # exactly one write changed the row; the others found it started
        self.assertCondWrites(before, 1)

    def test_cancel_and_delete_on_condition(self):
        """CancelJobExecution and DeleteJobExecution take the same path on the control
        plane: an end or a deletion that leaves the job an active execution is written on
        condition; the one that would leave it none is made the usual way."""
        things = [self.create_thing() for _ in range(4)]
        job = self.job_on(things)
        before = self.cond_writes()
        for t in things[:2]:
            self.iot.cancel_job_execution(jobId=job, thingName=t)
        for t in things[:2]:
            self.iot.delete_job_execution(jobId=job, thingName=t, executionNumber=1)
        self.iot.delete_job_execution(jobId=job, thingName=things[2], executionNumber=1,
                                      force=True)
        self.iot.cancel_job_execution(jobId=job, thingName=things[3])
        self.assertCondWrites(before, 5, 1)
        for t in things[:3]:
            self.assertAwsError(self.ctl_describe, 'ResourceNotFoundException', 404, job, t)
        self.assertEqual(self.ctl_describe(job, things[3])['status'], 'CANCELED')
        counts = self.job_counts(job)
        self.assertEqual(counts['numberOfCanceledThings'], 1)
        self.assertEqual(sum(counts.values()), 1)
        # the last cancel completed the job; deleting its last execution cannot complete
        # it again, so that goes on condition
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'COMPLETED')
        self.iot.delete_job_execution(jobId=job, thingName=things[3], executionNumber=1)
        self.assertCondWrites(before, 6, 1)
        self.assertEqual(sum(self.job_counts(job).values()), 0)

    def test_create_thing_on_condition(self):
        """CreateThing without a type inserts on condition: a new thing applies; the same
        thing again (idempotent) and a thing a dynamic group may take in are made the usual
        way."""
        before = self.cond_writes()
        name = self.name('thing')
        r = self.iot.create_thing(thingName=name, attributePayload={'attributes': {'a': '1'}})
        again = self.iot.create_thing(thingName=name,
                                      attributePayload={'attributes': {'a': '1'}})
        self.assertEqual((again['thingName'], again['thingId']), (name, r['thingId']))
        self.assertAwsError(self.iot.create_thing, 'ResourceAlreadyExistsException', 409,
                            thingName=name, attributePayload={'attributes': {'a': '2'}})
        self.assertCondWrites(before, 1, 2)
        group = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=group,
                                            queryString='attributes.fw:dyn%s' % group[-6:])
        try:
            before = self.cond_writes()
            t = self.create_thing(attributePayload={'attributes': {'fw': 'dyn%s' % group[-6:]}})
            self.assertCondWrites(before, 0, 1)
            groups = self.iot.list_thing_groups_for_thing(thingName=t)['thingGroups']
            self.assertEqual([g['groupName'] for g in groups], [group])
        finally:
            self.iot.delete_dynamic_thing_group(thingGroupName=group)


if __name__ == '__main__':
    harness.main()
