"""SigV4 verification (D18): jobsd started with --auth sigv4 --credentials-file.

boto3 and the aws CLI with a listed key work on both services and both listeners; a wrong
secret, an unknown key, no signature, a tampered body or query, a replayed (20 minutes old)
or future request, and a scope for another service are refused with 403 and AWS's error
codes, and leave the store unchanged. Requests the tests tamper with are signed by botocore
and sent raw with http.client.
"""

import datetime
import json
import os
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions

import harness

KEY, SECRET = 'AKIDJOBSDTEST0001', 'test-secret/with+chars=0001'
KEY2, SECRET2 = 'AKIDJOBSDTEST0002', 'second-secret-0002'

BADSIG_MSG = ('The request signature we calculated does not match the signature you provided. '
              'Check your AWS Secret Access Key and signing method. Consult the service '
              'documentation for details.')


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def sign(jobsd, method, path, body=b'', headers=None, plane='control', service='iot',
         key=KEY, secret=SECRET, when=None):
    """Sign with botocore exactly as boto3 would; returns the headers to send."""
    url = (jobsd.control_url if plane == 'control' else jobsd.data_url) + path
    hdrs = dict(headers or {})
    if body and 'Content-Type' not in hdrs:
        hdrs['Content-Type'] = 'application/json'
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers=hdrs, data=body)
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service,
                                     harness.REGION)
    with mock.patch('botocore.auth.get_current_datetime', return_value=when or utcnow()):
        signer.add_auth(req)
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}


