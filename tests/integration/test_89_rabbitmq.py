"""The device flow through RabbitMQ's MQTT plugin (issue 10 item 5, D20): a clustered broker.

A real rabbitmq-server 3.10 (Debian; MQTT 3.1.1 only) started by rabbitkit.py on free
loopback ports, with an account per client and topic permissions that confine each device
to its own $aws/things/<username>/jobs/ topics (docs/operations.md#rabbitmq).

- jobsd with the default --mqtt-protocol auto: RabbitMQ closes the MQTT 5 CONNECT without a
  CONNACK; jobsd logs it, falls back to 3.1.1 and serves (on main at 52eba0e it looped on
  "lost the broker; reconnecting" and never subscribed).
- The device flow: CreateJob (boto3), then over MQTT through RabbitMQ: get pending,
  notify-next, start-next, update to SUCCEEDED, notify-next after it; DescribeJobExecution
  (boto3, data plane) agrees with what the device was told.
- --mqtt-protocol 3.1.1 connects at once, with no fallback.
- A device cannot read or write another thing's topics.

RabbitMQ takes 5-40 s to start here, so this file runs once (CMakeLists.txt does not register
an integ_pg_ twin: the broker, not the store, is what it tests).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mqttc  # noqa: E402
import rabbitkit  # noqa: E402
from broker import wait_mqtt_ready  # noqa: E402
from harness import thing_arn  # noqa: E402

T = '$aws/things/%s/jobs/'
THINGS = ('rdev-1', 'rdev-2')


def read_log(jobsd):
    with open(jobsd.log_path, errors='replace') as f:
        return f.read()


class RabbitMQDeviceFlow(harness.JobsdTestCase):

    @classmethod
    def setUpClass(cls):
        if not rabbitkit.available():
            raise RuntimeError('rabbitmq-server is not installed (scripts/install-deps.sh)')
        cls.rabbit = rabbitkit.RabbitServer(devices=THINGS).start()
        user, pw = cls.rabbit.account('jobsd')
        cls.jobsd_extra_args = ('--mqtt', '127.0.0.1:%d' % cls.rabbit.mqtt_port,
                                '--mqtt-username', user, '--mqtt-password', pw)
        try:
            super().setUpClass()
            wait_mqtt_ready(cls.jobsd, timeout=30)
        except Exception:
            if cls.jobsd is not None:   # tearDownClass does not run after a failed set-up
                cls.jobsd.close()
            cls.rabbit.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.rabbit.stop()

    def setUp(self):
        super().setUp()
        for t in THINGS:
            self.create_thing(t)

    def device(self, thing, subscribe=True):
        user, pw = self.rabbit.account(thing)
        c = mqttc.MqttClient(thing, '127.0.0.1', self.rabbit.mqtt_port, username=user,
                             password=pw)
        c.connect()
        self.addCleanup(c.disconnect)
        if subscribe:
            self.assertEqual(c.subscribe(T % thing + '#'), 1)
        return c

    def req(self, dev, thing, tail, payload, accepted=True):
        topic = T % thing + tail
        dev.publish(topic, payload)
        return dev.expect_json(topic + ('/accepted' if accepted else '/rejected'))

    def test_fell_back_to_mqtt_311(self):
        log = read_log(self.jobsd)
        self.assertIn('closed the connection without answering the MQTT 5 CONNECT; '
                      'trying MQTT 3.1.1', log)
        self.assertNotIn('lost the broker', log)

    def test_device_flow(self):
        thing = THINGS[0]
        dev = self.device(thing)
        jid = self.name('rjob')
        self.iot.create_job(jobId=jid, targets=[thing_arn(thing)],
                            document='{"op":"reboot","via":"rabbitmq"}')
        nx = dev.expect_json(T % thing + 'notify-next')
        self.assertEqual(nx['execution']['jobId'], jid)
        self.assertEqual(nx['execution']['status'], 'QUEUED')

        got = self.req(dev, thing, 'get', {'clientToken': 'c1'})
        self.assertEqual(got['clientToken'], 'c1')
        self.assertEqual([j['jobId'] for j in got['queuedJobs']], [jid])
        self.assertEqual(got['inProgressJobs'], [])

        got = self.req(dev, thing, 'start-next', {'clientToken': 'c2',
                                                  'statusDetails': {'step': 'download'}})
        ex = got['execution']
        self.assertEqual((ex['jobId'], ex['status']), (jid, 'IN_PROGRESS'))
        self.assertEqual(ex['jobDocument'], {'op': 'reboot', 'via': 'rabbitmq'})
        version = ex['versionNumber']

        got = self.req(dev, thing, jid + '/update',
                       {'status': 'SUCCEEDED', 'expectedVersion': version,
                        'includeJobExecutionState': True, 'clientToken': 'c3'})
        self.assertEqual(got['executionState']['status'], 'SUCCEEDED')
        self.assertEqual(got['executionState']['versionNumber'], version + 1)
        # the pending list is empty now: notify-next without an execution
        nx = dev.expect_json(T % thing + 'notify-next')
        self.assertNotIn('execution', nx)

        desc = self.data.describe_job_execution(jobId=jid, thingName=thing)['execution']
        self.assertEqual(desc['status'], 'SUCCEEDED')
        self.assertEqual(desc['versionNumber'], version + 1)
        self.assertEqual(desc['statusDetails'], {'step': 'download'})
        self.assertEqual(self.describe_exec(jid, thing)['status'], 'SUCCEEDED')
        got = self.req(dev, thing, 'get', {})
        self.assertEqual((got['queuedJobs'], got['inProgressJobs']), ([], []))

    def test_bad_request_is_rejected(self):
        thing = THINGS[0]
        dev = self.device(thing)
        got = self.req(dev, thing, 'no-such-job/update', {'status': 'SUCCEEDED'},
                       accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')

    def test_device_confined_to_its_topics(self):
        victim = self.device(THINGS[0])
        other = self.device(THINGS[1])
        # RabbitMQ 3.10 refuses the subscription by closing the connection (no SUBACK
        # 0x80), and a publish the same way (3.1.1 has no negative PUBACK); the test
        # client reconnects by itself, so what is checked is that nothing gets through.
        try:
            self.assertNotEqual(other.subscribe(T % THINGS[0] + '#', timeout=3), 1)
        except mqttc.MqttError:
            pass
        try:
            other.publish(T % THINGS[0] + 'start-next', {'clientToken': 'forged'}, timeout=3)
        except mqttc.MqttError:
            pass
        victim.no_message(T % THINGS[0] + 'start-next', within=1.0)
        got = self.req(victim, THINGS[0], 'get', {'clientToken': 'mine'})
        self.assertEqual(got['clientToken'], 'mine')
        other.no_message(T % THINGS[0] + '#', within=0.5)
        self.assertTrue(victim.connected)

    def test_protocol_311_connects_directly(self):
        user, pw = self.rabbit.account('jobsd')
        extra = ('--mqtt', '127.0.0.1:%d' % self.rabbit.mqtt_port, '--mqtt-username', user,
                 '--mqtt-password', pw, '--mqtt-protocol', '3.1.1')
        with harness.Jobsd(extra_args=extra) as second:
            t0 = time.monotonic()
            wait_mqtt_ready(second, timeout=30)
            log = read_log(second)
            self.assertNotIn('trying MQTT', log)
            self.assertNotIn('lost the broker', log)
            self.assertLess(time.monotonic() - t0, 10)


if __name__ == '__main__':
    harness.main()
