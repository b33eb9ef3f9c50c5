"""TLS: HTTPS on both listeners, device mutual TLS on the data listener, TLS to the broker.

Certificates come from scripts/dev-certs.sh (a development CA, a server certificate for
127.0.0.1, jobsd's broker certificate CN=jobsd, device certificates CN=<thing>).

- --tls-cert/--tls-key: boto3 (verify=CA) and the aws CLI (--ca-bundle) work on both
  listeners and both services; plain HTTP to a TLS port gets no HTTP answer; SIGHUP with a
  new certificate changes the certificate served to new connections, and a broken file keeps
  the old one.
- --data-client-ca: a device certificate for thing A reaches A's executions on the data
  listener without SigV4 (http.client with load_cert_chain); B's paths, a missing
  certificate and a certificate of another CA get 403 AccessDeniedException and change
  nothing of B. SigV4-signed requests on that listener still need a client certificate;
  control-plane requests there still need a valid signature (auth on).
- Broker TLS (contrib/mosquitto/mosquitto-tls.conf.in): jobsd connects with CN=jobsd; a
  device with its certificate completes start-next/update; a device certificate for A
  cannot publish to B's topics (no reply, nothing changes).
"""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import botocore.exceptions

import broker as brokermod
import harness
import mqttc

DEV_CERTS = os.path.join(harness.REPO, 'scripts', 'dev-certs.sh')
CERTS = None        # a dev-certs directory shared by the classes (setUpModule)
OTHER_CA = None     # a second, untrusted CA with its own thingA certificate
KEY, SECRET = 'AKIDJOBSDTLS0001', 'tls-test-secret-0001'


def dev_certs(path, *things):
    subprocess.run([DEV_CERTS, path] + list(things), check=True, stdout=subprocess.DEVNULL)


def setUpModule():
    global CERTS, OTHER_CA
    if shutil.which('openssl') is None:
        raise unittest.SkipTest('openssl CLI not on PATH')
    root = tempfile.mkdtemp(prefix='jobsd-tls-')
    CERTS = os.path.join(root, 'certs')
    OTHER_CA = os.path.join(root, 'other-ca')
    dev_certs(CERTS, 'thingA', 'thingB')
    dev_certs(OTHER_CA, 'thingA')


def tearDownModule():
    if CERTS is not None:
        shutil.rmtree(os.path.dirname(CERTS), ignore_errors=True)


def cert(name, base=None):
    base = base or CERTS
    return os.path.join(base, name + '.crt'), os.path.join(base, name + '.key')