class AuthTest(harness.JobsdTestCase):
    jobsd_credentials = [(KEY, SECRET), (KEY2, SECRET2)]

    def client(self, service, url, key=KEY, secret=SECRET):
        return harness.boto_client(service, url, key, secret)

    def assert_forbidden(self, resp, code, message=None):
        doc = self.assertRawError(resp, code, 403)
        self.assertEqual(resp[1].get('content-type'), 'application/json')
        self.assertIn('x-amzn-requestid', resp[1])
        if message is not None:
            self.assertTrue(doc['message'].startswith(message), doc['message'])
        return doc

    def assert_no_thing(self, name):
        self.assertAwsError(self.iot.describe_thing, 'ResourceNotFoundException', 404,
                            thingName=name)

    # -- accepted ------------------------------------------------------------

    def test_boto3_both_services_both_listeners(self):
        t = self.create_thing()
        job = self.create_job(targets=[harness.thing_arn(t)])
        for url in (self.jobsd.control_url, self.jobsd.data_url):
            iot = self.client('iot', url)
            self.assertEqual(iot.describe_thing(thingName=t)['thingName'], t)
            self.assertEqual(iot.describe_job(jobId=job)['job']['jobId'], job)
            data = self.client('iot-jobs-data', url)
            pending = data.get_pending_job_executions(thingName=t)
            self.assertEqual([x['jobId'] for x in pending['queuedJobs']], [job])
        # the second key of the file works too
        iot2 = self.client('iot', self.jobsd.control_url, KEY2, SECRET2)
        self.assertEqual(iot2.describe_thing(thingName=t)['thingName'], t)

    def test_colon_thing_and_next(self):
        t = 'a:b-' + self.name('x')
        self.create_thing(t)
        job = self.create_job(targets=[harness.thing_arn(t)])
        # GET .../jobs/%24next and PUT .../jobs/$next (as boto3 sends them)
        d = self.data.describe_job_execution(thingName=t, jobId='$next')
        self.assertEqual(d['execution']['jobId'], job)
        s = self.data.start_next_pending_job_execution(thingName=t)
        self.assertEqual(s['execution']['status'], 'IN_PROGRESS')
        u = self.data.update_job_execution(thingName=t, jobId=job, status='SUCCEEDED',
                                         includeJobExecutionState=True)
        self.assertEqual(u['executionState']['status'], 'SUCCEEDED')
        x = self.iot.describe_job_execution(thingName=t, jobId=job)
        self.assertEqual(x['execution']['status'], 'SUCCEEDED')
        r = self.iot.list_job_executions_for_thing(thingName=t, maxResults=1)
        self.assertEqual(len(r['executionSummaries']), 1)
        self.iot.delete_job_execution(jobId=job, thingName=t, executionNumber=1)

    def test_pagination_token_in_query(self):
        names = sorted(self.create_thing() for _ in range(3))
        got, kw = [], {}
        while True:
            page = self.iot.list_things(maxResults=1, **kw)
            got += [x['thingName'] for x in page['things']]
            if not page.get('nextToken'):
                break
            kw['nextToken'] = page['nextToken']
        self.assertEqual([n for n in got if n in names], names)

    def test_aws_cli(self):
        t = self.name('cli')
        self.jobsd.aws('iot', 'create-thing', '--thing-name', t)
        _, out, _ = self.jobsd.aws('iot', 'describe-thing', '--thing-name', t)
        self.assertEqual(out['thingName'], t)
        _, out, _ = self.jobsd.aws('iot-jobs-data', 'get-pending-job-executions',
                                   '--thing-name', t, plane='data')
        self.assertEqual(out['queuedJobs'], [])

    def test_aws_cli_bad_key(self):
        saved = self.jobsd.access_key
        self.jobsd.access_key = 'AKIDNOTINTHEFILE'
        try:
            rc, _, err = self.jobsd.aws('iot', 'create-thing', '--thing-name', 'x', check=False)
        finally:
            self.jobsd.access_key = saved
        self.assertNotEqual(rc, 0)
        self.assertIn('UnrecognizedClientException', err)
        self.assert_no_thing('x')

    def test_presigned_url(self):
        t = self.create_thing()
        url = self.iot.generate_presigned_url('describe_thing', Params={'thingName': t},
                                              ExpiresIn=60)
        with urllib.request.urlopen(url, timeout=30) as r:
            self.assertEqual(json.loads(r.read())['thingName'], t)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=61'), timeout=30)
        self.assertEqual(cm.exception.code, 403)
        self.assertEqual(cm.exception.headers['x-amzn-ErrorType'], 'InvalidSignatureException')

    def test_rig_endpoints_need_an_admin_signature(self):
        # Was test_rig_endpoints_unsigned, which asserted the hole of issue 13 item 5:
        # with auth on, unsigned test-rig requests are refused on both listeners
        # (tests/integration/test_92_rig_hostile.py has the rest).
        status, _, _ = self.jobsd.raw('POST', '/_jobsd/reset')
        self.assertEqual(status, 403)
        status, _, _ = self.jobsd.raw('GET', '/_jobsd/clock', plane='data')
        self.assertEqual(status, 403)

    # -- refused -------------------------------------------------------------

    def test_wrong_secret(self):
        iot = self.client('iot', self.jobsd.control_url, KEY, 'not-the-secret')
        e = self.assertAwsError(iot.create_thing, 'InvalidSignatureException', 403, thingName='w1')
        self.assertEqual(e.response['Error']['Message'], BADSIG_MSG)
        data = self.client('iot-jobs-data', self.jobsd.data_url, KEY, 'not-the-secret')
        self.assertAwsError(data.get_pending_job_executions, 'InvalidSignatureException', 403,
                            thingName='w1')
        self.assert_no_thing('w1')

    def test_unknown_key(self):
        iot = self.client('iot', self.jobsd.control_url, 'AKIDUNKNOWN00000', SECRET)
        e = self.assertAwsError(iot.create_thing, 'UnrecognizedClientException', 403,
                                thingName='u1')
        self.assertEqual(e.response['Error']['Message'],
                         'The security token included in the request is invalid.')
        self.assert_no_thing('u1')

    def test_unsigned(self):
        for plane in ('control', 'data'):
            resp = self.jobsd.raw('POST', '/things/n1', {}, plane=plane)
            self.assert_forbidden(resp, 'MissingAuthenticationTokenException',
                                  'Missing Authentication Token')
        resp = self.jobsd.raw('GET', '/things/n1/jobs', plane='data')
        self.assert_forbidden(resp, 'MissingAuthenticationTokenException')
        self.assert_no_thing('n1')

    def test_malformed_authorization(self):
        resp = self.jobsd.raw('POST', '/things/m1', {}, headers={'Authorization': 'Bearer xyz'})
        self.assert_forbidden(resp, 'IncompleteSignatureException')
        self.assert_no_thing('m1')

    def test_signed_raw_baseline(self):
        # the helper itself produces requests jobsd accepts
        body = json.dumps({}).encode()
        h = sign(self.jobsd, 'POST', '/things/raw-ok', body)
        status, _, data = self.jobsd.raw('POST', '/things/raw-ok', body, h)
        self.assertEqual(status, 200, data)
        self.assertEqual(self.iot.describe_thing(thingName='raw-ok')['thingName'], 'raw-ok')

    def test_tampered_body(self):
        t = self.create_thing()
        body = json.dumps({'targets': [harness.thing_arn(t)], 'document': '{"a":1}'}).encode()
        h = sign(self.jobsd, 'PUT', '/jobs/tb-1', body)
        evil = body.replace(b'{\\"a\\":1}', b'{\\"a\\":2}')
        self.assertNotEqual(evil, body)
        resp = self.jobsd.raw('PUT', '/jobs/tb-1', evil, h)
        doc = self.assert_forbidden(resp, 'InvalidSignatureException')
        self.assertEqual(doc['message'], BADSIG_MSG)
        self.assertAwsError(self.iot.describe_job, 'ResourceNotFoundException', 404, jobId='tb-1')

    def test_tampered_query(self):
        t = self.create_thing()
        job = self.create_job(targets=[harness.thing_arn(t)])
        path = '/things/%s/jobs/%s/executionNumber/1' % (t, job)
        h = sign(self.jobsd, 'DELETE', path + '?force=false')
        resp = self.jobsd.raw('DELETE', path + '?force=true', None, h)
        self.assert_forbidden(resp, 'InvalidSignatureException')
        x = self.iot.describe_job_execution(thingName=t, jobId=job)
        self.assertEqual(x['execution']['status'], 'QUEUED')
        # a parameter added after signing
        h = sign(self.jobsd, 'DELETE', path)
        resp = self.jobsd.raw('DELETE', path + '?force=true', None, h)
        self.assert_forbidden(resp, 'InvalidSignatureException')
        self.iot.describe_job_execution(thingName=t, jobId=job)

    def test_replayed_old_request(self):
        body = b'{}'
        h = sign(self.jobsd, 'POST', '/things/old-1', body,
                 when=utcnow() - datetime.timedelta(minutes=20))
        resp = self.jobsd.raw('POST', '/things/old-1', body, h)
        self.assert_forbidden(resp, 'InvalidSignatureException', 'Signature expired: ')
        h = sign(self.jobsd, 'POST', '/things/old-1', body,
                 when=utcnow() + datetime.timedelta(minutes=20))
        resp = self.jobsd.raw('POST', '/things/old-1', body, h)
        self.assert_forbidden(resp, 'InvalidSignatureException', 'Signature not yet current: ')
        self.assert_no_thing('old-1')
        # 10 minutes of skew is accepted
        h = sign(self.jobsd, 'POST', '/things/old-1', body,
                 when=utcnow() - datetime.timedelta(minutes=10))
        status, _, data = self.jobsd.raw('POST', '/things/old-1', body, h)
        self.assertEqual(status, 200, data)

    def test_wrong_service_scope(self):
        h = sign(self.jobsd, 'POST', '/things/s3-1', b'{}', service='s3')
        resp = self.jobsd.raw('POST', '/things/s3-1', b'{}', h)
        self.assert_forbidden(resp, 'InvalidSignatureException',
                              "Credential should be scoped to correct service: 'iot'")
        self.assert_no_thing('s3-1')

    def test_scope_picks_the_plane(self):
        # signed for iot-jobs-data on the control listener: device plane (D6)
        t = self.create_thing()
        h = sign(self.jobsd, 'GET', '/things/%s/jobs' % t, service='iot-jobs-data')
        status, _, data = self.jobsd.raw('GET', '/things/%s/jobs' % t, None, h)
        self.assertEqual(status, 200, data)
        self.assertIn('queuedJobs', json.loads(data))
        h = sign(self.jobsd, 'GET', '/things/%s/jobs' % t, service='iot', plane='data')
        status, _, data = self.jobsd.raw('GET', '/things/%s/jobs' % t, None, h, plane='data')
        self.assertEqual(status, 200, data)
        self.assertIn('executionSummaries', json.loads(data))


