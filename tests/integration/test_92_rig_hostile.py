"""Issue 13, items 5, 6 and the store check of 8: the test rig, unsafe start-up
combinations, and the store check at start, attacked as an attacker would (real jobsd
binary, real sockets, botocore signatures, loopback only).

- Test rig with auth on (docs/operations.md#hardening): /_jobsd/ and /moto-api/ need a request
  signed by a key the credentials file marks admin; unsigned requests, other keys and
  device certificates are refused; the data listener does not serve them at all.
- The virtual clock: moved ten years ahead, it survives a restart instead of going
  back under the stored times; jobsd on the real clock refuses such a store; a reset
  returns the clock to real time.
- Unsafe combinations: jobsd exits 2 with a one-line reason before listening.
- The store check: a read-only file and a damaged one make jobsd exit 1 at start, with
  the reason; --store-check off skips the page check.

Each case fails against the binary of main (JOBSD_BIN=/work/main/build/jobsd): there the
rig is open, the clock goes back on restart, the unsafe combinations start, and the bad
stores start and fail later with 503.
"""

import json
import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import botocore.auth
import botocore.awsrequest
import botocore.credentials

import harness

ADMIN, ADMIN_SECRET = 'AKIDRIGADMIN0001', 'rig-admin-secret-0001'
USER, USER_SECRET = 'AKIDRIGUSER00002', 'rig-user-secret-0002'
DEV_CERTS = os.path.join(harness.REPO, 'scripts', 'dev-certs.sh')
TEN_YEARS = 315360000
RUN_TIMEOUT = 20


def signed(jobsd, method, path, body=b'', key=ADMIN, secret=ADMIN_SECRET, plane='control',
           service='iot'):
    """Headers of a request signed as boto3 would sign it."""
    url = (jobsd.control_url if plane == 'control' else jobsd.data_url) + path
    hdrs = {'Content-Type': 'application/json'} if body else {}
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers=hdrs, data=body)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service,
                            harness.REGION).add_auth(req)
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}


