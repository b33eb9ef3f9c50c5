"""The admin listener (issue 14): /healthz, /readyz, /metrics; request ids, JSON logs and
the access log.

  * /metrics passes `promtool check metrics` (Debian's prometheus package), and its
    counters and histograms move with the requests made over HTTP (boto3) and MQTT (a
    real Mosquitto and device), the store's commits, and refusals (auth, throttling).
  * /readyz turns 503 with the reason when the broker goes away and 200 when it is back;
    and when the store fails: on SQLite another process holds the database's write lock
    past the probe's patience (a real lock, as in test_99_faults), on PostgreSQL the
    server is stopped (its own server, as in test_88_pg_outage); 200 again when each
    comes back.
  * authentication: health checks are open; the rest takes a SigV4 signature by an
    admin key or the bearer token; unsafe combinations refuse to start (exit 2).
  * every HTTP response carries a UUID-shaped x-amzn-RequestId, also in the request's
    log line (--log-format json: one JSON object per line) and the access log, which
    SIGHUP reopens after a rename (logrotate).

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_14_admin.py
"""

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402

import broker  # noqa: E402
import harness  # noqa: E402
from harness import admin_addr, admin_request  # noqa: E402
from harness import eventually, thing_arn  # noqa: E402

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
TOKEN = 'admin-token-0123456789abcdef'



def admin_get(jobsd, path, headers=None, method='GET'):
    return admin_request(jobsd, method, path, headers=headers)


def signed_headers(jobsd, path, key, secret):
    url = 'http://%s%s' % (admin_addr(jobsd), path)
    req = botocore.awsrequest.AWSRequest(method='GET', url=url, data=b'')
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), 'iot',
                            harness.REGION).add_auth(req)
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = SAMPLE_RE.match(line)
        assert m, 'not a sample line: %r' % line
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ''))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def sample(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


class AdminBase(broker.MqttTestCase):
    """A broker, and a jobsd with the admin listener, JSON logs at debug and an access
    log."""

    @classmethod
    def setUpClass(cls):
        cls.logdir = tempfile.mkdtemp(prefix='jobsd-it-')
        cls.access_log = os.path.join(cls.logdir, 'access.log')
        cls.more_args = ('--admin-listen', '127.0.0.1:0', '--access-log', cls.access_log,
                         '--log-format', 'json', '--log-level', 'debug')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.logdir, ignore_errors=True)

    def scrape(self):
        status, h, body = admin_get(self.jobsd, '/metrics')
        self.assertEqual(status, 200, body)
        self.assertTrue(h['content-type'].startswith('text/plain; version=0.0.4'), h)
        return body.decode()


