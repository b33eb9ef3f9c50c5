"""A real PostgreSQL server for tests: Debian's postgresql-15, in a temporary directory,
on a free loopback port, stopped at the end (even on failure).

PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
`postgres` user (created by the Debian package; `nobody` otherwise), through setpriv (which
execs, so the process we started is the server and signals reach it), in a directory owned
by that user. Clients connect over TCP as the superuser `jobsd` with
trust authentication on 127.0.0.1 (a throw-away server: no password to leak).

As a library (the integration harness):
    server = PgServer().start()      # .uri(db) .admin(sql) .create_db(name) .stop()
    shared_server()                  # one per process, stopped at exit; reuses
                                     # JOBSD_PG_ADMIN_URI when a launcher gave one
As a launcher (ctest):
    python3 pgkit.py run [--db NAME] -- COMMAND ARGS...
        starts a server, creates database NAME (default jobsd_test), runs COMMAND with
        JOBSD_PG_URI=postgres://jobsd@127.0.0.1:PORT/NAME and
        JOBSD_PG_ADMIN_URI=postgres://jobsd@127.0.0.1:PORT/postgres in its environment,
        stops the server and exits with COMMAND's status. An argument '{uri}' in COMMAND
        is replaced by the database's URI.

Directories are jobsd-pg-* under the temp dir; a run killed before its clean-up leaves one
behind, and the next import stops its server and removes it once it is older than an hour.
"""

import atexit
import fcntl
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PG_BIN = os.environ.get('JOBSD_PG_BIN', '/usr/lib/postgresql/15/bin')
SUPERUSER = 'jobsd'
PREFIX = 'jobsd-pg-'
STALE_AGE = 3600.0
START_TIMEOUT = 30.0


def _run_as():
    """The user to run the server as ([] when we are not root), and its uid/gid."""
    if os.getuid() != 0:
        return [], None
    for name in ('postgres', 'nobody'):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return ['setpriv', '--reuid=%d' % pw.pw_uid, '--regid=%d' % pw.pw_gid,
                '--clear-groups', '--reset-env', '--'], pw
    raise RuntimeError('running as root and no postgres or nobody user to run PostgreSQL as')


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _stop_stale(root=None, now=None):
    """Stop the servers of stale jobsd-pg-* directories and remove them."""
    root = root or tempfile.gettempdir()
    now = time.time() if now is None else now
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        if not name.startswith(PREFIX):
            continue
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if now - st.st_mtime < STALE_AGE:
            continue
        try:
            with open(os.path.join(path, 'data', 'postmaster.pid')) as f:
                os.kill(int(f.readline().strip()), signal.SIGQUIT)
        except (OSError, ValueError):
            pass
        shutil.rmtree(path, ignore_errors=True)


_stop_stale()


INITDB_ARGS = ('-A', 'trust', '-U', SUPERUSER, '-N', '-E', 'UTF8', '--locale=C',
               '--no-instructions')


