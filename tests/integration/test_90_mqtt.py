"""The MQTT device plane through a real Mosquitto (spec §6, §7; D10, D15, D20).

Devices are real MQTT clients (libmosquitto through ctypes, mqttc.py) whose client id is
their thing name, as the shipped broker ACL requires.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mqttc  # noqa: E402
from broker import MqttTestCase, wait_mqtt_ready  # noqa: E402
from harness import thing_arn  # noqa: E402

T = '$aws/things/%s/jobs/'


class MqttBase(MqttTestCase):

    def setUp(self):
        super().setUp()
        self.thing = self.create_thing()
        self.dev = self.device(self.thing)

    def job(self, things=None, **kw):
        jid = self.name('job')
        kw.setdefault('document', '{"op":"reboot","n":1}')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in (things or [self.thing])],
                            **kw)
        return jid

    def req(self, tail, payload, accepted=True, thing=None, dev=None):
        """Publish a request on $aws/things/{thing}/jobs/{tail}; return the reply JSON."""
        thing = thing or self.thing
        dev = dev or self.dev
        topic = T % thing + tail
        dev.publish(topic, payload)
        got = dev.expect_json(topic + ('/accepted' if accepted else '/rejected'))
        return got

    def now_s(self):
        return self.jobsd.clock_now_ms() // 1000

    def assertTimestamp(self, ts):
        self.assertIsInstance(ts, int)
        self.assertLessEqual(abs(ts - self.now_s()), 5)

    def drain(self):
        """Forget notifications of the set-up (job creation)."""
        self.dev.expect_json(T % self.thing + 'notify')
        self.dev.expect_json(T % self.thing + 'notify-next')
        self.dev.clear()


class Topics(MqttBase):

    def test_get_pending(self):
        j1 = self.job()
        j2 = self.job()
        self.drain()
        self.data.start_next_pending_job_execution(thingName=self.thing)
        got = self.req('get', {'clientToken': 'c-get'})
        self.assertEqual(got['clientToken'], 'c-get')
        self.assertTimestamp(got['timestamp'])
        self.assertEqual([x['jobId'] for x in got['inProgressJobs']], [j1])
        self.assertEqual([x['jobId'] for x in got['queuedJobs']], [j2])
        ip = got['inProgressJobs'][0]
        self.assertEqual(set(ip), {'jobId', 'queuedAt', 'startedAt', 'lastUpdatedAt',
                                   'versionNumber', 'executionNumber'})
        self.assertEqual((ip['versionNumber'], ip['executionNumber']), (2, 1))
        self.assertNotIn('startedAt', got['queuedJobs'][0])
        self.assertEqual(set(got), {'inProgressJobs', 'queuedJobs', 'timestamp', 'clientToken'})

    def test_get_pending_empty_payload_and_no_token(self):
        got = self.req('get', b'')
        self.assertEqual(got['inProgressJobs'], [])
        self.assertEqual(got['queuedJobs'], [])
        self.assertNotIn('clientToken', got)

    def test_start_next_and_describe(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 10})
        self.drain()
        got = self.req('start-next', {'clientToken': 't2', 'stepTimeoutInMinutes': 5,
                                      'statusDetails': {'phase': 'download'}})
        ex = got['execution']
        self.assertEqual(got['clientToken'], 't2')
        self.assertEqual(ex['jobId'], jid)
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.assertEqual(ex['statusDetails'], {'phase': 'download'})
        self.assertEqual(ex['jobDocument'], {'op': 'reboot', 'n': 1})  # an object over MQTT
        self.assertEqual(ex['versionNumber'], 2)
        self.assertEqual(ex['executionNumber'], 1)
        self.assertEqual(ex['approximateSecondsBeforeTimedOut'], 300)  # the step timer
        for k in ('queuedAt', 'startedAt', 'lastUpdatedAt'):
            self.assertIsInstance(ex[k], int)
        # describe by id and by $next; includeJobDocument false
        d = self.req(jid + '/get', {'clientToken': 'd1'})
        self.assertEqual(d['execution']['jobDocument'], {'op': 'reboot', 'n': 1})
        self.assertEqual(d['clientToken'], 'd1')
        d = self.req('$next/get', {'includeJobDocument': False})
        self.assertEqual(d['execution']['jobId'], jid)
        self.assertNotIn('jobDocument', d['execution'])
        d = self.req(jid + '/get', {'executionNumber': '1'})
        self.assertEqual(d['execution']['executionNumber'], 1)

    def test_start_next_nothing_pending(self):
        got = self.req('start-next', {'clientToken': 'n'})
        self.assertEqual(set(got), {'timestamp', 'clientToken'})
        got = self.req('$next/get', {})
        self.assertNotIn('execution', got)  # D15

    def test_update_accepted_forms(self):
        jid = self.job()
        self.drain()
        self.req('start-next', {})
        got = self.req(jid + '/update', {'status': 'IN_PROGRESS', 'expectedVersion': '2',
                                         'statusDetails': {'progress': '40%'},
                                         'clientToken': 't3'})
        self.assertEqual(set(got), {'timestamp', 'clientToken'})
        got = self.req(jid + '/update', {'status': 'SUCCEEDED', 'expectedVersion': 3,
                                         'includeJobExecutionState': True,
                                         'includeJobDocument': True, 'clientToken': 't4'})
        self.assertEqual(got['executionState'], {'status': 'SUCCEEDED',
                                                 'statusDetails': {'progress': '40%'},
                                                 'versionNumber': 4})
        self.assertEqual(got['jobDocument'], {'op': 'reboot', 'n': 1})
        self.assertEqual(got['clientToken'], 't4')
        st = self.iot.describe_job_execution(jobId=jid, thingName=self.thing)['execution']
        self.assertEqual(st['status'], 'SUCCEEDED')

    def test_rejected_version_mismatch_carries_state(self):
        jid = self.job()
        self.drain()
        self.req('start-next', {'statusDetails': {'p': '1'}})
        got = self.req(jid + '/update', {'status': 'SUCCEEDED', 'expectedVersion': '1',
                                         'clientToken': 'vm'}, accepted=False)
        self.assertEqual(got['code'], 'VersionMismatch')
        self.assertEqual(got['clientToken'], 'vm')
        self.assertEqual(got['executionState'], {'status': 'IN_PROGRESS',
                                                 'statusDetails': {'p': '1'}, 'versionNumber': 2})
        self.assertIsInstance(got['message'], str)
        self.assertTimestamp(got['timestamp'])

    def test_rejected_invalid_state_transition_carries_state(self):
        jid = self.job()
        self.drain()
        self.req(jid + '/update', {'status': 'SUCCEEDED'})
        got = self.req(jid + '/update', {'status': 'IN_PROGRESS', 'clientToken': 'ist'},
                       accepted=False)
        self.assertEqual(got['code'], 'InvalidStateTransition')
        self.assertEqual(got['executionState']['status'], 'SUCCEEDED')
        self.assertEqual(got['executionState']['versionNumber'], 2)

    def test_rejected_codes(self):
        jid = self.job()
        self.drain()
        # InvalidRequest: a status a device may not set; carries no executionState
        got = self.req(jid + '/update', {'status': 'CANCELED', 'clientToken': 'ir'},
                       accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        self.assertEqual(got['clientToken'], 'ir')
        self.assertNotIn('executionState', got)
        got = self.req(jid + '/update', {'clientToken': 'ir2'}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        got = self.req(jid + '/update', {'status': 'IN_PROGRESS', 'statusDetails': {
            'k%d' % i: 'v' for i in range(11)}}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        # InvalidJson: no clientToken can be read
        got = self.req(jid + '/update', b'{"status": ', accepted=False)
        self.assertEqual(got['code'], 'InvalidJson')
        self.assertNotIn('clientToken', got)
        got = self.req('get', b'\xff\xfe', accepted=False)
        self.assertEqual(got['code'], 'InvalidJson')
        # ResourceNotFound
        got = self.req('nope/get', {'clientToken': 'rnf'}, accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')
        self.assertEqual(got['clientToken'], 'rnf')
        got = self.req('nope/update', {'status': 'SUCCEEDED'}, accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')
        # InvalidTopic
        got = self.req('bogus/thing/here', {}, accepted=False)
        self.assertEqual(got['code'], 'InvalidTopic')
        # a bad job id in the topic
        got = self.req('bad.id/get', {}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')

    def test_client_token_too_long(self):
        got = self.req('get', {'clientToken': 'x' * 65}, accepted=False)
        self.assertEqual(got['code'], 'InvalidRequest')
        self.assertNotIn('clientToken', got)


class Notifications(MqttBase):

    def test_sequence_two_jobs(self):
        # spec §7.2/§7.3: two jobs queued, first started, first succeeded, second canceled.
        nt, nn = T % self.thing + 'notify', T % self.thing + 'notify-next'
        j1 = self.job()
        n = self.dev.expect_json(nt)
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j1])
        self.assertNotIn('IN_PROGRESS', n['jobs'])
        nx = self.dev.expect_json(nn)
        self.assertEqual(nx['execution']['jobId'], j1)
        self.assertEqual(nx['execution']['status'], 'QUEUED')
        self.assertEqual(nx['execution']['jobDocument'], {'op': 'reboot', 'n': 1})
        j2 = self.job()
        n = self.dev.expect_json(nt)
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j1, j2])
        self.dev.no_message(nn)  # the head did not change
        # first started: neither membership nor head changes
        self.req('start-next', {})
        self.dev.no_message(nt)
        self.dev.no_message(nn)
        # first succeeded: it leaves; j2 becomes the head
        self.req(j1 + '/update', {'status': 'SUCCEEDED'})
        n = self.dev.expect_json(nt)
        self.assertEqual(n['jobs'], {'QUEUED': n['jobs']['QUEUED']})
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j2])
        nx = self.dev.expect_json(nn)
        self.assertEqual(nx['execution']['jobId'], j2)
        # second canceled: the list empties
        self.iot.cancel_job_execution(jobId=j2, thingName=self.thing)
        n = self.dev.expect_json(nt)
        self.assertEqual(n['jobs'], {})
        nx = self.dev.expect_json(nn)
        self.assertEqual(set(nx), {'timestamp'})

    def test_queued_to_in_progress_by_update_no_notify(self):
        jid = self.job()
        self.drain()
        self.req(jid + '/update', {'status': 'IN_PROGRESS'})
        self.dev.no_message(T % self.thing + 'notify')
        self.dev.no_message(T % self.thing + 'notify-next')

    def test_force_deleted_in_progress(self):
        j1 = self.job()
        self.drain()
        j2 = self.job()
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j1, j2])
        self.req('start-next', {})
        self.iot.delete_job_execution(jobId=j1, thingName=self.thing, executionNumber=1,
                                      force=True)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [j2])
        nx = self.dev.expect_json(T % self.thing + 'notify-next')
        self.assertEqual(nx['execution']['jobId'], j2)  # notify-next moves on
        got = self.req(j1 + '/update', {'status': 'SUCCEEDED', 'clientToken': 'gone'},
                       accepted=False)
        self.assertEqual(got['code'], 'ResourceNotFound')
        self.assertEqual(got['clientToken'], 'gone')

    def test_continuous_join_notifies(self):
        g = self.create_group()
        jid = self.name('job')
        self.iot.create_job(jobId=jid, targets=[harness.group_arn(g)], document='{}',
                            targetSelection='CONTINUOUS')
        self.dev.no_message(T % self.thing + 'notify')
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=self.thing)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [jid])
        self.dev.expect_json(T % self.thing + 'notify-next')
        self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=self.thing)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})

    def test_delete_job_notifies(self):
        jid = self.job()
        self.drain()
        self.iot.delete_job(jobId=jid, force=True)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})
        nx = self.dev.expect_json(T % self.thing + 'notify-next')
        self.assertNotIn('execution', nx)

    def test_thing_deletion_notifies(self):
        self.job()
        self.drain()
        self.iot.delete_thing(thingName=self.thing)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})

    def test_timeout_notifies(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.drain()
        self.req('start-next', {})
        self.jobsd.advance_clock(61)
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})
        self.dev.expect_json(T % self.thing + 'notify-next')
        got = self.req(jid + '/get', {})
        self.assertEqual(got['execution']['status'], 'TIMED_OUT')

    def test_step_timeout(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 60})
        self.drain()
        self.req('start-next', {'stepTimeoutInMinutes': 2})
        self.jobsd.advance_clock(60)
        self.assertEqual(self.req(jid + '/get', {})['execution']['status'], 'IN_PROGRESS')
        # a new step timer replaces the old one; -1 clears it
        self.req(jid + '/update', {'status': 'IN_PROGRESS', 'stepTimeoutInMinutes': 5})
        self.jobsd.advance_clock(90)
        self.assertEqual(self.req(jid + '/get', {})['execution']['status'], 'IN_PROGRESS')
        self.req(jid + '/update', {'status': 'IN_PROGRESS', 'stepTimeoutInMinutes': -1})
        self.jobsd.advance_clock(600)
        ex = self.req(jid + '/get', {})['execution']
        self.assertEqual(ex['status'], 'IN_PROGRESS')
        self.req(jid + '/update', {'status': 'IN_PROGRESS', 'stepTimeoutInMinutes': 1})
        self.jobsd.advance_clock(61)
        self.assertEqual(self.req(jid + '/get', {})['execution']['status'], 'TIMED_OUT')
        self.dev.expect_json(T % self.thing + 'notify')


class Namespaces(MqttBase):

    def test_namespaced_job_kept_out_of_plain_views(self):
        ns = 'aws-gg-deployment'
        plain = self.job()
        self.drain()
        nsj = self.job(namespaceId=ns)
        n = self.dev.expect_json(T % self.thing + 'notify-namespace-' + ns)
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [nsj])
        seed = self.dev.expect_json(T % self.thing + nsj + '/notify-namespace-' + ns + '/')
        self.assertEqual(seed, n)  # D10: the seed's per-job form too
        self.dev.expect_json(T % self.thing + 'notify-next-namespace-' + ns)
        self.dev.no_message(T % self.thing + 'notify')
        got = self.req('get', {})
        self.assertEqual([x['jobId'] for x in got['queuedJobs']], [plain])
        got = self.req('$next/get', {})
        self.assertEqual(got['execution']['jobId'], plain)
        got = self.req('$next/namespace-%s/get' % ns, {})
        self.assertEqual(got['execution']['jobId'], nsj)
        got = self.req('%s/namespace-%s/update' % (nsj, ns), {'status': 'SUCCEEDED'})
        self.assertIn('timestamp', got)


class BrokerBehaviour(MqttBase):

    def test_device_cannot_use_another_things_topics(self):
        victim = self.create_thing()
        vdev = self.device(victim)
        jid = self.job(things=[victim])
        vdev.expect_json(T % victim + 'notify-next')
        vdev.clear()
        # The attacker publishes on the victim's topics: the broker refuses it.
        self.dev.publish(T % victim + jid + '/update', {'status': 'SUCCEEDED'})
        self.dev.publish(T % victim + 'start-next', {})
        vdev.no_message('#', within=0.5)
        ex = self.iot.describe_job_execution(jobId=jid, thingName=victim)['execution']
        self.assertEqual((ex['status'], ex['versionNumber']), ('QUEUED', 1))
        # and it cannot subscribe to them either: nothing arrives
        self.dev.subscribe(T % victim + '#')
        self.iot.cancel_job_execution(jobId=jid, thingName=victim)
        vdev.expect_json(T % victim + 'notify')
        self.dev.no_message(T % victim + '#', within=0.5)

    def test_broker_restart(self):
        jid = self.job()
        self.drain()
        self.broker.restart()
        wait_mqtt_ready(self.jobsd)
        self.dev.disconnect()
        self.clients.remove(self.dev)
        self.dev = self.device(self.thing)
        got = self.req('start-next', {'clientToken': 'after-restart'})
        self.assertEqual(got['execution']['jobId'], jid)
        self.req(jid + '/update', {'status': 'SUCCEEDED'})
        n = self.dev.expect_json(T % self.thing + 'notify')
        self.assertEqual(n['jobs'], {})
        st = self.iot.describe_job(jobId=jid)['job']['status']
        self.assertEqual(st, 'COMPLETED')


class Throttled(MqttBase):
    more_args = ('--throttle-rates', 'DataPlaneRead=1')

    def test_request_throttled(self):
        # D19: over the rate a device gets RequestThrottled, clientToken echoed.
        codes = []
        for i in range(6):
            topic = T % self.thing + 'get'
            self.dev.publish(topic, {'clientToken': 'c%d' % i})
            got = self.dev.expect_msg(topic + '/+')
            body = json.loads(got.payload)
            self.assertEqual(body['clientToken'], 'c%d' % i)
            if got.topic.endswith('/rejected'):
                self.assertEqual(body['code'], 'RequestThrottled')
                self.assertNotIn('executionState', body)
            codes.append(got.topic.rsplit('/', 1)[1])
        self.assertIn('accepted', codes)
        self.assertIn('rejected', codes)


class TimerSurvivesRestart(MqttBase):

    def test_timer_survives_restart(self):
        jid = self.job(timeoutConfig={'inProgressTimeoutInMinutes': 2})
        self.drain()
        self.req('start-next', {})
        offset = self.jobsd.clock_now_ms()
        self.jobsd.restart()
        wait_mqtt_ready(self.jobsd)
        # the virtual clock restarts at real time: move past the stored deadline
        ahead = max(0, (offset - self.jobsd.clock_now_ms()) // 1000) + 121
        self.jobsd.advance_clock(ahead)
        # a get is idempotent: ask again if unanswered (on PostgreSQL the restarted node
        # answers its things once its shard leases are in: docs/operations.md "Leases and
        # takeover"), and check the status the timer left
        got = None
        for attempt in range(4):
            self.dev.publish(T % self.thing + jid + '/get', {'clientToken': 'a%d' % attempt})
            try:
                got = self.dev.expect_json(T % self.thing + jid + '/get/accepted', timeout=3)
                break
            except mqttc.MqttError:
                continue
        self.assertIsNotNone(got, 'get unanswered after the restart')
        self.assertEqual(got['execution']['status'], 'TIMED_OUT')


if __name__ == '__main__':
    harness.main()