class TestMetrics(AdminBase):

    def test_promtool_check_metrics(self):
        promtool = shutil.which('promtool')
        self.assertIsNotNone(promtool, 'promtool not found (apt-get install prometheus; '
                                       'scripts/install-deps.sh installs it)')
        self.iot.create_thing(thingName=self.name('p'))
        text = self.scrape()
        r = subprocess.run([promtool, 'check', 'metrics'], input=text.encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode())
        self.assertEqual(r.stdout + r.stderr, b'', 'promtool lint findings')
        m = parse_metrics(text)
        for name in ('process_resident_memory_bytes', 'process_open_fds'):
            self.assertGreater(sample(m, name), 0, name)
        self.assertEqual(sample(m, 'jobsd_mqtt_connected'), 1)

    def test_http_counters_and_histograms_move(self):
        thing = self.name('m')
        before = parse_metrics(self.scrape())
        self.iot.create_thing(thingName=thing)
        for _ in range(3):
            self.iot.describe_thing(thingName=thing)
        status, _, _ = self.jobsd.raw('GET', '/things/no-such-thing-%s' % thing)
        self.assertEqual(status, 404)
        after = parse_metrics(self.scrape())

        def delta(name, **labels):
            return sample(after, name, **labels) - sample(before, name, **labels)
        self.assertEqual(delta('jobsd_http_requests_total', operation='CreateThing', code='2xx'),
                         1)
        self.assertEqual(delta('jobsd_http_requests_total', operation='DescribeThing',
                               code='2xx'), 3)
        self.assertEqual(delta('jobsd_http_requests_total', operation='DescribeThing',
                               code='4xx'), 1)
        self.assertEqual(delta('jobsd_http_request_duration_seconds_count',
                               operation='DescribeThing'), 4)
        self.assertEqual(delta('jobsd_http_request_duration_seconds_bucket',
                               operation='DescribeThing', le='+Inf'), 4)
        self.assertGreater(delta('jobsd_http_request_duration_seconds_sum',
                                 operation='DescribeThing'), 0)
        # the write committed: the store's commit histogram and group sizes moved
        self.assertGreaterEqual(delta('jobsd_store_commit_duration_seconds_count'), 1)
        self.assertGreaterEqual(delta('jobsd_store_commit_group_size_count'), 1)
        self.assertGreaterEqual(delta('jobsd_store_commit_group_size_sum'), 1)
        # the store's own memory (SQLite's allocator: caches, schema, statements) is
        # known after a COMMIT on SQLite, and 0 on PostgreSQL
        if harness.STORE == 'sqlite':
            self.assertGreater(sample(after, 'jobsd_store_memory_bytes'), 100 * 1024)
        else:
            self.assertEqual(sample(after, 'jobsd_store_memory_bytes'), 0)

    def test_mqtt_counters_and_executions_move(self):
        thing = self.name('d')
        self.iot.create_thing(thingName=thing)
        dev = self.device(thing)
        before = parse_metrics(self.scrape())
        self.iot.create_job(jobId=self.name('j'), targets=[thing_arn(thing)], document='{}')
        dev.expect('$aws/things/%s/jobs/notify-next' % thing)
        dev.publish('$aws/things/%s/jobs/get' % thing, {'clientToken': 'c1'})
        dev.expect('$aws/things/%s/jobs/get/accepted' % thing)
        dev.publish('$aws/things/%s/jobs/no-such-job/get' % thing, {})
        dev.expect('$aws/things/%s/jobs/no-such-job/get/rejected' % thing)
        after = parse_metrics(self.scrape())

        def delta(name, **labels):
            return sample(after, name, **labels) - sample(before, name, **labels)
        self.assertEqual(delta('jobsd_mqtt_requests_total', operation='GetPendingJobExecutions',
                               result='accepted'), 1)
        self.assertEqual(delta('jobsd_mqtt_requests_total', operation='DescribeJobExecution',
                               result='rejected'), 1)
        self.assertEqual(delta('jobsd_mqtt_request_duration_seconds_count',
                               operation='GetPendingJobExecutions'), 1)
        self.assertGreaterEqual(delta('jobsd_mqtt_messages_received_total'), 2)
        # two replies and the job's notifications
        self.assertGreaterEqual(delta('jobsd_mqtt_messages_sent_total'), 3)

        # the store's counts are cached for 5 s: they catch up
        def queued():
            m = parse_metrics(self.scrape())
            self.assertGreaterEqual(sample(m, 'jobsd_executions', status='QUEUED'), 1)
            self.assertGreaterEqual(sample(m, 'jobsd_jobs_active'), 1)
        eventually(queued, timeout=8)

    def test_readyz_follows_the_broker(self):
        status, _, body = admin_get(self.jobsd, '/readyz')
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {'ready': True, 'store': 'ok', 'mqtt': 'ok'})
        self.broker.stop()
        try:
            def down():
                st, _, b = admin_get(self.jobsd, '/readyz')
                self.assertEqual(st, 503, b)
                doc = json.loads(b)
                self.assertFalse(doc['ready'])
                self.assertIn('not connected', doc['mqtt'])
                self.assertEqual(doc['store'], 'ok')
            eventually(down, timeout=10)
            m = parse_metrics(self.scrape())
            self.assertEqual(sample(m, 'jobsd_mqtt_connected'), 0)
            self.assertEqual(admin_get(self.jobsd, '/healthz')[0], 200)
        finally:
            self.broker.start()

        def up():
            st, _, b = admin_get(self.jobsd, '/readyz')
            self.assertEqual(st, 200, b)
        eventually(up, timeout=20)

    def test_request_id_in_response_log_and_access_log(self):
        ids = set()
        for i in range(3):
            status, h, _ = self.jobsd.raw('GET', '/things/rid-%d' % i)
            self.assertEqual(status, 404)
            rid = h.get('x-amzn-requestid', '')
            self.assertRegex(rid, UUID_RE)
            ids.add(rid)
        self.assertEqual(len(ids), 3, 'request ids repeat')
        thing = self.name('rid')
        resp = self.iot.create_thing(thingName=thing)
        rid = resp['ResponseMetadata']['RequestId']
        self.assertRegex(rid, UUID_RE)

        def logged():
            with open(self.jobsd.log_path, encoding='utf-8') as f:
                lines = [json.loads(x) for x in f if x.strip()]
            for doc in lines:
                self.assertTrue({'ts', 'level', 'msg'} <= set(doc), doc)
            mine = [d for d in lines if d.get('request_id') == rid]
            self.assertTrue(mine, 'no log line with request id %s' % rid)
            self.assertEqual(mine[0]['operation'], 'CreateThing')
            self.assertEqual(mine[0]['uri'], '/things/' + thing)
            with open(self.access_log, encoding='utf-8') as f:
                acc = [x for x in f if rid in x]
            self.assertEqual(len(acc), 1, 'access log lines with %s' % rid)
            self.assertRegex(acc[0], r'^127\.0\.0\.1 - - \[[^]]+\] "POST /things/%s HTTP/1\.1" '
                             r'200 \d+ "-" "[^"]*" CreateThing %s \d+\.\d{6}\n$'
                             % (re.escape(thing), rid))
        eventually(logged)

    def test_access_log_escapes_and_reopens_on_sighup(self):
        status, h, _ = self.jobsd.raw('GET', '/things/x', headers={'User-Agent': 'a"b\\c'})
        rid = h['x-amzn-requestid']

        def escaped():
            with open(self.access_log, encoding='utf-8') as f:
                line = [x for x in f if rid in x][0]
            self.assertIn('"a\\x22b\\x5cc"', line)
        eventually(escaped)
        rotated = self.access_log + '.1'
        os.rename(self.access_log, rotated)
        self.jobsd.proc.send_signal(signal.SIGHUP)

        def reopened():
            _, hh, _ = self.jobsd.raw('GET', '/things/after-rotate')
            self.assertTrue(os.path.exists(self.access_log))
            with open(self.access_log, encoding='utf-8') as f:
                self.assertIn(hh['x-amzn-requestid'], f.read())
        eventually(reopened)
        with open(rotated, encoding='utf-8') as f:
            self.assertIn(rid, f.read())