class ReloadTest(unittest.TestCase):
    """SIGHUP re-reads the credentials file; a broken file keeps the old keys."""

    def test_sighup_rotates_keys(self):
        with harness.Jobsd(credentials=[(KEY, SECRET)]) as j:
            old = harness.boto_client('iot', j.control_url, KEY, SECRET)
            new = harness.boto_client('iot', j.control_url, KEY2, SECRET2)
            old.list_things()

            def code(client):
                try:
                    client.list_things()
                    return 'OK'
                except botocore.exceptions.ClientError as e:
                    return e.response['Error']['Code']

            def wait_for(client, want):
                deadline = time.monotonic() + 10
                while code(client) != want:
                    self.assertLess(time.monotonic(), deadline, 'reload not seen: ' + j.log_tail())
                    time.sleep(0.05)

            self.assertEqual(code(new), 'UnrecognizedClientException')
            j.write_credentials([(KEY2, SECRET2)])
            j.proc.send_signal(signal.SIGHUP)
            wait_for(new, 'OK')
            self.assertEqual(code(old), 'UnrecognizedClientException')
            # a broken file: the keys in force stay
            with open(j.credentials_path, 'w') as f:
                f.write('this line is not a key pair at all\n')
            j.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while 'credentials not reloaded' not in j.log_tail():
                self.assertLess(time.monotonic(), deadline, j.log_tail())
                time.sleep(0.05)
            self.assertEqual(code(new), 'OK')
            self.assertNotIn(SECRET2, j.log_tail(1000))


class StartupTest(unittest.TestCase):

    def run_jobsd(self, *args):
        j = harness.Jobsd()
        try:
            cmd = [j.bin, '--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0',
                   '--store', 'sqlite:%s' % os.path.join(j.data_dir, 'j.db')] + list(args)
            return subprocess.run(cmd, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        finally:
            j.close()

    def test_sigv4_needs_a_credentials_file(self):
        p = self.run_jobsd('--auth', 'sigv4')
        self.assertEqual(p.returncode, 2)
        self.assertIn(b'credentials-file', p.stderr)
        p = self.run_jobsd('--auth', 'sigv4', '--credentials-file', '/nonexistent/creds')
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b'cannot open credentials file', p.stderr)

    def test_rig_endpoints_need_test_rig(self):
        with harness.Jobsd(credentials=[(KEY, SECRET)], test_rig=False) as j:
            resp = j.raw('POST', '/_jobsd/reset')
            self.assertEqual(resp[0], 403)
            self.assertEqual(resp[1]['x-amzn-errortype'], 'MissingAuthenticationTokenException')

    def test_auth_off_says_so(self):
        with harness.Jobsd() as j:
            self.assertIn('AUTH IS OFF', j.log_tail())


if __name__ == '__main__':
    harness.main()