def _template(as_, pw):
    """The data directory of a fresh cluster to copy for each server: initdb costs about
    a second of CPU, a copy a tenth of that, and each integration file against PostgreSQL
    starts its own server. Made once per PostgreSQL version, arguments and user, under
    the temp dir (jobsd-pgtemplate-KEY, never removed: 40 MB); a lock file makes
    processes starting at once wait for the first, and the directory appears complete
    or not at all (renamed into place)."""
    initdb = os.path.join(PG_BIN, 'initdb')
    version = subprocess.run([initdb, '--version'], check=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE).stdout
    key = hashlib.sha1(repr((initdb, version, INITDB_ARGS, os.getuid(),
                             pw.pw_uid if pw else None)).encode()).hexdigest()[:12]
    root = tempfile.gettempdir()
    path = os.path.join(root, 'jobsd-pgtemplate-' + key)
    data = os.path.join(path, 'data')
    if os.path.isdir(data):
        return data
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(data):
            return data
        tmp = tempfile.mkdtemp(prefix='jobsd-pgtemplate-new-', dir=root)
        try:
            if pw is not None:
                os.chown(tmp, pw.pw_uid, pw.pw_gid)
            subprocess.run(as_ + [initdb, '-D', os.path.join(tmp, 'data')] +
                           list(INITDB_ARGS), check=True, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            os.rename(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return data


class PgServer:
    """One PostgreSQL server in its own temporary directory."""

    def __init__(self):
        self.dir = None
        self.port = None
        self.proc = None

    def _pg(self, prog, *args, check=True, **kw):
        cmd = self._as + [os.path.join(PG_BIN, prog)] + list(args)
        return subprocess.run(cmd, check=check, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)

    def start(self):
        self._as, pw = _run_as()
        self.dir = tempfile.mkdtemp(prefix=PREFIX)
        try:
            if pw is not None:
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            data = os.path.join(self.dir, 'data')
            subprocess.run(['cp', '-a', _template(self._as, pw), data], check=True,
                           stdin=subprocess.DEVNULL)
            for attempt in range(5):
                self.port = _free_port()
                self._spawn()
                if self._wait_ready():
                    return self
                self._kill()
            raise RuntimeError('PostgreSQL did not start; log:\n' + self.log_tail())
        except BaseException:
            self.stop()
            raise

    def _spawn(self):
        # postgres itself (not pg_ctl) as our child: stop() signals it directly.
        with open(os.path.join(self.dir, 'log'), 'ab') as log:
            self.proc = subprocess.Popen(
                self._as + [os.path.join(PG_BIN, 'postgres'), '-D',
                            os.path.join(self.dir, 'data'), '-p', str(self.port),
                            '-k', self.dir, '-c', 'listen_addresses=127.0.0.1',
                            '-c', 'max_connections=200'],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            r = subprocess.run([os.path.join(PG_BIN, 'pg_isready'), '-q', '-h', '127.0.0.1',
                                '-p', str(self.port), '-U', SUPERUSER, '-d', 'postgres',
                                '-t', '1'], stdin=subprocess.DEVNULL)
            if r.returncode == 0:
                return True
            time.sleep(0.05)   # polling pg_isready, bounded by the deadline
        return False

    def _kill(self, sig=signal.SIGQUIT):
        if self.proc is not None and self.proc.poll() is None:
            # SIGQUIT: immediate shutdown (the directory is thrown away anyway)
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self._kill()
        if self.dir is not None and os.environ.get('JOBSD_KEEP_DATA') is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def pause(self):
        """Stop the server (fast shutdown), keeping its data: resume() brings it back."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=30)
            self.proc = None

    def resume(self):
        self._spawn()
        if not self._wait_ready():
            raise RuntimeError('PostgreSQL did not come back; log:\n' + self.log_tail())

    def log_tail(self, n=30):
        try:
            with open(os.path.join(self.dir, 'log'), 'rb') as f:
                return '\n'.join(f.read().decode('utf-8', 'replace').splitlines()[-n:])
        except (OSError, TypeError):
            return '(no log)'

    def uri(self, db='postgres'):
        return 'postgres://%s@127.0.0.1:%d/%s' % (SUPERUSER, self.port, db)

    def admin(self, sql, db='postgres'):
        return admin(self.uri(db), sql)

    def create_db(self, name):
        self.admin('CREATE DATABASE "%s"' % name)
        return self.uri(name)

    def drop_db(self, name):
        self.admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def admin(uri, sql):
    """Run sql with psql on uri; returns its output (raises on an error)."""
    r = subprocess.run(['psql', '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', uri,
                        '-c', sql], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError('psql %r: %s' % (sql, r.stderr.decode('utf-8', 'replace')))
    return r.stdout.decode('utf-8', 'replace')


class _Remote:
    """A server someone else started (JOBSD_PG_ADMIN_URI): databases only."""

    def __init__(self, admin_uri):
        self.admin_uri = admin_uri
        self.base = admin_uri.rsplit('/', 1)[0]

    def uri(self, db='postgres'):
        return '%s/%s' % (self.base, db)

    def admin(self, sql, db='postgres'):
        return admin(self.uri(db), sql)

    def create_db(self, name):
        self.admin('CREATE DATABASE "%s"' % name)
        return self.uri(name)

    def drop_db(self, name):
        self.admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


_shared = None


def shared_server():
    """The server of this process: the launcher's (JOBSD_PG_ADMIN_URI) or one started now
    and stopped at exit."""
    global _shared
    if _shared is None:
        given = os.environ.get('JOBSD_PG_ADMIN_URI')
        if given:
            _shared = _Remote(given)
        else:
            _shared = PgServer().start()
            atexit.register(_shared.stop)
    return _shared


def _main(argv):
    if len(argv) < 2 or argv[0] != 'run' or '--' not in argv:
        sys.stderr.write('usage: pgkit.py run [--db NAME] -- COMMAND ARGS...\n')
        return 2
    sep = argv.index('--')
    opts, cmd = argv[1:sep], argv[sep + 1:]
    db = 'jobsd_test'
    if opts[:1] == ['--db'] and len(opts) == 2:
        db = opts[1]
    elif opts:
        sys.stderr.write('pgkit.py: unknown options %r\n' % (opts,))
        return 2
    server = PgServer()

    def on_signal(signum, frame):
        server.stop()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    try:
        uri = server.create_db(db)
        env = dict(os.environ, JOBSD_PG_URI=uri, JOBSD_PG_ADMIN_URI=server.uri('postgres'))
        cmd = [uri if a == '{uri}' else a for a in cmd]
        return subprocess.call(cmd, env=env)
    finally:
        server.stop()


if __name__ == '__main__':
    sys.exit(_main(sys.argv[1:]))
