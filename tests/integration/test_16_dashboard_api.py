"""The dashboard's JSON API on the admin listener (issue 14 item 2, D28; docs/dashboard.md).

  * the static files: content types, the strict Content-Security-Policy, ETag and 304;
  * GET /api/jobs (filters by status and namespace, pages), /api/jobs/{id} (counts,
    rollout, abort thresholds and how close the failures are), its executions (pages,
    status and thing filters, the actions each allows), one execution, a thing;
  * actions through svc, so AWS's rules and errors hold: cancel a job (force), cancel an
    execution, delete one (force needed for a QUEUED or IN_PROGRESS one);
  * /api/stream: server-sent events of the watched jobs whose counts moved, and of a new
    job; nothing else;
  * the browser's session: the token login sets an HttpOnly SameSite=Strict cookie, a
    state-changing request with it needs X-Jobsd-Csrf, a foreign Origin and (without
    auth) a foreign Host are refused.

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_16_dashboard_api.py
"""

import http.client
import json
import os
import shutil
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import admin_addr, admin_request  # noqa: E402
from harness import thing_arn  # noqa: E402

TOKEN = 'dash-token-0123456789abcdef'



def request(jobsd, method, path, body=None, headers=None):
    """(status, lower-case headers, decoded JSON or raw bytes)."""
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs['Content-Type'] = 'application/json'
    status, h, raw = admin_request(jobsd, method, path, data, hdrs)
    if h.get('content-type', '').startswith('application/json') and raw:
        return status, h, json.loads(raw)
    return status, h, raw


class Stream:
    """A GET /api/stream connection, read event by event."""

    def __init__(self, jobsd, jobs, headers=None, execution=None):
        host, port = admin_addr(jobsd).rsplit(':', 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=10)
        path = '/api/stream?jobs=' + urllib.parse.quote(','.join(jobs))
        if execution is not None:
            path += '&execution=' + urllib.parse.quote(execution)
        self.conn.request('GET', path, headers=headers or {})
        self.resp = self.conn.getresponse()

    def next_event(self, timeout=10):
        """(event, data) of the next event (comments skipped)."""
        deadline = time.monotonic() + timeout
        ev, data = 'message', []
        while time.monotonic() < deadline:
            line = self.resp.fp.readline().decode()
            if line == '':
                raise AssertionError('stream closed')
            line = line.rstrip('\r\n')
            if line == '':
                if data:
                    return ev, json.loads('\n'.join(data))
                ev = 'message'
                continue
            if line.startswith(':') or line.startswith('retry:'):
                continue
            k, _, v = line.partition(':')
            v = v[1:] if v.startswith(' ') else v
            if k == 'event':
                ev = v
            elif k == 'data':
                data.append(v)
        raise AssertionError('no event within %s s' % timeout)

    def close(self):
        self.conn.close()


