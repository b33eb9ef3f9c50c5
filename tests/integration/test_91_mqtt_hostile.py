"""Hostile devices on the MQTT plane (issue 13: items 1, 2 and 7; decision D25).

- Takeover, shipped auth config (contrib/mosquitto/mosquitto-auth.conf.in + acl-auth, on a
  free port, with a password file and ACL written here): a device with a valid account that
  connects again and again with jobsd's client id, or with another device's, disconnects
  neither; an anonymous client is refused. The victim device's requests keep being answered
  (p99 < 200 ms) and it is never disconnected.
- Takeover, plain config (scripts/broker.sh, anonymous devices): jobsd's default client id is
  no longer the predictable jobsd-HOST-PID, so a client that uses that id (or "jobsd") does
  not take jobsd's session (fails on main at b99eaa8: 0 requests answered during the attack).
- Takeover noticed: with a fixed --mqtt-client-id that an attacker reuses, jobsd logs the
  session taken over (once per 10 s, not per disconnect) and is back once the attacker stops.
- Flood: one device sends 4,000 requests of 128 KiB as fast as a raw socket can; jobsd's
  RSS stays under 64 MiB during the flood and is back within 10% of its baseline after it;
  another device's requests keep being answered, p99 < 200 ms, or, when the broker itself is
  slower than that (a loaded machine), within FLOOD_HOPS times the broker's own p99 delivery
  delay to an idle subscriber, measured during the same flood; the flood is answered
  RequestThrottled. Fails on main at b99eaa8 (RSS near 1 GB) and at 52eba0e (the other
  device's requests wait seconds, or over 30 s, behind the replies to the flood and their
  echoes on jobsd's broker connection).
- Retained requests: a retained start-next, replayed to jobsd when it connects, is not served
  (the execution stays QUEUED, no reply), and neither is a live retained one; jobsd logs it.

RSS bounds and the flood's latency bound are skipped under the sanitizers (JOBSD_SANITIZED=1):
ASan's quarantine and shadow memory are not jobsd's, and ASan's allocator makes jobsd read
large packets slower than the broker delivers them (see FLOOD_COUNT).
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import broker as brokermod  # noqa: E402
import harness  # noqa: E402
import mqttc  # noqa: E402
from broker import MqttTestCase, wait_mqtt_ready  # noqa: E402
from harness import thing_arn  # noqa: E402

T = '$aws/things/%s/jobs/'
SANITIZED = os.environ.get('JOBSD_SANITIZED') == '1'
P99_MAX = 0.200
# A legitimate request's round trip crosses the broker about twice (request in, reply out)
# and jobsd once. On a loaded 2-core machine the broker alone took 60-150 ms p99 to deliver
# to an idle subscriber during the flood, so 200 ms cannot hold there whatever jobsd does:
# the bound is then FLOOD_HOPS times that broker delay (jobsd's share: the rest).
FLOOD_HOPS = 4
FLOOD_COUNT = 4000
FLOOD_TIMEOUT = 30.0
# Under the sanitizers jobsd reads large packets slower than Mosquitto delivers them (ASan's
# allocator), so the broker queues the flood ahead of the other device (its RSS grew to
# 220 MiB): there the test checks that every request is answered, not how fast.
if SANITIZED:
    FLOOD_COUNT = 1000
    FLOOD_TIMEOUT = 120.0
MiB = 1 << 20


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def rss_bytes(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS for %d' % pid)


def read_log(jobsd):
    with open(jobsd.log_path, errors='replace') as f:
        return f.read()


def listening_ports(pid):
    """The TCP ports process pid listens on (its sockets in /proc/net/tcp and tcp6)."""
    inodes = set()
    for fd in os.listdir('/proc/%d/fd' % pid):
        try:
            target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[len('socket:['):-1])
    ports = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as f:
            next(f)
            for line in f:
                p = line.split()
                if p[3] == '0A' and p[9] in inodes:   # 0A: LISTEN
                    ports.add(int(p[1].rsplit(':', 1)[1], 16))
    return ports


class AuthBroker(brokermod.Broker):
    """Mosquitto with the shipped auth config: an account per client, ids bound to them."""

    def __init__(self, accounts):
        self.own_root = True
        self.root = tempfile.mkdtemp(prefix='jobsd-broker-auth-')
        self.dir = os.path.join(self.root, 'mosquitto')
        os.makedirs(self.dir, mode=0o700)
        self.port = brokermod.free_port()
        self.port_chosen = True
        self.proc = None
        self.tls_dir = None
        contrib = os.path.join(harness.REPO, 'contrib', 'mosquitto')
        with open(os.path.join(contrib, 'mosquitto-auth.conf.in')) as f:
            conf = f.read()
        conf = (conf.replace('@PORT@', str(self.port)).replace('@DIR@', self.dir)
                .replace('@USER@', subprocess.check_output(['id', '-un']).decode().strip()))
        with open(os.path.join(self.dir, 'mosquitto.conf'), 'w') as f:
            f.write(conf)
        with open(os.path.join(contrib, 'acl-auth')) as f, \
                open(os.path.join(self.dir, 'acl'), 'w') as out:
            out.write(f.read())
        passwd = os.path.join(self.dir, 'passwd')
        fd = os.open(passwd, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        self.accounts = dict(accounts)
        for user, pw in self.accounts.items():
            subprocess.run(['mosquitto_passwd', '-b', passwd, user, pw], check=True,
                           stdout=subprocess.DEVNULL)
        self.password = self.accounts.get('jobsd')


class Attacker(threading.Thread):
    """Connects again and again with the given (client id, username, password) identities,
    staying connected a moment each time, until stopped. Counts what happened."""

    def __init__(self, port, identities, hold=0.05):
        super().__init__(daemon=True)
        self.port = port
        self.identities = identities
        self.hold = hold
        self.stop_ev = threading.Event()
        self.connected = 0
        self.refused = 0

    def run(self):
        while not self.stop_ev.is_set():
            for cid, user, pw in self.identities:
                c = mqttc.MqttClient(cid, '127.0.0.1', self.port, username=user, password=pw)
                try:
                    c.connect(timeout=2)
                    self.connected += 1
                    self.stop_ev.wait(self.hold)
                except mqttc.MqttError:
                    self.refused += 1
                finally:
                    c.disconnect()

    def stop(self):
        self.stop_ev.set()
        self.join(10)


class Requests:
    """A device's get requests, one at a time, with the latency of each reply."""

    def __init__(self, dev, thing):
        self.dev = dev
        self.thing = thing
        self.latencies = []
        self.n = 0

    def one(self, timeout=5.0):
        self.n += 1
        tok = 'r%d' % self.n
        topic = T % self.thing + 'get'
        t0 = time.monotonic()
        self.dev.publish(topic, {'clientToken': tok})
        while True:
            got = self.dev.expect_json(topic + '/accepted', timeout=timeout)
            if got.get('clientToken') == tok:
                break
        self.latencies.append(time.monotonic() - t0)
        return got

    def during(self, busy, gap=0.02, minimum=20, timeout=5.0):
        """Requests until busy() is false (and at least `minimum` of them)."""
        while busy() or len(self.latencies) < minimum:
            self.one(timeout)
            time.sleep(gap)   # pacing of the legitimate device, not a readiness wait


