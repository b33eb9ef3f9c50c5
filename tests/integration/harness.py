"""Black-box test harness for jobsd integration tests.

Starts the real jobsd binary (JOBSD_BIN, default <repo>/build/jobsd) in test-rig mode with
auth off (or SigV4 against a credentials file it writes, when given credentials) and a
private SQLite store, waits for its ready line, and hands out boto3 clients,
a raw HTTP helper and an `aws` CLI runner pointed at it.

Each test file runs in its own process:  python3 tests/integration/test_x.py
and ends with  `if __name__ == '__main__': harness.main()`.

API (other test files code against this; keep it stable):
    Jobsd(data_dir=None, extra_args=(), test_rig=True, credentials=None, scheme='http',
          ca_file=None)
        credentials: None (auth off) or [(access_key_id, secret), ...]: written to
        <data_dir>/credentials and passed as --auth sigv4 --credentials-file; the
        clients below then sign with the first pair (raw() stays unsigned). The first
        pair is marked admin (test-rig endpoints); a pair may be (id, secret, admin)
        to say so itself. With auth on, reset() and the clock calls sign as that pair.
        scheme 'https': the listeners speak TLS (pass --tls-cert/--tls-key in
        extra_args); the URLs are https://, and boto3, raw() and aws() trust
        ca_file (boto3 verify=, the CLI's --ca-bundle)
        .start() .stop(sig) .kill9() .restart() .close()  context manager
        .control_url .data_url .data_dir .proc .credentials_path .access_key .secret_key
        .iot() .jobs_data() .raw(method, path, body, headers, plane, client_cert)
            client_cert: (certfile, keyfile) presented over https (device mutual TLS)
        .reset() .clock_now_ms() .advance_clock(seconds) .rig(method, path, body)
        .aws(*args, plane, check)
    ACCOUNT, REGION, thing_arn(), group_arn(), job_arn()
    JobsdTestCase   one Jobsd per class, reset() before every test
                    (class attributes jobsd_extra_args, jobsd_credentials,
                    jobsd_scheme, jobsd_ca_file)
        fixtures: create_thing() create_group() create_job() job_on() jobs_in_order()
        executions: describe_exec() wait_exec() update_exec() job_counts()
        polling: eventually() (class attribute eventually_timeout)
    main()

The store: SQLite (a file in the data dir) unless JOBSD_TEST_STORE=postgres, which gives
each Jobsd its own database (named after its data dir, so a restart or a second Jobsd on
the same dir sees the same state) on one real PostgreSQL server per test process
(pgkit.py; JOBSD_PG_ADMIN_URI names a server started elsewhere).
    STORE ('sqlite' or 'postgres')   sqlite_only(reason): skip a test or class on PostgreSQL
    Jobsd.store_spec()               the --store value of this jobsd

Helpers shared by the test files (one definition each, here; a test file imports them
and, where its tests use another name, binds that name to the one here):
    strip(resp)   clean(obj)   all_pages(method, key, **kw)   eventually(fn, timeout)
    schedule_time(ms)   boto_client(service, url, access_key, secret_key, ...)
    COUNT_KEY (execution status -> jobProcessDetails member)   COUNT_KEYS
"""

import datetime
import http.client
import itertools
import json
import os
import queue
import re
import shutil
import signal
import stat
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

# The store the tests run against (the module docstring): 'sqlite' or 'postgres'.
STORE = os.environ.get('JOBSD_TEST_STORE', 'sqlite')
# the binary under test is built with ASan+UBSan (the sanitizer pass of `make test`)
SANITIZED = os.environ.get('JOBSD_SANITIZED') == '1'
if STORE not in ('sqlite', 'postgres'):
    raise RuntimeError('JOBSD_TEST_STORE must be sqlite or postgres, not %r' % STORE)


def one_store(what):
    """For a test class of what lies in front of the store (a flood of a listener or of the
    MQTT bridge, refused before any store call): it runs in the SQLite run of its file only,
    so the heaviest tests of `make test` run once. The rest of the file runs on both."""
    return unittest.skipIf(STORE == 'postgres',
                           'in front of the store (%s): runs once, on SQLite' % what)