class DashApiTest(harness.JobsdTestCase):
    jobsd_extra_args = ('--admin-listen', '127.0.0.1:0')

    def api(self, method, path, body=None, headers=None):
        return request(self.jobsd, method, path, body, headers)

    def get_ok(self, path):
        st, _, body = self.api('GET', path)
        self.assertEqual(st, 200, body)
        return body

    def things(self, n, prefix='d'):
        names = []
        for i in range(n):
            names.append(self.create_thing('%s-%s-%02d' % (prefix, self.name('x'), i)))
        return names

    # -- static files ----------------------------------------------------------

    def test_static_files_types_csp_and_cache(self):
        st, h, body = self.api('GET', '/')
        self.assertEqual(st, 200)
        self.assertEqual(h['content-type'], 'text/html; charset=utf-8')
        self.assertIn(b'/static/app.js', body)
        csp = h['content-security-policy']
        self.assertIn("script-src 'self'", csp)
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn('unsafe-inline', csp)
        self.assertEqual(h['x-content-type-options'], 'nosniff')
        self.assertEqual(h['cache-control'], 'no-cache')
        for name, ctype in (('app.js', 'text/javascript; charset=utf-8'),
                            ('app.css', 'text/css; charset=utf-8'),
                            ('favicon.svg', 'image/svg+xml')):
            st, h, body = self.api('GET', '/static/' + name)
            self.assertEqual((st, h['content-type']), (200, ctype))
            self.assertTrue(body)
            st2, _, body2 = self.api('GET', '/static/' + name, headers={'If-None-Match': h['etag']})
            self.assertEqual((st2, body2), (304, b''))
        self.assertEqual(self.api('GET', '/static/nope.js')[0], 404)
        self.assertEqual(self.api('GET', '/static/index.html')[0], 404)
        # no inline script in the page (the CSP would block it anyway)
        self.assertNotRegex(self.api('GET', '/')[2], rb'<script>[^<]')

    # -- reads -------------------------------------------------------------------

    def test_jobs_list_filters_pages_and_counts(self):
        ts = self.things(3)
        a = self.job_on(ts)
        b = self.job_on(ts[:1], namespaceId='ota')
        c = self.job_on(ts[:2])
        self.iot.cancel_job(jobId=c)
        self.update_exec(a, ts[0], 'SUCCEEDED')
        d = self.get_ok('/api/jobs')
        self.assertEqual([j['jobId'] for j in d['jobs']], [c, b, a])
        ja = d['jobs'][2]
        self.assertEqual(ja['status'], 'IN_PROGRESS')
        self.assertEqual(ja['total'], 3)
        self.assertEqual(ja['counts']['SUCCEEDED'], 1)
        self.assertEqual(ja['counts']['QUEUED'], 2)
        self.assertEqual([j['jobId'] for j in self.get_ok('/api/jobs?status=CANCELED')['jobs']], [c])
        self.assertEqual([j['jobId'] for j in self.get_ok('/api/jobs?namespace=ota')['jobs']], [b])
        p1 = self.get_ok('/api/jobs?limit=2')
        self.assertEqual([j['jobId'] for j in p1['jobs']], [c, b])
        p2 = self.get_ok('/api/jobs?limit=2&next=' + p1['nextToken'])
        self.assertEqual([j['jobId'] for j in p2['jobs']], [a])
        self.assertNotIn('nextToken', p2)
        for bad in ('status=NOPE', 'limit=0', 'limit=101', 'next=x', 'namespace=a%20b'):
            st, _, body = self.api('GET', '/api/jobs?' + bad)
            self.assertEqual(st, 400, bad)
            self.assertIsInstance(body['message'], str)

    def test_job_rollout_and_abort_closeness(self):
        ts = self.things(4)
        job = self.create_job(
            targets=[thing_arn(t) for t in ts],
            jobExecutionsRolloutConfig={'maximumPerMinute': 2},
            abortConfig={'criteriaList': [{'failureType': 'FAILED', 'action': 'CANCEL',
                                           'thresholdPercentage': 60,
                                           'minNumberOfExecutedThings': 2}]})
        d = self.get_ok('/api/jobs/' + job)
        self.assertTrue(d['rollout']['paced'])
        self.assertEqual(d['rollout']['ratePerMinute'], 2)
        self.assertEqual(d['rollout']['notified'], 2)
        self.assertGreater(d['rollout']['nextBatchAt'], 0)
        queued = [x['thingName'] for x in self.get_ok('/api/jobs/%s/executions' % job)['executions']]
        self.assertEqual(len(queued), 2)
        self.update_exec(job, queued[0], 'FAILED')
        d = self.get_ok('/api/jobs/' + job)
        ab = d['abort'][0]
        self.assertEqual((ab['failureType'], ab['failed'], ab['executed']), ('FAILED', 1, 1))
        self.assertEqual((ab['failedPercentage'], ab['thresholdPercentage']), (100.0, 60.0))
        self.assertFalse(ab['armed'])   # 1 executed < minNumberOfExecutedThings 2
        self.assertEqual(d['job']['counts']['FAILED'], 1)
        self.assertEqual(d['configuration']['jobExecutionsRolloutConfig'], {'maximumPerMinute': 2})
        st, _, body = self.api('GET', '/api/jobs/no-such-job')
        self.assertEqual((st, body['code']), (404, 'ResourceNotFoundException'))
        self.assertEqual(self.api('GET', '/api/jobs/bad%20id')[0], 400)

    def test_executions_pages_filters_and_actions(self):
        ts = self.things(5)
        job = self.job_on(ts)
        self.data.start_next_pending_job_execution(thingName=ts[1])
        self.update_exec(job, ts[2], 'SUCCEEDED', statusDetails={'step': 'done'})
        seen, token = [], ''
        while True:
            d = self.get_ok('/api/jobs/%s/executions?limit=2%s' % (job, '&next=' + urllib.parse.quote(token) if token else ''))
            seen += [x['thingName'] for x in d['executions']]
            self.assertLessEqual(len(d['executions']), 2)
            token = d.get('nextToken')
            if not token:
                break
        self.assertEqual(seen, sorted(ts))
        by = {x['thingName']: x for x in self.get_ok('/api/jobs/%s/executions?limit=100' % job)['executions']}
        self.assertEqual(by[ts[0]]['actions'], {'cancel': 'yes', 'delete': 'force'})
        self.assertEqual(by[ts[1]]['actions'], {'cancel': 'force', 'delete': 'force'})
        self.assertEqual(by[ts[2]]['actions'], {'cancel': 'no', 'delete': 'yes'})
        d = self.get_ok('/api/jobs/%s/executions?status=SUCCEEDED' % job)
        self.assertEqual([x['thingName'] for x in d['executions']], [ts[2]])
        d = self.get_ok('/api/jobs/%s/executions?thing=%s' % (job, ts[3]))
        self.assertEqual([x['thingName'] for x in d['executions']], [ts[3]])
        d = self.get_ok('/api/jobs/%s/executions?thing=%s&status=SUCCEEDED' % (job, ts[3]))
        self.assertEqual(d['executions'], [])
        x = self.get_ok('/api/jobs/%s/executions/%s/1' % (job, ts[2]))['execution']
        self.assertEqual((x['status'], x['statusDetails']), ('SUCCEEDED', {'step': 'done'}))
        st, _, body = self.api('GET', '/api/jobs/%s/executions/%s/9' % (job, ts[2]))
        self.assertEqual((st, body['code']), (404, 'ResourceNotFoundException'))
        for bad in ('status=DONE', 'next=1', 'next=x:y', 'thing=a%20b', 'limit=1000'):
            self.assertEqual(self.api('GET', '/api/jobs/%s/executions?%s' % (job, bad))[0], 400, bad)

    def test_thing_page(self):
        t = self.things(1)[0]
        j1 = self.job_on([t])
        j2 = self.job_on([t])
        d = self.get_ok('/api/things/' + t)
        self.assertEqual(d['thing']['thingName'], t)
        self.assertEqual([x['jobId'] for x in d['executions']], [j2, j1])
        p = self.get_ok('/api/things/%s?limit=1' % t)
        self.assertEqual(len(p['executions']), 1)
        p2 = self.get_ok('/api/things/%s?limit=1&next=%s' % (t, p['nextToken']))
        self.assertEqual([x['jobId'] for x in p2['executions']], [j1])
        d = self.get_ok('/api/things/never-made')
        self.assertEqual((d['thing'], d['executions']), (None, []))

    # -- actions -------------------------------------------------------------------

    def test_cancel_and_delete_follow_aws_rules(self):
        ts = self.things(3)
        job = self.job_on(ts)
        self.data.start_next_pending_job_execution(thingName=ts[1])
        # cancel a QUEUED execution: no force needed
        st, _, body = self.api('POST', '/api/jobs/%s/executions/%s/cancel' % (job, ts[0]), {})
        self.assertEqual(st, 200, body)
        self.assertEqual(self.describe_exec(job, ts[0])['status'], 'CANCELED')
        # IN_PROGRESS: force needed, as CancelJobExecution says
        st, _, body = self.api('POST', '/api/jobs/%s/executions/%s/cancel' % (job, ts[1]), {})
        self.assertEqual((st, body['code']), (409, 'InvalidStateTransitionException'))
        # delete a QUEUED execution: refused without force (D1), done with it
        st, _, body = self.api('DELETE', '/api/jobs/%s/executions/%s/1' % (job, ts[2]))
        self.assertEqual((st, body['code']), (409, 'InvalidStateTransitionException'))
        self.assertEqual(self.describe_exec(job, ts[2])['status'], 'QUEUED')
        st, _, body = self.api('DELETE', '/api/jobs/%s/executions/%s/1?force=true' % (job, ts[2]))
        self.assertEqual(st, 200, body)
        self.assertAwsError(self.iot.describe_job_execution, 'ResourceNotFoundException', 404,
                            jobId=job, thingName=ts[2])
        self.assertEqual(self.api('DELETE', '/api/jobs/%s/executions/%s/1?force=maybe' % (job, ts[1]))[0], 400)
        # cancel the job: without force the IN_PROGRESS one stays; then with force
        st, _, body = self.api('POST', '/api/jobs/%s/cancel' % job, {'reasonCode': 'OPS_STOP', 'comment': 'bad build'})
        self.assertEqual((st, body['status']), (200, 'CANCELED'), body)
        self.assertEqual(self.describe_exec(job, ts[1])['status'], 'IN_PROGRESS')
        j = self.iot.describe_job(jobId=job)['job']
        self.assertEqual((j['status'], j['reasonCode'], j['comment']), ('CANCELED', 'OPS_STOP', 'bad build'))
        st, _, body = self.api('POST', '/api/jobs/%s/cancel' % job, {'force': True})
        self.assertEqual((st, body['forceCanceled']), (200, True), body)
        self.wait_exec(job, ts[1], status='CANCELED')
        for bad in ({'force': 'yes'}, {'reasonCode': 'lower case'}, [1]):
            self.assertEqual(self.api('POST', '/api/jobs/%s/cancel' % job, bad)[0], 400, bad)

    def test_browser_guards(self):
        job = self.job_on(self.things(1))
        st, _, body = self.api('POST', '/api/jobs/%s/cancel' % job, {},
                               headers={'Origin': 'http://evil.example'})
        self.assertEqual(st, 403, body)
        st, _, _ = self.api('POST', '/api/jobs/%s/cancel' % job, {},
                            headers={'Sec-Fetch-Site': 'cross-site'})
        self.assertEqual(st, 403)
        self.assertEqual(self.api('GET', '/api/jobs', headers={'Host': 'evil.example'})[0], 403)
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'IN_PROGRESS')
        addr = admin_addr(self.jobsd)
        st, _, body = self.api('POST', '/api/jobs/%s/cancel' % job, {},
                               headers={'Origin': 'http://' + addr})
        self.assertEqual(st, 200, body)

    # -- live stream ------------------------------------------------------------------

    def test_stream_pushes_what_changed(self):
        ts = self.things(2)
        job = self.job_on(ts)
        other = self.job_on(ts[:1])
        s = Stream(self.jobsd, [job])
        try:
            self.assertEqual(s.resp.status, 200)
            self.assertTrue(s.resp.getheader('Content-Type').startswith('text/event-stream'))
            ev, data = s.next_event()
            self.assertEqual((ev, data['jobId'], data['counts']['QUEUED']), ('job', job, 2))
            self.update_exec(job, ts[0], 'SUCCEEDED')
            ev, data = s.next_event()
            self.assertEqual((ev, data['jobId'], data['counts']['SUCCEEDED']), ('job', job, 1))
            # a change to an unwatched job is not sent; a new job is announced
            self.update_exec(other, ts[0], 'SUCCEEDED')
            new = self.job_on(ts[1:])
            ev, data = s.next_event()
            self.assertEqual(ev, 'jobs')
            self.assertGreater(data['newest'], 0)
            self.iot.cancel_job(jobId=job, force=True)
            ev, data = s.next_event()
            self.assertEqual((ev, data['jobId'], data['status']), ('job', job, 'CANCELED'))
            self.assertNotEqual(new, job)
        finally:
            s.close()
        self.assertEqual(self.api('GET', '/api/stream?jobs=a,,b')[0], 400)
        self.assertEqual(self.api('GET', '/api/stream?jobs=' + ','.join(['j%d' % i for i in range(101)]))[0], 400)

    def test_regression_stream_sends_status_details_only_updates(self):
        """The execution page's stream (?execution=JOB/THING/NUMBER): a device's update that
        changes only statusDetails moves no count of the job, so the job's events never
        showed it and the page kept the old details."""
        ts = self.things(1)
        job = self.job_on(ts)
        self.data.start_next_pending_job_execution(thingName=ts[0])
        s = Stream(self.jobsd, [job], execution='%s/%s/1' % (job, ts[0]))
        try:
            events = {}
            for _ in range(2):   # the first tick: the job and the execution as they are
                ev, data = s.next_event()
                events[ev] = data
            self.assertEqual(set(events), {'job', 'execution'})
            first = events['execution']
            self.assertEqual((first['jobId'], first['thingName'], first['executionNumber'],
                              first['status']), (job, ts[0], 1, 'IN_PROGRESS'))
            self.update_exec(job, ts[0], 'IN_PROGRESS', statusDetails={'progress': '45%'})
            ev, data = s.next_event()
            self.assertEqual((ev, data['status'], data['versionNumber']),
                             ('execution', 'IN_PROGRESS', first['versionNumber'] + 1))
            self.iot.delete_job_execution(jobId=job, thingName=ts[0], executionNumber=1,
                                          force=True)
            while True:   # the job's counts move too: its event may come first
                ev, data = s.next_event()
                if ev == 'execution':
                    break
            self.assertTrue(data['deleted'])
        finally:
            s.close()
        for bad in ('%s/%s' % (job, ts[0]), '%s/%s/0' % (job, ts[0]), '%s/%s/x' % (job, ts[0]),
                    'a b/%s/1' % ts[0], '/t/1'):
            self.assertEqual(self.api('GET', '/api/stream?jobs=%s&execution=%s' % (
                job, urllib.parse.quote(bad, safe='')))[0], 400, bad)


