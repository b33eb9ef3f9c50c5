"""Several nodes on one PostgreSQL (issue 10, D24): three real jobsd nodes, one real
PostgreSQL (pgkit.py), one real Mosquitto (broker.py), the acceptance of "several nodes":

  (a) concurrent UpdateJobExecution with expectedVersion on one execution through
      different nodes: one update wins per version, versionNumber grows by exactly one per
      accepted update; 10,000 mixed operations spread over the nodes leave every job's
      counts equal to the counts recomputed from the rows (read with psql);
  (b) kill -9 of the node holding the duties, during a paced rollout and with in-progress
      timeouts pending: a survivor takes the duties over within 5 s, the timeouts fire once
      each within 5 s of the takeover, the rollout goes on at its pace, and no acknowledged
      write is lost;
  (c) nodes stopped (SIGTERM and kill -9) and started during 1,000 MQTT device requests:
      no request is answered twice, and every request sent outside a takeover window is
      answered once;
  (e) a change made on any node publishes its notify and notify-next once.

PostgreSQL only, whatever JOBSD_TEST_STORE says: CMake registers it once. The virtual clock
of --test-rig (shared through the store) moves timeouts and rollouts forward.
Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_87_nodes.py
"""

import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mqttc  # noqa: E402
import pgkit  # noqa: E402
from broker import Broker, wait_mqtt_ready  # noqa: E402
from harness import thing_arn, group_arn  # noqa: E402

STATUS = ['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED',
          'CANCELED']
T = '$aws/things/%s/jobs/'


def log(msg):
    sys.stderr.write('[test_87] %s\n' % msg)
    sys.stderr.flush()


class Node(harness.Jobsd):
    """A jobsd on the shared database, with a fixed node id."""

    def __init__(self, node_id, uri, extra_args):
        super().__init__(extra_args=('--node-id', node_id) + tuple(extra_args))
        self.node_id = node_id
        self._shared_uri = uri

    def store_spec(self):
        return self._shared_uri


class Http:
    """One keep-alive HTTP connection (unsigned: auth is off)."""

    def __init__(self, url):
        host, port = url.split('://', 1)[1].rsplit(':', 1)
        self.host, self.port = host, int(port)
        self.c = None

    def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {'Content-Type': 'application/json'} if data is not None else {}
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.c.request(method, path, body=data, headers=headers)
                r = self.c.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt == 1:
                    raise
        raise AssertionError('unreachable')

    def close(self):
        if self.c is not None:
            self.c.close()


