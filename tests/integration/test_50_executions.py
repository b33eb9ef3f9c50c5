"""Control-plane job executions: DescribeJobExecution, ListJobExecutionsForJob,
ListJobExecutionsForThing, CancelJobExecution, and versionNumber bookkeeping (decisions D5).

Spec: aws-iot-jobs.md §4.2, §4.5, §8.2, §8.5; decisions D1-D5, D7, D9, D11-D15.
Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_50_executions.py
"""

import datetime
import json
import os
import sys

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import group_arn, strip, thing_arn  # noqa: E402

DOC = '{"operation":"reboot","n":1}'


class ExecBase(harness.JobsdTestCase):
    """Helpers shared by the classes in this file (the common ones are the harness's)."""

    job_document = DOC
    # the names this file's tests use for the harness's helpers
    describe = harness.JobsdTestCase.describe_exec
    set_status = harness.JobsdTestCase.update_exec

    def things(self, n, prefix='thing'):
        """n things whose names sort in creation-independent order: base-a, base-b, ..."""
        base = self.name(prefix)
        names = ['%s-%s' % (base, chr(ord('a') + i)) for i in range(n)]
        for name in reversed(names):     # create in reverse to make ordering meaningful
            self.create_thing(name)
        return names

    def list_for_job_all(self, job, **kw):
        out, token, pages = [], None, 0
        while True:
            args = dict(kw)
            if token:
                args['nextToken'] = token
            r = self.iot.list_job_executions_for_job(jobId=job, **args)
            out.extend(r['executionSummaries'])
            pages += 1
            self.assertLess(pages, 100, 'pagination does not end')
            token = r.get('nextToken')
            if not token:
                return out

    def assertDateTime(self, v, what):
        self.assertIsInstance(v, datetime.datetime, what)
        self.assertIsNotNone(v.tzinfo, what)
        # seconds, not milliseconds: a date within a few years of now
        self.assertGreater(v.year, 2000, what)
        self.assertLess(v.year, 2200, what)


