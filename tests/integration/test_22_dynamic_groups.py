"""Dynamic thing groups (issue 12): CreateDynamicThingGroup, UpdateDynamicThingGroup,
DeleteDynamicThingGroup; membership that follows every registry change; and a CONTINUOUS
job on a dynamic group end to end (spec §8.2, §9.1; D4, D14), observed through the control
plane, the device plane over HTTPS and MQTT (a real Mosquitto)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from broker import MqttTestCase  # noqa: E402
from harness import group_arn  # noqa: E402

T = '$aws/things/%s/jobs/'
QUERY = 'attributes.ring:canary AND attributes.fw < 3'


def members(iot, g):
    return sorted(iot.list_things_in_thing_group(thingGroupName=g, maxResults=250)['things'])


class DynamicGroups(harness.JobsdTestCase):

    def attrs(self, **kw):
        return {'attributePayload': {'attributes': kw}}

    def test_create_describe_and_follow(self):
        a = self.create_thing(**self.attrs(ring='canary', fw='1'))
        self.create_thing(**self.attrs(ring='canary', fw='7'))
        self.create_thing(**self.attrs(ring='prod', fw='1'))
        g = self.name('dyn')
        r = self.iot.create_dynamic_thing_group(
            thingGroupName=g, queryString=QUERY,
            thingGroupProperties={'thingGroupDescription': 'canaries'})
        self.assertEqual(r['thingGroupArn'], group_arn(g))
        self.assertEqual(r['indexName'], 'AWS_Things')
        self.assertEqual(r['queryString'], QUERY)
        self.assertEqual(r['queryVersion'], '2017-09-30')
        d = self.iot.describe_thing_group(thingGroupName=g)
        self.assertEqual(d['status'], 'ACTIVE')
        self.assertEqual(d['queryString'], QUERY)
        self.assertEqual(members(self.iot, g), [a])
        # later things, updates and deletes
        b = self.create_thing(**self.attrs(ring='canary', fw='2'))
        self.assertEqual(members(self.iot, g), sorted([a, b]))
        self.iot.update_thing(thingName=a, attributePayload={'attributes': {'fw': '3'},
                                                              'merge': True})
        self.assertEqual(members(self.iot, g), [b])
        self.iot.delete_thing(thingName=b)
        self.assertEqual(members(self.iot, g), [])
        # idempotent create; a different query conflicts
        self.iot.create_dynamic_thing_group(
            thingGroupName=g, queryString=QUERY,
            thingGroupProperties={'thingGroupDescription': 'canaries'})
        self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName=g, queryString='thingName:x'), 'ResourceAlreadyExistsException', 409)

    def test_thing_group_names_query(self):
        s = self.create_group()
        t = self.create_thing()
        g = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=g,
                                            queryString='thingGroupNames:%s' % s)
        self.assertEqual(members(self.iot, g), [])
        self.iot.add_thing_to_thing_group(thingGroupName=s, thingName=t)
        self.assertEqual(members(self.iot, g), [t])
        self.iot.remove_thing_from_thing_group(thingGroupName=s, thingName=t)
        self.assertEqual(members(self.iot, g), [])

    def test_tags_on_create(self):
        g = self.name('dyn')
        r = self.iot.create_dynamic_thing_group(
            thingGroupName=g, queryString='thingName:tagged*',
            tags=[{'Key': 'ring', 'Value': 'canary'}, {'Key': 'owner', 'Value': 'fw'}])
        got = self.iot.list_tags_for_resource(resourceArn=r['thingGroupArn'])['tags']
        self.assertEqual(sorted((t['Key'], t['Value']) for t in got),
                         [('owner', 'fw'), ('ring', 'canary')])
        self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName=self.name('dyn'), queryString='thingName:x',
            tags=[{'Key': 'aws:reserved', 'Value': 'x'}]), 'InvalidRequestException', 400)

    def test_update_query_and_version(self):
        a = self.create_thing(self.name('alpha'))
        b = self.create_thing(self.name('beta'))
        g = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=g, queryString='thingName:alpha*')
        self.assertEqual(members(self.iot, g), [a])
        r = self.iot.update_dynamic_thing_group(thingGroupName=g, thingGroupProperties={},
                                                queryString='thingName:beta*', expectedVersion=1)
        self.assertEqual(r['version'], 2)
        self.assertEqual(members(self.iot, g), [b])
        self.assertEqual(self.iot.describe_thing_group(thingGroupName=g)['queryString'],
                         'thingName:beta*')
        self.assertAwsError(lambda: self.iot.update_dynamic_thing_group(
            thingGroupName=g, thingGroupProperties={}, expectedVersion=1),
            'VersionConflictException', 409)
        self.assertAwsError(lambda: self.iot.update_dynamic_thing_group(
            thingGroupName=g, thingGroupProperties={}, queryString='thingName:('),
            'InvalidQueryException', 400)
        self.assertAwsError(lambda: self.iot.update_dynamic_thing_group(
            thingGroupName=self.name('nope'), thingGroupProperties={}),
            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.update_dynamic_thing_group(
            thingGroupName=self.create_group(), thingGroupProperties={}),
            'InvalidRequestException', 400)

    def test_errors(self):
        e = self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName=self.name('dyn'), queryString='attributes.fw <'),
            'InvalidQueryException', 400)
        self.assertIn('position', e.response['Error']['Message'])
        self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName=self.name('dyn'), queryString='shadow.reported.x:1'),
            'InvalidQueryException', 400)
        self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName=self.name('dyn'), queryString='thingName:x', indexName='Other'),
            'ResourceNotFoundException', 404)
        r = self.jobsd.raw('POST', '/dynamic-thing-groups/' + self.name('dyn'), body=b'{}')
        self.assertRawError(r, 'InvalidRequestException', 400)
        g = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=g, queryString='thingName:x')
        t = self.create_thing()
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupName=g, thingName=t), 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.update_thing_groups_for_thing(
            thingName=t, thingGroupsToRemove=[g]), 'InvalidRequestException', 400)

    def test_delete(self):
        t = self.create_thing()
        g = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=g, queryString='thingName:*')
        self.assertAwsError(lambda: self.iot.delete_dynamic_thing_group(
            thingGroupName=g, expectedVersion=5), 'VersionConflictException', 409)
        self.assertAwsError(lambda: self.iot.delete_dynamic_thing_group(
            thingGroupName=self.create_group()), 'InvalidRequestException', 400)
        self.iot.delete_dynamic_thing_group(thingGroupName=g, expectedVersion=1)
        self.assertAwsError(lambda: self.iot.describe_thing_group(thingGroupName=g),
                            'ResourceNotFoundException', 404)
        self.assertEqual(self.iot.list_thing_groups_for_thing(thingName=t)['thingGroups'], [])
        self.iot.delete_dynamic_thing_group(thingGroupName=g)  # missing: 200

    def test_limit_100(self):
        for i in range(100):
            self.iot.create_dynamic_thing_group(thingGroupName='lim-%03d' % i,
                                                queryString='thingName:x%d' % i)
        self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName='lim-100', queryString='thingName:y'), 'LimitExceededException', 410)

    def test_cli(self):
        g = self.name('dyn')
        _, out, _ = self.jobsd.aws('iot', 'create-dynamic-thing-group', '--thing-group-name', g,
                                   '--query-string', 'attributes.fw:[1 TO 2]')
        self.assertEqual(out['queryString'], 'attributes.fw:[1 TO 2]')
        rc, _, err = self.jobsd.aws('iot', 'create-dynamic-thing-group', '--thing-group-name',
                                    self.name('dyn'), '--query-string', 'a AND', check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('InvalidQueryException', err)
        self.jobsd.aws('iot', 'delete-dynamic-thing-group', '--thing-group-name', g)


class ContinuousJobOnDynamicGroup(MqttTestCase):
    """The issue's scenario: a CONTINUOUS job on `attributes.ring:canary AND
    attributes.fw < 3`; things created, updated to match, updated to stop matching and
    deleted each give exactly the executions of the state table."""

    def execs(self, job):
        r = self.iot.list_job_executions_for_job(jobId=job)['executionSummaries']
        return sorted((x['thingArn'].rsplit('/', 1)[1],
                       x['jobExecutionSummary']['executionNumber'],
                       x['jobExecutionSummary']['status']) for x in r)

    def pending_http(self, thing):
        r = self.data.get_pending_job_executions(thingName=thing)
        return [x['jobId'] for x in r['queuedJobs']]

    def test_scenario(self):
        g = self.name('canary')
        self.iot.create_dynamic_thing_group(thingGroupName=g, queryString=QUERY)
        job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS')
        a, b, c = self.name('a'), self.name('b'), self.name('c')
        dev_a = self.device(a)
        # created matching: QUEUED, announced over MQTT
        self.create_thing(a, attributePayload={'attributes': {'ring': 'canary', 'fw': '1'}})
        n = dev_a.expect_json(T % a + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [job])
        nx = dev_a.expect_json(T % a + 'notify-next')
        self.assertEqual(nx['execution']['jobId'], job)
        self.assertEqual(nx['execution']['status'], 'QUEUED')
        self.assertEqual(self.pending_http(a), [job])
        self.assertEqual(self.execs(job), [(a, 1, 'QUEUED')])
        # created not matching: nothing
        self.create_thing(b, attributePayload={'attributes': {'ring': 'prod', 'fw': '1'}})
        self.create_thing(c, attributePayload={'attributes': {'ring': 'canary', 'fw': '9'}})
        self.assertEqual(self.execs(job), [(a, 1, 'QUEUED')])
        # updated to match: QUEUED
        self.iot.update_thing(thingName=b, attributePayload={'attributes': {'ring': 'canary'},
                                                              'merge': True})
        self.assertEqual(self.execs(job), [(a, 1, 'QUEUED'), (b, 1, 'QUEUED')])
        self.assertEqual(self.pending_http(b), [job])
        # updated to stop matching: the QUEUED execution becomes REMOVED, the device is told
        dev_a.clear()
        self.iot.update_thing(thingName=a, attributePayload={'attributes': {'fw': '3'},
                                                              'merge': True})
        self.assertEqual(self.execs(job), [(a, 1, 'REMOVED'), (b, 1, 'QUEUED')])
        n = dev_a.expect_json(T % a + 'notify')
        self.assertEqual(n.get('jobs', {}), {})
        self.assertEqual(self.pending_http(a), [])
        d = self.data.describe_job_execution(thingName=a, jobId=job)['execution']
        self.assertEqual(d['status'], 'REMOVED')
        # matching again: a new execution (D4: number 2), QUEUED
        self.iot.update_thing(thingName=a, attributePayload={'attributes': {'fw': '2'},
                                                              'merge': True})
        self.assertEqual(self.execs(job),
                         [(a, 1, 'REMOVED'), (a, 2, 'QUEUED'), (b, 1, 'QUEUED')])
        n = dev_a.expect_json(T % a + 'notify')
        self.assertEqual([x['jobId'] for x in n['jobs']['QUEUED']], [job])
        # an unrelated attribute change of a matching thing changes nothing
        self.iot.update_thing(thingName=a, attributePayload={'attributes': {'x': 'y'},
                                                              'merge': True})
        self.assertEqual(len(self.execs(job)), 3)
        # deleted: REMOVED, still listed by the job (D14)
        self.iot.delete_thing(thingName=b)
        self.assertEqual(self.execs(job),
                         [(a, 1, 'REMOVED'), (a, 2, 'QUEUED'), (b, 1, 'REMOVED')])
        counts = self.iot.describe_job(jobId=job)['job']['jobProcessDetails']
        self.assertEqual(counts['numberOfQueuedThings'], 1)
        self.assertEqual(counts['numberOfRemovedThings'], 1)
        # the thing c joins when its firmware is rolled back
        self.iot.update_thing(thingName=c, attributePayload={'attributes': {'fw': '0.5'},
                                                              'merge': True})
        self.assertIn((c, 1, 'QUEUED'), self.execs(job))

    def test_query_change_and_group_delete(self):
        a = self.create_thing(attributePayload={'attributes': {'ring': 'canary', 'fw': '1'}})
        g = self.name('canary')
        self.iot.create_dynamic_thing_group(thingGroupName=g, queryString=QUERY)
        job = self.create_job(targets=[group_arn(g)], targetSelection='CONTINUOUS')
        self.assertEqual(self.execs(job), [(a, 1, 'QUEUED')])
        self.iot.update_dynamic_thing_group(thingGroupName=g, thingGroupProperties={},
                                            queryString='attributes.ring:prod')
        self.assertEqual(self.execs(job), [(a, 1, 'REMOVED')])
        self.iot.update_dynamic_thing_group(thingGroupName=g, thingGroupProperties={},
                                            queryString='attributes.ring:canary')
        self.assertEqual(self.execs(job), [(a, 1, 'REMOVED'), (a, 2, 'QUEUED')])
        self.iot.delete_dynamic_thing_group(thingGroupName=g)
        self.assertEqual(self.execs(job), [(a, 1, 'REMOVED'), (a, 2, 'REMOVED')])


if __name__ == '__main__':
    harness.main()