def sqlite_only(reason):
    """Skip a test (or class) when the store is PostgreSQL: it checks something only a
    SQLite file has (reason says what)."""
    return unittest.skipUnless(STORE == 'sqlite', 'SQLite only: ' + reason)


def _pg_db_name(data_dir):
    import hashlib
    return 'jd_' + hashlib.sha1(os.path.realpath(data_dir).encode()).hexdigest()[:20]


ACCOUNT = '123456789012'
REGION = 'us-east-1'
ACCESS_KEY = 'AKIDEXAMPLE'
SECRET_KEY = 'jobsd-dev-secret'

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DEFAULT_BIN = os.path.join(REPO, 'build', 'jobsd')

READY_RE = re.compile(
    r'^jobsd ready control=(127\.0\.0\.1:\d+) data=(127\.0\.0\.1:\d+)\s*$')
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


# Temporary directories the test helpers create (tempfile.mkdtemp prefixes). A run
# killed before its clean-up (kill -9, CI timeout) leaves them behind; each import
# of the harness removes those older than STALE_AGE, which is longer than any test
# may run (ctest's TIMEOUT is 600 s), so a concurrent run's directories are safe.
# jobsd-tmpfs-* are mount points (test_99_faults) and are left to their test.
STALE_PREFIXES = ('jobsd-it-', 'jobsd-broker-', 'jobsd-mosq-', 'jobsd-tls-',
                  'jobsd-tmpfs-probe-')
STALE_AGE = 3600.0