def run_jobsd(args, timeout=RUN_TIMEOUT):
    """Run the binary with args until it exits or prints its ready line (then it is
    stopped with SIGTERM: `ready` in the result). Returns (rc, stdout, stderr) as text;
    rc is None when it got ready (or did neither within timeout and was killed)."""
    binary = os.path.abspath(os.environ.get('JOBSD_BIN') or harness.DEFAULT_BIN)
    with tempfile.TemporaryFile() as errf:
        p = subprocess.Popen([binary] + list(args), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=errf)
        out, rc, ready = [], None, False
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while not ready and time.monotonic() < deadline:
                if not sel.select(timeout=deadline - time.monotonic()):
                    continue
                line = p.stdout.readline()
                if not line:        # stdout closed: it is exiting
                    try:
                        rc = p.wait(timeout=max(0.1, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        pass
                    break
                out.append(line.decode('utf-8', 'replace'))
                ready = line.startswith(b'jobsd ready')
        finally:
            sel.close()
            if p.poll() is None:    # ready, or stuck: stop it
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=harness.STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                rc = None
            out.append(p.stdout.read().decode('utf-8', 'replace'))
            p.stdout.close()
        errf.seek(0)
        err = errf.read().decode('utf-8', 'replace')
    return rc, ''.join(out), err


def need_openssl():
    if shutil.which('openssl') is None:
        raise unittest.SkipTest('openssl CLI not on PATH')


# -- the test rig with auth on -------------------------------------------------------


class RigWithAuthTest(harness.JobsdTestCase):
    """--test-rig --auth sigv4: the first key is admin, the second is not."""

    jobsd_credentials = [(ADMIN, ADMIN_SECRET), (USER, USER_SECRET, False)]

    def assert_survives(self, thing):
        self.assertEqual(self.iot.describe_thing(thingName=thing)['thingName'], thing)

    def test_unsigned_rig_requests_refused_on_both_listeners(self):
        t = self.create_thing()
        before = self.jobsd.clock_now_ms()
        for plane in ('control', 'data'):
            for method, path, body in (('POST', '/_jobsd/reset', None),
                                       ('POST', '/moto-api/reset', None),
                                       ('GET', '/_jobsd/clock', None),
                                       ('POST', '/_jobsd/clock', {'advanceSeconds': TEN_YEARS}),
                                       ('GET', '/_jobsd/status', None)):
                resp = self.jobsd.raw(method, path, body, plane=plane)
                self.assertRawError(resp, 'MissingAuthenticationTokenException', 403)
        self.assert_survives(t)
        self.assertLess(self.jobsd.clock_now_ms() - before, 3600 * 1000)

    def test_non_admin_key_refused(self):
        t = self.create_thing()
        before = self.jobsd.clock_now_ms()
        for method, path, body in (('POST', '/_jobsd/reset', b''),
                                   ('POST', '/moto-api/reset', b''),
                                   ('POST', '/_jobsd/clock',
                                    json.dumps({'advanceSeconds': TEN_YEARS}).encode())):
            h = signed(self.jobsd, method, path, body, USER, USER_SECRET)
            doc = self.assertRawError(self.jobsd.raw(method, path, body, h),
                                      'AccessDeniedException', 403)
            self.assertIn('admin', doc['message'])
        self.assert_survives(t)
        self.assertLess(self.jobsd.clock_now_ms() - before, 3600 * 1000)
        # the same key does everything else
        iot = harness.boto_client('iot', self.jobsd.control_url, USER, USER_SECRET)
        self.assertEqual(iot.describe_thing(thingName=t)['thingName'], t)

    def test_admin_key_works_on_the_control_listener(self):
        t = self.create_thing()
        body = json.dumps({'advanceSeconds': 60}).encode()
        before = self.jobsd.clock_now_ms()
        st, _, data = self.jobsd.raw('POST', '/_jobsd/clock', body,
                                     signed(self.jobsd, 'POST', '/_jobsd/clock', body))
        self.assertEqual(st, 200, data)
        self.assertGreaterEqual(json.loads(data)['now'], before + 60000)
        st, _, _ = self.jobsd.raw('POST', '/moto-api/reset', b'',
                                  signed(self.jobsd, 'POST', '/moto-api/reset'))
        self.assertEqual(st, 200)
        self.assertAwsError(self.iot.describe_thing, 'ResourceNotFoundException', 404,
                            thingName=t)

    def test_data_listener_does_not_serve_the_rig(self):
        t = self.create_thing()
        for service in ('iot', 'iot-jobs-data'):
            for method, path in (('POST', '/_jobsd/reset'), ('POST', '/moto-api/reset'),
                                 ('GET', '/_jobsd/clock'), ('GET', '/_jobsd/status')):
                h = signed(self.jobsd, method, path, plane='data', service=service)
                resp = self.jobsd.raw(method, path, b'' if method == 'POST' else None, h,
                                      plane='data')
                self.assertRawError(resp, 'UnknownOperationException', 404)
        self.assert_survives(t)

    def test_says_so_at_start(self):
        log = self.jobsd.log_tail(200)
        self.assertIn('TEST-RIG MODE', log)
        self.assertIn('to admin keys', log)
        self.assertNotIn('accept unsigned', log)


class RigDeviceCertificateTest(harness.JobsdTestCase):
    """--test-rig with device mutual TLS (auth on): a device certificate cannot reach the
    rig (on main, an unsigned request with any device certificate wiped the store)."""

    jobsd_scheme = 'https'
    jobsd_credentials = [(ADMIN, ADMIN_SECRET)]

    @classmethod
    def setUpClass(cls):
        need_openssl()
        cls.certs = tempfile.mkdtemp(prefix='jobsd-rig-certs-')
        subprocess.run([DEV_CERTS, cls.certs, 'thingA'], check=True, stdout=subprocess.DEVNULL)
        cls.jobsd_ca_file = os.path.join(cls.certs, 'ca.crt')
        cls.jobsd_extra_args = ('--tls-cert', os.path.join(cls.certs, 'server.crt'),
                                '--tls-key', os.path.join(cls.certs, 'server.key'),
                                '--data-client-ca', os.path.join(cls.certs, 'ca.crt'))
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certs, ignore_errors=True)

    def test_device_certificate_cannot_reset_or_move_the_clock(self):
        self.create_thing('thingA')
        other = self.create_thing()
        cert = (os.path.join(self.certs, 'thingA.crt'), os.path.join(self.certs, 'thingA.key'))
        before = self.jobsd.clock_now_ms()
        for method, path, body in (('POST', '/_jobsd/reset', None),
                                   ('POST', '/moto-api/reset', None),
                                   ('POST', '/_jobsd/clock', {'advanceSeconds': TEN_YEARS})):
            resp = self.jobsd.raw(method, path, body, plane='data', client_cert=cert)
            self.assertRawError(resp, 'UnknownOperationException', 404)
        self.assertEqual(self.iot.describe_thing(thingName=other)['thingName'], other)
        self.assertLess(self.jobsd.clock_now_ms() - before, 3600 * 1000)
        # the certificate still works for its own thing
        st, _, _ = self.jobsd.raw('GET', '/things/thingA/jobs', plane='data', client_cert=cert)
        self.assertEqual(st, 200)


class RigAuthOffTest(harness.JobsdTestCase):
    """--test-rig --auth off on loopback (the integration tests' set-up): the control
    listener serves the rig; the data listener never does."""

    def test_control_only(self):
        t = self.create_thing()
        st, _, _ = self.jobsd.raw('GET', '/_jobsd/clock')
        self.assertEqual(st, 200)
        for method, path in (('POST', '/_jobsd/reset'), ('GET', '/_jobsd/clock')):
            self.assertRawError(self.jobsd.raw(method, path, plane='data'),
                                'UnknownOperationException', 404)
        self.assertEqual(self.iot.describe_thing(thingName=t)['thingName'], t)


# -- the virtual clock ------------------------------------------------------------


class VirtualClockTest(unittest.TestCase):
    """Ten years ahead, then a restart: the clock does not go back under the store."""

    def setUp(self):
        self.jobsd = harness.Jobsd()
        self.addCleanup(self.jobsd.close)
        self.jobsd.start()

    def store_args(self, *extra):
        return ['--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0', '--store',
                'sqlite:%s' % os.path.join(self.jobsd.data_dir, 'jobsd.db')] + list(extra)

    def make_execution(self):
        iot = self.jobsd.iot()
        iot.create_thing(thingName='clk')
        iot.create_job(jobId='clk-job', targets=[harness.thing_arn('clk')], document='{}')
        deadline = time.monotonic() + 10
        while True:
            ex = iot.describe_job_execution(jobId='clk-job', thingName='clk')['execution']
            if ex['status'] == 'QUEUED':
                return ex
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)

    def test_restart_resumes_the_clock(self):
        self.jobsd.advance_clock(TEN_YEARS)
        ahead = self.jobsd.clock_now_ms()
        ex = self.make_execution()
        stored = ex['lastUpdatedAt'].timestamp() * 1000
        self.jobsd.kill9()
        self.jobsd.start()
        now = self.jobsd.clock_now_ms()
        self.assertGreaterEqual(now, ahead, 'the virtual clock went back on restart')
        self.assertGreaterEqual(now, stored)
        self.assertIn('virtual clock resumes', self.jobsd.log_tail(100))

    @harness.sqlite_only('restarts jobsd on the SQLite file of its data dir')
    def test_real_clock_refuses_a_store_ahead_of_it(self):
        self.jobsd.advance_clock(TEN_YEARS)
        self.make_execution()
        self.jobsd.stop()
        rc, out, err = run_jobsd(self.store_args())
        self.assertEqual(rc, 1, 'stdout %r stderr %r' % (out, err))
        self.assertNotIn('jobsd ready', out)
        self.assertIn('virtual clock', err)
        self.assertIn('--test-rig', err)

    @harness.sqlite_only('restarts jobsd on the SQLite file of its data dir')
    def test_reset_returns_the_clock_to_real_time(self):
        self.jobsd.advance_clock(TEN_YEARS)
        self.make_execution()
        self.jobsd.reset()
        now = self.jobsd.clock_now_ms()
        self.assertLess(abs(now - time.time() * 1000), 600 * 1000)
        self.make_execution()
        self.jobsd.stop()
        # nothing is left in the real clock's future: it starts
        rc, out, err = run_jobsd(self.store_args())
        self.assertIsNone(rc, 'stdout %r stderr %r' % (out, err))
        self.assertIn('jobsd ready', out)