# ---- takeover ------------------------------------------------------------------------------

class TakeoverAuthConfig(harness.JobsdTestCase):
    """The shipped auth config: client ids are the accounts' usernames."""

    PW = {'jobsd': 'pw-jobsd-0001', 'thingA': 'pw-thing-a', 'thingB': 'pw-thing-b'}

    @classmethod
    def setUpClass(cls):
        cls.broker = AuthBroker(cls.PW)
        cls.broker.start()
        cls.jobsd_extra_args = ('--mqtt', '127.0.0.1:%d' % cls.broker.port,
                                '--mqtt-username', 'jobsd', '--mqtt-password', cls.PW['jobsd'])
        try:
            super().setUpClass()
            # 30 s, not 15: on a loaded machine a first connection refused or dropped puts
            # jobsd on libmosquitto's back-off (1, 2, 4, 8 s...); CI once waited past 15 s
            wait_mqtt_ready(cls.jobsd, timeout=30.0)
        except Exception:
            if cls.jobsd is not None:   # tearDownClass does not run after a failed set-up
                sys.stderr.write('jobsd log:\n%s\n' % cls.jobsd.log_tail())
                cls.jobsd.close()
            try:
                with open(os.path.join(cls.broker.root, 'mosquitto.log'), 'rb') as f:
                    sys.stderr.write('mosquitto log (alive: %s):\n%s\n' % (
                        cls.broker.proc is not None and cls.broker.proc.poll() is None,
                        f.read()[-3000:].decode(errors='replace')))
            except OSError:
                pass
            cls.broker.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.broker.close()

    def device(self, thing):
        c = mqttc.MqttClient(thing + '-any-id', '127.0.0.1', self.broker.port,
                             username=thing, password=self.PW[thing])
        c.connect()
        self.addCleanup(c.disconnect)
        self.assertEqual(c.subscribe(T % thing + '#'), 1)
        return c

    def test_no_client_takes_jobsd_or_a_device(self):
        self.create_thing('thingA')
        dev = self.device('thingA')
        reqs = Requests(dev, 'thingA')
        reqs.one()
        attack = Attacker(self.broker.port, [
            ('jobsd', 'thingB', self.PW['thingB']),     # a device with jobsd's id
            ('thingA', 'thingB', self.PW['thingB']),    # a device with another's id
            ('jobsd', None, None),                      # anonymous: refused
            ('jobsd', 'jobsd', 'wrong-password'),       # refused
        ])
        attack.start()
        try:
            deadline = time.monotonic() + 4
            reqs.during(lambda: time.monotonic() < deadline)
        finally:
            attack.stop()
        self.assertGreater(attack.connected, 10, 'the attack did not run')
        self.assertGreater(attack.refused, 10)
        self.assertTrue(dev.connected, 'the device was disconnected')
        self.assertLess(p99(reqs.latencies), P99_MAX, sorted(reqs.latencies)[-5:])
        status = json.loads(self.jobsd.raw('GET', '/_jobsd/status')[2])
        self.assertTrue(status['mqtt']['ready'])
        log = read_log(self.jobsd)
        self.assertNotIn('lost the broker', log)
        self.assertNotIn('session', log)


    def test_client_id_is_the_username(self):
        """Regression: use_username_as_clientid stood above the config's listener line, so it
        configured Mosquitto's default listener, which Mosquitto then opened on port 1883 of
        every interface, while this listener kept the ids clients sent. Two connections
        under one account are one client id: the second takes the first's session. And the
        broker listens on its one port only."""
        def client(cid):
            c = mqttc.MqttClient(cid, '127.0.0.1', self.broker.port, username='thingB',
                                 password=self.PW['thingB'])
            c.connect()
            self.addCleanup(c.disconnect)
            return c

        first = client('thingB-one')
        second = client('thingB-two')
        self.assertTrue(first.wait_dropped(5.0), 'the ids the clients sent were kept')
        self.assertTrue(second.connected)
        self.assertEqual(listening_ports(self.broker.proc.pid), {self.broker.port})