class TestAdminAuth(harness.JobsdTestCase):
    """auth=sigv4: an admin key, a plain key, and the bearer token."""

    jobsd_credentials = [('AKIDADMIN', 'admin-secret', True), ('AKIDPLAIN', 'plain-secret', False)]

    @classmethod
    def setUpClass(cls):
        cls.tokdir = tempfile.mkdtemp(prefix='jobsd-it-')
        cls.token_file = os.path.join(cls.tokdir, 'admin.token')
        fd = os.open(cls.token_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(TOKEN + '\n')
        cls.jobsd_extra_args = ('--admin-listen', '127.0.0.1:0', '--admin-token-file',
                                cls.token_file, '--throttle-rates', 'ListThings=1')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.tokdir, ignore_errors=True)

    def refused(self, reason):
        st, _, body = admin_get(self.jobsd, '/metrics', {'Authorization': 'Bearer ' + TOKEN})
        self.assertEqual(st, 200)
        return sample(parse_metrics(body.decode()), 'jobsd_requests_refused_total',
                      protocol='http', reason=reason)

    def test_health_checks_are_open(self):
        self.assertEqual(admin_get(self.jobsd, '/healthz')[0], 200)
        st, _, body = admin_get(self.jobsd, '/readyz')
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)['mqtt'], 'off')

    def test_metrics_needs_admin_key_or_token(self):
        auth0 = self.refused('auth')
        st, h, body = admin_get(self.jobsd, '/metrics')
        self.assertEqual(st, 401, body)
        self.assertIn('message', json.loads(body))
        self.assertIn('bearer', h.get('www-authenticate', '').lower())
        self.assertEqual(admin_get(self.jobsd, '/metrics',
                                   {'Authorization': 'Bearer wrong-token-0123456789'})[0], 401)
        self.assertEqual(admin_get(self.jobsd, '/metrics',
                                   {'Authorization': 'Bearer ' + TOKEN})[0], 200)
        hdrs = signed_headers(self.jobsd, '/metrics', 'AKIDADMIN', 'admin-secret')
        st, _, body = admin_get(self.jobsd, '/metrics', hdrs)
        self.assertEqual(st, 200, body)
        hdrs = signed_headers(self.jobsd, '/metrics', 'AKIDPLAIN', 'plain-secret')
        st, _, body = admin_get(self.jobsd, '/metrics', hdrs)
        self.assertEqual(st, 403, body)
        self.assertIn('admin', json.loads(body)['message'])
        hdrs = signed_headers(self.jobsd, '/metrics', 'AKIDADMIN', 'not-the-secret')
        self.assertEqual(admin_get(self.jobsd, '/metrics', hdrs)[0], 403)
        self.assertEqual(self.refused('auth') - auth0, 4)

    def test_unknown_path_and_method(self):
        hdr = {'Authorization': 'Bearer ' + TOKEN}
        self.assertEqual(admin_get(self.jobsd, '/nope', hdr)[0], 404)
        self.assertEqual(admin_get(self.jobsd, '/metrics', hdr, method='DELETE')[0], 405)
        self.assertEqual(admin_get(self.jobsd, '/%zz', hdr)[0], 400)

    def test_refusals_are_counted(self):
        auth0, thr0 = self.refused('auth'), self.refused('throttled')
        st, _, _ = self.jobsd.raw('GET', '/things')        # unsigned with auth on
        self.assertEqual(st, 403)
        iot = harness.boto_client('iot', self.jobsd.control_url, 'AKIDADMIN', 'admin-secret',
                                  retries={'total_max_attempts': 1})
        codes = []
        for _ in range(4):
            try:
                iot.list_things()
                codes.append(200)
            except iot.exceptions.ThrottlingException:
                codes.append(400)
        self.assertIn(400, codes)
        self.assertEqual(self.refused('auth') - auth0, 1)
        self.assertEqual(self.refused('throttled') - thr0, codes.count(400))


