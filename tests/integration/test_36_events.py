"""Jobs events (AWS IoT developer guide, "Jobs events"): UpdateEventConfigurations,
DescribeEventConfigurations, and every $aws/events/job/... and $aws/events/jobExecution/...
topic, observed by a real MQTT subscriber (the shipped ACL's "monitor" account) through a
real Mosquitto, payload checked field by field, including the transitions the service makes
itself (time-out, abort).
"""

import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import mqttc  # noqa: E402
from broker import Broker, MqttTestCase, wait_mqtt_ready  # noqa: E402
from harness import thing_arn  # noqa: E402

EV = '$aws/events/'
MONITOR_PW = 'monitor-' + uuid.uuid4().hex
JOB_KEYS = {'eventType', 'eventId', 'timestamp', 'operation', 'jobId', 'status',
            'targetSelection', 'targets', 'createdAt', 'lastUpdatedAt'}
DETAIL_KEYS = {'numberOfCanceledThings', 'numberOfRejectedThings', 'numberOfFailedThings',
               'numberOfRemovedThings', 'numberOfSucceededThings', 'numberOfTimedOutThings'}


class MonitorBroker(Broker):
    """The shipped broker config with a "monitor" account in its password file."""

    def start(self):
        subprocess.run(['mosquitto_passwd', '-b', os.path.join(self.dir, 'passwd'), 'monitor',
                        MONITOR_PW], check=True)
        super().start()


