"""Pause and resume a rollout, the job timeline, and what-if (issue 14, D28): the jobsd
extensions on the admin listener, through the virtual clock.

  * pause stops new executions (no batch goes out while the clock moves on), resume
    releases the next batch at once and keeps the minute cadence; pausing twice is one
    PAUSED; an unknown job is 404, an ended one 409, AWS-shaped;
  * timers still fire while paused (an in-progress timeout), DescribeJob stays AWS's;
  * a CONTINUOUS job's group joiners wait for the resume;
  * the timeline records CREATED, STARTED, PAUSED (with the comment), RESUMED, COMPLETED,
    CANCELED in time order;
  * what-if's plan equals what the engine then does, wave by wave (the job created after
    the what-if, the clock advanced minute by minute, the executions counted per wave),
    and GET .../plan of the running job is the remainder;
  * what-if validates like CreateJob (same 400 message), and finds missing targets (404);
  * the admin listener's auth: SigV4 admin key or bearer token, others refused.

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_15_pause_whatif.py
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.exceptions  # noqa: E402

import harness  # noqa: E402
from harness import admin_addr, admin_request  # noqa: E402
from harness import group_arn, thing_arn  # noqa: E402

TOKEN = 'pause-token-0123456789abcdef'



def admin_call(jobsd, method, path, body=None, headers=None):
    """(status, headers (lower-case), parsed JSON body or raw bytes)."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    status, h, raw = admin_request(jobsd, method, path, data, headers)
    try:
        return status, h, json.loads(raw)
    except ValueError:
        return status, h, raw


class PauseBase(harness.JobsdTestCase):
    jobsd_extra_args = ('--admin-listen', '127.0.0.1:0')
    eventually_timeout = 10.0

    def admin(self, method, path, body=None, status=200):
        st, h, doc = admin_call(self.jobsd, method, path, body)
        self.assertEqual(st, status, doc)
        return h, doc

    def pause(self, job, comment=None, status=200):
        return self.admin('POST', '/api/jobs/%s/pause' % job,
                          {'comment': comment} if comment is not None else None, status)[1]

    def resume(self, job, status=200):
        return self.admin('POST', '/api/jobs/%s/resume' % job, None, status)[1]

    def timeline(self, job):
        return [e['event'] for e in self.admin('GET', '/api/jobs/%s/timeline' % job)[1]['events']]

    def n_execs(self, job):
        return len(harness.all_pages(self.iot.list_job_executions_for_job, 'executionSummaries',
                                     jobId=job))

    def wait_execs(self, job, n):
        def probe():
            self.assertEqual(self.n_execs(job), n)
        self.eventually(probe)

    def things(self, n, prefix='th'):
        return [self.create_thing(self.name(prefix)) for _ in range(n)]

    def paced(self, things, per_minute, **kw):
        job = self.name('job')
        self.iot.create_job(jobId=job, targets=[thing_arn(t) for t in things],
                            document='{"op":"x"}',
                            jobExecutionsRolloutConfig={'maximumPerMinute': per_minute}, **kw)
        return job


