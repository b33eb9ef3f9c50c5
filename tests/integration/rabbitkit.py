"""A real RabbitMQ with its MQTT plugin for tests: Debian's rabbitmq-server (3.10, MQTT 3.1.1
only), in a temporary directory, on free loopback ports, stopped at the end (even on failure).

Everything the node would otherwise take from the machine is private to the run:
    RABBITMQ_NODENAME        jobsd-test-<random>@localhost (never the system's rabbit@HOST)
    RABBITMQ_NODE_PORT       AMQP, a free port on 127.0.0.1
    mqtt.listeners.tcp       MQTT, a free port on 127.0.0.1
    RABBITMQ_DIST_PORT       the Erlang distribution port, free
    ERL_EPMD_PORT            an epmd of our own on a free port (started here, stopped here:
                             erl would otherwise start a daemon that outlives the run)
    RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE, RABBITMQ_CONFIG_FILE,
    RABBITMQ_ENABLED_PLUGINS_FILE ([rabbitmq_mqtt].), RABBITMQ_CONF_ENV_FILE (empty: not
    /etc/rabbitmq's), HOME (the Erlang cookie)   all in the temporary directory.
RabbitMQ runs as root (checked with 3.10.8: unlike PostgreSQL it does not refuse), so it runs
as the user that runs the tests. Users, permissions and topic permissions come from a
definitions file loaded at boot (load_definitions), so no rabbitmqctl call (each is an Erlang
VM start, ~1 s) is needed to set up; see RabbitServer.__init__ for the ACL, the equivalent of
contrib/mosquitto/acl-auth (docs/operations.md#rabbitmq).

Ready: an MQTT 3.1.1 CONNECT with jobsd's account is answered CONNACK 0 (4 while the
definitions are not loaded yet) (polled every 100 ms,
120 s at most: 5-10 s is usual, 40 s seen on a loaded 2-core machine). Stopped with SIGTERM to
rabbitmq-server (its script stops the node cleanly; SIGKILL to our process group after 30 s),
then our epmd.

    server = RabbitServer(devices=['thing-1']).start()   # .mqtt_port .amqp_port
    server.account('jobsd') -> (username, password)      # and each device's
    server.stop()
    python3 rabbitkit.py selftest        start, connect, publish through it, stop
"""

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

RABBIT_SERVER = os.environ.get('JOBSD_RABBITMQ_SERVER', '/usr/lib/rabbitmq/bin/rabbitmq-server')
EPMD = shutil.which('epmd') or '/usr/bin/epmd'
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
PREFIX = 'jobsd-rabbit-'


def available():
    """True when rabbitmq-server and epmd are installed (scripts/install-deps.sh)."""
    return os.access(RABBIT_SERVER, os.X_OK) and os.access(EPMD, os.X_OK)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _mqtt_str(s):
    b = s.encode()
    return struct.pack('!H', len(b)) + b


def mqtt311_connack(port, client_id, username, password, timeout=2.0):
    """CONNECT with MQTT 3.1.1 and return the CONNACK's return code (0: accepted);
    raises OSError when the connection fails or closes first."""
    var = _mqtt_str('MQTT') + bytes([4, 0xC2]) + struct.pack('!H', 30)
    body = var + _mqtt_str(client_id) + _mqtt_str(username) + _mqtt_str(password)
    assert len(body) < 128
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(bytes([0x10, len(body)]) + body)
        ack = b''
        while len(ack) < 4:
            got = s.recv(4 - len(ack))
            if not got:
                raise ConnectionResetError('closed before CONNACK')
            ack += got
        if ack[0] != 0x20:
            raise ConnectionError('not a CONNACK: %r' % ack)
        s.sendall(b'\xe0\x00')
        return ack[3]


def topic_acl(thing_pattern):
    """RabbitMQ topic permission regexes for a device's jobs topics. The MQTT plugin maps
    '/' to '.' in routing keys (and '.' to '/'), and checks write on publish, read on
    subscribe (the filter's routing key, + as *, # as #)."""
    return r'^\$aws\.things\.%s\.jobs(\..*)?$' % thing_pattern