class DescribeJobExecutionTest(ExecBase):

    def test_queued_shape(self):
        t = self.create_thing()
        job = self.job_on([t])
        ex = self.describe(job, t)
        self.assertEqual(ex['jobId'], job)
        self.assertEqual(ex['status'], 'QUEUED')
        self.assertEqual(ex['thingArn'], thing_arn(t))
        self.assertNotIn('thingName', ex)
        self.assertNotIn('jobDocument', ex)
        self.assertEqual(ex['executionNumber'], 1)
        self.assertEqual(ex['versionNumber'], 1)
        self.assertFalse(ex.get('forceCanceled', False))
        self.assertNotIn('startedAt', ex)
        self.assertNotIn('approximateSecondsBeforeTimedOut', ex)
        self.assertDateTime(ex['queuedAt'], 'queuedAt')
        self.assertDateTime(ex['lastUpdatedAt'], 'lastUpdatedAt')
        self.assertFalse(ex.get('statusDetails', {}).get('detailsMap'))

    def test_timestamps_are_json_numbers_of_seconds(self):
        # D7: control plane timestamps are JSON numbers, epoch seconds (ms fraction allowed).
        t = self.create_thing()
        job = self.job_on([t])
        self.set_status(job, t, 'IN_PROGRESS')
        status, h, body = self.jobsd.raw('GET', '/things/%s/jobs/%s' % (t, job))
        self.assertEqual(status, 200, body)
        ex = json.loads(body)['execution']
        now = self.jobsd.clock_now_ms() / 1000.0
        for k in ('queuedAt', 'startedAt', 'lastUpdatedAt'):
            v = ex[k]
            self.assertIsInstance(v, (int, float), k)
            self.assertNotIsInstance(v, bool, k)
            self.assertLess(abs(v - now), 600, '%s=%r is not epoch seconds near %r' % (k, v, now))
        self.assertEqual(ex['thingArn'], thing_arn(t))
        self.assertNotIn('jobDocument', ex)
        self.assertIn('application/json', h.get('content-type', ''))
        # boto3 parses them into datetimes equal to the raw float
        bx = self.describe(job, t)
        self.assertAlmostEqual(bx['queuedAt'].timestamp(), ex['queuedAt'], places=3)
        self.assertAlmostEqual(bx['startedAt'].timestamp(), ex['startedAt'], places=3)

    def test_status_details_wrapped_in_details_map(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.set_status(job, t, 'IN_PROGRESS', statusDetails={'step': 'download', 'pct': '40'})
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertEqual(ex['statusDetails'], {'detailsMap': {'step': 'download', 'pct': '40'}})
        self.assertDateTime(ex['startedAt'], 'startedAt')
        self.assertEqual(ex['versionNumber'], 2)
        status, _, body = self.jobsd.raw('GET', '/things/%s/jobs/%s' % (t, job))
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)['execution']['statusDetails'],
                         {'detailsMap': {'step': 'download', 'pct': '40'}})

    def test_execution_number_selects_and_latest_by_default(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS', document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 2, 'QUEUED')

        latest = self.describe(job, t)
        self.assertEqual(latest['executionNumber'], 2)
        self.assertEqual(latest['status'], 'QUEUED')
        self.assertEqual(latest['versionNumber'], 1)
        first = self.describe(job, t, 1)
        self.assertEqual(first['executionNumber'], 1)
        self.assertEqual(first['status'], 'REMOVED')
        self.assertEqual(first['versionNumber'], 2)  # D5: service-made change bumps too
        second = self.describe(job, t, 2)
        self.assertEqual(second, latest)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 3)

    def test_unknown_execution_number_404(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 2)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 0)

    def test_unknown_job_or_thing_404(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, 'nosuchjob', t)
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, 'nosuchthing')
        other = self.create_thing()  # exists, but not a target
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, other)

    def test_next_is_invalid_on_control_plane(self):
        t = self.create_thing()
        self.job_on([t])
        self.assertAwsError(self.describe, 'InvalidRequestException', 400, '$next', t)
        status, h, body = self.jobsd.raw('GET', '/things/%s/jobs/$next' % t)
        self.assertEqual(status, 400, body)
        self.assertTrue(h.get('x-amzn-errortype', '').startswith('InvalidRequestException'), h)

    def test_bad_ids_400(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertAwsError(self.describe, 'InvalidRequestException', 400, 'j' * 65, t)
        self.assertAwsError(self.describe, 'InvalidRequestException', 400, 'bad id', t)
        self.assertAwsError(self.describe, 'InvalidRequestException', 400, job, 't' * 129)
        status, h, body = self.jobsd.raw(
            'GET', '/things/%s/jobs/%s?executionNumber=abc' % (t, job))
        self.assertEqual(status, 400, body)

    def test_approximate_seconds_before_timed_out(self):
        t = self.create_thing()
        job = self.job_on([t], timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.assertNotIn('approximateSecondsBeforeTimedOut', self.describe(job, t))
        self.set_status(job, t, 'IN_PROGRESS')
        ex = self.describe(job, t)
        self.assertIn('approximateSecondsBeforeTimedOut', ex)
        self.assertGreater(ex['approximateSecondsBeforeTimedOut'], 0)
        self.assertLessEqual(ex['approximateSecondsBeforeTimedOut'], 60)
        self.jobsd.advance_clock(30)
        ex = self.describe(job, t)
        self.assertLessEqual(ex['approximateSecondsBeforeTimedOut'], 31)
        self.jobsd.advance_clock(90)
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'TIMED_OUT')
        self.assertNotIn('approximateSecondsBeforeTimedOut', ex)
        self.assertEqual(ex['versionNumber'], 3)  # queued 1, in progress 2, timed out 3

    def test_no_approximate_seconds_without_timeout(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.set_status(job, t, 'IN_PROGRESS')
        self.assertNotIn('approximateSecondsBeforeTimedOut', self.describe(job, t))
        self.set_status(job, t, 'SUCCEEDED')
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'SUCCEEDED')
        self.assertNotIn('approximateSecondsBeforeTimedOut', ex)


class RetryTest(ExecBase):
    """D13: a retry is a new execution record (D4 number, retryAttempt+1)."""

    def test_failed_execution_is_retried_as_new_record(self):
        t = self.create_thing()
        job = self.job_on([t], jobExecutionsRetryConfig={
            'criteriaList': [{'failureType': 'FAILED', 'numberOfRetries': 1}]})
        self.set_status(job, t, 'FAILED')
        ex2 = self.wait_exec(job, t, 2, 'QUEUED')
        self.assertEqual(ex2['versionNumber'], 1)
        self.assertEqual(self.describe(job, t)['executionNumber'], 2)
        ex1 = self.describe(job, t, 1)
        self.assertEqual((ex1['status'], ex1['versionNumber']), ('FAILED', 2))
        r = self.iot.list_job_executions_for_thing(thingName=t, jobId=job)
        got = {s['jobExecutionSummary']['executionNumber']:
               (s['jobExecutionSummary']['status'], s['jobExecutionSummary'].get('retryAttempt'))
               for s in r['executionSummaries']}
        self.assertEqual(got, {1: ('FAILED', 0), 2: ('QUEUED', 1)})
        # The retry fails too: no retries left.
        self.set_status(job, t, 'FAILED')
        self.assertEqual(self.describe(job, t, 2)['status'], 'FAILED')
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 3)

    def test_rejected_is_never_retried(self):
        t = self.create_thing()
        job = self.job_on([t], jobExecutionsRetryConfig={
            'criteriaList': [{'failureType': 'ALL', 'numberOfRetries': 3}]})
        self.set_status(job, t, 'REJECTED')
        self.assertAwsError(self.describe, 'ResourceNotFoundException', 404, job, t, 2)
        self.assertEqual(self.describe(job, t)['status'], 'REJECTED')


