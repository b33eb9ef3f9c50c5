"""Thing-group management (issue 12): UpdateThingGroup, ListThingGroupsForThing,
UpdateThingGroupsForThing, the ListThingGroups filters, rootToParentThingGroups and AWS's
limits (hierarchy depth 7, at most 10 groups per thing), through boto3 and the aws CLI."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import all_pages, group_arn  # noqa: E402


class UpdateThingGroup(harness.JobsdTestCase):

    def test_update_description_attributes_version(self):
        g = self.create_group(thingGroupProperties={
            'thingGroupDescription': 'one', 'attributePayload': {'attributes': {'a': '1'}}})
        r = self.iot.update_thing_group(thingGroupName=g, thingGroupProperties={
            'thingGroupDescription': 'two',
            'attributePayload': {'attributes': {'b': '2'}, 'merge': True}})
        self.assertEqual(r['version'], 2)
        d = self.iot.describe_thing_group(thingGroupName=g)
        self.assertEqual(d['version'], 2)
        self.assertEqual(d['thingGroupProperties']['thingGroupDescription'], 'two')
        self.assertEqual(d['thingGroupProperties']['attributePayload']['attributes'],
                         {'a': '1', 'b': '2'})
        # without merge the attributes are replaced; an empty value removes one
        self.iot.update_thing_group(thingGroupName=g, thingGroupProperties={
            'attributePayload': {'attributes': {'c': '3'}}})
        self.iot.update_thing_group(thingGroupName=g, thingGroupProperties={
            'attributePayload': {'attributes': {'c': '', 'd': '4'}, 'merge': True}})
        d = self.iot.describe_thing_group(thingGroupName=g)
        self.assertEqual(d['thingGroupProperties']['attributePayload']['attributes'],
                         {'d': '4'})
        self.assertEqual(d['version'], 4)

    def test_expected_version(self):
        g = self.create_group()
        self.assertEqual(self.iot.update_thing_group(
            thingGroupName=g, thingGroupProperties={}, expectedVersion=1)['version'], 2)
        self.assertAwsError(lambda: self.iot.update_thing_group(
            thingGroupName=g, thingGroupProperties={}, expectedVersion=1),
            'VersionConflictException', 409)
        self.assertEqual(self.iot.describe_thing_group(thingGroupName=g)['version'], 2)

    def test_errors(self):
        self.assertAwsError(lambda: self.iot.update_thing_group(
            thingGroupName=self.name('nope'), thingGroupProperties={}),
            'ResourceNotFoundException', 404)
        g = self.create_group()
        r = self.jobsd.raw('PATCH', '/thing-groups/' + g, body=b'{}')
        self.assertRawError(r, 'InvalidRequestException', 400)  # properties are required
        r = self.jobsd.raw('PATCH', '/thing-groups/' + g,
                           body=b'{"thingGroupProperties":{},"expectedVersion":"x"}')
        self.assertRawError(r, 'InvalidRequestException', 400)
        r = self.jobsd.raw('PATCH', '/thing-groups/bad%20name', body=b'{"thingGroupProperties":{}}')
        self.assertRawError(r, 'InvalidRequestException', 400)

    def test_cli(self):
        g = self.create_group()
        _, out, _ = self.jobsd.aws('iot', 'update-thing-group', '--thing-group-name', g,
                                   '--thing-group-properties', 'thingGroupDescription=cli')
        self.assertEqual(out['version'], 2)
        rc, _, err = self.jobsd.aws('iot', 'update-thing-group', '--thing-group-name', g,
                                    '--thing-group-properties', 'thingGroupDescription=x',
                                    '--expected-version', '1', check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn('VersionConflictException', err)


class GroupsForThing(harness.JobsdTestCase):

    def test_list_groups_for_thing(self):
        t = self.create_thing()
        gs = sorted(self.create_group() for _ in range(5))
        for g in gs:
            self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        got = all_pages(self.iot.list_thing_groups_for_thing, 'thingGroups', thingName=t,
                        maxResults=2)
        self.assertEqual([x['groupName'] for x in got], gs)
        self.assertEqual([x['groupArn'] for x in got], [group_arn(g) for g in gs])
        r = self.iot.list_thing_groups_for_thing(thingName=t, maxResults=2)
        self.assertEqual(len(r['thingGroups']), 2)
        self.assertIn('nextToken', r)
        self.assertEqual(self.iot.list_thing_groups_for_thing(
            thingName=self.create_thing())['thingGroups'], [])

    def test_list_errors(self):
        self.assertAwsError(lambda: self.iot.list_thing_groups_for_thing(
            thingName=self.name('nope')), 'ResourceNotFoundException', 404)
        t = self.create_thing()
        for q in ('maxResults=0', 'maxResults=251', 'nextToken=forged'):
            r = self.jobsd.raw('GET', '/things/%s/thing-groups?%s' % (t, q))
            self.assertRawError(r, 'InvalidRequestException', 400)

    def test_update_groups_for_thing(self):
        t = self.create_thing()
        a, b, c = self.create_group(), self.create_group(), self.create_group()
        self.iot.update_thing_groups_for_thing(thingName=t, thingGroupsToAdd=[a, b])
        self.assertEqual(sorted(self.iot.list_things_in_thing_group(thingGroupName=a)['things']),
                         [t])
        self.iot.update_thing_groups_for_thing(thingName=t, thingGroupsToAdd=[c],
                                               thingGroupsToRemove=[a])
        got = [x['groupName'] for x in
               self.iot.list_thing_groups_for_thing(thingName=t)['thingGroups']]
        self.assertEqual(got, sorted([b, c]))
        # removing a group the thing is not in, adding one it is in: no change
        self.iot.update_thing_groups_for_thing(thingName=t, thingGroupsToAdd=[b],
                                               thingGroupsToRemove=[a])

    def test_update_groups_for_thing_errors(self):
        t, g = self.create_thing(), self.create_group()
        self.assertAwsError(lambda: self.iot.update_thing_groups_for_thing(
            thingName=self.name('nope'), thingGroupsToAdd=[g]), 'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.update_thing_groups_for_thing(
            thingName=t, thingGroupsToAdd=[g, self.name('nope')]),
            'ResourceNotFoundException', 404)
        # nothing was written by the failed call
        self.assertEqual(self.iot.list_thing_groups_for_thing(thingName=t)['thingGroups'], [])
        r = self.jobsd.raw('PUT', '/thing-groups/updateThingGroupsForThing',
                           body=b'{"thingGroupsToAdd":["x"]}')
        self.assertRawError(r, 'InvalidRequestException', 400)
        r = self.jobsd.raw('PUT', '/thing-groups/updateThingGroupsForThing',
                           body=('{"thingName":"%s","thingGroupsToAdd":"x"}' % t).encode())
        self.assertRawError(r, 'InvalidRequestException', 400)
        r = self.jobsd.raw('PUT', '/thing-groups/updateThingGroupsForThing',
                           body=('{"thingName":"%s","thingGroupsToAdd":["a b"]}' % t).encode())
        self.assertRawError(r, 'InvalidRequestException', 400)

    def test_ten_groups_per_thing(self):
        t = self.create_thing()
        gs = [self.create_group() for _ in range(11)]
        self.iot.update_thing_groups_for_thing(thingName=t, thingGroupsToAdd=gs[:10])
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupName=gs[10], thingName=t), 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.update_thing_groups_for_thing(
            thingName=t, thingGroupsToAdd=[gs[10]]), 'InvalidRequestException', 400)
        # overrideDynamicGroups does not help when all ten are static
        self.assertAwsError(lambda: self.iot.update_thing_groups_for_thing(
            thingName=t, thingGroupsToAdd=[gs[10]], overrideDynamicGroups=True),
            'InvalidRequestException', 400)
        # remove one and add the eleventh in one call
        self.iot.update_thing_groups_for_thing(thingName=t, thingGroupsToAdd=[gs[10]],
                                               thingGroupsToRemove=[gs[0]])
        self.assertEqual(len(self.iot.list_thing_groups_for_thing(thingName=t)['thingGroups']),
                         10)

    def test_override_dynamic_groups(self):
        t = self.create_thing(attributePayload={'attributes': {'k': 'v'}})
        dyn = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=dyn, queryString='attributes.k:v')
        gs = [self.create_group() for _ in range(10)]
        self.iot.update_thing_groups_for_thing(thingName=t, thingGroupsToAdd=gs[:9])
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupName=gs[9], thingName=t), 'InvalidRequestException', 400)
        self.iot.add_thing_to_thing_group(thingGroupName=gs[9], thingName=t,
                                          overrideDynamicGroups=True)
        got = [x['groupName'] for x in
               self.iot.list_thing_groups_for_thing(thingName=t)['thingGroups']]
        self.assertEqual(got, sorted(gs))
        self.assertEqual(self.iot.list_things_in_thing_group(thingGroupName=dyn)['things'], [])

    def test_cli(self):
        t, g = self.create_thing(), self.create_group()
        self.jobsd.aws('iot', 'update-thing-groups-for-thing', '--thing-name', t,
                       '--thing-groups-to-add', g)
        _, out, _ = self.jobsd.aws('iot', 'list-thing-groups-for-thing', '--thing-name', t)
        self.assertEqual([x['groupName'] for x in out['thingGroups']], [g])


class ListThingGroupsFilters(harness.JobsdTestCase):

    def test_filters(self):
        root = self.create_group(self.name('flt'))
        kids = sorted(self.create_group(root + '-k%d' % i, parent=root) for i in range(3))
        grand = self.create_group(root + '-g', parent=kids[0])
        other = self.create_group(self.name('other'))

        def names(**kw):
            return [x['groupName'] for x in all_pages(self.iot.list_thing_groups,
                                                        'thingGroups', **kw)]
        self.assertEqual(names(parentGroup=root, recursive=False), kids)
        self.assertEqual(names(parentGroup=root), sorted(kids + [grand]))
        self.assertEqual(names(parentGroup=root, recursive=True), sorted(kids + [grand]))
        self.assertEqual(names(namePrefixFilter=root + '-k'), kids)
        self.assertEqual(names(parentGroup=root, namePrefixFilter=root + '-g'), [grand])
        self.assertEqual(names(recursive=False), sorted([root, other]))
        self.assertAwsError(lambda: self.iot.list_thing_groups(parentGroup=self.name('nope')),
                            'ResourceNotFoundException', 404)

    def test_root_to_parent(self):
        chain = [self.create_group()]
        for _ in range(6):
            chain.append(self.create_group(parent=chain[-1]))
        d = self.iot.describe_thing_group(thingGroupName=chain[-1])
        self.assertEqual([x['groupName'] for x in d['thingGroupMetadata'][
            'rootToParentThingGroups']], chain[:-1])
        self.assertEqual(d['thingGroupMetadata']['rootToParentThingGroups'][0]['groupArn'],
                         group_arn(chain[0]))
        self.assertEqual(d['thingGroupMetadata']['parentGroupName'], chain[-2])
        # depth 7 is AWS's limit
        self.assertAwsError(lambda: self.create_group(parent=chain[-1]),
                            'InvalidRequestException', 400)
        self.assertNotIn('rootToParentThingGroups',
                         self.iot.describe_thing_group(thingGroupName=chain[0])[
                             'thingGroupMetadata'])

    def test_dynamic_group_is_no_parent(self):
        dyn = self.name('dyn')
        self.iot.create_dynamic_thing_group(thingGroupName=dyn, queryString='thingName:x')
        self.assertAwsError(lambda: self.create_group(parent=dyn), 'InvalidRequestException', 400)

    def test_pagination_past_250(self):
        prefix = self.name('pg')
        made = sorted(self.create_group('%s-%03d' % (prefix, i)) for i in range(251))
        got = [x['groupName'] for x in all_pages(self.iot.list_thing_groups, 'thingGroups',
                                                   namePrefixFilter=prefix, maxResults=250)]
        self.assertEqual(got, made)
        first = self.iot.list_thing_groups(namePrefixFilter=prefix, maxResults=250)
        self.assertEqual(len(first['thingGroups']), 250)
        self.assertIn('nextToken', first)


if __name__ == '__main__':
    harness.main()
