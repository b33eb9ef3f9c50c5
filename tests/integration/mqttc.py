"""Minimal MQTT test client over the real libmosquitto, through ctypes.

paho-mqtt is not available in the test environment, so the integration tests talk MQTT
through the C library that ships with the broker (Debian package libmosquitto1): the same
protocol code devices built on libmosquitto use. MQTT 3.1.1, optionally over TLS.

API (integration tests code against this; keep it stable):
    MqttClient(client_id, host='127.0.0.1', port=1883, username=None, password=None,
               cafile=None, certfile=None, keyfile=None)
        cafile: TLS, verifying the broker against this CA (mosquitto_tls_set);
        certfile/keyfile: the client certificate presented to it
        .connect(timeout=5)              TCP connect, network thread, wait for CONNACK
        .subscribe(topic, qos=1, timeout=5)   wait for SUBACK
        .publish(topic, payload, qos=1, wait=True, timeout=5)
                                         payload: bytes | str | dict/list (JSON) | None;
                                         with qos>0 and wait, waits for PUBACK
        .expect(topic_or_filter, timeout=5) -> (topic, payload_bytes)
                                         next received message whose topic equals the
                                         argument or matches it as an MQTT filter (+, #);
                                         messages that do not match stay buffered
        .expect_json(topic_or_filter, timeout=5) -> parsed JSON
        .expect_msg(...) -> Message(topic, payload, qos, retain)
        .no_message(topic_or_filter='#', within=0.3)   AssertionError if one arrives
        .pending()  -> list of buffered Message        .clear()
        .disconnect()                    also: context manager
    Broker(port=None, extra_conf='')     a private mosquitto on 127.0.0.1 (free port)
        .start(timeout=5) .stop() .host .port .log()   also: context manager
    topic_matches(filter, topic) -> bool (libmosquitto's own matcher)
    MqttError

Self-test (starts its own broker):  python3 tests/integration/mqttc.py --selftest
"""

import collections
import ctypes
import ctypes.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

MOSQUITTO_BIN = os.environ.get('MOSQUITTO_BIN') or shutil.which('mosquitto') or '/usr/sbin/mosquitto'

Message = collections.namedtuple('Message', 'topic payload qos retain')


class MqttError(Exception):
    pass


# ---- libmosquitto binding ---------------------------------------------------------------

class _Message(ctypes.Structure):
    _fields_ = [
        ('mid', ctypes.c_int),
        ('topic', ctypes.c_char_p),
        ('payload', ctypes.c_void_p),
        ('payloadlen', ctypes.c_int),
        ('qos', ctypes.c_int),
        ('retain', ctypes.c_bool),
    ]


_CONNECT_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_DISCONNECT_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_PUBLISH_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_SUBSCRIBE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                 ctypes.c_int, ctypes.POINTER(ctypes.c_int))
_MESSAGE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p,
                               ctypes.POINTER(_Message))

_MOSQ_OPT_PROTOCOL_VERSION = 1
_MQTT_PROTOCOL_V311 = 4