class TestUnsafeStart(unittest.TestCase):

    def run_jobsd(self, *args):
        d = tempfile.mkdtemp(prefix='jobsd-it-')
        try:
            bin_ = os.path.abspath(os.environ.get('JOBSD_BIN') or harness.DEFAULT_BIN)
            return subprocess.run([bin_, '--listen', '127.0.0.1:0', '--data-listen', '',
                                   '--store', 'sqlite:%s/j.db' % d] + list(args),
                                  capture_output=True, timeout=20, cwd=d)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_admin_off_loopback_without_auth_refused(self):
        r = self.run_jobsd('--admin-listen', '0.0.0.0:0')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b'unsafe: admin-listen', r.stderr)
        self.assertNotIn(b'jobsd ready', r.stdout)

    def test_token_file_readable_by_others_refused(self):
        d = tempfile.mkdtemp(prefix='jobsd-it-')
        try:
            tok = os.path.join(d, 'tok')
            with open(tok, 'w') as f:
                f.write(TOKEN)
            os.chmod(tok, 0o644)
            r = self.run_jobsd('--admin-listen', '127.0.0.1:0', '--admin-token-file', tok)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(b'admin-token-file', r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_bad_log_format_refused(self):
        r = self.run_jobsd('--log-format', 'xml')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b'log-format', r.stderr)


