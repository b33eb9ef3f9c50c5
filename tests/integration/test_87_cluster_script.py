"""scripts/cluster.sh (`make cluster`): PostgreSQL, Mosquitto, three jobsd nodes and HAProxy
(when installed) on loopback; what one node writes, another reads; Ctrl-C (SIGINT to the
process group, as a terminal sends it) stops everything and removes its directory.

The script starts its own PostgreSQL whatever the store of the run, so the test runs once
(integ_test_87_cluster_script); integ_pg_test_87_cluster_script skips it.
"""

import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SCRIPT = os.path.join(harness.REPO, 'scripts', 'cluster.sh')
TIMEOUT = 120.0


def processes_under(path):
    """Pids of the processes whose command line names path."""
    out = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                if path.encode() in f.read():
                    out.append(int(pid))
        except OSError:
            pass
    return out


@unittest.skipIf(harness.STORE == 'postgres',
                 'the script starts its own PostgreSQL: runs once, under integ_test_87')
class ClusterScript(unittest.TestCase):

    def test_starts_serves_and_stops_on_ctrl_c(self):
        env = dict(os.environ, CLUSTER_FREE_PORTS='1',
                   JOBSD=os.path.abspath(os.environ.get('JOBSD_BIN') or harness.DEFAULT_BIN))
        proc = subprocess.Popen([SCRIPT], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        lines = []
        try:
            deadline = time.monotonic() + TIMEOUT
            for raw in proc.stdout:
                lines.append(raw.decode('utf-8', 'replace').rstrip('\n'))
                if lines[-1] == 'Stop with Ctrl-C.' or time.monotonic() > deadline:
                    break
            text = '\n'.join(lines)
            self.assertIn('Stop with Ctrl-C.', text)
            state = re.search(r'state in (\S+)\)', text).group(1)
            nodes = re.findall(r'node\d +control (http://127\.0\.0\.1:\d+)', text)
            self.assertEqual(len(nodes), 3, text)
            key = re.search(r'AWS_ACCESS_KEY_ID=(\S+)', text).group(1)
            secret = re.search(r'AWS_SECRET_ACCESS_KEY=(\S+)', text).group(1)
            first = harness.boto_client('iot', nodes[0], key, secret)
            last = harness.boto_client('iot', nodes[2], key, secret)
            first.create_thing(thingName='from-node1')
            self.assertEqual([t['thingName'] for t in last.list_things()['things']],
                             ['from-node1'])
            self.assertTrue(processes_under(state))
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
            try:
                rest = proc.communicate(timeout=60)[0].decode('utf-8', 'replace')
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
        self.assertIn(proc.returncode, (0, 130), rest)
        self.assertIn('cluster: stopped', rest)
        self.assertFalse(os.path.exists(state))
        self.assertEqual(processes_under(state), [])

    def test_check_exits_after_readiness(self):
        r = subprocess.run([SCRIPT, '--check', '--nodes', '2'], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT,
                           env=dict(os.environ, JOBSD=os.path.abspath(
                               os.environ.get('JOBSD_BIN') or harness.DEFAULT_BIN)))
        out = r.stdout.decode('utf-8', 'replace')
        self.assertEqual(r.returncode, 0, out)
        self.assertIn('cluster ready: 2 nodes', out)
        state = re.search(r'state in (\S+)\)', out).group(1)
        self.assertFalse(os.path.exists(state))
        self.assertEqual(processes_under(state), [])


if __name__ == '__main__':
    harness.main()