class EventsBase(MqttTestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = MonitorBroker()
        cls.broker.start()
        cls.jobsd_extra_args = ('--mqtt', '127.0.0.1:%d' % cls.broker.port,
                                '--mqtt-username', 'jobsd', '--mqtt-password', cls.broker.password)
        try:
            harness.JobsdTestCase.setUpClass.__func__(cls)
            wait_mqtt_ready(cls.jobsd)
        except Exception:
            cls.broker.close()
            raise

    def setUp(self):
        super().setUp()
        self.mon = mqttc.MqttClient('monitor-' + uuid.uuid4().hex[:8], '127.0.0.1',
                                    self.broker.port, username='monitor', password=MONITOR_PW)
        self.mon.connect()
        self.clients.append(self.mon)
        self.mon.subscribe(EV + '#')

    def enable(self, job=True, execution=True):
        self.iot.update_event_configurations(eventConfigurations={
            'JOB': {'Enabled': job}, 'JOB_EXECUTION': {'Enabled': execution}})

    def job(self, things, **kw):
        jid = self.name('job')
        kw.setdefault('document', '{"op":"x"}')
        kw.setdefault('description', 'events test')
        self.iot.create_job(jobId=jid, targets=[thing_arn(t) for t in things], **kw)
        return jid

    def expect_job(self, jid, op, status):
        ev = self.mon.expect_json(EV + 'job/%s/%s' % (jid, op))
        self.assertEqual(ev['eventType'], 'JOB')
        self.assertEqual(ev['operation'], op)
        self.assertEqual(ev['jobId'], jid)
        self.assertEqual(ev['status'], status)
        self.assertTrue(JOB_KEYS <= set(ev), set(ev))
        uuid.UUID(ev['eventId'])
        self.assertIsInstance(ev['timestamp'], int)
        self.assertLessEqual(abs(ev['timestamp'] - self.jobsd.clock_now_ms() // 1000), 5)
        # createdAt / lastUpdatedAt / completedAt are epoch milliseconds
        self.assertGreater(ev['createdAt'], 10 ** 12)
        self.assertGreaterEqual(ev['lastUpdatedAt'], ev['createdAt'])
        self.assertEqual(ev['targetSelection'], 'SNAPSHOT')
        return ev

    def expect_exec(self, jid, thing, op, status, details=None):
        ev = self.mon.expect_json(EV + 'jobExecution/%s/%s' % (jid, op))
        want = {'eventType': 'JOB_EXECUTION', 'operation': op, 'jobId': jid,
                'thingArn': thing_arn(thing), 'status': status}
        for k, v in want.items():
            self.assertEqual(ev[k], v, k)
        uuid.UUID(ev['eventId'])
        self.assertIsInstance(ev['timestamp'], int)
        if details is None:
            self.assertNotIn('statusDetails', ev)
            self.assertEqual(set(ev), set(want) | {'eventId', 'timestamp'})
        else:
            self.assertEqual(ev['statusDetails'], details)
        return ev


class Configuration(EventsBase):

    def test_off_by_default_and_nothing_published(self):
        got = self.iot.describe_event_configurations()
        cfg = got['eventConfigurations']
        self.assertEqual(set(cfg), {'THING', 'THING_GROUP', 'THING_TYPE',
                                    'THING_GROUP_MEMBERSHIP', 'THING_GROUP_HIERARCHY',
                                    'THING_TYPE_ASSOCIATION', 'JOB', 'JOB_EXECUTION', 'POLICY',
                                    'CERTIFICATE', 'CA_CERTIFICATE'})
        self.assertTrue(all(v == {'Enabled': False} for v in cfg.values()))
        t = self.create_thing()
        jid = self.job([t])
        self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.mon.no_message(EV + '#', within=0.5)

    def test_update_and_describe(self):
        self.iot.update_event_configurations(eventConfigurations={
            'JOB': {'Enabled': True}, 'POLICY': {'Enabled': True}})
        got = self.iot.describe_event_configurations()
        self.assertEqual(got['eventConfigurations']['JOB'], {'Enabled': True})
        self.assertEqual(got['eventConfigurations']['POLICY'], {'Enabled': True})
        self.assertEqual(got['eventConfigurations']['JOB_EXECUTION'], {'Enabled': False})
        self.assertIn('creationDate', got)
        self.assertGreaterEqual(got['lastModifiedDate'], got['creationDate'])
        # only the types named change
        self.iot.update_event_configurations(eventConfigurations={
            'JOB_EXECUTION': {'Enabled': True}})
        cfg = self.iot.describe_event_configurations()['eventConfigurations']
        self.assertEqual((cfg['JOB'], cfg['JOB_EXECUTION']), ({'Enabled': True},
                                                              {'Enabled': True}))
        # the aws CLI too
        _, out, _ = self.jobsd.aws('iot', 'describe-event-configurations')
        self.assertTrue(out['eventConfigurations']['JOB']['Enabled'])

    def test_unknown_type_is_invalid(self):
        st = self.jobsd.raw('PATCH', '/event-configurations',
                                 {'eventConfigurations': {'JOBS': {'Enabled': True}}})
        self.assertRawError(st, 'InvalidRequestException', 400)
        st = self.jobsd.raw('PATCH', '/event-configurations',
                                 {'eventConfigurations': {'JOB': {'Enabled': 'yes'}}})
        self.assertRawError(st, 'InvalidRequestException', 400)
        cfg = self.iot.describe_event_configurations()['eventConfigurations']
        self.assertEqual(cfg['JOB'], {'Enabled': False})

    def test_only_enabled_types_publish(self):
        self.enable(job=False, execution=True)
        t = self.create_thing()
        jid = self.job([t])
        self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.expect_exec(jid, t, 'succeeded', 'SUCCEEDED')
        self.mon.no_message(EV + 'job/#', within=0.3)

    def test_device_cannot_publish_events(self):
        t = self.create_thing()
        dev = self.device(t)
        dev.publish(EV + 'job/forged/completed', {'eventType': 'JOB'})
        self.mon.no_message(EV + '#', within=0.5)


class Lifecycle(EventsBase):

    def setUp(self):
        super().setUp()
        self.enable()

    def test_device_outcomes_and_completed(self):
        a, b, c = self.create_thing(), self.create_thing(), self.create_thing()
        jid = self.job([a, b, c])
        self.data.update_job_execution(jobId=jid, thingName=a, status='SUCCEEDED',
                                       statusDetails={'k': 'v'})
        self.expect_exec(jid, a, 'succeeded', 'SUCCEEDED', {'k': 'v'})
        self.data.update_job_execution(jobId=jid, thingName=b, status='FAILED')
        self.expect_exec(jid, b, 'failed', 'FAILED')
        self.data.update_job_execution(jobId=jid, thingName=c, status='REJECTED')
        self.expect_exec(jid, c, 'rejected', 'REJECTED')
        ev = self.expect_job(jid, 'completed', 'COMPLETED')
        self.assertEqual(ev['targets'], [thing_arn(a), thing_arn(b), thing_arn(c)])
        self.assertEqual(ev['description'], 'events test')
        self.assertGreaterEqual(ev['completedAt'], ev['createdAt'])
        self.assertEqual(set(ev['jobProcessDetails']), DETAIL_KEYS)
        d = ev['jobProcessDetails']
        self.assertEqual((d['numberOfSucceededThings'], d['numberOfFailedThings'],
                          d['numberOfRejectedThings'], d['numberOfCanceledThings']),
                         (1, 1, 1, 0))
        # each transition once
        self.mon.no_message(EV + '#', within=0.3)

    def test_cancel(self):
        a, b = self.create_thing(), self.create_thing()
        jid = self.job([a, b])
        self.data.start_next_pending_job_execution(thingName=a)
        self.iot.cancel_job(jobId=jid, comment='stop it', reasonCode='R1')
        ev = self.expect_job(jid, 'cancellation_in_progress', 'CANCELLATION_IN_PROGRESS')
        self.assertEqual(ev['comment'], 'stop it')
        self.expect_exec(jid, b, 'canceled', 'CANCELED')
        ev = self.expect_job(jid, 'canceled', 'CANCELED')
        self.assertIs(ev['forceCanceled'], False)
        self.assertEqual(ev['jobProcessDetails']['numberOfCanceledThings'], 1)
        self.mon.no_message(EV + '#', within=0.3)
        # force: the IN_PROGRESS one too
        self.iot.cancel_job(jobId=jid, force=True)
        self.expect_job(jid, 'cancellation_in_progress', 'CANCELLATION_IN_PROGRESS')
        self.expect_exec(jid, a, 'canceled', 'CANCELED')
        ev = self.expect_job(jid, 'canceled', 'CANCELED')
        self.assertIs(ev['forceCanceled'], True)

    def test_timed_out(self):
        t = self.create_thing()
        jid = self.job([t], timeoutConfig={'inProgressTimeoutInMinutes': 1})
        self.data.start_next_pending_job_execution(thingName=t)
        self.jobsd.advance_clock(61)
        self.expect_exec(jid, t, 'timed_out', 'TIMED_OUT')
        self.expect_job(jid, 'completed', 'COMPLETED')

    def test_abort(self):
        things = [self.create_thing() for _ in range(3)]
        jid = self.job(things, abortConfig={'criteriaList': [{
            'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 50,
            'minNumberOfExecutedThings': 1}]})
        self.data.update_job_execution(jobId=jid, thingName=things[0], status='FAILED')
        self.expect_exec(jid, things[0], 'failed', 'FAILED')
        ev = self.expect_job(jid, 'cancellation_in_progress', 'CANCELLATION_IN_PROGRESS')
        for t in things[1:]:
            got = self.mon.expect_json(EV + 'jobExecution/%s/canceled' % jid)
            self.assertIn(got['thingArn'], {thing_arn(x) for x in things[1:]})
            self.assertEqual(got['status'], 'CANCELED')
        ev = self.expect_job(jid, 'canceled', 'CANCELED')
        self.assertIs(ev['forceCanceled'], False)
        self.assertIn('comment', ev)  # the service's abort comment

    def test_end_behaviour(self):
        a, b = self.create_thing(), self.create_thing()
        end = harness.schedule_time(self.jobsd.clock_now_ms() + 3600 * 1000 + 60000)
        jid = self.job([a, b], schedulingConfig={'endTime': end,
                                                 'endBehavior': 'FORCE_CANCEL'})
        self.data.start_next_pending_job_execution(thingName=a)
        self.jobsd.advance_clock(3600 + 120)
        ev = self.expect_job(jid, 'cancellation_in_progress', 'CANCELLATION_IN_PROGRESS')
        self.assertIn('endTime', ev['comment'])
        got = {self.mon.expect_json(EV + 'jobExecution/%s/canceled' % jid)['thingArn']
               for _ in range(2)}
        self.assertEqual(got, {thing_arn(a), thing_arn(b)})
        ev = self.expect_job(jid, 'canceled', 'CANCELED')
        self.assertIs(ev['forceCanceled'], True)
        self.assertEqual(ev['jobProcessDetails']['numberOfCanceledThings'], 2)
        self.mon.no_message(EV + '#', within=0.3)

    def test_removed(self):
        t = self.create_thing()
        jid = self.job([t])
        self.iot.delete_thing(thingName=t)
        self.expect_exec(jid, t, 'removed', 'REMOVED')

    def test_deleted(self):
        a, b = self.create_thing(), self.create_thing()
        jid = self.job([a, b])
        self.data.update_job_execution(jobId=jid, thingName=a, status='SUCCEEDED')
        self.expect_exec(jid, a, 'succeeded', 'SUCCEEDED')
        self.iot.delete_job_execution(jobId=jid, thingName=a, executionNumber=1)
        # the status is the one the execution had before it was deleted
        self.expect_exec(jid, a, 'deleted', 'SUCCEEDED')
        self.iot.delete_job(jobId=jid, force=True)
        self.expect_job(jid, 'deletion_in_progress', 'DELETION_IN_PROGRESS')
        self.expect_exec(jid, b, 'deleted', 'QUEUED')
        self.expect_job(jid, 'deleted', 'DELETED')
        self.mon.no_message(EV + '#', within=0.3)

    def test_refused_change_publishes_nothing(self):
        t = self.create_thing()
        jid = self.job([t])
        self.data.update_job_execution(jobId=jid, thingName=t, status='SUCCEEDED')
        self.expect_exec(jid, t, 'succeeded', 'SUCCEEDED')
        self.expect_job(jid, 'completed', 'COMPLETED')
        self.assertAwsError(lambda: self.data.update_job_execution(
            jobId=jid, thingName=t, status='FAILED'), 'InvalidStateTransitionException')
        self.mon.no_message(EV + '#', within=0.3)


if __name__ == '__main__':
    harness.main()
