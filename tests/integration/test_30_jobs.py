"""Jobs control plane: CreateJob, DescribeJob, ListJobs, UpdateJob, CancelJob, DeleteJob,
GetJobDocument, AssociateTargetsWithJob, and how jobs react to registry changes
(spec §4.1, §8, §9; decisions D4, D7, D9, D14, D16)."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import COUNT_KEYS, group_arn, job_arn, strip, thing_arn  # noqa: E402


def thing_of(arn):
    return arn.split(':thing/', 1)[1]


class JobsTestCase(harness.JobsdTestCase):
    """Helpers shared by the job tests."""

    def things(self, n, prefix='th'):
        return [self.create_thing(self.name(prefix)) for _ in range(n)]

    def group_with(self, things=(), parent=None):
        g = self.create_group(parent=parent)
        for t in things:
            self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        return g

    def job(self, things=(), groups=(), **kw):
        targets = [thing_arn(t) for t in things] + [group_arn(g) for g in groups]
        return self.create_job(targets=targets, **kw)

    def execs(self, job_id, **kw):
        """[(thingName, status, executionNumber)] over all pages, in server order."""
        out, token, pages = [], None, 0
        while True:
            args = dict(jobId=job_id, **kw)
            if token:
                args['nextToken'] = token
            r = self.iot.list_job_executions_for_job(**args)
            for s in r['executionSummaries']:
                es = s['jobExecutionSummary']
                out.append((thing_of(s['thingArn']), es['status'], es.get('executionNumber')))
            token = r.get('nextToken')
            pages += 1
            if not token:
                return out
            self.assertLess(pages, 100)

    def statuses(self, job_id):
        return {t: st for t, st, _ in self.execs(job_id)}

    def describe(self, job_id):
        return self.iot.describe_job(jobId=job_id)['job']

    counts = harness.JobsdTestCase.job_counts

    def assertCounts(self, job_id, **expected):
        want = {k: 0 for k in COUNT_KEYS}
        for k, v in expected.items():
            want['numberOf%sThings' % k] = v
        self.assertEqual(self.counts(job_id), want)

    device = harness.JobsdTestCase.update_exec

    def exec_status(self, job_id, thing, executionNumber=None):
        return self.describe_exec(job_id, thing, executionNumber)

    def wait_job_gone(self, job_id, limit=5.0):
        """D16: deletion is asynchronous. Bounded poll (the one place we poll)."""
        deadline = time.monotonic() + limit
        seen = []
        while True:
            try:
                st = self.describe(job_id)['status']
            except self.iot.exceptions.ResourceNotFoundException:
                return seen
            self.assertEqual(st, 'DELETION_IN_PROGRESS')
            seen.append(st)
            if time.monotonic() > deadline:
                self.fail('job %s still %s after %.0f s' % (job_id, st, limit))
            time.sleep(0.05)


class CreateJob(JobsTestCase):

    def test_create_response(self):
        t = self.create_thing()
        jid = self.name('job')
        r = self.iot.create_job(jobId=jid, targets=[thing_arn(t)], document='{"op":"reboot"}')
        self.assertEqual(strip(r), {'jobArn': job_arn(jid), 'jobId': jid})
        self.assertTrue(r['ResponseMetadata']['RequestId'])
        jid2 = self.name('job')
        r = self.iot.create_job(jobId=jid2, targets=[thing_arn(t)], document='{}',
                                description='update firmware')
        self.assertEqual(strip(r), {'jobArn': job_arn(jid2), 'jobId': jid2,
                                    'description': 'update firmware'})

    def test_executions_per_distinct_thing(self):
        t1, t2, t3, t4, lone = self.things(5)
        g = self.group_with([t1, t2])
        child = self.group_with([t3], parent=g)
        self.group_with([t4], parent=child)          # grandchild
        other = self.group_with([lone])
        jid = self.job(things=[t1, t2], groups=[g])  # t1, t2 reached twice
        got = self.execs(jid)
        self.assertEqual([x[0] for x in got], sorted([t1, t2, t3, t4]))
        for thing, status, number in got:
            self.assertEqual(status, 'QUEUED')
            self.assertEqual(number, 1)
        self.assertCounts(jid, Queued=4)
        self.assertEqual(self.statuses(self.job(groups=[other])), {lone: 'QUEUED'})

    def test_empty_group_target(self):
        # An empty group is a valid target (spec §4.1). A snapshot job with no executions
        # has "every execution terminal" (§8.1), so COMPLETED at once is allowed too.
        g = self.create_group()
        jid = self.job(groups=[g])
        self.assertEqual(self.execs(jid), [])
        self.assertIn(self.describe(jid)['status'], ('IN_PROGRESS', 'COMPLETED'))
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.assertEqual(self.execs(jid), [])
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')

    def test_duplicate(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        e = self.assertAwsError(lambda: self.job(job_id=jid, things=[t]),
                                'ResourceAlreadyExistsException', 409)
        self.assertEqual(e.response.get('resourceId'), jid)
        self.assertEqual(e.response.get('resourceArn'), job_arn(jid))

    def test_unknown_targets(self):
        t = self.create_thing()
        self.assertAwsError(lambda: self.job(things=[t, self.name('ghost')]),
                            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.job(groups=[self.name('ghostgrp')]),
                            'ResourceNotFoundException', 404)
        # Nothing was created by the failed calls.
        self.assertEqual(self.iot.list_jobs()['jobs'], [])

    def test_document_must_be_json_object(self):
        t = self.create_thing()
        for doc in ('not json', '[1, 2]', '"str"', '42', 'null', '{"a":1} trailing', '{"a":',
                    ''):
            with self.subTest(document=doc):
                self.assertAwsError(lambda: self.job(things=[t], document=doc),
                                    'InvalidRequestException', 400)

    def test_document_size_limit(self):
        t = self.create_thing()
        doc = '{"a":"%s"}' % ('x' * (32768 - 8))
        self.assertEqual(len(doc), 32768)
        jid = self.job(things=[t], document=doc)
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], doc)
        big = '{"a":"%s"}' % ('x' * (32768 - 7))
        self.assertAwsError(lambda: self.job(things=[t], document=big),
                            'InvalidRequestException', 400)

    def test_document_sources(self):
        t = self.create_thing()
        jid = self.name('job')
        self.assertAwsError(
            lambda: self.iot.create_job(jobId=jid, targets=[thing_arn(t)], document='{}',
                                        documentSource='https://s3.amazonaws.com/b/k.json'),
            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_job(jobId=jid, targets=[thing_arn(t)]),
                            'InvalidRequestException', 400)

    def test_target_count_limit(self):
        names = ['cap-%03d' % i for i in range(101)]
        for n in names:
            self.iot.create_thing(thingName=n)
        self.assertAwsError(lambda: self.job(things=names), 'InvalidRequestException', 400)
        jid = self.job(things=names[:100])
        self.assertEqual(len(self.execs(jid)), 100)

    def test_target_arns_checked_whole_and_resolved_in_one_pass(self):
        """Issue 15: 100 explicit targets are checked and looked up in one pass. Names
        of every allowed character class, a repeat, one missing thing anywhere in the
        list, and ARNs that are not valid (non-ASCII or spaced names, too long, another
        account or region, no name) answer as before: nothing is created by a refusal."""
        p = self.name('arn')
        names = ['%s:%s_%03d-x' % (p, 'AZaz09'[i % 6], i) for i in range(99)]
        for n in names:
            self.iot.create_thing(thingName=n)
        ok = [thing_arn(n) for n in names]
        for i in (0, 50, 98):
            with self.subTest(missing_at=i):
                t = list(ok)
                t[i] = thing_arn(self.name('ghost'))
                e = self.assertAwsError(lambda: self.create_job(targets=t),
                                        'ResourceNotFoundException', 404)
                self.assertIn(thing_of(t[i]), str(e))
        bad = [thing_arn('caf\u00e9'), thing_arn('a b'), thing_arn('x' * 129),
               thing_arn(''), 'arn:aws:iot:%s:999999999999:thing/%s' % (harness.REGION, names[0]),
               'arn:aws:iot:eu-west-3:%s:thing/%s' % (harness.ACCOUNT, names[0]),
               'arn:aws:iot:%s:%s:device/%s' % (harness.REGION, harness.ACCOUNT, names[0]),
               'not-an-arn']
        for b in bad:
            with self.subTest(bad=b):
                self.assertAwsError(lambda: self.create_job(targets=ok[:60] + [b] + ok[60:]),
                                    'InvalidRequestException', 400)
        self.assertEqual(self.iot.list_jobs()['jobs'], [])
        # all 99 and a repeat of one: 99 executions, each once
        jid = self.create_job(targets=ok + [ok[7]])
        got = self.execs(jid)
        self.assertEqual(sorted(t for t, _, _ in got), sorted(names))
        self.assertTrue(all(st == 'QUEUED' and n == 1 for _, st, n in got))
        # AssociateTargetsWithJob: things the job reached stay as they are, a missing
        # one refuses the whole call, the new ones get their first execution
        cj = self.create_job(targets=ok[:10], targetSelection='CONTINUOUS')
        self.assertAwsError(lambda: self.iot.associate_targets_with_job(
            jobId=cj, targets=ok[5:40] + [thing_arn(self.name('ghost'))]),
            'ResourceNotFoundException', 404)
        self.assertEqual(len(self.execs(cj)), 10)
        self.iot.associate_targets_with_job(jobId=cj, targets=ok[5:60])
        got = self.execs(cj)
        self.assertEqual(sorted(t for t, _, _ in got), sorted(names[:60]))
        self.assertTrue(all(n == 1 for _, _, n in got))
        self.assertEqual(len(self.describe(cj)['targets']), 60)

    def test_bad_target_selection(self):
        t = self.create_thing()
        self.assertAwsError(lambda: self.job(things=[t], targetSelection='BOGUS'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.job(things=[t], targetSelection='snapshot'),
                            'InvalidRequestException', 400)

    def test_bad_ids_and_text(self):
        t = self.create_thing()
        for jid in ('bad id', 'j' * 65, 'a:b', 'a.b'):
            with self.subTest(jobId=jid):
                e = self.assertAwsError(lambda: self.job(job_id=jid, things=[t]),
                                        'InvalidRequestException', 400)
                self.assertIn('jobId', e.response['Error']['Message'])
        self.job(job_id='j' * 64, things=[t])
        self.assertAwsError(lambda: self.job(things=[t], description='bad\x01desc'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.job(things=[t], description='d' * 2029),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.job(things=[t], namespaceId='bad ns'),
                            'InvalidRequestException', 400)

    def test_configs_echoed(self):
        t = self.create_thing()
        cfg = {
            'timeoutConfig': {'inProgressTimeoutInMinutes': 30},
            'jobExecutionsRolloutConfig': {
                'maximumPerMinute': 100,
                'exponentialRate': {'baseRatePerMinute': 10, 'incrementFactor': 2.0,
                                    'rateIncreaseCriteria': {'numberOfNotifiedThings': 5}}},
            'abortConfig': {'criteriaList': [
                {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 50.0,
                 'minNumberOfExecutedThings': 2}]},
            'jobExecutionsRetryConfig': {'criteriaList': [
                {'failureType': 'FAILED', 'numberOfRetries': 3},
                {'failureType': 'TIMED_OUT', 'numberOfRetries': 2}]},
            'presignedUrlConfig': {'roleArn': 'arn:aws:iam::123456789012:role/jobsd-s3',
                                   'expiresInSec': 600},
        }
        jid = self.job(things=[t], description='with configs', **cfg)
        job = self.describe(jid)
        for k, v in cfg.items():
            with self.subTest(member=k):
                self.assertEqual(job.get(k), v)
        self.assertEqual(job['description'], 'with configs')

    _iso = staticmethod(harness.schedule_time)

    def test_scheduling_config(self):
        t = self.create_thing()
        now = self.jobsd.clock_now_ms()
        sc = {'startTime': self._iso(now + 3600 * 1000), 'endTime': self._iso(now + 3 * 3600 * 1000),
              'endBehavior': 'STOP_ROLLOUT'}
        jid = self.job(things=[t], schedulingConfig=sc)
        job = self.describe(jid)
        self.assertEqual(job['status'], 'SCHEDULED')
        self.assertEqual(job['schedulingConfig'], sc)

    def test_config_out_of_range(self):
        t = self.create_thing()
        now = self.jobsd.clock_now_ms()
        ret = lambda *c: {'criteriaList': list(c)}  # noqa: E731
        bad = {
            'in-progress timeout 0': {'timeoutConfig': {'inProgressTimeoutInMinutes': 0}},
            'in-progress timeout 10081': {
                'timeoutConfig': {'inProgressTimeoutInMinutes': 10081}},
            'rollout max 1001': {'jobExecutionsRolloutConfig': {'maximumPerMinute': 1001}},
            'base rate 1001': {'jobExecutionsRolloutConfig': {'exponentialRate': {
                'baseRatePerMinute': 1001, 'incrementFactor': 2.0,
                'rateIncreaseCriteria': {'numberOfNotifiedThings': 5}}}},
            'increment 5.5': {'jobExecutionsRolloutConfig': {'exponentialRate': {
                'baseRatePerMinute': 10, 'incrementFactor': 5.5,
                'rateIncreaseCriteria': {'numberOfNotifiedThings': 5}}}},
            'abort threshold 101': {'abortConfig': {'criteriaList': [
                {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 101.0,
                 'minNumberOfExecutedThings': 1}]}},
            'abort failureType': {'abortConfig': {'criteriaList': [
                {'failureType': 'BOGUS', 'action': 'CANCEL', 'thresholdPercentage': 10.0,
                 'minNumberOfExecutedThings': 1}]}},
            'abort action': {'abortConfig': {'criteriaList': [
                {'failureType': 'ALL', 'action': 'PAUSE', 'thresholdPercentage': 10.0,
                 'minNumberOfExecutedThings': 1}]}},
            'retries 11': {'jobExecutionsRetryConfig': ret(
                {'failureType': 'FAILED', 'numberOfRetries': 11})},
            'retry failureType REJECTED': {'jobExecutionsRetryConfig': ret(
                {'failureType': 'REJECTED', 'numberOfRetries': 1})},
            'retry criteria 3': {'jobExecutionsRetryConfig': ret(
                {'failureType': 'FAILED', 'numberOfRetries': 1},
                {'failureType': 'TIMED_OUT', 'numberOfRetries': 1},
                {'failureType': 'ALL', 'numberOfRetries': 1})},
            'presigned expires 3601': {'presignedUrlConfig': {
                'roleArn': 'arn:aws:iam::123456789012:role/jobsd-s3', 'expiresInSec': 3601}},
        }
        for label, kw in bad.items():
            with self.subTest(label):
                self.assertAwsError(lambda: self.job(things=[t], **kw),
                                    'InvalidRequestException', 400)
        self.assertEqual(self.iot.list_jobs()['jobs'], [])

    def test_scheduling_config_out_of_range(self):
        # spec §4.1 / §9.5: startTime >= now+30 min and <= now+1 year; endTime >= now+30 min,
        # <= now+2 years, 30 min <= end-start <= 2 years; "YYYY-MM-DDTHH:MM".
        t = self.create_thing()
        now = self.jobsd.clock_now_ms()
        hour = 3600 * 1000
        bad = {
            'start in past': {'startTime': self._iso(now - hour)},
            'start in 10 min': {'startTime': self._iso(now + 10 * 60 * 1000)},
            'start after 1 year': {'startTime': self._iso(now + 400 * 24 * hour)},
            'start not a date': {'startTime': 'tomorrow'},
            'end only 20 min after start': {'startTime': self._iso(now + hour),
                                            'endTime': self._iso(now + hour + 20 * 60 * 1000)},
            'end before start': {'startTime': self._iso(now + 3 * hour),
                                 'endTime': self._iso(now + 2 * hour)},
            'bad endBehavior': {'startTime': self._iso(now + hour),
                                'endTime': self._iso(now + 3 * hour), 'endBehavior': 'EXPLODE'},
        }
        for label, sc in bad.items():
            with self.subTest(label):
                self.assertAwsError(lambda: self.job(things=[t], schedulingConfig=sc),
                                    'InvalidRequestException', 400)
        self.assertEqual(self.iot.list_jobs()['jobs'], [])


class DescribeJob(JobsTestCase):

    def test_describe(self):
        t1, t2 = self.things(2)
        g = self.group_with()
        jid = self.job(things=[t1, t2], groups=[g], description='d1')
        job = self.describe(jid)
        self.assertEqual(job['jobId'], jid)
        self.assertEqual(job['jobArn'], job_arn(jid))
        self.assertEqual(job['status'], 'IN_PROGRESS')
        self.assertEqual(job['targetSelection'], 'SNAPSHOT')
        self.assertEqual(job['description'], 'd1')
        self.assertEqual(sorted(job['targets']),
                         sorted([thing_arn(t1), thing_arn(t2), group_arn(g)]))
        self.assertFalse(job.get('forceCanceled', False))
        self.assertNotIn('completedAt', job)
        self.assertNotIn('namespaceId', job)
        self.assertIn('createdAt', job)
        self.assertIn('lastUpdatedAt', job)
        self.assertCounts(jid, Queued=2)

    def test_timestamps_are_epoch_seconds(self):
        # D7: control-plane timestamps are JSON numbers of epoch seconds.
        t = self.create_thing()
        jid = self.job(things=[t])
        now = self.jobsd.clock_now_ms() / 1000.0
        st, _, body = self.jobsd.raw('GET', '/jobs/' + jid)
        self.assertEqual(st, 200, body)
        job = json.loads(body)['job']
        for k in ('createdAt', 'lastUpdatedAt'):
            v = job[k]
            self.assertIsInstance(v, (int, float), k)
            self.assertNotIsInstance(v, bool)
            self.assertLess(abs(v - now), 60, '%s=%r is not epoch seconds near %r' % (k, v, now))
        self.assertNotIn('document', job)

    def test_counts_follow_device_updates(self):
        ts = self.things(5)
        jid = self.job(things=ts)
        self.device(jid, ts[0], 'IN_PROGRESS')
        self.device(jid, ts[1], 'SUCCEEDED')
        self.device(jid, ts[2], 'FAILED')
        self.device(jid, ts[3], 'REJECTED')
        self.assertCounts(jid, Queued=1, InProgress=1, Succeeded=1, Failed=1, Rejected=1)
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')

    def test_describe_unknown(self):
        self.assertAwsError(lambda: self.iot.describe_job(jobId=self.name('nojob')),
                            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.describe_job(jobId='bad id'),
                            'InvalidRequestException', 400)


class ListJobs(JobsTestCase):

    def _ids(self, **kw):
        out, token = [], None
        while True:
            args = dict(kw)
            if token:
                args['nextToken'] = token
            r = self.iot.list_jobs(**args)
            out.extend(j['jobId'] for j in r['jobs'])
            token = r.get('nextToken')
            if not token:
                return out

    def _jobs_in_time_order(self, n, **kw):
        t = kw.pop('thing', None) or self.create_thing()
        ids = []
        for _ in range(n):
            ids.append(self.job(things=[t], **kw))
            self.jobsd.advance_clock(1)
        return ids

    def test_newest_first(self):
        ids = self._jobs_in_time_order(3)
        r = self.iot.list_jobs()
        self.assertEqual([j['jobId'] for j in r['jobs']], ids[::-1])
        self.assertNotIn('nextToken', r)
        j = r['jobs'][0]
        self.assertEqual(j['jobArn'], job_arn(ids[-1]))
        self.assertEqual(j['status'], 'IN_PROGRESS')
        self.assertEqual(j['targetSelection'], 'SNAPSHOT')
        self.assertIn('createdAt', j)

    def test_pagination(self):
        ids = self._jobs_in_time_order(5)
        r1 = self.iot.list_jobs(maxResults=2)
        self.assertEqual([j['jobId'] for j in r1['jobs']], ids[::-1][0:2])
        r2 = self.iot.list_jobs(maxResults=2, nextToken=r1['nextToken'])
        self.assertEqual([j['jobId'] for j in r2['jobs']], ids[::-1][2:4])
        r3 = self.iot.list_jobs(maxResults=2, nextToken=r2['nextToken'])
        self.assertEqual([j['jobId'] for j in r3['jobs']], ids[::-1][4:])
        self.assertNotIn('nextToken', r3)

    def test_pagination_stable_when_jobs_are_added(self):
        ids = self._jobs_in_time_order(4)
        r1 = self.iot.list_jobs(maxResults=2)
        newer = self._jobs_in_time_order(2)
        rest = []
        token = r1['nextToken']
        while token:
            r = self.iot.list_jobs(maxResults=2, nextToken=token)
            rest.extend(j['jobId'] for j in r['jobs'])
            token = r.get('nextToken')
        self.assertEqual([j['jobId'] for j in r1['jobs']] + rest, ids[::-1])
        self.assertEqual(self._ids(), newer[::-1] + ids[::-1])

    def test_bad_paging_args(self):
        self._jobs_in_time_order(1)
        self.assertAwsError(lambda: self.iot.list_jobs(nextToken='bogus'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.list_jobs(maxResults=251),
                            'InvalidRequestException', 400)
        self.assertRawError(self.jobsd.raw('GET', '/jobs?maxResults=0'),
                            'InvalidRequestException', 400)

    def test_status_filter(self):
        t = self.create_thing()
        running = self.job(things=[t])
        canceled = self.job(things=[t])
        self.iot.cancel_job(jobId=canceled)
        t2 = self.create_thing()
        done = self.job(things=[t2])
        self.device(done, t2, 'SUCCEEDED')
        self.assertEqual(self._ids(status='IN_PROGRESS'), [running])
        self.assertEqual(self._ids(status='CANCELED'), [canceled])
        self.assertEqual(self._ids(status='COMPLETED'), [done])
        self.assertEqual(self._ids(status='SCHEDULED'), [])
        self.assertAwsError(lambda: self.iot.list_jobs(status='BOGUS'),
                            'InvalidRequestException', 400)

    def test_target_selection_filter(self):
        t = self.create_thing()
        g = self.group_with()
        snap = self.job(things=[t])
        cont = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.assertEqual(self._ids(targetSelection='SNAPSHOT'), [snap])
        self.assertEqual(self._ids(targetSelection='CONTINUOUS'), [cont])
        r = self.iot.list_jobs(targetSelection='CONTINUOUS')
        self.assertEqual(r['jobs'][0]['targetSelection'], 'CONTINUOUS')
        self.assertAwsError(lambda: self.iot.list_jobs(targetSelection='BOGUS'),
                            'InvalidRequestException', 400)

    def test_thing_group_filter(self):
        t = self.create_thing()
        g1 = self.group_with([t])
        g2 = self.group_with()
        j1 = self.job(groups=[g1])
        self.jobsd.advance_clock(1)
        j2 = self.job(groups=[g1, g2])
        self.jobsd.advance_clock(1)
        self.job(things=[t])
        self.assertEqual(self._ids(thingGroupName=g1), [j2, j1])
        self.assertEqual(self._ids(thingGroupName=g2), [j2])
        self.assertEqual(self._ids(thingGroupName=self.create_group()), [])

    def test_namespace_filter(self):
        t = self.create_thing()
        plain = self.job(things=[t])
        ns = self.job(things=[t], namespaceId='ns1')
        self.assertEqual(self.describe(ns)['namespaceId'], 'ns1')
        self.assertEqual(self._ids(namespaceId='ns1'), [ns])
        self.assertEqual(self._ids(namespaceId='ns2'), [])
        self.assertIn(plain, self._ids())
        self.assertAwsError(lambda: self.iot.list_jobs(namespaceId='bad ns'),
                            'InvalidRequestException', 400)

    def test_combined_filters(self):
        t = self.create_thing()
        g = self.group_with([t])
        cont = self.job(groups=[g], targetSelection='CONTINUOUS')
        snap = self.job(groups=[g])
        self.iot.cancel_job(jobId=snap)
        self.assertEqual(self._ids(thingGroupName=g, status='IN_PROGRESS'), [cont])
        self.assertEqual(self._ids(targetSelection='SNAPSHOT', status='IN_PROGRESS'), [])


class UpdateJob(JobsTestCase):

    def test_update_description_and_configs(self):
        t = self.create_thing()
        jid = self.job(things=[t], description='old')
        r = self.iot.update_job(jobId=jid, description='new',
                                timeoutConfig={'inProgressTimeoutInMinutes': 15},
                                abortConfig={'criteriaList': [
                                    {'failureType': 'ALL', 'action': 'CANCEL',
                                     'thresholdPercentage': 20.0,
                                     'minNumberOfExecutedThings': 3}]})
        self.assertEqual(strip(r), {})
        job = self.describe(jid)
        self.assertEqual(job['description'], 'new')
        self.assertEqual(job['timeoutConfig'], {'inProgressTimeoutInMinutes': 15})
        self.assertEqual(job['abortConfig']['criteriaList'][0]['thresholdPercentage'], 20.0)

    def test_update_empty_body_wire(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        st, h, body = self.jobsd.raw('PATCH', '/jobs/' + jid, {'description': 'x'})
        self.assertEqual(st, 200, body)
        self.assertEqual(body, b'')
        self.assertIn('x-amzn-requestid', h)

    def test_update_unknown(self):
        self.assertAwsError(lambda: self.iot.update_job(jobId=self.name('nojob'),
                                                        description='x'),
                            'ResourceNotFoundException', 404)

    def test_update_validation(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.assertAwsError(lambda: self.iot.update_job(jobId=jid, description='bad\x07'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.update_job(
            jobId=jid, timeoutConfig={'inProgressTimeoutInMinutes': 10081}),
            'InvalidRequestException', 400)


class CancelJob(JobsTestCase):

    def test_cancel_without_force(self):
        q, ip, done = self.things(3)
        jid = self.job(things=[q, ip, done], description='to cancel')
        self.device(jid, ip, 'IN_PROGRESS')
        self.device(jid, done, 'SUCCEEDED')
        r = self.iot.cancel_job(jobId=jid, reasonCode='OPERATOR_STOP_1', comment='stop it')
        self.assertEqual(strip(r), {'jobArn': job_arn(jid), 'jobId': jid,
                                    'description': 'to cancel'})
        self.assertEqual(self.statuses(jid),
                         {q: 'CANCELED', ip: 'IN_PROGRESS', done: 'SUCCEEDED'})
        job = self.describe(jid)
        self.assertEqual(job['status'], 'CANCELED')
        self.assertFalse(job.get('forceCanceled', False))
        self.assertEqual(job['reasonCode'], 'OPERATOR_STOP_1')
        self.assertEqual(job['comment'], 'stop it')
        self.assertCounts(jid, Canceled=1, InProgress=1, Succeeded=1)
        self.assertEqual(self.exec_status(jid, q)['status'], 'CANCELED')
        self.assertFalse(self.exec_status(jid, q).get('forceCanceled', False))
        # The device can still finish its IN_PROGRESS execution.
        self.device(jid, ip, 'SUCCEEDED')
        self.assertEqual(self.exec_status(jid, ip)['status'], 'SUCCEEDED')

    def test_cancel_with_force(self):
        q, ip, done = self.things(3)
        jid = self.job(things=[q, ip, done])
        self.device(jid, ip, 'IN_PROGRESS')
        self.device(jid, done, 'FAILED')
        self.iot.cancel_job(jobId=jid, force=True, reasonCode='BAD_BUILD')
        self.assertEqual(self.statuses(jid), {q: 'CANCELED', ip: 'CANCELED', done: 'FAILED'})
        job = self.describe(jid)
        self.assertEqual(job['status'], 'CANCELED')
        self.assertIs(job['forceCanceled'], True)
        self.assertEqual(job['reasonCode'], 'BAD_BUILD')
        self.assertIs(self.exec_status(jid, ip)['forceCanceled'], True)
        self.assertCounts(jid, Canceled=2, Failed=1)
        # A forced cancel leaves the device unable to update that execution.
        self.assertAwsError(lambda: self.device(jid, ip, 'SUCCEEDED'),
                            'InvalidStateTransitionException', 409)

    def test_cancel_minimal_body(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        st, _, body = self.jobsd.raw('PUT', '/jobs/%s/cancel' % jid, {})
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body), {'jobArn': job_arn(jid), 'jobId': jid})
        self.assertEqual(self.describe(jid)['status'], 'CANCELED')

    def test_bad_reason_code(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        for rc in ('lowercase', 'HAS SPACE', 'R' * 129):
            with self.subTest(reasonCode=rc):
                self.assertAwsError(lambda: self.iot.cancel_job(jobId=jid, reasonCode=rc),
                                    'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.cancel_job(jobId=jid, comment='x\x00y'),
                            'InvalidRequestException', 400)
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')

    def test_cancel_completed_job(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.device(jid, t, 'SUCCEEDED')
        self.assertEqual(self.describe(jid)['status'], 'COMPLETED')
        self.assertAwsError(lambda: self.iot.cancel_job(jobId=jid),
                            'InvalidRequestException', 400)
        self.assertEqual(self.describe(jid)['status'], 'COMPLETED')

    def test_cancel_unknown(self):
        self.assertAwsError(lambda: self.iot.cancel_job(jobId=self.name('nojob')),
                            'ResourceNotFoundException', 404)

    def test_cancel_stops_continuous_rollout(self):
        g = self.group_with()
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.iot.cancel_job(jobId=jid)
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.assertEqual(self.execs(jid), [])


class DeleteJob(JobsTestCase):

    def test_delete_requires_terminal_or_force(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.assertAwsError(lambda: self.iot.delete_job(jobId=jid),
                            'InvalidStateTransitionException', 409)
        self.assertAwsError(lambda: self.iot.delete_job(jobId=jid, force=False),
                            'InvalidStateTransitionException', 409)
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        self.iot.cancel_job(jobId=jid)
        r = self.iot.delete_job(jobId=jid)
        self.assertEqual(strip(r), {})
        self.wait_job_gone(jid)
        self.assertAwsError(lambda: self.iot.get_job_document(jobId=jid),
                            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.list_job_executions_for_job(jobId=jid),
                            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.exec_status(jid, t), 'ResourceNotFoundException', 404)
        self.assertEqual(self.iot.list_job_executions_for_thing(thingName=t)
                         ['executionSummaries'], [])
        self.assertEqual(self.iot.list_jobs()['jobs'], [])

    def test_job_id_reusable_after_deletion(self):
        t = self.create_thing()
        jid = self.job(things=[t], document='{"v":1}')
        self.device(jid, t, 'SUCCEEDED')
        self.iot.delete_job(jobId=jid)
        self.wait_job_gone(jid)
        self.job(job_id=jid, things=[t], document='{"v":2}')
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], '{"v":2}')
        self.assertEqual(self.execs(jid), [(t, 'QUEUED', 1)])

    def test_delete_in_progress_with_force(self):
        t1, t2 = self.things(2)
        jid = self.job(things=[t1, t2])
        self.device(jid, t1, 'IN_PROGRESS')
        self.iot.delete_job(jobId=jid, force=True)
        self.wait_job_gone(jid)
        self.assertAwsError(lambda: self.data.describe_job_execution(jobId=jid, thingName=t1),
                            'ResourceNotFoundException', 404)

    def test_delete_shows_deletion_in_progress_or_gone(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.iot.cancel_job(jobId=jid)
        self.iot.delete_job(jobId=jid)
        try:
            st = self.describe(jid)['status']
        except self.iot.exceptions.ResourceNotFoundException:
            st = None
        self.assertIn(st, (None, 'DELETION_IN_PROGRESS'))
        self.wait_job_gone(jid)

    def test_delete_wire(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.iot.cancel_job(jobId=jid)
        st, h, body = self.jobsd.raw('DELETE', '/jobs/' + jid)
        self.assertEqual(st, 200, body)
        self.assertEqual(body, b'')
        self.assertIn('x-amzn-requestid', h)
        self.wait_job_gone(jid)

    def test_delete_unknown(self):
        self.assertAwsError(lambda: self.iot.delete_job(jobId=self.name('nojob')),
                            'ResourceNotFoundException', 404)

    def test_delete_bad_force(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.assertRawError(self.jobsd.raw('DELETE', '/jobs/%s?force=yes' % jid),
                            'InvalidRequestException', 400)
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')


class GetJobDocument(JobsTestCase):

    def test_verbatim(self):
        t = self.create_thing()
        for doc in ('{"a": 0.35,  "b":[1,2]}',
                    '{\n  "op": "install",\n  "url": "${aws:iot:s3-presigned-url:'
                    'https://s3.amazonaws.com/bucket/key}"\n}',
                    '{"name":"h\u00e9llo \u2713","n":1.50,"e":1E+2}',
                    '{"esc":"\\u00e9\\n","z":-0.0}'):
            with self.subTest(document=doc):
                jid = self.job(things=[t], document=doc)
                self.assertEqual(self.iot.get_job_document(jobId=jid)['document'], doc)

    def test_unknown(self):
        self.assertAwsError(lambda: self.iot.get_job_document(jobId=self.name('nojob')),
                            'ResourceNotFoundException', 404)


class AssociateTargets(JobsTestCase):

    def test_associate_continuous(self):
        t1, t2 = self.things(2)
        g1 = self.group_with([t1])
        g2 = self.group_with([t2])
        jid = self.job(groups=[g1], targetSelection='CONTINUOUS', description='cont')
        self.assertEqual(self.statuses(jid), {t1: 'QUEUED'})
        r = self.iot.associate_targets_with_job(jobId=jid, targets=[group_arn(g2)],
                                                comment='more devices')
        self.assertEqual(r['jobArn'], job_arn(jid))
        self.assertEqual(r['jobId'], jid)
        self.assertEqual(self.statuses(jid), {t1: 'QUEUED', t2: 'QUEUED'})
        self.assertEqual(sorted(self.describe(jid)['targets']),
                         sorted([group_arn(g1), group_arn(g2)]))
        self.assertCounts(jid, Queued=2)

    def test_associate_snapshot_rejected(self):
        t1, t2 = self.things(2)
        g2 = self.group_with([t2])
        jid = self.job(things=[t1])
        self.assertAwsError(lambda: self.iot.associate_targets_with_job(
            jobId=jid, targets=[group_arn(g2)]), 'InvalidRequestException', 400)
        self.assertEqual(self.statuses(jid), {t1: 'QUEUED'})

    def test_associate_canceled_rejected(self):
        g1 = self.group_with()
        g2 = self.group_with([self.create_thing()])
        jid = self.job(groups=[g1], targetSelection='CONTINUOUS')
        self.iot.cancel_job(jobId=jid)
        self.assertAwsError(lambda: self.iot.associate_targets_with_job(
            jobId=jid, targets=[group_arn(g2)]), 'InvalidRequestException', 400)

    def test_associate_unknown(self):
        g = self.group_with()
        self.assertAwsError(lambda: self.iot.associate_targets_with_job(
            jobId=self.name('nojob'), targets=[group_arn(g)]), 'ResourceNotFoundException', 404)
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.assertAwsError(lambda: self.iot.associate_targets_with_job(
            jobId=jid, targets=[group_arn(self.name('ghost'))]),
            'ResourceNotFoundException', 404)


class Lifecycle(JobsTestCase):

    def test_snapshot_completes_when_all_terminal(self):
        t1, t2 = self.things(2)
        jid = self.job(things=[t1, t2])
        self.device(jid, t1, 'SUCCEEDED')
        job = self.describe(jid)
        self.assertEqual(job['status'], 'IN_PROGRESS')
        self.assertNotIn('completedAt', job)
        self.device(jid, t2, 'IN_PROGRESS')
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        self.device(jid, t2, 'FAILED')
        job = self.describe(jid)
        self.assertEqual(job['status'], 'COMPLETED')
        self.assertIn('completedAt', job)
        self.assertCounts(jid, Succeeded=1, Failed=1)

    def test_snapshot_membership_fixed_at_creation(self):
        t1, t2 = self.things(2)
        g = self.group_with([t1])
        jid = self.job(groups=[g])
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t2)
        self.assertEqual(self.statuses(jid), {t1: 'QUEUED'})
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t1)
        self.assertEqual(self.statuses(jid), {t1: 'QUEUED'})

    def test_continuous_add_and_remove(self):
        g = self.group_with()
        child = self.group_with(parent=g)
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        t1, t2 = self.things(2)
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t1)
        self.assertEqual(self.execs(jid), [(t1, 'QUEUED', 1)])
        self.iot.add_thing_to_thing_group(thingGroupName=child, thingName=t2)
        self.assertEqual(self.statuses(jid), {t1: 'QUEUED', t2: 'QUEUED'})
        ex = self.exec_status(jid, t2)
        self.assertEqual(ex['status'], 'QUEUED')
        self.assertEqual(ex['thingArn'], thing_arn(t2))
        self.assertEqual(ex['executionNumber'], 1)
        self.assertEqual(ex['versionNumber'], 1)

        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t1)
        self.assertEqual(self.exec_status(jid, t1)['status'], 'REMOVED')
        self.assertCounts(jid, Queued=1, Removed=1)
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')

        # D4: re-joining queues a new execution with the next number.
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t1)
        ex = self.exec_status(jid, t1)
        self.assertEqual((ex['status'], ex['executionNumber']), ('QUEUED', 2))
        self.assertEqual(self.exec_status(jid, t1, executionNumber=1)['status'], 'REMOVED')

    def test_continuous_remove_in_progress(self):
        g = self.group_with()
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.device(jid, t, 'IN_PROGRESS')
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t)
        self.assertEqual(self.exec_status(jid, t)['status'], 'REMOVED')  # D14

    def test_continuous_remove_from_one_of_two_targets(self):
        # D14: REMOVED only when the thing leaves *every* target group.
        t = self.create_thing()
        g1, g2 = self.group_with([t]), self.group_with([t])
        jid = self.job(groups=[g1, g2], targetSelection='CONTINUOUS')
        self.assertEqual(self.execs(jid), [(t, 'QUEUED', 1)])
        self.iot.remove_thing_from_thing_group(thingGroupName=g1, thingName=t)
        self.assertEqual(self.exec_status(jid, t)['status'], 'QUEUED')
        self.iot.remove_thing_from_thing_group(thingGroupName=g2, thingName=t)
        self.assertEqual(self.exec_status(jid, t)['status'], 'REMOVED')

    def test_continuous_never_completes(self):
        t = self.create_thing()
        g = self.group_with([t])
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.device(jid, t, 'SUCCEEDED')
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        # Already a member with a terminal execution: a repeated add changes nothing.
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.assertEqual(self.execs(jid), [(t, 'SUCCEEDED', 1)])

    def test_delete_thing_removes_pending_executions(self):
        q, ip, done = self.things(3)
        jid = self.job(things=[q, ip, done])
        self.device(jid, ip, 'IN_PROGRESS')
        self.device(jid, done, 'SUCCEEDED')
        for t in (q, ip, done):
            self.iot.delete_thing(thingName=t)
        # D14: the records stay listable by job, pending ones REMOVED.
        self.assertEqual(self.statuses(jid), {q: 'REMOVED', ip: 'REMOVED', done: 'SUCCEEDED'})
        arns = sorted(s['thingArn'] for s in
                      self.iot.list_job_executions_for_job(jobId=jid)['executionSummaries'])
        self.assertEqual(arns, sorted(thing_arn(t) for t in (q, ip, done)))
        counts = self.counts(jid)
        self.assertEqual(counts['numberOfRemovedThings'], 2)
        self.assertEqual(counts['numberOfSucceededThings'], 1)
        self.assertEqual(counts['numberOfQueuedThings'] + counts['numberOfInProgressThings'], 0)

    def test_snapshot_completes_after_things_deleted(self):
        t1, t2 = self.things(2)
        jid = self.job(things=[t1, t2])
        self.device(jid, t1, 'SUCCEEDED')
        self.iot.delete_thing(thingName=t2)
        self.assertEqual(self.describe(jid)['status'], 'COMPLETED')

    def test_continuous_delete_thing(self):
        t = self.create_thing()
        g = self.group_with([t])
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.iot.delete_thing(thingName=t)
        self.assertEqual(self.statuses(jid), {t: 'REMOVED'})
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')

    def test_list_executions_filters_and_pages(self):
        ts = sorted(self.things(5))
        jid = self.job(things=ts)
        self.device(jid, ts[1], 'SUCCEEDED')
        self.device(jid, ts[3], 'SUCCEEDED')
        self.assertEqual([x[0] for x in self.execs(jid, status='SUCCEEDED')], [ts[1], ts[3]])
        self.assertEqual([x[0] for x in self.execs(jid, status='QUEUED', maxResults=2)],
                         [ts[0], ts[2], ts[4]])
        r = self.iot.list_job_executions_for_job(jobId=jid, maxResults=2)
        self.assertEqual(len(r['executionSummaries']), 2)
        self.assertTrue(r.get('nextToken'))
        self.assertAwsError(lambda: self.iot.list_job_executions_for_job(
            jobId=jid, status='BOGUS'), 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.list_job_executions_for_job(
            jobId=jid, nextToken='bogus'), 'InvalidRequestException', 400)



class JobConfigBehaviour(JobsTestCase):
    """What retry, abort, timeout and rollout configurations do (spec §9, D13, D17)."""

    def summaries_for(self, job_id, thing):
        r = self.iot.list_job_executions_for_thing(thingName=thing, jobId=job_id)
        return sorted((s['jobExecutionSummary']['executionNumber'],
                       s['jobExecutionSummary']['status'],
                       s['jobExecutionSummary'].get('retryAttempt', 0))
                      for s in r['executionSummaries'])

    def test_retry_on_failed(self):
        t = self.create_thing()
        jid = self.job(things=[t], jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': 1}]})
        self.device(jid, t, 'FAILED')
        # D13: a new record, number 2, retryAttempt 1; the failed one stays FAILED.
        self.assertEqual(self.summaries_for(jid, t), [(1, 'FAILED', 0), (2, 'QUEUED', 1)])
        self.assertEqual(self.exec_status(jid, t)['executionNumber'], 2)
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        self.device(jid, t, 'FAILED', executionNumber=2)
        self.assertEqual(self.summaries_for(jid, t), [(1, 'FAILED', 0), (2, 'FAILED', 1)])
        self.assertEqual(self.describe(jid)['status'], 'COMPLETED')

    def test_retry_stops_at_success_and_never_for_rejected(self):
        t1, t2 = self.things(2)
        jid = self.job(things=[t1, t2], jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'ALL', 'numberOfRetries': 3}]})
        self.device(jid, t1, 'FAILED')
        self.device(jid, t1, 'SUCCEEDED', executionNumber=2)
        self.device(jid, t2, 'REJECTED')
        self.assertEqual(self.summaries_for(jid, t1), [(1, 'FAILED', 0), (2, 'SUCCEEDED', 1)])
        self.assertEqual(self.summaries_for(jid, t2), [(1, 'REJECTED', 0)])
        self.assertEqual(self.describe(jid)['status'], 'COMPLETED')

    def test_abort_cancels_queued(self):
        ts = sorted(self.things(5))
        jid = self.job(things=ts, abortConfig={'criteriaList': [
            {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 50.0,
             'minNumberOfExecutedThings': 2}]})
        self.device(jid, ts[0], 'IN_PROGRESS')
        self.device(jid, ts[1], 'FAILED')
        # One execution done: below minNumberOfExecutedThings, nothing happens.
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        self.device(jid, ts[2], 'SUCCEEDED')
        # Two done, 50 % failed >= 50 %: the job aborts like CancelJob without force.
        job = self.describe(jid)
        self.assertEqual(job['status'], 'CANCELED')
        self.assertFalse(job.get('forceCanceled', False))
        self.assertTrue(job.get('reasonCode'), 'abort should fill reasonCode')
        self.assertEqual(self.statuses(jid), {ts[0]: 'IN_PROGRESS', ts[1]: 'FAILED',
                                              ts[2]: 'SUCCEEDED', ts[3]: 'CANCELED',
                                              ts[4]: 'CANCELED'})

    def test_abort_below_threshold(self):
        ts = sorted(self.things(4))
        jid = self.job(things=ts, abortConfig={'criteriaList': [
            {'failureType': 'ALL', 'action': 'CANCEL', 'thresholdPercentage': 60.0,
             'minNumberOfExecutedThings': 2}]})
        self.device(jid, ts[0], 'REJECTED')
        self.device(jid, ts[1], 'SUCCEEDED')
        self.assertEqual(self.describe(jid)['status'], 'IN_PROGRESS')
        self.device(jid, ts[2], 'FAILED')   # 2 of 3 = 66.7 % >= 60 %
        self.assertEqual(self.describe(jid)['status'], 'CANCELED')
        self.assertEqual(self.statuses(jid)[ts[3]], 'CANCELED')

    def test_in_progress_timeout(self):
        t1, t2 = self.things(2)
        jid = self.job(things=[t1, t2], timeoutConfig={'inProgressTimeoutInMinutes': 2})
        self.device(jid, t1, 'IN_PROGRESS')
        self.jobsd.advance_clock(60)
        self.assertEqual(self.exec_status(jid, t1)['status'], 'IN_PROGRESS')
        self.jobsd.advance_clock(61)

        def timed_out():
            self.assertEqual(self.exec_status(jid, t1)['status'], 'TIMED_OUT')
        self.eventually(timed_out)
        # The QUEUED one has no timer running.
        self.assertEqual(self.exec_status(jid, t2)['status'], 'QUEUED')
        self.assertCounts(jid, TimedOut=1, Queued=1)
        self.assertAwsError(lambda: self.device(jid, t1, 'SUCCEEDED'),
                            'InvalidStateTransitionException', 409)

    def test_timeout_then_retry(self):
        t = self.create_thing()
        jid = self.job(things=[t], timeoutConfig={'inProgressTimeoutInMinutes': 1},
                       jobExecutionsRetryConfig={'criteriaList': [
                           {'failureType': 'TIMED_OUT', 'numberOfRetries': 1}]})
        self.device(jid, t, 'IN_PROGRESS')
        self.jobsd.advance_clock(61)

        def retried():
            self.assertEqual(self.summaries_for(jid, t),
                             [(1, 'TIMED_OUT', 0), (2, 'QUEUED', 1)])
        self.eventually(retried)

    def test_rollout_pacing(self):
        ts = sorted(self.things(5))
        jid = self.job(things=ts, jobExecutionsRolloutConfig={'maximumPerMinute': 2})
        first = len(self.execs(jid))
        self.assertGreaterEqual(first, 1)
        self.assertLessEqual(first, 2)
        self.assertTrue(self.describe(jid).get('isConcurrent'),
                        'isConcurrent should be true while rolling out')
        self.jobsd.advance_clock(60)

        def more():
            n = len(self.execs(jid))
            self.assertGreater(n, first)
            self.assertLessEqual(n, 4)
        self.eventually(more)
        self.jobsd.advance_clock(120)

        def all_out():
            self.assertEqual([x[0] for x in self.execs(jid)], ts)
            self.assertFalse(self.describe(jid).get('isConcurrent', False))
        self.eventually(all_out)


class Misc(JobsTestCase):

    def test_unknown_members_ignored(self):
        t = self.create_thing()
        jid = self.name('job')
        st, _, body = self.jobsd.raw('PUT', '/jobs/' + jid,
                                     {'targets': [thing_arn(t)], 'document': '{}',
                                      'someFutureMember': {'x': 1}})
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)['jobId'], jid)

    def test_tags_accepted(self):
        t = self.create_thing()
        jid = self.job(things=[t], tags=[{'Key': 'team', 'Value': 'fw'}, {'Key': 'k2'}])
        self.assertEqual(self.describe(jid)['jobId'], jid)

    def test_moto_reset(self):
        t = self.create_thing()
        self.job(things=[t])
        st, _, body = self.jobsd.raw('POST', '/moto-api/reset')
        self.assertEqual(st, 200, body)
        self.assertEqual(self.iot.list_jobs()['jobs'], [])
        self.assertEqual(self.iot.list_things()['things'], [])

    def test_virtual_clock_drives_timestamps(self):
        t = self.create_thing()
        before = self.jobsd.clock_now_ms()
        after = self.jobsd.advance_clock(86400)
        self.assertGreaterEqual(after - before, 86400 * 1000)
        self.assertLess(after - before, 86400 * 1000 + 60000)
        jid = self.job(things=[t])
        st, _, body = self.jobsd.raw('GET', '/jobs/' + jid)
        created = json.loads(body)['job']['createdAt']
        self.assertLess(abs(created - after / 1000.0), 60)



class MoreEdges(JobsTestCase):

    def _fails(self, fn, codes):
        try:
            fn()
        except self.iot.exceptions.ClientError as e:
            code = e.response['Error']['Code']
            self.assertIn((code, e.response['ResponseMetadata']['HTTPStatusCode']), codes)
            return e
        self.fail('call succeeded, expected one of %r' % (codes,))

    def test_bad_target_arns(self):
        t = self.create_thing()
        for arn in ('not-an-arn', 'arn:aws:iot:eu-west-1:%s:thing/%s' % (harness.ACCOUNT, t),
                    'arn:aws:iot:us-east-1:999999999999:thing/%s' % t,
                    'arn:aws:iot:us-east-1:%s:job/%s' % (harness.ACCOUNT, t)):
            with self.subTest(arn=arn):
                self._fails(lambda: self.create_job(targets=[arn]),
                            [('InvalidRequestException', 400),
                             ('ResourceNotFoundException', 404)])

    def test_empty_description_rejected(self):
        t = self.create_thing()
        self.assertAwsError(lambda: self.job(things=[t], description=''),
                            'InvalidRequestException', 400)

    def test_retry_count_can_only_be_lowered_to_zero(self):
        # spec §4.1 UpdateJob / §9.4 [DG]: after creation retries can only be set to 0.
        t = self.create_thing()
        jid = self.job(things=[t], jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': 2}]})
        self.assertAwsError(lambda: self.iot.update_job(
            jobId=jid, jobExecutionsRetryConfig={'criteriaList': [
                {'failureType': 'FAILED', 'numberOfRetries': 3}]}),
            'InvalidRequestException', 400)
        self.iot.update_job(jobId=jid, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': 0}]})
        self.assertEqual(self.describe(jid)['jobExecutionsRetryConfig']['criteriaList'][0]
                         ['numberOfRetries'], 0)

    def test_deleted_thing_execution_still_describable(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.iot.delete_thing(thingName=t)
        ex = self.exec_status(jid, t)
        self.assertEqual(ex['status'], 'REMOVED')
        self.assertEqual(ex['thingArn'], thing_arn(t))

    def test_continuous_remove_from_child_of_target(self):
        g = self.group_with()
        child = self.group_with(parent=g)
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=child, thingName=t)
        self.assertEqual(self.statuses(jid), {t: 'QUEUED'})
        self.iot.remove_thing_from_thing_group(thingGroupName=child, thingName=t)
        self.assertEqual(self.statuses(jid), {t: 'REMOVED'})

    def test_continuous_target_group_deleted(self):
        # Deleting the target group takes its members out of it (D14: REMOVED).
        t = self.create_thing()
        g = self.group_with([t])
        jid = self.job(groups=[g], targetSelection='CONTINUOUS')
        self.iot.delete_thing_group(thingGroupName=g)
        self.assertEqual(self.statuses(jid), {t: 'REMOVED'})

    def test_delete_job_bad_namespace(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.iot.cancel_job(jobId=jid)
        self.assertAwsError(lambda: self.iot.delete_job(jobId=jid, namespaceId='bad ns'),
                            'InvalidRequestException', 400)
        self.assertEqual(self.describe(jid)['status'], 'CANCELED')

    def test_processing_targets_omitted_after_rollout(self):
        t = self.create_thing()
        jid = self.job(things=[t])
        self.assertNotIn('processingTargets', self.describe(jid).get('jobProcessDetails', {}))


if __name__ == '__main__':
    harness.main()