def sweep_stale_dirs(root=None, now=None):
    """Remove stale helper directories under root (default: the temp dir).

    Returns the names removed."""
    root = root or tempfile.gettempdir()
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(STALE_PREFIXES):
            continue
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            continue
        if now - st.st_mtime < STALE_AGE or os.path.ismount(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            removed.append(name)
    return removed


sweep_stale_dirs()


def thing_arn(name):
    return 'arn:aws:iot:%s:%s:thing/%s' % (REGION, ACCOUNT, name)


def group_arn(name):
    return 'arn:aws:iot:%s:%s:thinggroup/%s' % (REGION, ACCOUNT, name)


def job_arn(job_id):
    return 'arn:aws:iot:%s:%s:job/%s' % (REGION, ACCOUNT, job_id)


# -- helpers shared by the test files ----------------------------------------

POLL_INTERVAL = 0.05    # seconds between two probes of eventually()

# The jobProcessDetails member that counts the things whose execution has each status.
COUNT_KEY = {
    'QUEUED': 'numberOfQueuedThings',
    'IN_PROGRESS': 'numberOfInProgressThings',
    'SUCCEEDED': 'numberOfSucceededThings',
    'FAILED': 'numberOfFailedThings',
    'REJECTED': 'numberOfRejectedThings',
    'CANCELED': 'numberOfCanceledThings',
    'TIMED_OUT': 'numberOfTimedOutThings',
    'REMOVED': 'numberOfRemovedThings',
}
COUNT_KEYS = tuple(COUNT_KEY.values())

# Members that depend on the moment of the call, not on the stored state.
VOLATILE = ('approximateSecondsBeforeTimedOut', 'ResponseMetadata')


def strip(resp):
    """A boto3 response without its ResponseMetadata (a shallow copy)."""
    resp = dict(resp)
    resp.pop('ResponseMetadata', None)
    return resp


def clean(obj):
    """obj without ResponseMetadata and clock-dependent members, recursively: what must
    be equal before and after a restart."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def all_pages(method, key, max_pages=10000, **kw):
    """Every item of list `key` over all pages of the boto3 call method(**kw).
    AssertionError when the pages do not end within max_pages."""
    out, token = [], None
    for _ in range(max_pages):
        args = dict(kw)
        if token:
            args['nextToken'] = token
        r = method(**args)
        out.extend(r[key])
        token = r.get('nextToken')
        if not token:
            return out
    raise AssertionError('pagination does not end')


def admin_addr(jobsd):
    """ADDR:PORT of a jobsd's admin listener (its `jobsd admin=` stdout line)."""
    for line in jobsd.stdout_lines:
        if line.startswith('jobsd admin='):
            return line.split('=', 1)[1]
    raise AssertionError('no admin line on stdout: %r' % jobsd.stdout_lines)


def admin_request(jobsd, method, path, body=None, headers=None):
    """One request to the admin listener: (status, lower-case headers, raw body bytes)."""
    host, port = admin_addr(jobsd).rsplit(':', 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def eventually(fn, timeout=5.0):
    """Call fn until it stops raising AssertionError and return its result; after timeout
    seconds the last AssertionError propagates. For effects that are asynchronous: a
    timer fires within a second of its due time, a deleted job goes in the background."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(POLL_INTERVAL)


def schedule_time(ms):
    """Epoch milliseconds as a schedulingConfig time: 'YYYY-MM-DDTHH:MM' in UTC."""
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc) \
        .strftime('%Y-%m-%dT%H:%M')


ONE_RETRY = {'max_attempts': 1}


def boto_client(service, url, access_key, secret_key, verify=None, retries=ONE_RETRY,
                client_cert=None):
    """A new boto3 client of service ('iot' or 'iot-jobs-data') at url, signing with the
    given key pair in REGION. verify: a CA file for https (None: boto3's default).
    retries: botocore's retry configuration; the default max_attempts 1 means one retry in
    botocore's legacy mode; None leaves boto3's defaults. client_cert: (certfile, keyfile)
    to present over https."""
    cfg = {}
    if retries is not None:
        cfg['retries'] = dict(retries)
    if client_cert is not None:
        cfg['client_cert'] = client_cert
    kw = {}
    if cfg:
        kw['config'] = botocore.config.Config(**cfg)
    if verify is not None:
        kw['verify'] = verify
    global _boto_session
    with _boto_lock:
        if _boto_session is None:
            _boto_session = boto3.session.Session()
        return _boto_session.client(
            service, endpoint_url=url, region_name=REGION,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, **kw)


# One boto3 session for every client of the process: a session caches the service models
# and endpoint data it loads, and a new session per client parsed them again each time
# (about 0.3 s of CPU per client, half of a test file's time). The keys go to each client,
# never to the session, so clients stay independent. Creating clients is not thread-safe
# in botocore: the lock serialises it.
_boto_session = None
_boto_lock = threading.Lock()


def _hostport(url):
    # 'http://127.0.0.1:PORT' -> ('127.0.0.1', PORT)
    hp = url.split('://', 1)[1]
    host, port = hp.rsplit(':', 1)
    return host, int(port)


class Jobsd:
    """One jobsd process. Not thread-safe; one per test class."""

    def __init__(self, data_dir=None, extra_args=(), test_rig=True, credentials=None,
                 scheme='http', ca_file=None):
        if scheme not in ('http', 'https'):
            raise ValueError('scheme must be http or https')
        self.scheme = scheme
        self.ca_file = ca_file
        self._own_dir = data_dir is None
        self.data_dir = data_dir if data_dir is not None else tempfile.mkdtemp(prefix='jobsd-it-')
        self.extra_args = tuple(extra_args)
        self.test_rig = test_rig
        self.credentials = list(credentials) if credentials is not None else None
        self.credentials_path = None
        self.access_key, self.secret_key = ACCESS_KEY, SECRET_KEY
        if self.credentials is not None:
            self.credentials_path = os.path.join(self.data_dir, 'credentials')
            self.write_credentials(self.credentials)
            if self.credentials:
                self.access_key, self.secret_key = self.credentials[0][:2]
        self.bin = os.path.abspath(os.environ.get('JOBSD_BIN') or DEFAULT_BIN)
        self.proc = None
        self.control_url = None
        self.data_url = None
        self.log_path = os.path.join(self.data_dir, 'jobsd.log')
        self._log = None
        self._reader = None
        self._clients = {}
        self.stdout_lines = []   # every stdout line seen (ready line included)
        self._pg_uri = None      # STORE postgres: this jobsd's database

    def write_credentials(self, pairs):
        """(Re)write the credentials file (mode 600); send SIGHUP to make jobsd re-read it."""
        fd = os.open(self.credentials_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            for i, pair in enumerate(pairs):
                admin = pair[2] if len(pair) > 2 else i == 0
                f.write('%s %s%s\n' % (pair[0], pair[1], ' admin' if admin else ''))

    # -- process lifecycle -------------------------------------------------

    def command(self):
        args = [self.bin,
                '--listen', '127.0.0.1:0',
                '--data-listen', '127.0.0.1:0',
                '--store', self.store_spec(),
                '--log-level', 'warn',
                # one name across restarts, as docs/operations.md asks of several nodes: a
                # restarted jobsd renews its own leases (duties, MQTT shards) at once
                # instead of waiting up to 3 s for the dead process's to lapse
                '--node-id', re.sub(r'[^A-Za-z0-9._-]', '-', os.path.basename(self.data_dir))[-63:]]
        if self.credentials is None:
            args += ['--auth', 'off']
        else:
            args += ['--auth', 'sigv4', '--credentials-file', self.credentials_path]
        if self.test_rig:
            args.append('--test-rig')
        args.extend(self.extra_args)
        return args

    def store_spec(self):
        """The --store of this jobsd: its SQLite file, or its PostgreSQL database (created
        here on first use)."""
        if STORE == 'sqlite':
            return 'sqlite:%s' % os.path.join(self.data_dir, 'jobsd.db')
        if self._pg_uri is None:
            import pgkit
            server = pgkit.shared_server()
            name = _pg_db_name(self.data_dir)
            if server.admin("SELECT 1 FROM pg_database WHERE datname = '%s'" % name).strip() != '1':
                server.create_db(name)
            self._pg_uri, self._pg_name = server.uri(name), name
        return self._pg_uri

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        if self.running():
            raise RuntimeError('jobsd already running')
        if not os.path.exists(self.bin):
            raise RuntimeError('jobsd binary not found: %s (set JOBSD_BIN)' % self.bin)
        self._log = open(self.log_path, 'ab')
        self.store_spec()   # PostgreSQL: the database exists before the command names it
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._log,
                                     cwd=self.data_dir)
        lines = queue.Queue()
        proc = self.proc
        seen = self.stdout_lines

        def reader():
            # Keeps draining stdout for the life of the process so it never blocks on a
            # full pipe; only lines before the ready line matter to start().
            for raw in proc.stdout:
                line = raw.decode('utf-8', 'replace').rstrip('\r\n')
                seen.append(line)
                lines.put(line)
            lines.put(None)

        self._reader = threading.Thread(target=reader, name='jobsd-stdout', daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abort_start('no ready line within %.0f s' % START_TIMEOUT)
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                self._abort_start('no ready line within %.0f s' % START_TIMEOUT)
            if line is None:
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
                self._abort_start('jobsd exited with %s before its ready line' % rc)
            m = READY_RE.match(line)
            if m:
                self.control_url = '%s://%s' % (self.scheme, m.group(1))
                self.data_url = '%s://%s' % (self.scheme, m.group(2))
                return self

    def _abort_start(self, why):
        if self.running():
            self.proc.kill()
            self.proc.wait()
        self._finish()
        raise RuntimeError('%s\ncommand: %s\nstdout: %r\nlog tail:\n%s'
                           % (why, ' '.join(self.command()), self.stdout_lines[-20:],
                              self.log_tail()))

    def _finish(self):
        if self.proc is not None and self.proc.stdout is not None:
            if self._reader is not None:
                self._reader.join(timeout=STOP_TIMEOUT)
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        self._reader = None

    def stop(self, sig=signal.SIGTERM):
        """Send sig and wait for the exit; SIGTERM must give exit code 0. Returns the code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._finish()
            raise AssertionError('jobsd did not exit within %.0f s of signal %s\nlog tail:\n%s'
                                 % (STOP_TIMEOUT, sig, self.log_tail()))
        self._finish()
        self.proc = None
        if sig == signal.SIGTERM and rc != 0:
            raise AssertionError('jobsd exited with %s after SIGTERM (want 0)\nlog tail:\n%s'
                                 % (rc, self.log_tail()))
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop(signal.SIGTERM)
        return self.start()

    def close(self):
        try:
            if self.running():
                self.stop(signal.SIGTERM)
            elif self.proc is not None:
                self.proc.wait()
                self._finish()
                self.proc = None
        finally:
            if self._own_dir and os.environ.get('JOBSD_KEEP_DATA') is None:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                if self._pg_uri is not None:
                    import pgkit
                    pgkit.shared_server().drop_db(self._pg_name)
                    self._pg_uri = None

    def __enter__(self):
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def log_tail(self, n=40):
        try:
            with open(self.log_path, 'rb') as f:
                data = f.read().decode('utf-8', 'replace')
        except OSError:
            return '(no log)'
        return '\n'.join(data.splitlines()[-n:])

    # -- clients -----------------------------------------------------------

    def _client(self, service, url):
        key = (service, url)
        c = self._clients.get(key)
        if c is None:
            c = boto_client(service, url, self.access_key, self.secret_key,
                            verify=self.ca_file if self.scheme == 'https' and self.ca_file
                            else None)
            self._clients[key] = c
        return c

    def iot(self):
        return self._client('iot', self.control_url)

    def jobs_data(self):
        return self._client('iot-jobs-data', self.data_url)

    def ssl_context(self, client_cert=None):
        """An SSL context trusting ca_file (the system CAs without one), presenting
        client_cert=(certfile, keyfile) when given."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        if client_cert is not None:
            ctx.load_cert_chain(client_cert[0], client_cert[1])
        return ctx

    def raw(self, method, path, body=None, headers=None, plane='control', client_cert=None):
        """Unsigned HTTP request; the path is sent verbatim. Returns (status, headers, body)."""
        url = self.control_url if plane == 'control' else self.data_url
        host, port = _hostport(url)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode('utf-8')
            if not any(k.lower() == 'content-type' for k in hdrs):
                hdrs['Content-Type'] = 'application/json'
        elif isinstance(body, str):
            body = body.encode('utf-8')
        if self.scheme == 'https':
            conn = http.client.HTTPSConnection(host, port, timeout=30,
                                               context=self.ssl_context(client_cert))
        else:
            conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            if body is not None and not any(k.lower() == 'content-length' for k in hdrs):
                hdrs['Content-Length'] = str(len(body))
            elif body is None and method in ('POST', 'PUT', 'PATCH', 'DELETE') \
                    and not any(k.lower() == 'content-length' for k in hdrs):
                hdrs['Content-Length'] = '0'
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            rh = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, rh, data
        finally:
            conn.close()

    def raw_json(self, method, path, body=None, headers=None, plane='control', client_cert=None):
        """raw() and decode a JSON body (None when empty)."""
        status, h, data = self.raw(method, path, body, headers, plane, client_cert)
        return status, h, (json.loads(data) if data.strip() else None)

    # -- test-rig endpoints ------------------------------------------------

    def rig(self, method, path, body=None):
        """A test-rig request on the control listener: with auth on, signed (SigV4,
        service iot) with the harness's key, which the credentials file marks admin."""
        headers = {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self.credentials is not None:
            req = botocore.awsrequest.AWSRequest(method=method, url=self.control_url + path,
                                                 headers=headers, data=body or b'')
            botocore.auth.SigV4Auth(
                botocore.credentials.Credentials(self.access_key, self.secret_key), 'iot',
                REGION).add_auth(req)
            headers = {k: (v.decode() if isinstance(v, bytes) else v)
                       for k, v in req.headers.items()}
        return self.raw(method, path, body, headers)

    def reset(self):
        status, _, data = self.rig('POST', '/_jobsd/reset')
        assert status == 200, 'reset failed: %s %r' % (status, data)

    def clock_now_ms(self):
        status, _, data = self.rig('GET', '/_jobsd/clock')
        assert status == 200, 'clock read failed: %s %r' % (status, data)
        return json.loads(data)['now']

    def advance_clock(self, seconds):
        status, _, data = self.rig('POST', '/_jobsd/clock', {'advanceSeconds': seconds})
        assert status == 200, 'clock advance failed: %s %r' % (status, data)
        return json.loads(data)['now']

    # -- aws CLI -----------------------------------------------------------

    def aws(self, *args, plane='control', check=True):
        exe = shutil.which('aws')
        if exe is None:
            raise unittest.SkipTest('aws CLI not on PATH')
        url = self.control_url if plane == 'control' else self.data_url
        env = dict(os.environ)
        for k in ('AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN',
                  'AWS_SECURITY_TOKEN', 'AWS_CA_BUNDLE'):
            env.pop(k, None)
        env.update({
            'AWS_ACCESS_KEY_ID': self.access_key,
            'AWS_SECRET_ACCESS_KEY': self.secret_key,
            'AWS_DEFAULT_REGION': REGION,
            'AWS_CONFIG_FILE': os.path.join(self.data_dir, 'no-aws-config'),
            'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.data_dir, 'no-aws-credentials'),
            'AWS_MAX_ATTEMPTS': '1',
            'AWS_EC2_METADATA_DISABLED': 'true',
            'AWS_PAGER': '',
        })
        cmd = [exe] + list(args) + ['--endpoint-url', url, '--region', REGION,
                                    '--output', 'json']
        if self.scheme == 'https' and self.ca_file:
            cmd += ['--ca-bundle', self.ca_file]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120)
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        parsed = json.loads(out) if out.strip() else None
        if check and p.returncode != 0:
            raise AssertionError('aws %s failed (%d): %s' % (' '.join(args), p.returncode, err))
        return p.returncode, parsed, err


_names = itertools.count(1)


class JobsdTestCase(unittest.TestCase):
    """One jobsd per test class (started in setUpClass); state reset before every test."""

    jobsd_extra_args = ()
    jobsd_credentials = None
    jobsd_scheme = 'http'
    jobsd_ca_file = None
    jobsd = None
    eventually_timeout = 5.0            # seconds eventually() waits by default
    job_document = '{"op":"x"}'         # the document of job_on()'s jobs

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jobsd = Jobsd(extra_args=cls.jobsd_extra_args, credentials=cls.jobsd_credentials,
                          scheme=cls.jobsd_scheme, ca_file=cls.jobsd_ca_file)
        try:
            cls.jobsd.start()
        except Exception:
            cls.jobsd.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.jobsd is not None:
                cls.jobsd.close()
        finally:
            super().tearDownClass()

    def setUp(self):
        super().setUp()
        if not self.jobsd.running():
            # An earlier test crashed the server: say so and carry on with a fresh process.
            rc = self.jobsd.proc.returncode if self.jobsd.proc is not None else None
            sys.stderr.write('\n*** jobsd died (rc=%s); restarting. log tail:\n%s\n'
                             % (rc, self.jobsd.log_tail()))
            if self.jobsd.proc is not None:
                self.jobsd._finish()
                self.jobsd.proc = None
            self.jobsd.start()
        self.jobsd.reset()

    @property
    def iot(self):
        return self.jobsd.iot()

    @property
    def data(self):
        return self.jobsd.jobs_data()

    def name(self, prefix='t'):
        return '%s-%d' % (prefix, next(_names))

    def assertAwsError(self, fn, code, status=None, *args, **kwargs):
        """Call fn(*args, **kwargs); expect a botocore ClientError with this code and status.
        Returns the ClientError."""
        try:
            result = fn(*args, **kwargs)
        except botocore.exceptions.ClientError as e:
            got_code = e.response.get('Error', {}).get('Code')
            got_status = e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
            msg = '%s (HTTP %s): %s' % (got_code, got_status,
                                        e.response.get('Error', {}).get('Message'))
            self.assertEqual(got_code, code, 'wrong error code; got ' + msg)
            if status is not None:
                self.assertEqual(got_status, status, 'wrong HTTP status; got ' + msg)
            return e
        r = dict(result) if isinstance(result, dict) else result
        if isinstance(r, dict):
            r.pop('ResponseMetadata', None)
        self.fail('expected %s (HTTP %s), call succeeded: %r' % (code, status, r))

    def assertRawError(self, resp, code, status):
        """resp is raw()'s (status, headers, body): check an AWS rest-json error."""
        got_status, h, body = resp
        self.assertEqual(got_status, status, 'status; body %r' % (body,))
        self.assertIn('x-amzn-errortype', h, 'error without x-amzn-ErrorType: %r' % (body,))
        self.assertEqual(h['x-amzn-errortype'].split(':', 1)[0], code)
        doc = json.loads(body)
        self.assertIsInstance(doc, dict)
        self.assertIsInstance(doc.get('message'), str)
        return doc

    # Small conveniences used by several files.

    def create_thing(self, name=None, **kw):
        name = name or self.name('thing')
        self.iot.create_thing(thingName=name, **kw)
        return name

    def create_group(self, name=None, parent=None, **kw):
        name = name or self.name('grp')
        if parent is not None:
            kw['parentGroupName'] = parent
        self.iot.create_thing_group(thingGroupName=name, **kw)
        return name

    def create_job(self, job_id=None, targets=(), document='{"op":"x"}', **kw):
        job_id = job_id or self.name('job')
        self.iot.create_job(jobId=job_id, targets=list(targets), document=document, **kw)
        return job_id

    def job_on(self, things, document=None, **kw):
        """A job on these things (document: the class's job_document), once each has its
        QUEUED execution."""
        document = self.job_document if document is None else document
        job = self.create_job(targets=[thing_arn(t) for t in things], document=document, **kw)
        for t in things:
            self.wait_exec(job, t, status='QUEUED')
        return job

    def jobs_in_order(self, t, n, **kw):
        """n jobs on thing t, each queued 2 s (virtual clock) after the previous one."""
        jobs = []
        for _ in range(n):
            jobs.append(self.job_on([t], **kw))
            self.jobsd.advance_clock(2)
        return jobs

    # Executions.

    def describe_exec(self, job, thing, number=None):
        """Control-plane DescribeJobExecution: the execution (the latest without number)."""
        kw = {} if number is None else {'executionNumber': number}
        return self.iot.describe_job_execution(jobId=job, thingName=thing, **kw)['execution']

    def wait_exec(self, job, thing, number=None, status=None):
        """Wait until the execution exists, and has this status when one is given (a
        rollout or a timer may still be on its way); returns it."""
        def probe():
            try:
                ex = self.describe_exec(job, thing, number)
            except botocore.exceptions.ClientError as e:
                if e.response['Error']['Code'] == 'ResourceNotFoundException':
                    raise AssertionError('execution %s/%s/%s not there' % (job, thing, number))
                raise
            if status is not None:
                self.assertEqual(ex['status'], status)
            return ex
        return self.eventually(probe)

    def update_exec(self, job, thing, status, **kw):
        """Device-plane UpdateJobExecution over HTTP."""
        return self.data.update_job_execution(jobId=job, thingName=thing, status=status, **kw)

    def job_counts(self, job_id):
        """DescribeJob's jobProcessDetails: {COUNT_KEYS member: count}, absent ones 0."""
        d = self.iot.describe_job(jobId=job_id)['job'].get('jobProcessDetails', {})
        return {k: d.get(k, 0) for k in COUNT_KEYS}

    # Polling.

    def eventually(self, fn, timeout=None):
        """eventually(fn, timeout), timeout defaulting to the class's eventually_timeout."""
        return eventually(fn, self.eventually_timeout if timeout is None else timeout)


def main():
    unittest.main(verbosity=1)