class ListJobExecutionsForJobTest(ExecBase):

    def test_ordered_by_thing_name(self):
        names = self.things(4)
        shuffled = [names[2], names[0], names[3], names[1]]
        job = self.job_on(shuffled)
        r = self.iot.list_job_executions_for_job(jobId=job)
        self.assertNotIn('nextToken', r)
        arns = [s['thingArn'] for s in r['executionSummaries']]
        self.assertEqual(arns, [thing_arn(n) for n in names])
        for s in r['executionSummaries']:
            es = s['jobExecutionSummary']
            self.assertEqual(es['status'], 'QUEUED')
            self.assertEqual(es['executionNumber'], 1)
            self.assertEqual(es.get('retryAttempt', 0), 0)
            self.assertDateTime(es['queuedAt'], 'queuedAt')
            self.assertDateTime(es['lastUpdatedAt'], 'lastUpdatedAt')
            self.assertNotIn('startedAt', es)
            self.assertNotIn('versionNumber', es)  # §4.5: not in control-plane summaries

    def test_status_filter(self):
        a, b, c = self.things(3)
        job = self.job_on([a, b, c])
        self.set_status(job, b, 'IN_PROGRESS')
        self.set_status(job, c, 'SUCCEEDED')
        def arns(status):
            r = self.iot.list_job_executions_for_job(jobId=job, status=status)
            return [s['thingArn'] for s in r['executionSummaries']]
        self.assertEqual(arns('QUEUED'), [thing_arn(a)])
        self.assertEqual(arns('IN_PROGRESS'), [thing_arn(b)])
        self.assertEqual(arns('SUCCEEDED'), [thing_arn(c)])
        self.assertEqual(arns('FAILED'), [])
        r = self.iot.list_job_executions_for_job(jobId=job, status='IN_PROGRESS')
        es = r['executionSummaries'][0]['jobExecutionSummary']
        self.assertEqual(es['status'], 'IN_PROGRESS')
        self.assertDateTime(es['startedAt'], 'startedAt')

    def test_bad_status_400(self):
        t = self.create_thing()
        job = self.job_on([t])
        # (lambdas: assertAwsError has its own `status` parameter)
        for bad in ('BOGUS', 'queued'):
            self.assertAwsError(lambda: self.iot.list_job_executions_for_job(
                jobId=job, status=bad), 'InvalidRequestException', 400)

    def test_max_results_out_of_range_400(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertAwsError(self.iot.list_job_executions_for_job, 'InvalidRequestException',
                            400, jobId=job, maxResults=251)
        status, _, body = self.jobsd.raw('GET', '/jobs/%s/things?maxResults=0' % job)
        self.assertEqual(status, 400, body)
        r = self.iot.list_job_executions_for_job(jobId=job, maxResults=250)
        self.assertEqual(len(r['executionSummaries']), 1)

    def test_pagination(self):
        names = self.things(5)
        job = self.job_on(names)
        seen, token, sizes = [], None, []
        while True:
            kw = {'maxResults': 2}
            if token is not None:
                kw['nextToken'] = token
            r = self.iot.list_job_executions_for_job(jobId=job, **kw)
            sizes.append(len(r['executionSummaries']))
            seen.extend(s['thingArn'] for s in r['executionSummaries'])
            token = r.get('nextToken')
            if token is None:
                break
            self.assertTrue(token, 'empty nextToken must be omitted')
            self.assertLess(len(sizes), 10)
        self.assertEqual(sizes, [2, 2, 1])
        self.assertEqual(seen, [thing_arn(n) for n in names])

    def test_pagination_exact_multiple_has_no_trailing_token(self):
        names = self.things(4)
        job = self.job_on(names)
        r1 = self.iot.list_job_executions_for_job(jobId=job, maxResults=2)
        self.assertIn('nextToken', r1)
        r2 = self.iot.list_job_executions_for_job(jobId=job, maxResults=2,
                                                  nextToken=r1['nextToken'])
        got = [s['thingArn'] for s in r1['executionSummaries'] + r2['executionSummaries']]
        self.assertEqual(got, [thing_arn(n) for n in names])
        if 'nextToken' in r2:
            # Allowed only if the following page is empty and final.
            r3 = self.iot.list_job_executions_for_job(jobId=job, maxResults=2,
                                                      nextToken=r2['nextToken'])
            self.assertEqual(r3['executionSummaries'], [])
            self.assertNotIn('nextToken', r3)

    def test_paginator_with_status_filter(self):
        names = self.things(5)
        job = self.job_on(names)
        for n in names[1:4]:
            self.set_status(job, n, 'FAILED')
        p = self.iot.get_paginator('list_job_executions_for_job')
        got = []
        for page in p.paginate(jobId=job, status='FAILED', PaginationConfig={'PageSize': 2}):
            got.extend(s['thingArn'] for s in page['executionSummaries'])
        self.assertEqual(got, [thing_arn(n) for n in names[1:4]])

    def test_forged_next_token_400(self):
        names = self.things(3)
        job = self.job_on(names)
        for tok in ('garbage', 'AAAAAAAAAAAAAAAA', 'eyJ0aGluZyI6Inp6eiJ9', '%00'):
            self.assertAwsError(self.iot.list_job_executions_for_job, 'InvalidRequestException',
                                400, jobId=job, maxResults=1, nextToken=tok)

    def test_token_of_other_job_400_or_consistent(self):
        # A token is bound to its listing; reusing it for another job must not silently
        # return someone else's page: 400 is the D9 answer.
        names = self.things(3)
        j1 = self.job_on(names)
        j2 = self.job_on(names)
        r = self.iot.list_job_executions_for_job(jobId=j1, maxResults=1)
        tok = r['nextToken']
        try:
            r2 = self.iot.list_job_executions_for_job(jobId=j2, maxResults=1, nextToken=tok)
        except botocore.exceptions.ClientError as e:
            self.assertEqual(e.response['Error']['Code'], 'InvalidRequestException')
            return
        # If accepted, it must still list j2's executions only, without repeats.
        for s in r2['executionSummaries']:
            self.assertIn(s['thingArn'], [thing_arn(n) for n in names])

    def test_unknown_job_404(self):
        self.assertAwsError(self.iot.list_job_executions_for_job, 'ResourceNotFoundException',
                            404, jobId='nosuchjob')

    def test_no_skips_while_inserting(self):
        # D9 keyset pagination: rows inserted before the cursor do not shift the next page.
        g = self.create_group()
        base = self.name('k')
        names = ['%s-%s' % (base, c) for c in 'bdfh']
        for n in names:
            self.create_thing(n)
            self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=n)
        job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS', document=DOC)
        for n in names:
            self.wait_exec(job, n, 1, 'QUEUED')
        r1 = self.iot.list_job_executions_for_job(jobId=job, maxResults=2)
        self.assertEqual([s['thingArn'] for s in r1['executionSummaries']],
                         [thing_arn(names[0]), thing_arn(names[1])])
        early = '%s-a' % base   # sorts before the cursor
        self.create_thing(early)
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=early)
        self.wait_exec(job, early, 1, 'QUEUED')
        rest = []
        tok = r1['nextToken']
        while tok:
            r = self.iot.list_job_executions_for_job(jobId=job, maxResults=2, nextToken=tok)
            rest.extend(s['thingArn'] for s in r['executionSummaries'])
            tok = r.get('nextToken')
        self.assertEqual(rest, [thing_arn(names[2]), thing_arn(names[3])])