class DashSessionTest(harness.JobsdTestCase):
    """With --admin-token-file: the browser logs in for a session cookie."""

    @classmethod
    def setUpClass(cls):
        cls.tokdir = tempfile.mkdtemp(prefix='jobsd-it-')
        cls.token_file = os.path.join(cls.tokdir, 'admin.token')
        fd = os.open(cls.token_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(TOKEN + '\n')
        cls.jobsd_extra_args = ('--admin-listen', '127.0.0.1:0', '--admin-token-file', cls.token_file)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.tokdir, ignore_errors=True)

    def api(self, method, path, body=None, headers=None):
        return request(self.jobsd, method, path, body, headers)

    def test_login_cookie_csrf(self):
        t = self.create_thing()
        job = self.job_on([t])
        self.assertEqual(self.api('GET', '/')[0], 200)          # the page itself is open
        self.assertEqual(self.api('GET', '/api/jobs')[0], 401)
        st, _, s = self.api('GET', '/api/session')
        self.assertEqual((st, s['mode'], s['authenticated']), (200, 'token', False))
        self.assertNotIn('csrf', s)
        self.assertEqual(self.api('POST', '/api/login', {'token': 'wrong-token-0123456789'})[0], 401)
        self.assertEqual(self.api('POST', '/api/login', {'nope': 1})[0], 400)
        st, h, body = self.api('POST', '/api/login', {'token': TOKEN})
        self.assertEqual(st, 200, body)
        cookie = h['set-cookie']
        for attr in ('HttpOnly', 'SameSite=Strict', 'Path=/'):
            self.assertIn(attr, cookie)
        pair = cookie.split(';', 1)[0]
        csrf = body['csrf']
        ck = {'Cookie': pair}
        self.assertEqual(self.api('GET', '/api/jobs', headers=ck)[0], 200)
        st, _, s = self.api('GET', '/api/session', headers=ck)
        self.assertEqual((s['authenticated'], s['csrf']), (True, csrf))
        # state changes with the cookie need the CSRF header
        self.assertEqual(self.api('POST', '/api/jobs/%s/cancel' % job, {}, headers=ck)[0], 403)
        bad = dict(ck, **{'X-Jobsd-Csrf': '0' * 64})
        self.assertEqual(self.api('POST', '/api/jobs/%s/cancel' % job, {}, headers=bad)[0], 403)
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'IN_PROGRESS')
        good = dict(ck, **{'X-Jobsd-Csrf': csrf})
        st, _, body = self.api('POST', '/api/jobs/%s/cancel' % job, {}, headers=good)
        self.assertEqual(st, 200, body)
        # a tampered or foreign cookie is refused; the bearer token still works
        name, value = pair.split('=', 1)
        tampered = {'Cookie': '%s=%s' % (name, value[:-1] + ('0' if value[-1] != '0' else '1'))}
        self.assertEqual(self.api('GET', '/api/jobs', headers=tampered)[0], 401)
        self.assertEqual(self.api('GET', '/api/jobs', headers={'Authorization': 'Bearer ' + TOKEN})[0], 200)
        s = Stream(self.jobsd, [job], headers=ck)
        try:
            self.assertEqual(s.resp.status, 200)
            ev, data = s.next_event()
            self.assertEqual((ev, data['status']), ('job', 'CANCELED'))
        finally:
            s.close()
        st, h, _ = self.api('POST', '/api/logout')
        self.assertIn('Max-Age=0', h['set-cookie'])


if __name__ == '__main__':
    harness.main()