class TakeoverPlainConfig(MqttTestCase):
    """scripts/broker.sh's config (anonymous devices): jobsd's id cannot be guessed."""

    def test_predictable_ids_do_not_take_jobsd(self):
        thing = self.create_thing()
        dev = self.device(thing)
        reqs = Requests(dev, thing)
        reqs.one()
        main_id = 'jobsd-%s-%d' % (socket.gethostname(), self.jobsd.proc.pid)
        attack = Attacker(self.broker.port, [(main_id, None, None), ('jobsd', None, None)])
        attack.start()
        try:
            deadline = time.monotonic() + 4
            reqs.during(lambda: time.monotonic() < deadline)
        finally:
            attack.stop()
        self.assertGreater(attack.connected, 10, 'the attack did not run')
        self.assertLess(p99(reqs.latencies), P99_MAX, sorted(reqs.latencies)[-5:])

    def test_takeover_is_logged_and_jobsd_comes_back(self):
        """A known id (--mqtt-client-id) reused by an attacker: noticed, logged once, and
        jobsd reconnects with a growing delay, then serves again once the attack stops."""
        self.jobsd.stop()
        saved = self.jobsd.extra_args
        self.jobsd.extra_args = saved + ('--mqtt-client-id', 'jobsd-known')
        self.jobsd.start()
        try:
            wait_mqtt_ready(self.jobsd)
            attack = Attacker(self.broker.port, [('jobsd-known', None, None)], hold=0.5)
            attack.start()
            try:
                harness.eventually(lambda: self.assertIn(
                    'jobsd-known', read_log(self.jobsd)),
                    timeout=10)
                time.sleep(3)   # the attack goes on: jobsd must not storm
            finally:
                attack.stop()
            log = read_log(self.jobsd)
            warned = [ln for ln in log.splitlines() if 'client id jobsd-known' in ln]
            self.assertEqual(len(warned), 1, warned)   # rate-limited
            # 4 s of attack: with back-off (2 s, 4 s, ...) jobsd came back at most 3 times
            self.assertLessEqual(attack.connected, 12)
            wait_mqtt_ready(self.jobsd, timeout=40)
            thing = self.create_thing()
            reqs = Requests(self.device(thing), thing)
            reqs.one(timeout=10)
        finally:
            self.jobsd.stop()
            self.jobsd.extra_args = saved
            self.jobsd.start()
            wait_mqtt_ready(self.jobsd)