# -- unsafe combinations refused at start -----------------------------------------


class UnsafeCombinationsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        need_openssl()
        cls.dir = tempfile.mkdtemp(prefix='jobsd-unsafe-')
        cls.certs = os.path.join(cls.dir, 'certs')
        subprocess.run([DEV_CERTS, cls.certs], check=True, stdout=subprocess.DEVNULL)
        cls.store = 'sqlite:%s' % os.path.join(cls.dir, 'j.db')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def copy(self, name, mode):
        path = os.path.join(self.dir, '%s-%o' % (name, mode))
        shutil.copy(os.path.join(self.certs, name), path)
        os.chmod(path, mode)
        return path

    def assert_refused(self, args, reason):
        rc, out, err = run_jobsd(['--store', self.store, '--log-level', 'warn'] + args)
        self.assertEqual(rc, 2, 'rc %r stdout %r stderr %r' % (rc, out, err))
        self.assertNotIn('jobsd ready', out)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith('jobsd: unsafe: '), lines[0])
        self.assertIn(reason, lines[0])

    def tls(self):
        return ['--tls-cert', os.path.join(self.certs, 'server.crt'),
                '--tls-key', os.path.join(self.certs, 'server.key')]

    def test_device_ca_with_auth_off_on_a_public_control_listener(self):
        self.assert_refused(['--listen', '0.0.0.0:0', '--data-listen', '127.0.0.1:0'] +
                            self.tls() + ['--data-client-ca', os.path.join(self.certs, 'ca.crt')],
                            'data-client-ca with auth=off')

    def test_test_rig_without_auth_on_a_public_listener(self):
        self.assert_refused(['--listen', '0.0.0.0:0', '--data-listen', '127.0.0.1:0',
                             '--test-rig', '--auth', 'off'], 'test-rig with auth=off')
        self.assert_refused(['--listen', '127.0.0.1:0', '--data-listen', '0.0.0.0:0',
                             '--test-rig'], 'test-rig with auth=off')

    def test_tls_key_readable_by_others(self):
        self.assert_refused(['--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0',
                             '--tls-cert', os.path.join(self.certs, 'server.crt'),
                             '--tls-key', self.copy('server.key', 0o644)],
                            'tls-key')

    def test_client_ca_writable_by_others(self):
        self.assert_refused(['--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0'] +
                            self.tls() + ['--data-client-ca', self.copy('ca.crt', 0o666),
                                          '--auth', 'sigv4', '--credentials-file',
                                          '/nonexistent/creds'],
                            'data-client-ca')

    def test_credentials_readable_by_others(self):
        path = os.path.join(self.dir, 'creds')
        with open(path, 'w') as f:
            f.write('%s %s admin\n' % (ADMIN, ADMIN_SECRET))
        os.chmod(path, 0o644)
        self.assert_refused(['--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0',
                             '--auth', 'sigv4', '--credentials-file', path],
                            'credentials-file')


