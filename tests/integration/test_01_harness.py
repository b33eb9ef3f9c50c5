"""The test harness's own housekeeping (no jobsd started)."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class StaleDirectorySweep(unittest.TestCase):

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='sweep-root-')
        self.addCleanup(lambda: __import__('shutil').rmtree(self.root, ignore_errors=True))

    def make(self, name, age, with_file=True):
        path = os.path.join(self.root, name)
        os.mkdir(path)
        if with_file:
            with open(os.path.join(path, 'jobsd.db'), 'w') as f:
                f.write('x')
        t = time.time() - age
        os.utime(path, (t, t))
        return path

    def test_old_helper_directories_are_removed_fresh_and_foreign_ones_kept(self):
        old = harness.STALE_AGE + 60
        gone = [self.make(p + 'abc', old) for p in harness.STALE_PREFIXES]
        fresh = self.make('jobsd-it-fresh', 5)
        foreign = self.make('someone-else-old', old)
        tmpfs = self.make('jobsd-tmpfs-old', old)   # a mount point's prefix: never swept
        removed = harness.sweep_stale_dirs(self.root)
        self.assertEqual(sorted(removed), sorted(os.path.basename(p) for p in gone))
        for p in gone:
            self.assertFalse(os.path.exists(p), p)
        for p in (fresh, foreign, tmpfs):
            self.assertTrue(os.path.isdir(p), p)

    def test_a_file_with_the_prefix_is_not_touched(self):
        path = os.path.join(self.root, 'jobsd-it-file')
        with open(path, 'w') as f:
            f.write('not a directory')
        t = time.time() - harness.STALE_AGE * 2
        os.utime(path, (t, t))
        self.assertEqual(harness.sweep_stale_dirs(self.root), [])
        self.assertTrue(os.path.isfile(path))

    def test_missing_root_is_not_an_error(self):
        self.assertEqual(harness.sweep_stale_dirs(os.path.join(self.root, 'nope')), [])


if __name__ == '__main__':
    unittest.main()


class BrokerPortTaken(unittest.TestCase):
    """Regression (integ_test_91 in CI): free_port() closes the port it found, and another
    test running at the same time took it before mosquitto bound it, so the broker never
    started. A port the harness chose is now replaced and the broker started again."""

    def test_broker_moves_off_a_port_taken_before_it_starts(self):
        import socket
        import broker as brokermod
        b = brokermod.Broker()
        taken = b.port
        squatter = socket.socket()
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(('127.0.0.1', taken))
        squatter.listen(1)
        try:
            b.start()
            self.assertNotEqual(b.port, taken)
            socket.create_connection(('127.0.0.1', b.port), timeout=2).close()
        finally:
            b.close()
            squatter.close()

    def test_a_port_given_by_the_caller_is_not_changed(self):
        import socket
        import broker as brokermod
        squatter = socket.socket()
        squatter.bind(('127.0.0.1', 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        b = brokermod.Broker(port=port)
        try:
            with self.assertRaises(RuntimeError):
                b.start()
            self.assertEqual(b.port, port)
        finally:
            b.close()
            squatter.close()