class ListJobExecutionsForThingTest(ExecBase):

    def test_newest_queued_first(self):
        t = self.create_thing()
        jobs = self.jobs_in_order(t, 3)
        r = self.iot.list_job_executions_for_thing(thingName=t)
        self.assertNotIn('nextToken', r)
        self.assertEqual([s['jobId'] for s in r['executionSummaries']], list(reversed(jobs)))
        for s in r['executionSummaries']:
            es = s['jobExecutionSummary']
            self.assertEqual(es['status'], 'QUEUED')
            self.assertEqual(es['executionNumber'], 1)
            self.assertDateTime(es['queuedAt'], 'queuedAt')
            self.assertNotIn('thingArn', s)
        qs = [s['jobExecutionSummary']['queuedAt'] for s in r['executionSummaries']]
        self.assertEqual(qs, sorted(qs, reverse=True))

    def test_includes_terminal_history_and_status_filter(self):
        t = self.create_thing()
        j1, j2, j3, j4 = self.jobs_in_order(t, 4)
        self.set_status(j1, t, 'SUCCEEDED')
        self.set_status(j2, t, 'IN_PROGRESS')
        self.iot.cancel_job_execution(jobId=j3, thingName=t)
        r = self.iot.list_job_executions_for_thing(thingName=t)
        got = {s['jobId']: s['jobExecutionSummary']['status'] for s in r['executionSummaries']}
        self.assertEqual(got, {j1: 'SUCCEEDED', j2: 'IN_PROGRESS', j3: 'CANCELED', j4: 'QUEUED'})
        def ids(status):
            r = self.iot.list_job_executions_for_thing(thingName=t, status=status)
            return [s['jobId'] for s in r['executionSummaries']]
        self.assertEqual(ids('SUCCEEDED'), [j1])
        self.assertEqual(ids('IN_PROGRESS'), [j2])
        self.assertEqual(ids('CANCELED'), [j3])
        self.assertEqual(ids('QUEUED'), [j4])
        self.assertEqual(ids('REJECTED'), [])
        self.assertAwsError(lambda: self.iot.list_job_executions_for_thing(
            thingName=t, status='DONE'), 'InvalidRequestException', 400)

    def test_job_id_filter(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        other = self.job_on([t])
        self.jobsd.advance_clock(2)
        job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS', document=DOC)
        self.wait_exec(job, t, 1, 'QUEUED')
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 1, 'REMOVED')
        self.jobsd.advance_clock(2)
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.wait_exec(job, t, 2, 'QUEUED')
        r = self.iot.list_job_executions_for_thing(thingName=t, jobId=job)
        got = [(s['jobId'], s['jobExecutionSummary']['executionNumber'],
                s['jobExecutionSummary']['status']) for s in r['executionSummaries']]
        self.assertEqual(got, [(job, 2, 'QUEUED'), (job, 1, 'REMOVED')])
        r = self.iot.list_job_executions_for_thing(thingName=t, jobId=other)
        self.assertEqual([s['jobId'] for s in r['executionSummaries']], [other])
        r = self.iot.list_job_executions_for_thing(thingName=t, jobId='nosuchjob')
        self.assertEqual(r['executionSummaries'], [])
        self.assertAwsError(self.iot.list_job_executions_for_thing, 'InvalidRequestException',
                            400, thingName=t, jobId='bad job')

    def test_namespace_filter(self):
        t = self.create_thing()
        plain = self.job_on([t])
        self.jobsd.advance_clock(2)
        ns1 = self.job_on([t], namespaceId='ns-one')
        self.jobsd.advance_clock(2)
        ns2 = self.job_on([t], namespaceId='ns-two')
        r = self.iot.list_job_executions_for_thing(thingName=t, namespaceId='ns-one')
        self.assertEqual([s['jobId'] for s in r['executionSummaries']], [ns1])
        r = self.iot.list_job_executions_for_thing(thingName=t, namespaceId='ns-two')
        self.assertEqual([s['jobId'] for s in r['executionSummaries']], [ns2])
        r = self.iot.list_job_executions_for_thing(thingName=t, namespaceId='ns-none')
        self.assertEqual(r['executionSummaries'], [])
        r = self.iot.list_job_executions_for_thing(thingName=t)
        self.assertIn(plain, [s['jobId'] for s in r['executionSummaries']])
        self.assertAwsError(self.iot.list_job_executions_for_thing, 'InvalidRequestException',
                            400, thingName=t, namespaceId='bad.ns')

    def test_pagination(self):
        t = self.create_thing()
        jobs = self.jobs_in_order(t, 5)
        seen, token, sizes = [], None, []
        while True:
            kw = {'maxResults': 2}
            if token is not None:
                kw['nextToken'] = token
            r = self.iot.list_job_executions_for_thing(thingName=t, **kw)
            sizes.append(len(r['executionSummaries']))
            seen.extend(s['jobId'] for s in r['executionSummaries'])
            token = r.get('nextToken')
            if token is None:
                break
            self.assertTrue(token)
            self.assertLess(len(sizes), 10)
        self.assertEqual(sizes, [2, 2, 1])
        self.assertEqual(seen, list(reversed(jobs)))
        self.assertAwsError(self.iot.list_job_executions_for_thing, 'InvalidRequestException',
                            400, thingName=t, maxResults=2, nextToken='forged-token')
        self.assertAwsError(self.iot.list_job_executions_for_thing, 'InvalidRequestException',
                            400, thingName=t, maxResults=251)

    def test_no_repeats_while_inserting_newer(self):
        # D9: keyset pagination; a job queued after page 1 (so sorting first) neither shows
        # up again later nor shifts the remaining pages.
        t = self.create_thing()
        jobs = self.jobs_in_order(t, 4)          # newest first: jobs[3], jobs[2], ...
        r1 = self.iot.list_job_executions_for_thing(thingName=t, maxResults=2)
        self.assertEqual([s['jobId'] for s in r1['executionSummaries']], [jobs[3], jobs[2]])
        self.job_on([t])
        rest, tok = [], r1['nextToken']
        while tok:
            r = self.iot.list_job_executions_for_thing(thingName=t, maxResults=2,
                                                       nextToken=tok)
            rest.extend(s['jobId'] for s in r['executionSummaries'])
            tok = r.get('nextToken')
        self.assertEqual(rest, [jobs[1], jobs[0]])

    def test_bad_thing_name_400(self):
        self.assertAwsError(self.iot.list_job_executions_for_thing, 'InvalidRequestException',
                            400, thingName='x' * 129)
        self.assertAwsError(self.iot.list_job_executions_for_thing, 'InvalidRequestException',
                            400, thingName='bad thing')