def served_fingerprint(url, ca_file):
    """SHA-256 of the certificate a new TLS connection to url gets (verified against ca_file)."""
    host, port = harness._hostport(url)
    ctx = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection((host, port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


class HttpsListenersTest(harness.JobsdTestCase):
    """--tls-cert/--tls-key on both listeners, auth off."""

    jobsd_scheme = 'https'

    @classmethod
    def setUpClass(cls):
        # jobsd reads its own copies, so the reload test can replace them
        cls.tls_dir = tempfile.mkdtemp(prefix='jobsd-tls-srv-')
        for f in ('server.crt', 'server.key'):
            shutil.copy(os.path.join(CERTS, f), os.path.join(cls.tls_dir, f))
        cls.jobsd_ca_file = os.path.join(CERTS, 'ca.crt')
        cls.jobsd_extra_args = ('--tls-cert', os.path.join(cls.tls_dir, 'server.crt'),
                                '--tls-key', os.path.join(cls.tls_dir, 'server.key'))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.tls_dir, ignore_errors=True)

    def test_boto3_both_planes(self):
        self.assertTrue(self.jobsd.control_url.startswith('https://'))
        thing = self.create_thing()
        job = self.create_job(targets=[harness.thing_arn(thing)])
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'IN_PROGRESS')
        pending = self.data.get_pending_job_executions(thingName=thing)
        self.assertEqual([j['jobId'] for j in pending['queuedJobs']], [job])
        got = self.data.start_next_pending_job_execution(thingName=thing)
        self.assertEqual(got['execution']['status'], 'IN_PROGRESS')
        self.data.update_job_execution(thingName=thing, jobId=job, status='SUCCEEDED')
        self.assertEqual(self.iot.describe_job_execution(jobId=job, thingName=thing)
                         ['execution']['status'], 'SUCCEEDED')

    def test_aws_cli_with_ca_bundle(self):
        thing = self.create_thing()
        job = self.create_job(targets=[harness.thing_arn(thing)])
        _, out, _ = self.jobsd.aws('iot', 'list-things')
        self.assertEqual([t['thingName'] for t in out['things']], [thing])
        _, out, _ = self.jobsd.aws('iot-jobs-data', 'get-pending-job-executions',
                                   '--thing-name', thing, plane='data')
        self.assertEqual([j['jobId'] for j in out['queuedJobs']], [job])

    def test_untrusted_without_ca(self):
        c = harness.boto_client('iot', self.jobsd.control_url, 'x', 'y')
        with self.assertRaises(botocore.exceptions.SSLError):
            c.list_things()

    def test_plain_http_refused(self):
        for url in (self.jobsd.control_url, self.jobsd.data_url):
            host, port = harness._hostport(url)
            conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
                    conn.request('GET', '/things')
                    conn.getresponse().read()
            finally:
                conn.close()
        self.assertTrue(self.jobsd.running())

    def test_sighup_reloads_certificate(self):
        ca = self.jobsd_ca_file
        before = [served_fingerprint(u, ca) for u in (self.jobsd.control_url, self.jobsd.data_url)]
        # a new server certificate from the same CA
        fresh = tempfile.mkdtemp(prefix='jobsd-tls-new-')
        try:
            for f in ('ca.crt', 'ca.key'):
                shutil.copy(os.path.join(CERTS, f), os.path.join(fresh, f))
            dev_certs(fresh)
            with open(os.path.join(fresh, 'server.crt'), 'rb') as f:
                want = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read().decode())).hexdigest()
            self.assertNotIn(want, before)
            # a broken certificate first: the old one stays in force
            with open(os.path.join(self.tls_dir, 'server.crt'), 'w') as f:
                f.write('not a certificate\n')
            self.jobsd.proc.send_signal(signal.SIGHUP)
            self.wait_log('TLS files not reloaded')
            self.assertEqual(served_fingerprint(self.jobsd.control_url, ca), before[0])
            for f in ('server.crt', 'server.key'):
                shutil.copy(os.path.join(fresh, f), os.path.join(self.tls_dir, f))
            self.jobsd.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while served_fingerprint(self.jobsd.control_url, ca) != want:
                self.assertLess(time.monotonic(), deadline, 'certificate not replaced after SIGHUP')
                time.sleep(0.05)
            self.assertEqual(served_fingerprint(self.jobsd.data_url, ca), want)
            # clients keep working with the new certificate
            thing = self.create_thing()
            self.assertEqual(self.data.get_pending_job_executions(thingName=thing)['queuedJobs'], [])
        finally:
            shutil.rmtree(fresh, ignore_errors=True)

    def wait_log(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.jobsd.log_tail(200):
            self.assertLess(time.monotonic(), deadline, 'no %r in the log' % text)
            time.sleep(0.05)


class _MutualTlsServer(harness.JobsdTestCase):
    """jobsd over TLS with device mutual TLS on its data listener (no tests of its own)."""

    jobsd_scheme = 'https'

    @classmethod
    def setUpClass(cls):
        cls.jobsd_ca_file = os.path.join(CERTS, 'ca.crt')
        cls.jobsd_extra_args = ('--tls-cert', os.path.join(CERTS, 'server.crt'),
                                '--tls-key', os.path.join(CERTS, 'server.key'),
                                '--data-client-ca', os.path.join(CERTS, 'ca.crt'))
        super().setUpClass()


class DeviceMutualTlsTest(_MutualTlsServer):
    """--data-client-ca with SigV4 on: the certificate authenticates data-plane requests."""

    jobsd_credentials = [(KEY, SECRET)]

    def setUp(self):
        super().setUp()
        self.create_thing('thingA')
        self.create_thing('thingB')
        self.job = self.create_job(targets=[harness.thing_arn('thingA'),
                                            harness.thing_arn('thingB')])

    def dev(self, method, path, body=None, client='thingA', base=None):
        """An unsigned request on the data listener presenting a client certificate."""
        cc = cert(client, base) if client is not None else None
        return self.jobsd.raw(method, path, body, plane='data', client_cert=cc)

    def dev_json(self, *a, **kw):
        status, h, body = self.dev(*a, **kw)
        return status, (json.loads(body) if body.strip() else None)

    def assert_b_untouched(self):
        x = self.iot.describe_job_execution(jobId=self.job, thingName='thingB')['execution']
        self.assertEqual(x['status'], 'QUEUED')
        self.assertEqual(x['versionNumber'], 1)
        self.assertNotIn('statusDetails', {k: v for k, v in x.items() if v})

    def test_own_thing_without_sigv4(self):
        st, got = self.dev_json('GET', '/things/thingA/jobs')
        self.assertEqual(st, 200, got)
        self.assertEqual([j['jobId'] for j in got['queuedJobs']], [self.job])
        st, got = self.dev_json('PUT', '/things/thingA/jobs/$next', {'statusDetails': {'k': 'v'}})
        self.assertEqual(st, 200, got)
        self.assertEqual(got['execution']['status'], 'IN_PROGRESS')
        st, got = self.dev_json('POST', '/things/thingA/jobs/%s' % self.job,
                                {'status': 'SUCCEEDED', 'expectedVersion': 2})
        self.assertEqual(st, 200, got)
        st, got = self.dev_json('GET', '/things/thingA/jobs/%s' % self.job)
        self.assertEqual(st, 200, got)
        self.assertEqual(got['execution']['status'], 'SUCCEEDED')
        self.assert_b_untouched()

    def test_other_thing_forbidden(self):
        for method, path, body in (
                ('GET', '/things/thingB/jobs', None),
                ('PUT', '/things/thingB/jobs/$next', {}),
                ('PUT', '/things/thingB/jobs/%24next', {}),
                ('GET', '/things/thingB/jobs/%s' % self.job, None),
                ('GET', '/things/thingB/jobs/$next', None),
                ('POST', '/things/thingB/jobs/%s' % self.job, {'status': 'FAILED'}),
                ('POST', '/things/thingB/jobs/%s' % self.job, {'status': 'IN_PROGRESS',
                                                             'statusDetails': {'x': 'y'}})):
            with self.subTest(method=method, path=path):
                self.assertRawError(self.dev(method, path, body), 'AccessDeniedException', 403)
        self.assert_b_untouched()

    def test_no_certificate_forbidden(self):
        for method, path, body in (('GET', '/things/thingA/jobs', None),
                                   ('PUT', '/things/thingA/jobs/$next', {})):
            with self.subTest(path=path):
                self.assertRawError(self.dev(method, path, body, client=None),
                                    'AccessDeniedException', 403)
        x = self.iot.describe_job_execution(jobId=self.job, thingName='thingA')['execution']
        self.assertEqual(x['status'], 'QUEUED')

    def test_certificate_of_another_ca_forbidden(self):
        doc = self.assertRawError(self.dev('PUT', '/things/thingA/jobs/$next', {},
                                           base=OTHER_CA), 'AccessDeniedException', 403)
        self.assertIn('not valid', doc['message'])
        x = self.iot.describe_job_execution(jobId=self.job, thingName='thingA')['execution']
        self.assertEqual(x['status'], 'QUEUED')

    def test_server_certificate_is_not_a_device(self):
        # jobsd's broker certificate is a client certificate of the same CA but names no
        # thing here: it may act only on a thing called "jobsd"
        self.assertRawError(self.dev('GET', '/things/thingA/jobs', client='jobsd'),
                            'AccessDeniedException', 403)

    def client(self, service, client_cert, secret=SECRET):
        return harness.boto_client(service, self.jobsd.data_url, KEY, secret,
                                   verify=self.jobsd_ca_file, client_cert=client_cert)

    def test_signed_requests_on_the_data_listener(self):
        # SigV4 + certificate: data plane confined to the certificate's thing
        data = self.client('iot-jobs-data', cert('thingA'))
        self.assertEqual([j['jobId'] for j in
                          data.get_pending_job_executions(thingName='thingA')['queuedJobs']],
                         [self.job])
        self.assertAwsError(data.start_next_pending_job_execution, 'AccessDeniedException', 403,
                            thingName='thingB')
        # no certificate: refused even with a good signature
        nocert = self.client('iot-jobs-data', None)
        self.assertAwsError(nocert.get_pending_job_executions, 'AccessDeniedException', 403,
                            thingName='thingA')
        # the control plane on the data listener still needs a valid signature
        iot = self.client('iot', cert('thingA'))
        self.assertEqual(iot.describe_thing(thingName='thingB')['thingName'], 'thingB')
        bad = self.client('iot', cert('thingA'), secret='wrong')
        self.assertAwsError(bad.delete_thing, 'InvalidSignatureException', 403,
                            thingName='thingB')
        self.assert_b_untouched()

    def test_control_listener_needs_no_certificate(self):
        # the client CA applies to the data listener only
        self.assertEqual(self.iot.describe_thing(thingName='thingA')['thingName'], 'thingA')
        x = self.iot.describe_job_execution(jobId=self.job, thingName='thingA')['execution']
        self.assertEqual(x['status'], 'QUEUED')


class DeviceMutualTlsAuthOffTest(_MutualTlsServer):
    """--data-client-ca with auth off: the data listener is the device plane only."""

    def test_regression_control_plane_through_the_device_listener(self):
        # With auth off, an unverified Authorization header scoped to `iot` used to route a
        # device's request on the mTLS data listener to the control plane, where the
        # certificate confined nothing: a device could delete another thing.
        self.create_thing('thingA')
        self.create_thing('thingB')
        scope = ('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/iot/aws4_request, '
                 'SignedHeaders=host, Signature=' + '0' * 64)
        for method, path in (('DELETE', '/things/thingB'), ('GET', '/things/thingB'),
                             ('GET', '/things'), ('DELETE', '/things/thingA')):
            with self.subTest(method=method, path=path):
                r = self.jobsd.raw(method, path, headers={'Authorization': scope},
                                   plane='data', client_cert=cert('thingA'))
                self.assertRawError(r, 'AccessDeniedException', 403)
        self.assertEqual(self.iot.describe_thing(thingName='thingB')['thingName'], 'thingB')
        self.assertEqual(self.iot.describe_thing(thingName='thingA')['thingName'], 'thingA')
        # the device plane with the same (unverified) header scoped to iot-jobs-data works
        r = self.jobsd.raw('GET', '/things/thingA/jobs',
                           headers={'Authorization': scope.replace('/iot/', '/iot-jobs-data/')},
                           plane='data', client_cert=cert('thingA'))
        self.assertEqual(r[0], 200, r)


class BrokerTlsTest(harness.JobsdTestCase):
    """jobsd and devices on the TLS broker of contrib/mosquitto/mosquitto-tls.conf.in."""

    broker = None

    @classmethod
    def setUpClass(cls):
        cls.broker = brokermod.Broker(tls_dir=CERTS)
        cls.broker.start()
        jc, jk = cert('jobsd')
        cls.jobsd_extra_args = ('--mqtt', '127.0.0.1:%d' % cls.broker.port,
                                '--mqtt-cafile', os.path.join(CERTS, 'ca.crt'),
                                '--mqtt-certfile', jc, '--mqtt-keyfile', jk)
        try:
            super().setUpClass()
            brokermod.wait_mqtt_ready(cls.jobsd)
        except Exception:
            cls.broker.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.broker.close()

    def setUp(self):
        super().setUp()
        self.clients = []
        self.create_thing('thingA')
        self.create_thing('thingB')
        self.job = self.create_job(targets=[harness.thing_arn('thingA'),
                                            harness.thing_arn('thingB')])

    def tearDown(self):
        for c in self.clients:
            c.disconnect()
        super().tearDown()

    def device(self, thing, base=None):
        c, k = cert(thing, base)
        m = mqttc.MqttClient(thing, '127.0.0.1', self.broker.port,
                             cafile=os.path.join(CERTS, 'ca.crt'), certfile=c, keyfile=k)
        self.clients.append(m)
        m.connect()
        m.subscribe('$aws/things/%s/jobs/#' % thing)
        return m

    def test_device_start_next_and_update(self):
        a = self.device('thingA')
        a.publish('$aws/things/thingA/jobs/start-next', {'clientToken': 'c1'})
        got = a.expect_json('$aws/things/thingA/jobs/start-next/accepted')
        self.assertEqual(got['clientToken'], 'c1')
        self.assertEqual(got['execution']['jobId'], self.job)
        self.assertEqual(got['execution']['status'], 'IN_PROGRESS')
        a.publish('$aws/things/thingA/jobs/%s/update' % self.job,
                  {'status': 'SUCCEEDED', 'clientToken': 'c2'})
        got = a.expect_json('$aws/things/thingA/jobs/%s/update/accepted' % self.job)
        self.assertEqual(got['clientToken'], 'c2')
        self.assertEqual(self.iot.describe_job_execution(jobId=self.job, thingName='thingA')
                         ['execution']['status'], 'SUCCEEDED')

    def test_device_cannot_use_another_things_topics(self):
        b = self.device('thingB')
        a = self.device('thingA')
        # A publishes to B's request topics: the broker's ACL (by certificate CN) drops it
        a.publish('$aws/things/thingB/jobs/start-next', {'clientToken': 'evil'})
        a.publish('$aws/things/thingB/jobs/%s/update' % self.job,
                  {'status': 'FAILED', 'clientToken': 'evil2'})
        b.no_message('$aws/things/thingB/jobs/#', within=1.0)
        a.no_message('$aws/things/thingB/jobs/#', within=0.1)
        x = self.iot.describe_job_execution(jobId=self.job, thingName='thingB')['execution']
        self.assertEqual((x['status'], x['versionNumber']), ('QUEUED', 1))
        # B itself is answered: jobsd is subscribed and B's topics work
        b.publish('$aws/things/thingB/jobs/get', {'clientToken': 'b1'})
        self.assertEqual(b.expect_json('$aws/things/thingB/jobs/get/accepted')['clientToken'],
                         'b1')

    def test_device_of_another_ca_cannot_connect(self):
        c, k = cert('thingA', OTHER_CA)
        m = mqttc.MqttClient('thingA', '127.0.0.1', self.broker.port,
                             cafile=os.path.join(CERTS, 'ca.crt'), certfile=c, keyfile=k)
        self.clients.append(m)
        with self.assertRaises(mqttc.MqttError):
            m.connect(timeout=5)


if __name__ == '__main__':
    harness.main()