def _load():
    try:
        lib = ctypes.CDLL('libmosquitto.so.1')
    except OSError:
        name = ctypes.util.find_library('mosquitto')
        if name is None:
            raise
        lib = ctypes.CDLL(name)
    vp, cp, ci, cb = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_bool
    pi = ctypes.POINTER(ctypes.c_int)
    sigs = {
        'mosquitto_lib_init': (ci, []),
        'mosquitto_lib_version': (ci, [pi, pi, pi]),
        'mosquitto_new': (vp, [cp, cb, vp]),
        'mosquitto_destroy': (None, [vp]),
        'mosquitto_int_option': (ci, [vp, ci, ci]),
        'mosquitto_username_pw_set': (ci, [vp, cp, cp]),
        'mosquitto_tls_set': (ci, [vp, cp, cp, cp, cp, vp]),
        'mosquitto_connect': (ci, [vp, cp, ci, ci]),
        'mosquitto_disconnect': (ci, [vp]),
        'mosquitto_loop_start': (ci, [vp]),
        'mosquitto_loop_stop': (ci, [vp, cb]),
        'mosquitto_subscribe': (ci, [vp, pi, cp, ci]),
        'mosquitto_publish': (ci, [vp, pi, cp, ci, vp, ci, cb]),
        'mosquitto_connect_callback_set': (None, [vp, _CONNECT_CB]),
        'mosquitto_disconnect_callback_set': (None, [vp, _DISCONNECT_CB]),
        'mosquitto_publish_callback_set': (None, [vp, _PUBLISH_CB]),
        'mosquitto_subscribe_callback_set': (None, [vp, _SUBSCRIBE_CB]),
        'mosquitto_message_callback_set': (None, [vp, _MESSAGE_CB]),
        'mosquitto_strerror': (cp, [ci]),
        'mosquitto_connack_string': (cp, [ci]),
        'mosquitto_topic_matches_sub': (ci, [cp, cp, ctypes.POINTER(ctypes.c_bool)]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    lib.mosquitto_lib_init()
    return lib


_lib = _load()


def _strerror(rc):
    return _lib.mosquitto_strerror(rc).decode(errors='replace')


def _check(rc, what):
    if rc != 0:
        raise MqttError('%s: %s (%d)' % (what, _strerror(rc), rc))


def topic_matches(topic_filter, topic):
    """True when topic matches the MQTT subscription filter (an exact topic matches itself)."""
    res = ctypes.c_bool(False)
    _check(_lib.mosquitto_topic_matches_sub(topic_filter.encode(), topic.encode(),
                                            ctypes.byref(res)), 'topic_matches_sub')
    return bool(res.value)


def _encode_payload(payload):
    if payload is None:
        return b''
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode('utf-8')
    return json.dumps(payload, separators=(',', ':')).encode('utf-8')


# ---- client -----------------------------------------------------------------------------

class MqttClient:
    """One MQTT 3.1.1 connection with libmosquitto's network thread (loop_start).

    Callbacks run on that thread and only record what happened under self._cond; every
    public method waits on the condition with a deadline, never on a fixed sleep.
    """

    def __init__(self, client_id, host='127.0.0.1', port=1883, username=None, password=None,
                 keepalive=60, cafile=None, certfile=None, keyfile=None):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.keepalive = keepalive
        self._cond = threading.Condition()
        self._connack = None          # CONNACK rc once received
        self._connected = False
        self._disconnect_rc = None
        self._subacks = {}            # mid -> granted qos list
        self._pubacks = set()         # mids acknowledged (or sent, for qos 0)
        self._messages = []           # buffered Message, arrival order
        self._loop = False
        self._mosq = _lib.mosquitto_new(client_id.encode(), True, None)
        if not self._mosq:
            raise MqttError('mosquitto_new failed')
        _check(_lib.mosquitto_int_option(self._mosq, _MOSQ_OPT_PROTOCOL_VERSION,
                                         _MQTT_PROTOCOL_V311), 'int_option')
        # The C library keeps raw pointers to these: they must outlive the connection.
        self._cbs = (
            _CONNECT_CB(self._on_connect),
            _DISCONNECT_CB(self._on_disconnect),
            _PUBLISH_CB(self._on_publish),
            _SUBSCRIBE_CB(self._on_subscribe),
            _MESSAGE_CB(self._on_message),
        )
        _lib.mosquitto_connect_callback_set(self._mosq, self._cbs[0])
        _lib.mosquitto_disconnect_callback_set(self._mosq, self._cbs[1])
        _lib.mosquitto_publish_callback_set(self._mosq, self._cbs[2])
        _lib.mosquitto_subscribe_callback_set(self._mosq, self._cbs[3])
        _lib.mosquitto_message_callback_set(self._mosq, self._cbs[4])
        if username is not None:
            _check(_lib.mosquitto_username_pw_set(
                self._mosq, username.encode(),
                password.encode() if password is not None else None), 'username_pw_set')
        if cafile is not None:
            enc = lambda v: v.encode() if v is not None else None  # noqa: E731
            _check(_lib.mosquitto_tls_set(self._mosq, enc(cafile), None, enc(certfile),
                                          enc(keyfile), None), 'tls_set')

    # callbacks (network thread)

    def _on_connect(self, _mosq, _obj, rc):
        with self._cond:
            self._connack = rc
            self._connected = rc == 0
            self._cond.notify_all()

    def _on_disconnect(self, _mosq, _obj, rc):
        with self._cond:
            self._connected = False
            self._disconnect_rc = rc
            self._cond.notify_all()

    def _on_publish(self, _mosq, _obj, mid):
        with self._cond:
            self._pubacks.add(mid)
            self._cond.notify_all()

    def _on_subscribe(self, _mosq, _obj, mid, count, granted):
        with self._cond:
            self._subacks[mid] = [granted[i] for i in range(count)]
            self._cond.notify_all()

    def _on_message(self, _mosq, _obj, msg):
        m = msg.contents
        topic = m.topic.decode('utf-8', errors='replace')
        payload = ctypes.string_at(m.payload, m.payloadlen) if m.payloadlen > 0 else b''
        with self._cond:
            self._messages.append(Message(topic, payload, m.qos, bool(m.retain)))
            self._cond.notify_all()

    # helpers

    def _wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MqttError('%s: timed out after %.1fs (client %s)'
                                    % (what, timeout, self.client_id))
                self._cond.wait(left)

    def wait_dropped(self, timeout=5.0):
        """True once the broker has closed this connection (libmosquitto's loop may have
        connected it again since), False if it did not within timeout."""
        try:
            self._wait(lambda: self._disconnect_rc is not None, timeout, 'a drop')
            return True
        except MqttError:
            return False

    @property
    def connected(self):
        with self._cond:
            return self._connected

    # public API

    def connect(self, timeout=5.0):
        """Connect and wait for a successful CONNACK; MqttError otherwise."""
        _check(_lib.mosquitto_connect(self._mosq, self.host.encode(), int(self.port),
                                      self.keepalive), 'connect %s:%s' % (self.host, self.port))
        _check(_lib.mosquitto_loop_start(self._mosq), 'loop_start')
        self._loop = True
        self._wait(lambda: self._connack is not None or self._disconnect_rc is not None,
                   timeout, 'CONNACK')
        if self._connack is None or self._connack != 0:
            rc = self._connack
            self.disconnect()
            raise MqttError('connection refused: %s' % (
                _lib.mosquitto_connack_string(rc).decode() if rc is not None
                else 'disconnected before CONNACK'))
        return self

    def subscribe(self, topic, qos=1, timeout=5.0):
        """Subscribe and wait for the SUBACK; returns the granted QoS (128 = refused)."""
        mid = ctypes.c_int(0)
        _check(_lib.mosquitto_subscribe(self._mosq, ctypes.byref(mid), topic.encode(), qos),
               'subscribe %s' % topic)
        self._wait(lambda: mid.value in self._subacks, timeout, 'SUBACK for %s' % topic)
        with self._cond:
            granted = self._subacks.pop(mid.value)
        return granted[0] if granted else None

    def publish(self, topic, payload=None, qos=1, retain=False, wait=True, timeout=5.0):
        """Publish; payload bytes/str/JSON-able. With wait, returns once the message has
        left (qos 0) or been acknowledged (qos 1: PUBACK, qos 2: PUBCOMP)."""
        data = _encode_payload(payload)
        mid = ctypes.c_int(0)
        buf = ctypes.create_string_buffer(data, len(data)) if data else None
        _check(_lib.mosquitto_publish(self._mosq, ctypes.byref(mid), topic.encode(), len(data),
                                      buf, qos, retain), 'publish %s' % topic)
        if wait:
            self._wait(lambda: mid.value in self._pubacks, timeout, 'PUBACK for %s' % topic)
            with self._cond:
                self._pubacks.discard(mid.value)
        return mid.value

    def _take(self, topic_filter):
        for i, m in enumerate(self._messages):
            if m.topic == topic_filter or topic_matches(topic_filter, m.topic):
                return self._messages.pop(i)
        return None

    def expect_msg(self, topic_filter='#', timeout=5.0):
        """The first buffered or next arriving Message matching topic_filter (an exact
        topic or an MQTT filter). After timeout: MqttError listing the buffered topics."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = self._take(topic_filter)
                if m is not None:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MqttError('no message on %s within %.1fs (client %s; buffered: %s)' % (
                        topic_filter, timeout, self.client_id,
                        [x.topic for x in self._messages] or 'none'))
                self._cond.wait(left)

    def expect(self, topic_filter='#', timeout=5.0):
        """(topic, payload_bytes) of the next message matching topic_filter."""
        m = self.expect_msg(topic_filter, timeout)
        return m.topic, m.payload

    def expect_json(self, topic_filter='#', timeout=5.0):
        """The next matching message's payload, parsed as JSON."""
        topic, payload = self.expect(topic_filter, timeout)
        try:
            return json.loads(payload.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MqttError('payload on %s is not JSON: %r (%s)' % (topic, payload[:200], exc))

    def no_message(self, topic_filter='#', within=0.3):
        """Assert that no message matching topic_filter is buffered or arrives within
        `within` seconds (a negative check can only wait)."""
        deadline = time.monotonic() + within
        with self._cond:
            while True:
                m = self._take(topic_filter)
                if m is not None:
                    raise AssertionError('unexpected message on %s: %r' % (m.topic, m.payload[:200]))
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def pending(self):
        with self._cond:
            return list(self._messages)

    def clear(self):
        with self._cond:
            self._messages.clear()

    def disconnect(self):
        """Disconnect cleanly, stop the network thread, free the client. Idempotent."""
        if self._mosq is None:
            return
        _lib.mosquitto_disconnect(self._mosq)
        if self._loop:
            _lib.mosquitto_loop_stop(self._mosq, False)
            self._loop = False
        _lib.mosquitto_destroy(self._mosq)
        self._mosq = None

    close = disconnect

    def __enter__(self):
        if not self._loop:
            self.connect()
        return self

    def __exit__(self, *exc):
        self.disconnect()

    def __del__(self):
        try:
            self.disconnect()
        except Exception:
            pass


# ---- a private broker -------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Broker:
    """A mosquitto on 127.0.0.1 with a temporary config (anonymous allowed, no
    persistence). Ready when its log says it is running, not after a sleep."""

    def __init__(self, port=None, extra_conf=''):
        self.host = '127.0.0.1'
        self.port = port or free_port()
        self.extra_conf = extra_conf
        self.proc = None
        self._dir = None
        self._log = []
        self._ready = threading.Event()
        self._reader = None

    def start(self, timeout=5.0):
        self._dir = tempfile.mkdtemp(prefix='jobsd-mosq-')
        conf = os.path.join(self._dir, 'mosquitto.conf')
        with open(conf, 'w') as f:
            f.write('listener %d %s\nallow_anonymous true\npersistence false\n'
                    'log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n'
                    'log_type information\n%s\n' % (self.port, self.host, self.extra_conf))
        os.chmod(self._dir, 0o755)
        os.chmod(conf, 0o644)
        self.proc = subprocess.Popen([MOSQUITTO_BIN, '-c', conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or self.proc.poll() is not None:
            log = self.log()
            self.stop()
            raise MqttError('mosquitto did not start on port %d:\n%s' % (self.port, log))
        return self

    def _read_log(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors='replace').rstrip('\n')
            self._log.append(line)
            if ' running' in line and 'mosquitto version' in line:
                self._ready.set()
        self._ready.set()  # exited: wake start()

    def log(self):
        return '\n'.join(self._log)

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self._reader is not None:
                self._reader.join(5)
            self.proc.stderr.close()
            self.proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- self-test --------------------------------------------------------------------------

def selftest():
    maj, mnr, rev = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    _lib.mosquitto_lib_version(ctypes.byref(maj), ctypes.byref(mnr), ctypes.byref(rev))
    print('libmosquitto %d.%d.%d, broker %s' % (maj.value, mnr.value, rev.value, MOSQUITTO_BIN))
    checks = 0

    def ok(cond, what):
        nonlocal checks
        if not cond:
            raise AssertionError(what)
        checks += 1

    ok(topic_matches('$aws/things/+/jobs/#', '$aws/things/d1/jobs/j/get/accepted'), 'match +/#')
    ok(topic_matches('$aws/things/d1/jobs/$next/get', '$aws/things/d1/jobs/$next/get'), 'exact $next')
    ok(not topic_matches('#', '$aws/things/d1/jobs/get'), '# must not match $ topics')
    ok(not topic_matches('$aws/things/+/jobs/get', '$aws/things/d1/jobs/get/accepted'), 'no prefix match')

    with Broker() as broker:
        print('broker on %s:%d' % (broker.host, broker.port))
        with MqttClient('selftest-sub', broker.host, broker.port) as sub, \
                MqttClient('selftest-pub', broker.host, broker.port,
                           username='dev1', password='secret') as pub:
            ok(sub.subscribe('$aws/things/+/jobs/#', qos=1) == 1, 'granted qos 1')
            ok(pub.subscribe('$aws/things/dev1/jobs/get/accepted') == 1, 'granted qos 1 (pub)')

            pub.publish('$aws/things/dev1/jobs/get', {'clientToken': 'c-1'})
            topic, payload = sub.expect('$aws/things/+/jobs/get')
            ok(topic == '$aws/things/dev1/jobs/get', 'topic round trip')
            ok(json.loads(payload) == {'clientToken': 'c-1'}, 'dict payload round trip')

            # reply path: exact topic, expect_json
            sub.publish('$aws/things/dev1/jobs/get/accepted', '{"timestamp":1,"clientToken":"c-1"}')
            ok(pub.expect_json('$aws/things/dev1/jobs/get/accepted') ==
               {'timestamp': 1, 'clientToken': 'c-1'}, 'expect_json')
            sub.expect('$aws/things/dev1/jobs/get/accepted')  # sub sees it too (wildcard)

            # non-matching messages stay buffered; order among matches kept
            pub.publish('$aws/things/dev1/jobs/a/update', b'\x00\xff')
            pub.publish('$aws/things/dev1/jobs/b/update', '')
            pub.publish('$aws/things/dev1/jobs/$next/get', None, qos=0)
            ok(sub.expect('$aws/things/dev1/jobs/b/update') ==
               ('$aws/things/dev1/jobs/b/update', b''), 'empty payload, out of order')
            ok(sub.expect('$aws/things/dev1/jobs/+/update') ==
               ('$aws/things/dev1/jobs/a/update', b'\x00\xff'), 'binary payload')
            m = sub.expect_msg('$aws/things/dev1/jobs/$next/get')
            ok(m.qos == 0 and m.payload == b'', 'qos 0 message')

            sub.no_message('$aws/things/#', within=0.2)
            try:
                sub.expect('$aws/things/dev1/jobs/notify', timeout=0.2)
                ok(False, 'expect must time out')
            except MqttError:
                checks += 1
            pub.publish('$aws/things/dev1/jobs/notify', {'jobs': {}})
            try:
                sub.no_message('$aws/things/dev1/jobs/notify', within=2)
                ok(False, 'no_message must fail')
            except AssertionError:
                checks += 1
            ok(sub.pending() == [], 'nothing left buffered')

        # a refused connection surfaces as MqttError
        try:
            MqttClient('selftest-bad', '127.0.0.1', free_port()).connect(timeout=1)
            ok(False, 'connect to a closed port must fail')
        except MqttError:
            checks += 1
    print('mqttc selftest: %d checks passed' % checks)
    return 0


if __name__ == '__main__':
    if sys.argv[1:] == ['--selftest']:
        sys.exit(selftest())
    print(__doc__)
    sys.exit(2)