class TestPrometheusSamples(unittest.TestCase):
    """contrib/prometheus: the alert rules pass `promtool check rules`; the scrape config
    passes `promtool check config` (its rule file pointed at the repository's); and
    docs/operations.md shows both exactly as they are in the files."""

    def test_rules_and_config_check_and_match_the_docs(self):
        promtool = shutil.which('promtool')
        self.assertIsNotNone(promtool, 'promtool not found (scripts/install-deps.sh)')
        rules = os.path.join(harness.REPO, 'contrib', 'prometheus', 'jobsd-rules.yml')
        conf = os.path.join(harness.REPO, 'contrib', 'prometheus', 'prometheus.yml')
        r = subprocess.run([promtool, 'check', 'rules', rules], capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode())
        with tempfile.TemporaryDirectory(prefix='jobsd-it-') as d:
            with open(conf) as f:
                text = f.read().replace('/etc/prometheus/jobsd-rules.yml', rules)
            tok = os.path.join(d, 'jobsd-admin.token')
            with open(tok, 'w') as f:
                f.write(TOKEN)
            text = text.replace('/etc/prometheus/jobsd-admin.token', tok)
            with open(os.path.join(d, 'prometheus.yml'), 'w') as f:
                f.write(text)
            r = subprocess.run([promtool, 'check', 'config', os.path.join(d, 'prometheus.yml')],
                               capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode())
        with open(os.path.join(harness.REPO, 'docs', 'operations.md')) as f:
            doc = f.read()
        for path in (rules, conf):
            with open(path) as f:
                self.assertIn('```yaml\n' + f.read() + '```', doc,
                              '%s is not shown verbatim in docs/operations.md' % path)


def wait_ready(test, jobsd, want, timeout):
    """Poll /readyz until it is 200 (want True) or 503 (want False); returns its body."""
    deadline = time.monotonic() + timeout
    while True:
        st, _, body = admin_get(jobsd, '/readyz')
        if (st == 200) == want:
            test.assertEqual(st, 200 if want else 503, body)
            return json.loads(body)
        if time.monotonic() > deadline:
            test.fail('/readyz stayed %s for %.0f s: %r' % (st, timeout, body))
        time.sleep(0.1)


@harness.sqlite_only('another process holds the SQLite file\'s write lock')
class TestReadyzStoreLockedSqlite(unittest.TestCase):

    def test_not_ready_while_the_store_is_locked(self):
        with harness.Jobsd(extra_args=('--admin-listen', '127.0.0.1:0')) as j:
            wait_ready(self, j, True, 5)
            db = sqlite3.connect(os.path.join(j.data_dir, 'jobsd.db'), timeout=10,
                                 isolation_level=None)
            try:
                db.execute('BEGIN EXCLUSIVE')
                t0 = time.monotonic()
                doc = wait_ready(self, j, False, 10)
                self.assertIn('store', doc['store'])
                self.assertLess(time.monotonic() - t0, 8)
                # /healthz keeps answering, and /readyz answers at once meanwhile
                self.assertEqual(admin_get(j, '/healthz')[0], 200)
            finally:
                db.execute('ROLLBACK')
                db.close()
            wait_ready(self, j, True, 15)


@unittest.skipUnless(harness.STORE == 'postgres', 'PostgreSQL only: its server is stopped')
class TestReadyzStorePostgres(unittest.TestCase):

    def test_not_ready_while_the_server_is_down(self):
        import pgkit
        server = pgkit.PgServer().start()
        pgkit._shared = server
        try:
            with harness.Jobsd(extra_args=('--admin-listen', '127.0.0.1:0')) as j:
                wait_ready(self, j, True, 5)
                server.pause()
                try:
                    doc = wait_ready(self, j, False, 10)
                    self.assertIn('store', doc['store'])
                finally:
                    server.resume()
                wait_ready(self, j, True, 20)
        finally:
            server.stop()


if __name__ == '__main__':
    harness.main()