class RabbitServer:
    def __init__(self, devices=(), admin='jobsd'):
        self.root = tempfile.mkdtemp(prefix=PREFIX)
        self.amqp_port = _free_port()
        self.mqtt_port = _free_port()
        self.dist_port = _free_port()
        self.epmd_port = _free_port()
        self.nodename = 'jobsd-test-%s@localhost' % secrets.token_hex(4)
        self.proc = None
        self.epmd = None
        self.log = None
        self._accounts = {admin: 'pw-' + secrets.token_hex(8)}
        for d in devices:
            self._accounts[d] = 'pw-' + secrets.token_hex(8)
        self.admin = admin
        # The equivalent of acl-auth: jobsd's account may use every thing's jobs topics; a
        # device's only its own (its username is its thing name: {username} below).
        defs = {
            'vhosts': [{'name': '/'}],
            'users': [{'name': u, 'password': pw, 'tags': []}
                      for u, pw in sorted(self._accounts.items())],
            'permissions': [{'user': u, 'vhost': '/', 'configure': '.*', 'write': '.*',
                             'read': '.*'} for u in sorted(self._accounts)],
            'topic_permissions': [
                {'user': u, 'vhost': '/', 'exchange': 'amq.topic',
                 'write': topic_acl('[^.]+' if u == admin else '{username}'),
                 'read': topic_acl('[^.]+' if u == admin else '{username}')}
                for u in sorted(self._accounts)],
        }
        self._write('definitions.json', json.dumps(defs, indent=1))
        self._write('rabbitmq.conf', '\n'.join([
            'listeners.tcp.default = 127.0.0.1:%d' % self.amqp_port,
            'mqtt.listeners.tcp.default = 127.0.0.1:%d' % self.mqtt_port,
            'mqtt.allow_anonymous = false',
            'mqtt.vhost = /',
            'mqtt.exchange = amq.topic',
            'loopback_users = none',
            'load_definitions = %s' % os.path.join(self.root, 'definitions.json'),
            'log.console = false',
            'log.file.level = warning',
            'log.file = %s' % os.path.join(self.root, 'log', 'rabbit.log'),
            '']))
        self._write('enabled_plugins', '[rabbitmq_mqtt].\n')
        self._write('rabbitmq-env.conf', '')
        os.makedirs(os.path.join(self.root, 'log'), exist_ok=True)
        os.makedirs(os.path.join(self.root, 'home'), mode=0o700, exist_ok=True)

    def _write(self, name, text):
        with open(os.path.join(self.root, name), 'w') as f:
            f.write(text)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(('RABBITMQ_', 'ERL_'))}
        env.update({
            'HOME': os.path.join(self.root, 'home'),
            'RABBITMQ_NODENAME': self.nodename,
            'RABBITMQ_USE_LONGNAME': 'false',
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(self.amqp_port),
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'ERL_EPMD_PORT': str(self.epmd_port),
            'ERL_EPMD_ADDRESS': '127.0.0.1',
            'RABBITMQ_MNESIA_BASE': os.path.join(self.root, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(self.root, 'log'),
            'RABBITMQ_CONFIG_FILE': os.path.join(self.root, 'rabbitmq.conf'),
            'RABBITMQ_ADVANCED_CONFIG_FILE': os.path.join(self.root, 'advanced.config'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(self.root, 'enabled_plugins'),
            'RABBITMQ_CONF_ENV_FILE': os.path.join(self.root, 'rabbitmq-env.conf'),
            'RABBITMQ_PID_FILE': os.path.join(self.root, 'rabbit.pid'),
        })
        return env

    def account(self, user):
        return user, self._accounts[user]

    def start(self):
        atexit.register(self.stop)
        self.log = open(os.path.join(self.root, 'server.out'), 'ab')
        self.epmd = subprocess.Popen([EPMD, '-port', str(self.epmd_port), '-address',
                                      '127.0.0.1'], stdout=self.log, stderr=self.log,
                                     env=self.env(), start_new_session=True)
        self.proc = subprocess.Popen([RABBIT_SERVER], stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, env=self.env(), cwd=self.root,
                                     start_new_session=True)
        user, pw = self.account(self.admin)
        deadline = time.monotonic() + START_TIMEOUT
        rc = None
        while True:
            try:
                # CONNACK 4 (bad user or password) until the definitions are loaded
                rc = mqtt311_connack(self.mqtt_port, 'ready-probe', user, pw)
                if rc == 0:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                code = self.proc.returncode
                self.stop()
                raise RuntimeError('RabbitMQ did not start (exit %s, last CONNACK %s):\n%s'
                                   % (code, rc, tail))
            time.sleep(0.1)   # polling the MQTT port, not waiting blindly

    def log_tail(self, n=30):
        lines = []
        for name in ('server.out', os.path.join('log', 'rabbit.log')):
            try:
                with open(os.path.join(self.root, name), errors='replace') as f:
                    lines += f.read().splitlines()[-n:]
            except OSError:
                pass
        return '\n'.join(lines)

    def _end(self, proc, timeout):
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)   # our own session: the node's VM
            except OSError:
                pass
            proc.wait(10)

    def stop(self):
        self._end(self.proc, STOP_TIMEOUT)
        self._end(self.epmd, 5)
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.root and os.environ.get('JOBSD_KEEP_DATA') is None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def _selftest():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import mqttc
    t0 = time.monotonic()
    srv = RabbitServer(devices=['dev-1', 'dev-2']).start()
    print('rabbitmq ready in %.1f s on mqtt %d' % (time.monotonic() - t0, srv.mqtt_port))
    try:
        u, p = srv.account('dev-1')
        a = mqttc.MqttClient('dev-1', '127.0.0.1', srv.mqtt_port, username=u, password=p)
        a.connect()
        ju, jp = srv.account('jobsd')
        j = mqttc.MqttClient('j', '127.0.0.1', srv.mqtt_port, username=ju, password=jp)
        j.connect()
        assert j.subscribe('$aws/things/+/jobs/#') == 1
        assert a.subscribe('$aws/things/dev-1/jobs/#') == 1
        a.publish('$aws/things/dev-1/jobs/get', {'clientToken': 'x'})
        print('jobsd got', j.expect('$aws/things/+/jobs/get')[0])
        j.publish('$aws/things/dev-1/jobs/get/accepted', {'ok': 1})
        print('device got', a.expect('$aws/things/dev-1/jobs/get/accepted')[0])
        a.disconnect()
        j.disconnect()
    finally:
        t1 = time.monotonic()
        srv.stop()
        print('stopped in %.1f s' % (time.monotonic() - t1))


if __name__ == '__main__':
    if sys.argv[1:] == ['selftest']:
        _selftest()
    else:
        sys.exit(__doc__)