class CancelJobExecutionTest(ExecBase):

    def test_queued_to_canceled(self):
        t = self.create_thing()
        job = self.job_on([t])
        r = self.iot.cancel_job_execution(jobId=job, thingName=t)
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(strip(r), {})
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'CANCELED')
        self.assertEqual(ex['versionNumber'], 2)
        self.assertFalse(ex.get('forceCanceled', False))
        self.assertNotIn('startedAt', ex)
        # The device sees it as terminal (§8.4).
        self.assertAwsError(self.set_status, 'InvalidStateTransitionException', 409,
                            job, t, 'IN_PROGRESS')
        pending = self.data.get_pending_job_executions(thingName=t)
        self.assertEqual(pending['queuedJobs'], [])
        self.assertEqual(pending['inProgressJobs'], [])

    def test_queued_with_force_false_explicit(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.iot.cancel_job_execution(jobId=job, thingName=t, force=False)
        self.assertEqual(self.describe(job, t)['status'], 'CANCELED')

    def test_in_progress_without_force_409(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.set_status(job, t, 'IN_PROGRESS', statusDetails={'a': '1'})
        before = self.describe(job, t)
        e = self.assertAwsError(self.iot.cancel_job_execution,
                                'InvalidStateTransitionException', 409, jobId=job, thingName=t)
        self.assertTrue(e.response['Error'].get('Message'))
        self.assertAwsError(self.iot.cancel_job_execution,
                            'InvalidStateTransitionException', 409, jobId=job, thingName=t,
                            force=False)
        self.assertEqual(self.describe(job, t), before)

    def test_in_progress_with_force(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.set_status(job, t, 'IN_PROGRESS')
        self.iot.cancel_job_execution(jobId=job, thingName=t, force=True)
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'CANCELED')
        self.assertIs(ex['forceCanceled'], True)
        self.assertEqual(ex['versionNumber'], 3)
        self.assertAwsError(self.set_status, 'InvalidStateTransitionException', 409,
                            job, t, 'SUCCEEDED')

    def test_terminal_409(self):
        t = self.create_thing()
        for final in ('SUCCEEDED', 'FAILED', 'REJECTED'):
            job = self.job_on([t])
            self.set_status(job, t, final)
            before = self.describe(job, t)
            for force in (None, False, True):
                kw = {} if force is None else {'force': force}
                self.assertAwsError(self.iot.cancel_job_execution,
                                    'InvalidStateTransitionException', 409,
                                    jobId=job, thingName=t, **kw)
            self.assertEqual(self.describe(job, t), before)
        job = self.job_on([t])
        self.iot.cancel_job_execution(jobId=job, thingName=t)
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidStateTransitionException',
                            409, jobId=job, thingName=t)
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidStateTransitionException',
                            409, jobId=job, thingName=t, force=True)

    def test_timed_out_and_removed_are_terminal(self):
        t = self.create_thing()
        job = self.job_on([t], timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.set_status(job, t, 'IN_PROGRESS')
        self.jobsd.advance_clock(120)
        self.assertEqual(self.describe(job, t)['status'], 'TIMED_OUT')
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidStateTransitionException',
                            409, jobId=job, thingName=t, force=True)
        gone = self.create_thing()
        job2 = self.job_on([gone])
        self.iot.delete_thing(thingName=gone)
        self.wait_exec(job2, gone, 1, 'REMOVED')
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidStateTransitionException',
                            409, jobId=job2, thingName=gone, force=True)

    def test_expected_version(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertAwsError(self.iot.cancel_job_execution, 'VersionConflictException', 409,
                            jobId=job, thingName=t, expectedVersion=2)
        self.assertAwsError(self.iot.cancel_job_execution, 'VersionConflictException', 409,
                            jobId=job, thingName=t, expectedVersion=0)
        ex = self.describe(job, t)
        self.assertEqual((ex['status'], ex['versionNumber']), ('QUEUED', 1))
        self.set_status(job, t, 'IN_PROGRESS')
        self.assertAwsError(self.iot.cancel_job_execution, 'VersionConflictException', 409,
                            jobId=job, thingName=t, force=True, expectedVersion=1)
        self.assertEqual(self.describe(job, t)['status'], 'IN_PROGRESS')
        self.iot.cancel_job_execution(jobId=job, thingName=t, force=True, expectedVersion=2)
        ex = self.describe(job, t)
        self.assertEqual((ex['status'], ex['versionNumber']), ('CANCELED', 3))

    def test_status_details_replaced_or_kept(self):
        t = self.create_thing()
        j1 = self.job_on([t])
        self.set_status(j1, t, 'IN_PROGRESS', statusDetails={'a': '1', 'b': '2'})
        self.iot.cancel_job_execution(jobId=j1, thingName=t, force=True,
                                      statusDetails={'c': '3'})
        self.assertEqual(self.describe(j1, t)['statusDetails'], {'detailsMap': {'c': '3'}})
        j2 = self.job_on([t])
        self.set_status(j2, t, 'IN_PROGRESS', statusDetails={'a': '1'})
        self.iot.cancel_job_execution(jobId=j2, thingName=t, force=True)
        self.assertEqual(self.describe(j2, t)['statusDetails'], {'detailsMap': {'a': '1'}})
        j3 = self.job_on([t])
        self.iot.cancel_job_execution(jobId=j3, thingName=t, statusDetails={'why': 'ops'})
        self.assertEqual(self.describe(j3, t)['statusDetails'], {'detailsMap': {'why': 'ops'}})

    def test_status_details_limits_400(self):
        t = self.create_thing()
        job = self.job_on([t])
        eleven = {'k%d' % i: 'v' for i in range(11)}
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidRequestException', 400,
                            jobId=job, thingName=t, statusDetails=eleven)
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidRequestException', 400,
                            jobId=job, thingName=t, statusDetails={'bad key': 'v'})
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidRequestException', 400,
                            jobId=job, thingName=t, statusDetails={'k': 'x' * 1025})
        # botocore refuses an empty value client-side (min 1), so send that one raw.
        status, h, body = self.jobsd.raw('PUT', '/things/%s/jobs/%s/cancel' % (t, job),
                                         body={'statusDetails': {'k': ''}})
        self.assertEqual(status, 400, body)
        self.assertTrue(h.get('x-amzn-errortype', '').startswith('InvalidRequestException'))
        ex = self.describe(job, t)
        self.assertEqual((ex['status'], ex['versionNumber']), ('QUEUED', 1))
        ten = {'k%d' % i: 'v' for i in range(10)}
        self.iot.cancel_job_execution(jobId=job, thingName=t, statusDetails=ten)
        ex = self.describe(job, t)
        self.assertEqual(ex['status'], 'CANCELED')
        self.assertEqual(ex['statusDetails'], {'detailsMap': ten})

    def test_unknown_404(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertAwsError(self.iot.cancel_job_execution, 'ResourceNotFoundException', 404,
                            jobId='nosuchjob', thingName=t)
        self.assertAwsError(self.iot.cancel_job_execution, 'ResourceNotFoundException', 404,
                            jobId=job, thingName='nosuchthing')
        self.assertAwsError(self.iot.cancel_job_execution, 'InvalidRequestException', 400,
                            jobId='bad id', thingName=t)


class VersionNumberTest(ExecBase):
    """D5: 1 when queued; +1 on every accepted change, service-made ones included."""

    def version(self, job, t):
        return self.describe(job, t)['versionNumber']

    def test_device_updates_bump(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertEqual(self.version(job, t), 1)
        self.set_status(job, t, 'IN_PROGRESS')
        self.assertEqual(self.version(job, t), 2)
        self.set_status(job, t, 'IN_PROGRESS', statusDetails={'p': '10'})
        self.assertEqual(self.version(job, t), 3)
        self.set_status(job, t, 'IN_PROGRESS')   # IN_PROGRESS -> IN_PROGRESS still counts
        self.assertEqual(self.version(job, t), 4)
        self.set_status(job, t, 'SUCCEEDED')
        self.assertEqual(self.version(job, t), 5)
        # Rejected changes do not bump.
        self.assertAwsError(self.set_status, 'InvalidStateTransitionException', 409,
                            job, t, 'FAILED')
        self.assertEqual(self.version(job, t), 5)

    def test_start_next_bumps_once(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.data.start_next_pending_job_execution(thingName=t)
        self.assertEqual(self.version(job, t), 2)
        self.data.start_next_pending_job_execution(thingName=t)   # returns it unchanged
        self.assertEqual(self.version(job, t), 2)

    def test_service_changes_bump(self):
        t = self.create_thing()
        j_cancel = self.job_on([t])
        self.iot.cancel_job_execution(jobId=j_cancel, thingName=t)
        self.assertEqual(self.version(j_cancel, t), 2)
        j_force = self.job_on([t])
        self.set_status(j_force, t, 'IN_PROGRESS')
        self.iot.cancel_job_execution(jobId=j_force, thingName=t, force=True)
        self.assertEqual(self.version(j_force, t), 3)
        j_timeout = self.job_on([t], timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.set_status(j_timeout, t, 'IN_PROGRESS')
        self.jobsd.advance_clock(120)
        ex = self.describe(j_timeout, t)
        self.assertEqual((ex['status'], ex['versionNumber']), ('TIMED_OUT', 3))
        gone = self.create_thing()
        j_removed = self.job_on([gone])
        self.iot.delete_thing(thingName=gone)
        ex = self.wait_exec(j_removed, gone, 1, 'REMOVED')
        self.assertEqual(ex['versionNumber'], 2)

    def test_versions_per_execution(self):
        t1, t2 = self.things(2)
        job = self.job_on([t1, t2])
        self.set_status(job, t1, 'IN_PROGRESS')
        self.assertEqual(self.version(job, t1), 2)
        self.assertEqual(self.version(job, t2), 1)


if __name__ == '__main__':
    harness.main()