# ---- memory --------------------------------------------------------------------------------

def mqtt_str(s):
    b = s.encode()
    return struct.pack('!H', len(b)) + b


def mqtt_packet(first, body):
    n = len(body)
    rl = bytearray()
    while True:
        d = n % 128
        n //= 128
        rl.append(d | (0x80 if n else 0))
        if not n:
            break
    return bytes([first]) + bytes(rl) + body


def raw_flood(port, client_id, topic, payload, count):
    """MQTT 3.1.1 over a blocking socket: CONNECT, then `count` QoS 0 PUBLISH as fast as
    the broker takes them (sendall blocks, so the test process holds one packet)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=30)
    try:
        var = mqtt_str('MQTT') + bytes([4, 0x02]) + struct.pack('!H', 60)
        s.sendall(mqtt_packet(0x10, var + mqtt_str(client_id)))
        ack = s.recv(4)
        assert ack[:2] == b'\x20\x02' and ack[3] == 0, ack
        pkt = mqtt_packet(0x30, mqtt_str(topic) + payload)
        for _ in range(count):
            s.sendall(pkt)
        s.sendall(b'\xe0\x00')   # DISCONNECT
    finally:
        s.close()


@harness.one_store('a flood')
class MemoryFlood(MqttTestCase):

    def log(self):
        with open(self.jobsd.log_path, errors='replace') as f:
            return f.read()

    def test_large_request_flood(self):
        legit = self.create_thing()
        flood = 'flooder'
        dev = self.device(legit)
        fdev = self.device(flood)
        reqs = Requests(dev, legit)
        # an idle subscriber to the legitimate requests: the broker's own delivery delay
        spy = mqttc.MqttClient('spy-%d' % os.getpid(), '127.0.0.1', self.broker.port,
                               username='jobsd', password=self.broker.password)
        spy.connect()
        self.clients.append(spy)
        self.assertEqual(spy.subscribe(T % legit + 'get'), 1)
        pad = 'x' * (128 * 1024 - 64)
        payload = json.dumps({'clientToken': 'f', 'pad': pad}).encode()
        self.assertLessEqual(len(payload), 128 * 1024)
        # warm up both workers and the allocator a little, then take the baseline
        for _ in range(20):
            reqs.one()
            fdev.publish(T % flood + 'get', payload)
            fdev.expect_json(T % flood + 'get/accepted')
        fdev.disconnect()   # the raw flooder connects with its client id (the ACL's)
        spy.clear()
        pid = self.jobsd.proc.pid
        time.sleep(1.0)   # let the post-warm-up trim run (it waits for idle workers)
        base = rss_bytes(pid)

        peak = [base]
        done = threading.Event()
        spied = []

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_bytes(pid))
                done.wait(0.05)

        def spy_run():
            while not done.is_set():
                try:
                    spy.expect(T % legit + 'get', timeout=0.5)
                except mqttc.MqttError:
                    continue
                spied.append(time.monotonic())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        spier = threading.Thread(target=spy_run, daemon=True)
        spier.start()
        self.addCleanup(done.set)
        err = []

        def run():
            try:
                raw_flood(self.broker.port, flood, T % flood + 'get', payload, FLOOD_COUNT)
            except Exception as e:   # reported below
                err.append(e)

        flooder = threading.Thread(target=run, daemon=True)
        t0 = time.monotonic()
        flooder.start()
        reqs.latencies.clear()
        sent = []
        while flooder.is_alive() or len(reqs.latencies) < 20:
            sent.append(time.monotonic())
            reqs.one(FLOOD_TIMEOUT)
            time.sleep(0.02)   # pacing of the legitimate device, not a readiness wait
        flooder.join(300)
        took = time.monotonic() - t0
        self.assertFalse(err, err)
        # the flood was refused, not queued
        self.assertIn('refusing requests with RequestThrottled', self.log())
        # back within 10% of the baseline once it is over
        limit = base * 1.10
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and rss_bytes(pid) > limit:
            time.sleep(0.1)
        after = rss_bytes(pid)
        done.set()
        sampler.join(5)
        spier.join(5)
        hops = sorted(b - a for a, b in zip(sent, spied[-len(sent):]))
        hop99 = p99(hops) if hops else 0.0
        bound = max(P99_MAX, FLOOD_HOPS * hop99)
        sys.stderr.write('\nflood: %d x %d B in %.1f s; RSS base %.1f MiB, peak %.1f MiB, '
                         'after %.1f MiB; legit p50 %.0f ms p99 %.0f ms over %d requests; '
                         'broker hop p99 %.0f ms (bound %.0f ms)\n'
                         % (FLOOD_COUNT, len(payload), took, base / MiB, peak[0] / MiB,
                            after / MiB, sorted(reqs.latencies)[len(reqs.latencies) // 2] * 1000,
                            p99(reqs.latencies) * 1000, len(reqs.latencies), hop99 * 1000,
                            bound * 1000))
        self.assertEqual(len(spied), len(sent), 'the spy missed requests')
        if not SANITIZED:
            self.assertLess(p99(reqs.latencies), bound, sorted(reqs.latencies)[-5:])
            self.assertLess(peak[0], 64 * MiB)
            self.assertLessEqual(after, limit)


class PerThingRate(MqttTestCase):
    """A thing gets at most 100 requests a second served (AWS IoT Core's per-connection limit), and one RequestThrottled reply a
    second; the rest are dropped without a reply (so a flood cannot fill jobsd's broker
    connection with replies). Another thing is not affected."""

    def test_burst_is_capped_and_answered_once(self):
        RATE, BURST = 100, 300
        thing, other = self.create_thing(), self.create_thing()
        dev, odev = self.device(thing), self.device(other)
        topic = T % thing + 'get'
        t0 = time.monotonic()
        for i in range(BURST):
            dev.publish(topic, {'clientToken': 'b%d' % i}, qos=0, wait=False)
        # the other thing is served meanwhile
        odev.publish(T % other + 'get', {'clientToken': 'o'})
        self.assertEqual(odev.expect_json(T % other + 'get/accepted')['clientToken'], 'o')
        accepted, rejected = [], []
        while True:
            try:
                tp, body = dev.expect(topic + '/+', timeout=1.5)
            except mqttc.MqttError:
                break
            (accepted if tp.endswith('/accepted') else rejected).append(json.loads(body))
        windows = int(time.monotonic() - t0) + 1   # fixed one-second windows it spanned
        self.assertGreaterEqual(len(accepted), RATE)
        self.assertLessEqual(len(accepted), RATE * windows)
        self.assertGreaterEqual(len(rejected), 1)
        self.assertLessEqual(len(rejected), windows)
        self.assertLess(len(accepted) + len(rejected), BURST)   # the rest: no reply
        self.assertTrue(all(r['code'] == 'RequestThrottled' for r in rejected), rejected)
        self.assertIn('over its requests per second', self.log())
        # a later window serves the thing again
        def served():
            dev.publish(topic, {'clientToken': 'later'})
            got = dev.expect_json(topic + '/accepted', timeout=1.0)
            self.assertEqual(got['clientToken'], 'later')
        harness.eventually(served, timeout=10)

    def log(self):
        with open(self.jobsd.log_path, errors='replace') as f:
            return f.read()


# ---- retained requests ---------------------------------------------------------------------

class RetainedRequests(MqttTestCase):

    def retained_count(self):
        with open(self.jobsd.log_path, errors='replace') as f:
            return f.read().count('ignored a retained request')

    def test_replayed_retained_start_next_is_not_served(self):
        thing = self.create_thing()
        job = self.create_job(targets=[thing_arn(thing)])
        self.wait_exec(job, thing, status='QUEUED')
        dev = self.device(thing)
        self.jobsd.stop()
        topic = T % thing + 'start-next'
        dev.publish(topic, {'clientToken': 'retained'}, retain=True)
        try:
            self.jobsd.start()
            wait_mqtt_ready(self.jobsd)
            dev.no_message(topic + '/+', within=1.5)
            self.assertEqual(self.describe_exec(job, thing)['status'], 'QUEUED')
            self.assertGreaterEqual(self.retained_count(), 1)
            # the device asks again, not retained: served
            dev.publish(topic, {'clientToken': 'live'})
            got = dev.expect_json(topic + '/accepted')
            self.assertEqual(got['clientToken'], 'live')
            self.assertEqual(got['execution']['status'], 'IN_PROGRESS')
        finally:
            dev.publish(topic, b'', retain=True)   # clear it

    def test_live_retained_request_is_not_served(self):
        thing = self.create_thing()
        job = self.create_job(targets=[thing_arn(thing)])
        self.wait_exec(job, thing, status='QUEUED')
        dev = self.device(thing)
        topic = T % thing + 'start-next'
        try:
            dev.publish(topic, {'clientToken': 'retained'}, retain=True)
            dev.no_message(topic + '/+', within=1.0)
            self.assertEqual(self.describe_exec(job, thing)['status'], 'QUEUED')
        finally:
            dev.publish(topic, b'', retain=True)


if __name__ == '__main__':
    harness.main()