class TestPause(PauseBase):

    def test_pause_stops_new_executions_and_resume_restarts_them(self):
        things = self.things(7)
        job = self.paced(things, 2)
        control = self.paced(things, 2)       # the same rollout, never paused: a barrier
        self.wait_execs(job, 2)
        doc = self.pause(job, 'looks wrong')
        self.assertEqual(doc['jobId'], job)
        self.assertIs(doc['paused'], True)
        paused_at = doc['pausedAt']
        self.assertLessEqual(abs(paused_at - self.jobsd.clock_now_ms()), 5000)
        r = self.admin('GET', '/api/jobs/%s/rollout' % job)[1]
        self.assertEqual((r['paused'], r['held'], r['nextBatchAt'], r['queued'], r['total'],
                          r['maximumPerMinute'], r['status']),
                         (True, True, None, 5, 7, 2, 'IN_PROGRESS'))
        for minute in (1, 2):
            self.jobsd.advance_clock(60)
            # the control job's batch is out: a timer pass ran at the new time
            self.wait_execs(control, 2 + 2 * minute)
            self.assertEqual(self.n_execs(job), 2)
        # DescribeJob stays AWS-shaped: no pause member, status unchanged
        d = self.iot.describe_job(jobId=job)['job']
        self.assertEqual(d['status'], 'IN_PROGRESS')
        self.assertNotIn('paused', json.dumps(d, default=str).lower())
        # resume: the next batch at once, then one a minute from now
        doc = self.resume(job)
        self.assertEqual((doc['paused'], doc['pausedAt']), (False, None))
        self.assertEqual(self.n_execs(job), 4)   # released in the resume's own transaction
        r = self.admin('GET', '/api/jobs/%s/rollout' % job)[1]
        self.assertLessEqual(abs(r['nextBatchAt'] - (self.jobsd.clock_now_ms() + 60000)), 5000)
        self.jobsd.advance_clock(60)
        self.wait_execs(job, 6)
        self.jobsd.advance_clock(60)
        self.wait_execs(job, 7)
        events = self.admin('GET', '/api/jobs/%s/timeline' % job)[1]['events']
        self.assertEqual([e['event'] for e in events], ['CREATED', 'STARTED', 'PAUSED', 'RESUMED'])
        self.assertEqual(events[2]['detail'], 'looks wrong')
        self.assertEqual(events[2]['at'], paused_at)
        self.assertEqual([e['at'] for e in events], sorted(e['at'] for e in events))

    def test_idempotent_and_refusals(self):
        things = self.things(3)
        job = self.paced(things, 1)
        first = self.pause(job)
        self.jobsd.advance_clock(5)
        again = self.pause(job, 'twice')
        self.assertEqual(again, first)            # nothing changed, same pausedAt
        self.assertEqual(self.timeline(job), ['CREATED', 'STARTED', 'PAUSED'])
        self.resume(job)
        self.assertEqual(self.resume(job)['paused'], False)
        self.assertEqual(self.timeline(job), ['CREATED', 'STARTED', 'PAUSED', 'RESUMED'])
        # unknown job: 404, AWS-shaped
        st, h, doc = admin_call(self.jobsd, 'POST', '/api/jobs/nope/pause')
        self.assertEqual((st, h.get('x-amzn-errortype')), (404, 'ResourceNotFoundException'))
        self.assertIn('nope', doc['message'])
        for path in ('rollout', 'timeline', 'plan'):
            self.assertEqual(admin_call(self.jobsd, 'GET', '/api/jobs/nope/' + path)[0], 404)
        # bad bodies: 400
        for body in (b'{', b'[]', {'comment': 5}, {'comment': 'x' * 2029}):
            st, h, doc = admin_call(self.jobsd, 'POST', '/api/jobs/%s/pause' % job, body)
            self.assertEqual((st, h.get('x-amzn-errortype')), (400, 'InvalidRequestException'),
                             (body, doc))
        self.pause(job, 'y' * 2028)
        self.assertEqual(admin_call(self.jobsd, 'GET', '/api/jobs/%s/pause' % job)[0], 405)
        # an ended job: 409 for both
        self.iot.cancel_job(jobId=job)
        self.assertEqual(self.timeline(job)[-1], 'CANCELED')
        for verb in ('pause', 'resume'):
            st, h, _ = admin_call(self.jobsd, 'POST', '/api/jobs/%s/%s' % (job, verb))
            self.assertEqual((st, h.get('x-amzn-errortype')), (409, 'ConflictException'))
        # the timeline goes with the job
        self.iot.delete_job(jobId=job, force=True)

        def gone():
            self.assertEqual(admin_call(self.jobsd, 'GET', '/api/jobs/%s/timeline' % job)[0], 404)
        self.eventually(gone)

    def test_timers_fire_while_paused(self):
        things = self.things(3)
        job = self.paced(things, 1, timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.wait_execs(job, 1)
        first = self.iot.list_job_executions_for_job(jobId=job)['executionSummaries'][0]
        thing = first['thingArn'].rsplit('/', 1)[1]
        self.update_exec(job, thing, 'IN_PROGRESS')
        self.pause(job)
        self.jobsd.advance_clock(61)
        self.wait_exec(job, thing, status='TIMED_OUT')
        self.assertEqual(self.n_execs(job), 1)      # and still no new execution

    def test_continuous_joiners_wait_for_resume(self):
        grp = self.create_group()
        a, b = self.things(2)
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=a)
        job = self.create_job(targets=[group_arn(grp)], targetSelection='CONTINUOUS')
        self.wait_exec(job, a, status='QUEUED')
        self.pause(job)
        self.iot.add_thing_to_thing_group(thingGroupName=grp, thingName=b)
        self.assertEqual(self.n_execs(job), 1)
        self.resume(job)
        self.wait_exec(job, b, status='QUEUED')
        self.assertEqual(self.n_execs(job), 2)

    def test_timeline_of_a_completed_job(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.update_exec(job, t, 'SUCCEEDED')

        def done():
            self.assertEqual(self.timeline(job), ['CREATED', 'STARTED', 'COMPLETED'])
        self.eventually(done)


class TestWhatIf(PauseBase):

    def body(self, things, rollout, **kw):
        b = {'targets': [thing_arn(t) for t in things], 'document': '{"op":"x"}',
             'jobExecutionsRolloutConfig': rollout}
        b.update(kw)
        return b

    def test_plan_equals_engine_wave_by_wave(self):
        things = self.things(40)
        rollout = {'maximumPerMinute': 12,
                   'exponentialRate': {'baseRatePerMinute': 2, 'incrementFactor': 2,
                                       'rateIncreaseCriteria': {'numberOfNotifiedThings': 4}}}
        body = self.body(things, rollout)
        _, plan = self.admin('POST', '/api/whatif', body)
        now = plan['now']   # the virtual clock runs on in real time between calls
        self.assertEqual((plan['things'], plan['executions'], plan['never']), (40, 40, 0))
        self.assertEqual(plan['notes'], [])
        waves = plan['waves']
        self.assertEqual(waves[-1]['cumulative'], 40)
        self.assertEqual(plan['earliestCompletion'], waves[-1]['at'])
        self.assertEqual(plan['wavesTotal'], len(waves))
        self.assertEqual([w['at'] for w in waves], [now + 60000 * i for i in range(len(waves))])
        # same configuration, created now: the engine's executions, minute by minute
        job = self.name('job')
        del body['document']
        self.iot.create_job(jobId=job, document='{"op":"x"}', **{
            k: v for k, v in body.items()})
        self.wait_execs(job, waves[0]['cumulative'])
        # the plan of the running job is the remainder, on the job's own minute
        _, rest = self.admin('GET', '/api/jobs/%s/plan' % job)
        shift = rest['waves'][0]['at'] - waves[1]['at']
        self.assertLess(abs(shift), 5000)
        self.assertEqual([(w['at'] - shift, w['count'], w['cumulative']) for w in rest['waves']],
                         [(w['at'], w['count'], w['cumulative']) for w in waves[1:]])
        for w in waves[1:]:
            self.jobsd.advance_clock(60)
            self.wait_execs(job, w['cumulative'])
        self.jobsd.advance_clock(60)
        self.wait_execs(job, 40)

    def test_whatif_windows_and_end(self):
        things = self.things(5)
        now = self.jobsd.clock_now_ms()
        start = (now // 3600000 + 2) * 3600000        # a whole hour 60..120 min ahead
        body = self.body(things, {'maximumPerMinute': 2}, schedulingConfig={
            'startTime': harness.schedule_time(start),
            'maintenanceWindows': [{'startTime': 'cron(0 * * * ? *)', 'durationInMinutes': 1}]})
        _, plan = self.admin('POST', '/api/whatif', body)
        # one batch per window (it lasts a minute): 2 at each full hour
        self.assertEqual([(w['at'] - start, w['count']) for w in plan['waves']],
                         [(0, 2), (3600000, 2), (7200000, 1)])
        self.assertEqual(plan['windows'], [{'start': start + h * 3600000,
                                            'end': start + h * 3600000 + 60000}
                                           for h in range(3)])
        body['schedulingConfig']['endTime'] = harness.schedule_time(start + 3600000 + 120000)
        _, plan = self.admin('POST', '/api/whatif', body)
        self.assertEqual((plan['executions'], plan['never']), (4, 1))
        self.assertTrue(any('endTime' in n for n in plan['notes']), plan['notes'])

    def test_windows_plan_engine_and_pause_compose(self):
        """A windowed rollout: the engine follows the plan's first waves; then a pause
        holds it through the next window's opening, and the resume releases at once."""
        things = self.things(7)
        now = self.jobsd.clock_now_ms()
        start = (now // 3600000 + 2) * 3600000        # a whole hour 60..120 min ahead
        body = self.body(things, {'maximumPerMinute': 2}, schedulingConfig={
            'startTime': harness.schedule_time(start),
            'maintenanceWindows': [{'startTime': 'cron(0 * * * ? *)', 'durationInMinutes': 2}]})
        _, plan = self.admin('POST', '/api/whatif', body)
        self.assertEqual([(w['at'] - start, w['count'], w['cumulative']) for w in plan['waves']],
                         [(0, 2, 2), (60000, 2, 4), (3600000, 2, 6), (3660000, 1, 7)])
        job = self.name('job')
        self.iot.create_job(jobId=job, **body)
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'SCHEDULED')
        self.jobsd.advance_clock((start - self.jobsd.clock_now_ms()) // 1000 + 5)
        self.wait_execs(job, plan['waves'][0]['cumulative'])
        self.jobsd.advance_clock(61)
        self.wait_execs(job, plan['waves'][1]['cumulative'])
        # paused; the window closes, and the next one opens: nothing goes out
        self.pause(job, 'hold it')
        self.jobsd.advance_clock(61)

        def status(want):
            def probe():
                self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], want)
            self.eventually(probe)
        status('SCHEDULED')
        self.jobsd.advance_clock((start + 3600000 - self.jobsd.clock_now_ms()) // 1000 + 5)
        status('IN_PROGRESS')
        self.assertEqual(self.n_execs(job), 4)
        tl = self.admin('GET', '/api/jobs/%s/timeline' % job)[1]['events']
        self.assertEqual([e['event'] for e in tl],
                         ['CREATED', 'SCHEDULED', 'WINDOW_OPENED', 'STARTED', 'PAUSED',
                          'WINDOW_CLOSED', 'WINDOW_OPENED'])
        self.assertEqual(tl[-1]['detail'], 'the rollout stays paused')
        # the plan of the paused job: from a resume now
        _, rest = self.admin('GET', '/api/jobs/%s/plan' % job)
        self.assertEqual([w['count'] for w in rest['waves']], [2, 1])
        self.assertTrue(any('paused' in n for n in rest['notes']), rest['notes'])
        self.resume(job)
        self.assertEqual(self.n_execs(job), 6)

    def test_whatif_validates_like_create_job(self):
        t = self.create_thing()
        for bad in ({'targets': []}, {'document': '{}'},
                    {'targets': [thing_arn(t)], 'jobExecutionsRolloutConfig': {'maximumPerMinute': 0}},
                    {'targets': [thing_arn(t)], 'targetSelection': 'SOMETIMES'},
                    {'targets': [thing_arn(t)], 'schedulingConfig': {'endBehavior': 'LATER'}}):
            st, h, doc = admin_call(self.jobsd, 'POST', '/api/whatif', bad)
            create = dict(bad)
            create.setdefault('document', '{}')
            # CreateJob on the control listener, as raw JSON (boto3 checks some first)
            cst, ch, cbody = self.jobsd.raw('PUT', '/jobs/' + self.name('j'),
                                            json.dumps(create).encode(),
                                            {'Content-Type': 'application/json'})
            self.assertEqual(cst, 400, cbody)
            self.assertEqual((st, h.get('x-amzn-errortype'), doc['message']),
                             (400, ch['x-amzn-errortype'], json.loads(cbody)['message']), bad)
        st, h, doc = admin_call(self.jobsd, 'POST', '/api/whatif',
                                {'targets': [thing_arn('missing-thing')]})
        self.assertEqual((st, h.get('x-amzn-errortype')), (404, 'ResourceNotFoundException'))
        # nothing was created
        self.assertEqual(self.iot.list_jobs()['jobs'], [])
        # no rollout config: everything at once
        _, plan = self.admin('POST', '/api/whatif', {'targets': [thing_arn(t)]})
        self.assertEqual([w['count'] for w in plan['waves']], [1])
        self.assertEqual(len(plan['notes']), 1)


class TestAdminAuth(harness.JobsdTestCase):
    """With auth on: a SigV4 signature by an admin key, or the bearer token."""

    jobsd_credentials = [('AKIDADMIN0000000', 'admin-secret'),
                         ('AKIDPLAIN0000000', 'plain-secret', False)]

    @classmethod
    def setUpClass(cls):
        cls.tokdir = tempfile.mkdtemp(prefix='jobsd-it-')
        cls.token_file = os.path.join(cls.tokdir, 'admin.token')
        fd = os.open(cls.token_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(TOKEN + '\n')
        cls.jobsd_extra_args = ('--admin-listen', '127.0.0.1:0', '--admin-token-file',
                                cls.token_file)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.tokdir, ignore_errors=True)

    def signed(self, method, path, body, key, secret):
        url = 'http://%s%s' % (admin_addr(self.jobsd), path)
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), 'iot',
                                harness.REGION).add_auth(req)
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}

    def test_auth_rules(self):
        t = self.create_thing()
        job = self.create_job(targets=[thing_arn(t)])
        path = '/api/jobs/%s/pause' % job
        self.assertEqual(admin_call(self.jobsd, 'POST', path)[0], 401)
        self.assertEqual(admin_call(self.jobsd, 'POST', path, headers={
            'Authorization': 'Bearer wrong-token-0123456789'})[0], 401)
        h = self.signed('POST', path, b'', 'AKIDPLAIN0000000', 'plain-secret')
        self.assertEqual(admin_call(self.jobsd, 'POST', path, b'', h)[0], 403)
        h = self.signed('POST', path, b'', 'AKIDADMIN0000000', 'admin-secret')
        st, _, doc = admin_call(self.jobsd, 'POST', path, b'', h)
        self.assertEqual((st, doc['paused']), (200, True), doc)
        body = json.dumps({'targets': [thing_arn(t)]}).encode()
        st, _, doc = admin_call(self.jobsd, 'POST', '/api/whatif', body,
                                {'Authorization': 'Bearer ' + TOKEN})
        self.assertEqual((st, doc['executions']), (200, 1), doc)
        st, _, doc = admin_call(self.jobsd, 'GET', '/api/jobs/%s/timeline' % job,
                                headers={'Authorization': 'Bearer ' + TOKEN})
        self.assertEqual([e['event'] for e in doc['events']], ['CREATED', 'STARTED', 'PAUSED'])


if __name__ == '__main__':
    harness.main()
