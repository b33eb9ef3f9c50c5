"""A real Mosquitto for the MQTT integration tests, configured from the shipped
contrib/mosquitto files (scripts/broker.sh), on a free loopback port.

    Broker(root=None, port=None, tls_dir=None).start() / .stop() / .restart() / .port
        / .password (None with tls_dir: a TLS listener that takes each client's
        identity from its certificate, certificates from scripts/dev-certs.sh tls_dir)
    MqttTestCase: a broker and a jobsd connected to it per test class; state
        reset before every test; self.device(thing) gives a connected
        mqttc.MqttClient whose client id is the thing name (as the ACL wants).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mqttc  # noqa: E402

REPO = harness.REPO


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    def __init__(self, root=None, port=None, tls_dir=None):
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix='jobsd-broker-')
        self.dir = os.path.join(self.root, 'mosquitto')
        self.port = port or free_port()
        self.port_chosen = port is None   # ours to change if another process takes it
        self.proc = None
        self.tls_dir = tls_dir
        env = dict(os.environ)
        env.pop('TLS_DIR', None)
        if tls_dir is not None:
            env['TLS_DIR'] = tls_dir
        subprocess.run([os.path.join(REPO, 'scripts', 'broker.sh'), self.dir, str(self.port)],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        self.password = None
        if tls_dir is None:
            with open(os.path.join(self.dir, 'jobsd.password')) as f:
                self.password = f.read().strip()

    def start(self):
        # free_port() closes the port it found: another process may take it before mosquitto
        # binds it (tests run two at a time). A port we chose is then replaced, and the
        # broker started again on a new one (regression: integ_test_91 lost its broker so).
        for attempt in range(5):
            if self._start_once() or not self.port_chosen or attempt == 4:
                break
            old, self.port = self.port, free_port()
            conf = os.path.join(self.dir, 'mosquitto.conf')
            with open(conf) as f:
                text = f.read()
            with open(conf, 'w') as f:
                f.write(re.sub(r'(?m)^listener %d\b' % old, 'listener %d' % self.port, text))
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError('mosquitto did not start; see %s' % self.root)

    def _start_once(self):
        """True when mosquitto listens; False when it exited because its port was taken."""
        log_path = os.path.join(self.root, 'mosquitto.log')
        self.log = open(log_path, 'ab')
        start = self.log.tell()
        self.proc = subprocess.Popen(['mosquitto', '-c', os.path.join(self.dir, 'mosquitto.conf')],
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while True:  # ready when the port accepts a connection
            try:
                c = socket.create_connection(('127.0.0.1', self.port), timeout=0.5)
                # a connection to a free port of the ephemeral range may be given that port
                # as its own and connect to itself (TCP simultaneous open): that is not the
                # broker (regression: integ_test_91's jobsd found nothing there)
                self_connect = c.getsockname() == c.getpeername()
                c.close()
                if not self_connect:
                    return True
                raise OSError('connected to itself')
            except OSError:
                if self.proc.poll() is not None:
                    self.log.close()
                    with open(log_path, 'rb') as f:
                        f.seek(start)
                        if b'Address already in use' in f.read():
                            return False
                    raise RuntimeError('mosquitto did not start; see %s' % self.root)
                if time.monotonic() > deadline:
                    raise RuntimeError('mosquitto did not start; see %s' % self.root)
                time.sleep(0.02)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
            self.log.close()

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)


def wait_mqtt_ready(jobsd, want=True, timeout=15.0):
    """Poll the test-rig status until jobsd is (or is not) subscribed."""
    deadline = time.monotonic() + timeout
    while True:
        status, _, body = jobsd.raw('GET', '/_jobsd/status')
        assert status == 200, 'status: %s %r' % (status, body)
        st = json.loads(body)
        if st['mqtt']['ready'] == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError('jobsd MQTT ready != %s after %.0f s' % (want, timeout))
        time.sleep(0.05)


class MqttTestCase(harness.JobsdTestCase):
    broker = None
    more_args = ()   # extra jobsd flags of a test class

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()
        cls.broker.start()
        cls.jobsd_extra_args = ('--mqtt', '127.0.0.1:%d' % cls.broker.port,
                                '--mqtt-username', 'jobsd', '--mqtt-password', cls.broker.password
                                ) + tuple(cls.more_args)
        try:
            super().setUpClass()
            wait_mqtt_ready(cls.jobsd)
        except Exception:
            if cls.jobsd is not None:   # tearDownClass does not run after a failed set-up
                cls.jobsd.close()
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

    def tearDown(self):
        for c in self.clients:
            try:
                c.disconnect()
            except Exception:
                pass
        super().tearDown()

    def device(self, thing, subscribe=True):
        """A device connected as `thing`, subscribed to all its jobs topics."""
        c = mqttc.MqttClient(thing, '127.0.0.1', self.broker.port)
        c.connect()
        self.clients.append(c)
        if subscribe:
            c.subscribe('$aws/things/%s/jobs/#' % thing)
        return c