# -- the store check at start -----------------------------------------------------


@harness.sqlite_only('read-only and damaged SQLite files, PRAGMA quick_check')
class StoreCheckTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='jobsd-storecheck-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, 'jobsd.db')

    def args(self, *extra):
        return ['--listen', '127.0.0.1:0', '--data-listen', '127.0.0.1:0',
                '--store', 'sqlite:' + self.db, '--log-level', 'info'] + list(extra)

    def make_store(self, things=3000):
        """A store created by jobsd, then filled directly so it spans many pages."""
        j = harness.Jobsd(data_dir=self.dir)
        j.start()
        j.stop()
        c = sqlite3.connect(self.db)
        c.executemany('INSERT INTO things (name, id, type_name, attributes, version, created_ms)'
                      ' VALUES (?, ?, NULL, ?, 1, 0)',
                      [('t%06d' % i, 'id%d' % i, '{"a":"%s"}' % ('x' * 100))
                       for i in range(things)])
        c.commit()
        c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        c.close()

    def leaf_page(self):
        c = sqlite3.connect(self.db)
        try:
            pages = [p for (p,) in c.execute("SELECT pageno FROM dbstat WHERE name = 'things' "
                                             "AND pagetype = 'leaf' ORDER BY pageno")]
        except sqlite3.OperationalError:
            pages = [c.execute('PRAGMA page_count').fetchone()[0] // 2]
        size = c.execute('PRAGMA page_size').fetchone()[0]
        c.close()
        return pages[len(pages) // 2], size

    def damage(self):
        page, size = self.leaf_page()
        with open(self.db, 'r+b') as f:
            f.seek((page - 1) * size)
            f.write(b'\xff' * 16)   # the page header: no valid b-tree page type

    def test_damaged_file_exits_1_with_the_reason(self):
        self.make_store()
        self.damage()
        rc, out, err = run_jobsd(self.args())
        self.assertEqual(rc, 1, 'stdout %r stderr %r' % (out, err))
        self.assertNotIn('jobsd ready', out)
        self.assertIn('store check failed', err)
        self.assertIn('is damaged', err)
        rc, out, err = run_jobsd(self.args('--store-check', 'full'))
        self.assertEqual(rc, 1, err)
        self.assertIn('is damaged', err)

    def test_store_check_off_skips_the_page_check(self):
        self.make_store()
        self.damage()
        rc, out, err = run_jobsd(self.args('--store-check', 'off'))
        self.assertIsNone(rc, 'exited %r: %s' % (rc, err))
        self.assertIn('jobsd ready', out)

    def test_read_only_file_exits_1_with_the_reason(self):
        self.make_store(things=10)
        for suffix in ('-wal', '-shm'):
            if os.path.exists(self.db + suffix):
                os.unlink(self.db + suffix)
        if os.geteuid() == 0:
            # root writes through file modes: make the file immutable instead
            if subprocess.run(['chattr', '+i', self.db], capture_output=True).returncode != 0:
                self.skipTest('running as root and chattr +i is not available here')
            self.addCleanup(subprocess.run, ['chattr', '-i', self.db], capture_output=True)
        else:
            os.chmod(self.db, 0o444)
        rc, out, err = run_jobsd(self.args())
        self.assertEqual(rc, 1, 'stdout %r stderr %r' % (out, err))
        self.assertNotIn('jobsd ready', out)
        self.assertIn('read-only', err)

    def test_sound_store_passes_and_says_how_long(self):
        self.make_store(things=100)
        rc, out, err = run_jobsd(self.args())
        self.assertIsNone(rc, err)
        self.assertIn('jobsd ready', out)
        self.assertRegex(err, r'store check \(quick\) passed in \d+ ms')


if __name__ == '__main__':
    harness.main()