class Nodes(unittest.TestCase):
    pg = None
    broker = None
    nodes = []

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.pg = pgkit.PgServer().start()
        cls.uri = cls.pg.create_db('jobsd_nodes')
        cls.broker = Broker()
        cls.broker.start()
        args = ('--mqtt', '127.0.0.1:%d' % cls.broker.port, '--mqtt-username', 'jobsd',
                '--mqtt-password', cls.broker.password)
        cls.nodes = [Node('n%d' % i, cls.uri, args) for i in (1, 2, 3)]
        try:
            for n in cls.nodes:
                n.start()
            for n in cls.nodes:
                wait_mqtt_ready(n)
        except Exception:
            cls.tearDownClass()
            raise
        log('3 nodes up in %.1f s' % (time.monotonic() - t0))

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            try:
                n.close()
            except Exception as exc:  # keep stopping the others
                log('closing %s: %s' % (n.node_id, exc))
        if cls.broker is not None:
            cls.broker.close()
        if cls.pg is not None:
            cls.pg.stop()

    def setUp(self):
        for n in self.nodes:
            if not n.running():
                n.start()
                wait_mqtt_ready(n)
        self.conns = {}

    def tearDown(self):
        for c in self.conns.values():
            c.close()

    # helpers

    def sql(self, q):
        return [line.split('|') for line in pgkit.admin(self.uri, q).splitlines() if line]

    def http(self, node, plane='control'):
        """One keep-alive connection per node, plane and test (polling loops reuse it:
        a connection per call would run into the per-address connection limit)."""
        url = node.control_url if plane == 'control' else node.data_url
        if url not in self.conns:
            self.conns[url] = Http(url)
        return self.conns[url]

    def duty_holder(self):
        rows = self.sql("SELECT holder, epoch FROM leases WHERE name = 'duties'"
                        " AND expires_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint")
        return (rows[0][0], int(rows[0][1])) if rows else (None, None)

    def node(self, node_id):
        return next(n for n in self.nodes if n.node_id == node_id)

    def wait_shards_settled(self, timeout=20):
        """Until the 64 shard leases are live, spread over the running nodes (none holds
        more than its share) and unchanged (holder and epoch) for a second: a shard still
        moving after an earlier sub-test's kill or start would lose a request in flight."""
        live = sorted(n.node_id for n in self.nodes if n.running())
        share = -(-64 // len(live))
        q = ("SELECT name, holder, epoch FROM leases WHERE name LIKE 'shard/%'"
             " AND expires_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint"
             " ORDER BY name")
        deadline, last, since = time.monotonic() + timeout, None, None
        while time.monotonic() < deadline:
            rows = [tuple(r) for r in self.sql(q)]
            holders = {}
            for _, h, _ in rows:
                holders[h] = holders.get(h, 0) + 1
            spread = (len(rows) == 64 and sorted(holders) == live
                      and max(holders.values()) <= share)
            if spread and rows == last:
                if time.monotonic() - since >= 1.0:
                    return
            else:
                last, since = (rows if spread else None), time.monotonic()
            time.sleep(0.1)
        self.fail('shard leases did not settle over %s within %d s' % (live, timeout))

    def make_things(self, prefix, n, node):
        c = self.http(node)
        for i in range(n):
            st, _ = c.req('POST', '/things/%s-%d' % (prefix, i), {})
            self.assertEqual(st, 200)
        return ['%s-%d' % (prefix, i) for i in range(n)]

    def make_job(self, node, job_id, targets, **kw):
        body = dict(targets=targets, document='{"op":"x"}', **kw)
        st, got = self.http(node).req('PUT', '/jobs/%s' % job_id, body)
        self.assertEqual(st, 200, got)

    def counts_api(self, node, job_id):
        st, got = self.http(node).req('GET', '/jobs/%s' % job_id)
        self.assertEqual(st, 200, got)
        d = got['job'].get('jobProcessDetails', {})
        return {k: d.get(k, 0) for k in harness.COUNT_KEYS}

    def counts_rows(self, job_id):
        """The counts recomputed from the execution rows: things by their latest execution."""
        rows = self.sql(
            "SELECT status, count(*) FROM executions e WHERE job_id = '%s' AND NOT EXISTS"
            " (SELECT 1 FROM executions h WHERE h.job_id = e.job_id"
            "  AND h.thing_name = e.thing_name AND h.number > e.number) GROUP BY status" % job_id)
        out = {k: 0 for k in harness.COUNT_KEYS}
        for st, n in rows:
            out[harness.COUNT_KEY[STATUS[int(st)]]] = int(n)
        return out

    # (a) versions and counts

    def test_a_expected_version_one_winner(self):
        n1 = self.nodes[0]
        [thing] = self.make_things('va', 1, n1)
        self.make_job(n1, 'va-job', [thing_arn(thing)])
        data = [self.http(n, 'data') for n in self.nodes]
        path = '/things/%s/jobs/va-job' % thing
        rounds = 40
        for v in range(1, rounds + 1):
            results = [None] * 3
            barrier = threading.Barrier(3)

            def go(k):
                barrier.wait()
                results[k] = data[k].req('POST', path, {
                    'status': 'IN_PROGRESS', 'expectedVersion': v,
                    'statusDetails': {'by': self.nodes[k].node_id, 'v': str(v)}})[0]

            ts = [threading.Thread(target=go, args=(k,)) for k in range(3)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)
            self.assertEqual(sorted(results), [200, 409, 409], 'version %d: %r' % (v, results))
        for n in self.nodes:   # every node reads the same row
            st, got = self.http(n, 'data').req('GET', path)
            self.assertEqual(got['execution']['versionNumber'], rounds + 1)

        # unsynchronised: read-then-update from 6 threads over the 3 nodes
        accepted = [0] * 6

        def hammer(k):
            c = Http(self.nodes[k % 3].data_url)
            try:
                for _ in range(40):
                    st, got = c.req('GET', path)
                    v = got['execution']['versionNumber']
                    st, _ = c.req('POST', path, {'status': 'IN_PROGRESS', 'expectedVersion': v})
                    self.assertIn(st, (200, 409))
                    accepted[k] += st == 200
            finally:
                c.close()

        ts = [threading.Thread(target=hammer, args=(k,)) for k in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        st, got = self.http(self.nodes[1], 'data').req('GET', path)
        self.assertEqual(got['execution']['versionNumber'], rounds + 1 + sum(accepted))
        log('(a) %d synchronised rounds, one winner each; %d of 240 racing updates accepted, '
            'versionNumber %d' % (rounds, sum(accepted), got['execution']['versionNumber']))

    def test_b_mixed_operations_counts(self):
        n1 = self.nodes[0]
        things = self.make_things('mx', 60, n1)
        st, _ = self.http(n1).req('POST', '/thing-groups/mx-group', {})
        self.assertEqual(st, 200)
        for t in things:
            st, _ = self.http(n1).req('PUT', '/thing-groups/addThingToThingGroup',
                                      {'thingGroupName': 'mx-group', 'thingName': t})
            self.assertEqual(st, 200)
        jobs = ['mx-job-%d' % i for i in range(4)]
        for i, j in enumerate(jobs):
            self.make_job(self.nodes[i % 3], j, [group_arn('mx-group')],
                          targetSelection='CONTINUOUS' if i == 3 else 'SNAPSHOT')
        total, threads = 10000, 9
        done = [0] * threads
        statuses = {}

        def worker(k):
            rng = random.Random(1000 + k)
            node = self.nodes[k % 3]
            ctl, dat = Http(node.control_url), Http(node.data_url)
            try:
                for _ in range(total // threads + (k < total % threads)):
                    t, j = rng.choice(things), rng.choice(jobs)
                    r = rng.random()
                    if r < 0.30:
                        st, _ = dat.req('POST', '/things/%s/jobs/%s' % (t, j), {'status': rng.choice(
                            ['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'])})
                    elif r < 0.45:
                        st, _ = dat.req('PUT', '/things/%s/jobs/$next' % t, {})
                    elif r < 0.55:
                        st, _ = ctl.req('PUT', '/things/%s/jobs/%s/cancel%s' % (
                            t, j, '?force=true' if rng.random() < 0.5 else ''), {})
                    elif r < 0.62:
                        st, _ = ctl.req('DELETE', '/things/%s/jobs/%s/executionNumber/1?force=true'
                                        % (t, j))
                    elif r < 0.67:
                        st, _ = ctl.req('PUT', '/thing-groups/%s' % (
                            'removeThingFromThingGroup' if rng.random() < 0.5
                            else 'addThingToThingGroup'),
                            {'thingGroupName': 'mx-group', 'thingName': t})
                    elif r < 0.85:
                        st, _ = ctl.req('GET', '/things/%s/jobs/%s' % (t, j))
                    else:
                        st, _ = dat.req('GET', '/things/%s/jobs' % t)
                    statuses[st] = statuses.get(st, 0) + 1
                    done[k] += 1
            finally:
                ctl.close()
                dat.close()

        t0 = time.monotonic()
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        took = time.monotonic() - t0
        self.assertEqual(sum(done), total)
        self.assertNotIn(500, statuses)
        self.assertNotIn(503, statuses)
        for j in jobs:
            rows = self.counts_rows(j)
            for n in self.nodes:
                self.assertEqual(self.counts_api(n, j), rows, 'job %s on %s' % (j, n.node_id))
        log('(b) %d mixed operations over 3 nodes in %.1f s (%.0f/s), statuses %s; counts of '
            '%d jobs equal the rows' % (total, took, total / took, sorted(statuses.items()),
                                        len(jobs)))

    # (b) kill -9 of the duty holder

    def test_c_kill_duty_holder(self):
        holder, epoch = self.duty_holder()
        self.assertIsNotNone(holder, 'no node holds the duties')
        victim = self.node(holder)
        survivors = [n for n in self.nodes if n is not victim]
        s0 = survivors[0]
        # a paced rollout: 10 things a minute of 40; the first 10 are queued now
        roll = self.make_things('ro', 40, s0)
        self.make_job(victim, 'ro-job', [thing_arn(t) for t in roll],
                      jobExecutionsRolloutConfig={'maximumPerMinute': 10})
        self.assertEqual(self.counts_api(s0, 'ro-job')['numberOfQueuedThings'], 10)
        # in-progress timeouts pending: 10 executions, 1 minute each
        tmo = self.make_things('to', 10, s0)
        self.make_job(s0, 'to-job', [thing_arn(t) for t in tmo],
                      timeoutConfig={'inProgressTimeoutInMinutes': 1})
        for i, t in enumerate(tmo):
            st, got = self.http(self.nodes[i % 3], 'data').req('PUT', '/things/%s/jobs/$next' % t, {})
            self.assertEqual(st, 200, got)
            self.assertEqual(got['execution']['status'], 'IN_PROGRESS')

        # writes through every node (the victim too) while it is killed
        acked, stop = [], threading.Event()

        def writer(k):
            c = Http(self.nodes[k].control_url)
            i = 0
            try:
                while not stop.is_set():
                    name = 'ack-%d-%d' % (k, i)
                    i += 1
                    try:
                        st, _ = c.req('POST', '/things/%s' % name, {})
                    except (OSError, http.client.HTTPException):
                        if k == self.nodes.index(victim):
                            return
                        raise
                    if st == 200:
                        acked.append(name)
            finally:
                c.close()

        ws = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
        for w in ws:
            w.start()
        time.sleep(0.5)   # let writes flow through the victim before the kill
        t_kill = time.monotonic()
        victim.kill9()
        # past the deadlines (60 s) and the next batch (60 s), on a survivor's clock
        s0.advance_clock(65)

        # the takeover, by the lease rows
        t_take, new_holder = None, None
        while time.monotonic() - t_kill < 15:
            h, ep = self.duty_holder()
            if h is not None and h != holder:
                t_take, new_holder = time.monotonic(), h
                self.assertGreater(ep, epoch)
                break
        self.assertIsNotNone(t_take, 'no survivor took the duties within 15 s')
        take_s = t_take - t_kill

        t_fired = None
        while time.monotonic() - t_take < 10:
            c = self.counts_api(s0, 'to-job')
            if c['numberOfTimedOutThings'] == 10:
                t_fired = time.monotonic()
                break
        self.assertIsNotNone(t_fired, 'the timeouts did not fire within 10 s of the takeover')
        fire_s = t_fired - t_take
        stop.set()
        for w in ws:
            w.join(30)
        log('(b) duties: %s killed; %s took over %.2f s after the kill, the 10 timeouts fired '
            '%.2f s after the takeover' % (holder, new_holder, take_s, fire_s))
        self.assertLessEqual(take_s, 5.0)
        self.assertLessEqual(fire_s, 5.0)

        # each timeout fired once: QUEUED v1, IN_PROGRESS v2, TIMED_OUT v3
        for t in tmo:
            st, got = self.http(s0).req('GET', '/things/%s/jobs/to-job' % t)
            self.assertEqual((got['execution']['status'], got['execution']['versionNumber']),
                             ('TIMED_OUT', 3))
        self.assertEqual(self.counts_api(survivors[1], 'to-job'), self.counts_rows('to-job'))
        # the rollout went on, one batch per minute, never twice
        # (eventually retries on AssertionError only: a bare comparison would not wait)
        def queued(n):
            self.assertEqual(self.counts_api(s0, 'ro-job')['numberOfQueuedThings'], n)

        harness.eventually(lambda: queued(20), 5)
        survivors[1].advance_clock(60)
        harness.eventually(lambda: queued(30), 5)
        self.assertEqual(self.counts_rows('ro-job')['numberOfQueuedThings'], 30)
        # no acknowledged write lost
        c = self.http(survivors[1])
        for name in acked:
            st, _ = c.req('GET', '/things/%s' % name)
            self.assertEqual(st, 200, 'acknowledged CreateThing %s lost' % name)
        log('(b) %d acknowledged writes (some through the killed node) all present' % len(acked))

    # (c) MQTT requests while nodes leave and join

    def test_d_mqtt_requests_while_nodes_move(self):
        n1 = self.nodes[0]
        things = self.make_things('mq', 20, n1)
        devs = []
        for t in things:
            d = mqttc.MqttClient(t, '127.0.0.1', self.broker.port)
            d.connect()
            d.subscribe(T % t + 'get/#')
            devs.append(d)
        # every thing's shard is answered before we start (shards may still be moving
        # after a node's start: a request in a takeover window goes unanswered, so retry)
        for d, t in zip(devs, things):
            for attempt in range(15):
                d.publish(T % t + 'get', {'clientToken': 'warm'})
                try:
                    d.expect_json(T % t + 'get/accepted', timeout=1)
                    break
                except mqttc.MqttError:
                    if attempt == 14:
                        raise
        self.wait_shards_settled()
        time.sleep(0.5)   # late answers to the warm-up retries, then forget them
        for d in devs:
            d.clear()
        total, period = 1000, 0.013
        sent = []   # (token, thing index, monotonic time sent)
        events = []  # (monotonic time, window seconds, what)
        windows = {'stop': 2.5, 'start': 3.0, 'kill': 5.0}

        def move():
            # n3 restarts under its name while its leases may still run: it must
            # answer its shards again (the last seconds are outside every window)
            plan = [(1.0, 'stop', self.nodes[1]), (3.0, 'start', self.nodes[1]),
                    (5.0, 'kill', self.nodes[2]), (6.5, 'start', self.nodes[2])]
            t0 = time.monotonic()
            for at, what, node in plan:
                while time.monotonic() - t0 < at:
                    time.sleep(0.01)
                # a window opens a little before its event (requests in flight) and
                # lasts its length after the event has completed
                at = time.monotonic()
                if what == 'stop':
                    node.stop()
                elif what == 'kill':
                    node.kill9()
                else:
                    node.start()
                took = time.monotonic() - at
                events.append((at - 0.5, windows[what] + took + 0.5,
                               '%s %s' % (what, node.node_id)))

        mover = threading.Thread(target=move)
        t0 = time.monotonic()
        mover.start()
        for i in range(total):
            while time.monotonic() - t0 < i * period:
                time.sleep(0.001)
            k = i % len(things)
            tok = 'r%d' % i
            devs[k].publish(T % things[k] + 'get', {'clientToken': tok}, wait=False)
            sent.append((tok, k, time.monotonic()))
        mover.join(60)
        # wait for the answers to stop coming (bounded)
        deadline, last = time.monotonic() + 5, -1
        while time.monotonic() < deadline:
            n = sum(len(d.pending()) for d in devs)
            if n == last:
                break
            last = n
            time.sleep(0.3)
        answers = {}
        for d in devs:
            for m in d.pending():
                # get/# also matches the request topic itself: count only the answers
                if not m.topic.endswith(('/accepted', '/rejected')):
                    continue
                tok = json.loads(m.payload).get('clientToken')
                if tok != 'warm':   # a late answer to a warm-up retry
                    answers[tok] = answers.get(tok, 0) + 1
            d.disconnect()
        twice = sorted(t for t, n in answers.items() if n > 1)
        self.assertEqual(twice, [], 'answered more than once')

        def in_window(ts):
            return any(at <= ts <= at + w for at, w, _ in events)

        lost = [(tok, ts) for tok, _, ts in sent if tok not in answers]
        lost_outside = [tok for tok, ts in lost if not in_window(ts)]
        tail = [tok for tok, _, ts in sent if ts > max(at + w for at, w, _ in events)]
        self.assertGreater(len(tail), 50, 'too few requests after the last window')
        per = {w: sum(1 for _, ts in lost if at <= ts <= at + span)
               for at, span, w in events}
        log('(c) %d requests in %.1f s, windows %s: %d answered once, %d unanswered (by '
            'window %s; outside any window: %d), none twice; %d after the last window' % (
                total, sent[-1][2] - t0,
                [(w, round(at - t0, 1), round(span, 1)) for at, span, w in events],
                total - len(lost), len(lost), per, len(lost_outside), len(tail)))
        self.assertEqual(lost_outside, [], 'unanswered outside the takeover windows')
        for n in self.nodes:
            self.assertTrue(n.running())

    def test_e_notify_once(self):
        """A change made on any node is announced once (by the node that commits it),
        though every node is subscribed to the devices' topics."""
        n1, n2, n3 = self.nodes
        [thing] = self.make_things('nt', 1, n1)
        dev = mqttc.MqttClient(thing, '127.0.0.1', self.broker.port)
        dev.connect()
        try:
            dev.subscribe(T % thing + 'notify-next')
            dev.subscribe(T % thing + 'notify')
            self.make_job(n2, 'nt-job', [thing_arn(thing)])
            got = dev.expect_json(T % thing + 'notify-next', timeout=10)
            self.assertEqual(got['execution']['jobId'], 'nt-job')
            dev.expect_json(T % thing + 'notify', timeout=10)
            st, _ = self.http(n3, 'data').req('POST', '/things/%s/jobs/nt-job' % thing,
                                               {'status': 'SUCCEEDED'})
            self.assertEqual(st, 200)
            got = dev.expect_json(T % thing + 'notify-next', timeout=10)
            self.assertNotIn('execution', got)
            dev.expect_json(T % thing + 'notify', timeout=10)
            dev.no_message('#', within=1.0)
        finally:
            dev.disconnect()


if __name__ == '__main__':
    harness.main()
