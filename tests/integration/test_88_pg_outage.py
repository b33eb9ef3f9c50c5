"""PostgreSQL goes away and comes back (issue 10): while the server is down, every request
that needs the store gets 503 ServiceUnavailableException (x-amzn-ErrorType), jobsd keeps
running, and once the server is back on the same address jobsd serves again by itself (its
pool reconnects), with everything acknowledged before the outage still there. A writer lock
held by another session past jobsd's lock timeout is a 503 too, and only for writes.

PostgreSQL only (JOBSD_TEST_STORE=postgres, the integ_pg_ ctest entry): this file starts a
server of its own, which it stops and restarts.

Run:  JOBSD_TEST_STORE=postgres JOBSD_BIN=build/jobsd python3 tests/integration/test_88_pg_outage.py
"""

import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import pgkit  # noqa: E402

LOCK_TIMEOUT_S = 5.0    # JD_STORE_BUSY_MS: jobsd's lock_timeout
WRITER_LOCK = 7433001   # PG_LOCK_WRITER (src/store/postgres/pg_int.h)


@unittest.skipUnless(harness.STORE == 'postgres', 'PostgreSQL only (JOBSD_TEST_STORE=postgres)')
class TestPostgresOutage(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = pgkit.PgServer().start()
        pgkit._shared = cls.server   # this process's jobsd databases live on it
        cls.jobsd = harness.Jobsd()
        try:
            cls.jobsd.start()
        except Exception:
            cls.jobsd.close()
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.jobsd.close()
        finally:
            cls.server.stop()

    def create_thing(self, name):
        return self.jobsd.raw_json('POST', '/things/' + name, {})

    def assert_503(self, resp, what):
        status, h, doc = resp
        self.assertEqual(status, 503, '%s: want 503, got %s %r' % (what, status, doc))
        self.assertEqual(h.get('x-amzn-errortype', '').split(':')[0],
                         'ServiceUnavailableException', what)

    def hold_writer_lock(self, seconds):
        """psql holding the writer lock for `seconds`, once it holds it (not before: jobsd's
        own background duties take the same lock in short write transactions, and a write
        sent meanwhile joins them). Returns the psql process; wait for it."""
        uri = self.jobsd.store_spec()
        locker = subprocess.Popen(
            ['psql', '-X', '-q', '-d', uri, '-c',
             'BEGIN; SELECT pg_advisory_xact_lock(%d); SELECT pg_sleep(%f); COMMIT'
             % (WRITER_LOCK, seconds)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def held():
            r = pgkit.admin(uri, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                            " AND objid = %d AND granted AND pid IN (SELECT pid FROM"
                            " pg_stat_activity WHERE application_name = 'psql')"
                            % WRITER_LOCK)
            self.assertEqual(r.strip(), '1')
        try:
            harness.eventually(held, timeout=10)
        except BaseException:
            locker.kill()
            locker.wait()
            raise
        return locker

    def test_server_down_then_back(self):
        self.assertEqual(self.create_thing('before')[0], 200)
        self.server.pause()
        try:
            self.assert_503(self.create_thing('during'), 'CreateThing with the server down')
            self.assert_503(self.jobsd.raw_json('GET', '/things/before'),
                            'DescribeThing with the server down')
            self.assertTrue(self.jobsd.running(), 'jobsd died with its store\n'
                            + self.jobsd.log_tail())
        finally:
            self.server.resume()

        def back():
            status, _, doc = self.create_thing('after')
            self.assertEqual(status, 200, doc)
        harness.eventually(back, timeout=15)
        status, _, doc = self.jobsd.raw_json('GET', '/things/before')
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc['thingName'], 'before')
        status, _, doc = self.jobsd.raw_json('GET', '/things/during')
        self.assertEqual(status, 404, 'a write answered 503 must not be there: %r' % (doc,))
        self.assertTrue(self.jobsd.running())
        log = self.jobsd.log_tail(400)
        self.assertIn('connected again', log)
        self.assertNotIn('password', log)

    def test_writer_lock_held_elsewhere(self):
        """Another session holds the writer lock past the lock timeout: writes get 503 after
        about the timeout, reads are served meanwhile, writes work once it lets go."""
        hold = LOCK_TIMEOUT_S + 3
        locker = self.hold_writer_lock(hold)
        try:
            t0 = time.monotonic()
            self.assert_503(self.create_thing('locked'), 'CreateThing behind a held writer lock')
            waited = time.monotonic() - t0
            self.assertGreater(waited, LOCK_TIMEOUT_S - 1)
            self.assertLess(waited, LOCK_TIMEOUT_S + 2.5)
            status, _, doc = self.jobsd.raw_json('GET', '/things')
            self.assertEqual(status, 200, 'a read waited for the writer lock: %r' % (doc,))
        finally:
            locker.wait(timeout=hold + 30)

        def free():
            status, _, doc = self.create_thing('unlocked')
            self.assertEqual(status, 200, doc)
        harness.eventually(free, timeout=10)

    def test_regression_a_write_queued_behind_a_lock_wait_got_200_past_the_timeout(self):
        """A write that queued for the node's writer connection behind another write waiting
        for the writer lock used to start a whole lock_timeout of its own once that one
        failed, so it waited past JD_STORE_BUSY_MS and, the lock freed meanwhile, got 200
        (seen in CI as test_writer_lock_held_elsewhere failing: a background duty was the
        first write). It waits only what is left of its own time: 503 after about it."""
        hold = LOCK_TIMEOUT_S + 3
        locker = self.hold_writer_lock(hold)
        first = {}
        try:
            ahead = threading.Thread(
                target=lambda: first.setdefault('resp', self.create_thing('ahead')))
            ahead.start()
            time.sleep(2.0)   # the first write is waiting for the lock by now
            t0 = time.monotonic()
            self.assert_503(self.create_thing('queued'), 'a write queued behind a lock wait')
            waited = time.monotonic() - t0
            self.assertLess(waited, LOCK_TIMEOUT_S + 1.5)
            ahead.join(timeout=30)
            self.assert_503(first['resp'], 'the write that waited for the lock first')
        finally:
            locker.wait(timeout=hold + 30)


if __name__ == '__main__':
    harness.main()
