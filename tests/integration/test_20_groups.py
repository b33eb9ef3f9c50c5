"""Thing groups: CreateThingGroup, DescribeThingGroup, ListThingGroups, DeleteThingGroup,
AddThingToThingGroup, RemoveThingFromThingGroup, ListThingsInThingGroup (spec §4.4)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import group_arn, strip, thing_arn  # noqa: E402


class CreateDescribeGroup(harness.JobsdTestCase):

    def test_create(self):
        name = self.name('grp')
        r = self.iot.create_thing_group(thingGroupName=name)
        self.assertEqual(r['thingGroupName'], name)
        self.assertEqual(r['thingGroupArn'], group_arn(name))
        self.assertTrue(r['thingGroupId'])
        self.assertTrue(r['ResponseMetadata']['RequestId'])

    def test_create_idempotent(self):
        name = self.name('grp')
        props = {'thingGroupDescription': 'my devices',
                 'attributePayload': {'attributes': {'site': 'a1'}}}
        r1 = self.iot.create_thing_group(thingGroupName=name, thingGroupProperties=props)
        r2 = self.iot.create_thing_group(thingGroupName=name, thingGroupProperties=props)
        self.assertEqual(r1['thingGroupId'], r2['thingGroupId'])
        self.assertEqual(r1['thingGroupArn'], r2['thingGroupArn'])

    def test_create_different_config_conflicts(self):
        name = self.name('grp')
        self.iot.create_thing_group(thingGroupName=name,
                                    thingGroupProperties={'thingGroupDescription': 'one'})
        self.assertAwsError(
            lambda: self.iot.create_thing_group(
                thingGroupName=name, thingGroupProperties={'thingGroupDescription': 'two'}),
            'ResourceAlreadyExistsException', 409)

    def test_create_unknown_parent(self):
        # ResourceNotFoundException is not modeled for CreateThingGroup: 400.
        self.assertAwsError(
            lambda: self.iot.create_thing_group(thingGroupName=self.name('grp'),
                                                parentGroupName=self.name('nope')),
            'InvalidRequestException', 400)

    def test_create_bad_names(self):
        for bad in ('a b', 'a/b', 'g' * 129, 'a!'):
            with self.subTest(name=bad):
                e = self.assertAwsError(lambda: self.iot.create_thing_group(thingGroupName=bad),
                                        'InvalidRequestException', 400)
                self.assertIn('thingGroupName', e.response['Error']['Message'])
        self.assertAwsError(
            lambda: self.iot.create_thing_group(thingGroupName=self.name('grp'),
                                                parentGroupName='bad parent'),
            'InvalidRequestException', 400)

    def test_describe_root(self):
        name = self.name('grp')
        props = {'thingGroupDescription': 'root group',
                 'attributePayload': {'attributes': {'site': 'a1'}}}
        c = self.iot.create_thing_group(thingGroupName=name, thingGroupProperties=props)
        d = self.iot.describe_thing_group(thingGroupName=name)
        self.assertEqual(d['thingGroupName'], name)
        self.assertEqual(d['thingGroupArn'], group_arn(name))
        self.assertEqual(d['thingGroupId'], c['thingGroupId'])
        self.assertEqual(d['version'], 1)
        self.assertEqual(d['thingGroupProperties']['thingGroupDescription'], 'root group')
        self.assertEqual(d['thingGroupProperties']['attributePayload']['attributes'],
                         {'site': 'a1'})
        md = d['thingGroupMetadata']
        self.assertNotIn('parentGroupName', md)
        self.assertEqual(md.get('rootToParentThingGroups', []), [])
        self.assertIn('creationDate', md)

    def test_describe_hierarchy(self):
        root = self.create_group(self.name('root'))
        mid = self.create_group(self.name('mid'), parent=root)
        leaf = self.create_group(self.name('leaf'), parent=mid)
        d = self.iot.describe_thing_group(thingGroupName=leaf)
        md = d['thingGroupMetadata']
        self.assertEqual(md['parentGroupName'], mid)
        self.assertEqual(md['rootToParentThingGroups'],
                         [{'groupName': root, 'groupArn': group_arn(root)},
                          {'groupName': mid, 'groupArn': group_arn(mid)}])
        d = self.iot.describe_thing_group(thingGroupName=mid)
        self.assertEqual(d['thingGroupMetadata']['parentGroupName'], root)
        self.assertEqual(d['thingGroupMetadata']['rootToParentThingGroups'],
                         [{'groupName': root, 'groupArn': group_arn(root)}])

    def test_creation_date_is_epoch_seconds_number(self):
        name = self.create_group()
        now = self.jobsd.clock_now_ms() / 1000.0
        st, _, body = self.jobsd.raw('GET', '/thing-groups/' + name)
        self.assertEqual(st, 200, body)
        cd = json.loads(body)['thingGroupMetadata']['creationDate']
        self.assertIsInstance(cd, (int, float))
        self.assertNotIsInstance(cd, bool)
        self.assertLess(abs(cd - now), 120, 'creationDate %r not epoch seconds near %r' % (cd, now))

    def test_describe_unknown(self):
        self.assertAwsError(lambda: self.iot.describe_thing_group(thingGroupName=self.name('no')),
                            'ResourceNotFoundException', 404)


class ListGroups(harness.JobsdTestCase):

    def _tree(self):
        # a ─┬─ a1 ── a1x
        #    └─ a2
        # b
        a = self.create_group('a-' + self.name('g'))
        a1 = self.create_group('a1-' + self.name('g'), parent=a)
        a2 = self.create_group('a2-' + self.name('g'), parent=a)
        a1x = self.create_group('a1x-' + self.name('g'), parent=a1)
        b = self.create_group('b-' + self.name('g'))
        return a, a1, a2, a1x, b

    def test_list_all_sorted(self):
        groups = self._tree()
        r = self.iot.list_thing_groups()
        got = [g['groupName'] for g in r['thingGroups']]
        self.assertEqual(got, sorted(groups))
        for g in r['thingGroups']:
            self.assertEqual(g['groupArn'], group_arn(g['groupName']))
        self.assertNotIn('nextToken', r)

    def test_parent_filter(self):
        a, a1, a2, a1x, b = self._tree()
        r = self.iot.list_thing_groups(parentGroup=a, recursive=False)
        self.assertEqual([g['groupName'] for g in r['thingGroups']], sorted([a1, a2]))
        r = self.iot.list_thing_groups(parentGroup=a, recursive=True)
        self.assertEqual([g['groupName'] for g in r['thingGroups']], sorted([a1, a2, a1x]))
        r = self.iot.list_thing_groups(parentGroup=b, recursive=True)
        self.assertEqual(r['thingGroups'], [])

    def test_name_prefix_filter(self):
        a, a1, a2, a1x, b = self._tree()
        r = self.iot.list_thing_groups(namePrefixFilter='a1')
        self.assertEqual([g['groupName'] for g in r['thingGroups']], sorted([a1, a1x]))
        r = self.iot.list_thing_groups(namePrefixFilter='zzz')
        self.assertEqual(r['thingGroups'], [])

    def test_pagination(self):
        groups = sorted(self._tree())
        got, token, pages = [], None, 0
        while True:
            kw = {'maxResults': 2}
            if token:
                kw['nextToken'] = token
            r = self.iot.list_thing_groups(**kw)
            pages += 1
            self.assertLessEqual(len(r['thingGroups']), 2)
            got.extend(g['groupName'] for g in r['thingGroups'])
            token = r.get('nextToken')
            if not token:
                break
            self.assertLess(pages, 10)
        self.assertEqual(got, groups)
        self.assertEqual(pages, 3)

    def test_bad_paging_args(self):
        self.create_group()
        self.assertAwsError(lambda: self.iot.list_thing_groups(nextToken='bogus'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.list_thing_groups(maxResults=251),
                            'InvalidRequestException', 400)
        self.assertRawError(self.jobsd.raw('GET', '/thing-groups?maxResults=0'),
                            'InvalidRequestException', 400)


class DeleteGroup(harness.JobsdTestCase):

    def test_delete(self):
        name = self.create_group()
        r = self.iot.delete_thing_group(thingGroupName=name)
        self.assertEqual(strip(r), {})
        self.assertAwsError(lambda: self.iot.describe_thing_group(thingGroupName=name),
                            'ResourceNotFoundException', 404)

    def test_delete_missing_is_ok(self):
        r = self.iot.delete_thing_group(thingGroupName=self.name('nope'))
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)

    def test_delete_with_children(self):
        parent = self.create_group()
        child = self.create_group(parent=parent)
        self.assertAwsError(lambda: self.iot.delete_thing_group(thingGroupName=parent),
                            'InvalidRequestException', 400)
        self.iot.describe_thing_group(thingGroupName=parent)
        self.iot.delete_thing_group(thingGroupName=child)
        self.iot.delete_thing_group(thingGroupName=parent)
        self.assertEqual(self.iot.list_thing_groups()['thingGroups'], [])

    def test_delete_expected_version(self):
        name = self.create_group()
        self.assertAwsError(lambda: self.iot.delete_thing_group(thingGroupName=name,
                                                                expectedVersion=7),
                            'VersionConflictException', 409)
        self.iot.delete_thing_group(thingGroupName=name, expectedVersion=1)

    def test_delete_with_members_keeps_things(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.iot.delete_thing_group(thingGroupName=g)
        self.iot.describe_thing(thingName=t)
        # Recreated with the same name, the group starts empty.
        self.create_group(g)
        self.assertEqual(self.iot.list_things_in_thing_group(thingGroupName=g)['things'], [])


class Membership(harness.JobsdTestCase):

    def members(self, group, **kw):
        return self.iot.list_things_in_thing_group(thingGroupName=group, **kw)['things']

    def test_add_remove_by_name(self):
        g = self.create_group()
        t1, t2 = self.create_thing(), self.create_thing()
        r = self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t1)
        self.assertEqual(strip(r), {})
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t2)
        self.assertEqual(self.members(g), sorted([t1, t2]))
        r = self.iot.remove_thing_from_thing_group(thingGroupName=g, thingName=t1)
        self.assertEqual(strip(r), {})
        self.assertEqual(self.members(g), [t2])

    def test_add_remove_by_arn(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupArn=group_arn(g), thingArn=thing_arn(t))
        self.assertEqual(self.members(g), [t])
        self.iot.remove_thing_from_thing_group(thingGroupArn=group_arn(g), thingArn=thing_arn(t))
        self.assertEqual(self.members(g), [])

    def test_add_mixed_name_and_arn(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingArn=thing_arn(t))
        self.assertEqual(self.members(g), [t])
        self.iot.remove_thing_from_thing_group(thingGroupArn=group_arn(g), thingName=t)
        self.assertEqual(self.members(g), [])

    def test_add_twice_is_idempotent(self):
        g = self.create_group()
        t = self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.assertEqual(self.members(g), [t])

    def test_add_unknown(self):
        g = self.create_group()
        t = self.create_thing()
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupName=g, thingName=self.name('nothing')), 'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupName=self.name('nogroup'), thingName=t), 'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupArn=group_arn(g), thingArn=thing_arn(self.name('nothing'))),
            'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupArn=group_arn(self.name('nogroup')), thingArn=thing_arn(t)),
            'ResourceNotFoundException', 404)

    def test_remove_unknown(self):
        g = self.create_group()
        t = self.create_thing()
        self.assertAwsError(lambda: self.iot.remove_thing_from_thing_group(
            thingGroupName=g, thingName=self.name('nothing')), 'ResourceNotFoundException', 404)
        self.assertAwsError(lambda: self.iot.remove_thing_from_thing_group(
            thingGroupName=self.name('nogroup'), thingName=t), 'ResourceNotFoundException', 404)

    def test_add_requires_thing_and_group(self):
        g = self.create_group()
        t = self.create_thing()
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(thingName=t),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(thingGroupName=g),
                            'InvalidRequestException', 400)

    def test_list_things_in_group_recursive(self):
        root = self.create_group()
        child = self.create_group(parent=root)
        grandchild = self.create_group(parent=child)
        other = self.create_group()
        t_root, t_child, t_gc, t_other = (self.create_thing() for _ in range(4))
        self.iot.add_thing_to_thing_group(thingGroupName=root, thingName=t_root)
        self.iot.add_thing_to_thing_group(thingGroupName=child, thingName=t_child)
        self.iot.add_thing_to_thing_group(thingGroupName=grandchild, thingName=t_gc)
        self.iot.add_thing_to_thing_group(thingGroupName=other, thingName=t_other)
        self.assertEqual(self.members(root), [t_root])
        self.assertEqual(self.members(root, recursive=False), [t_root])
        self.assertEqual(self.members(root, recursive=True), sorted([t_root, t_child, t_gc]))
        self.assertEqual(self.members(child, recursive=True), sorted([t_child, t_gc]))

    def test_list_things_in_group_pagination(self):
        g = self.create_group()
        things = sorted(self.create_thing() for _ in range(5))
        for t in things:
            self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        r1 = self.iot.list_things_in_thing_group(thingGroupName=g, maxResults=2)
        self.assertEqual(r1['things'], things[0:2])
        r2 = self.iot.list_things_in_thing_group(thingGroupName=g, maxResults=2,
                                                 nextToken=r1['nextToken'])
        self.assertEqual(r2['things'], things[2:4])
        r3 = self.iot.list_things_in_thing_group(thingGroupName=g, maxResults=2,
                                                 nextToken=r2['nextToken'])
        self.assertEqual(r3['things'], things[4:])
        self.assertNotIn('nextToken', r3)

    def test_list_things_in_group_recursive_pagination(self):
        root = self.create_group()
        child = self.create_group(parent=root)
        things = sorted(self.create_thing() for _ in range(5))
        for i, t in enumerate(things):
            self.iot.add_thing_to_thing_group(thingGroupName=root if i % 2 else child,
                                              thingName=t)
        p = self.iot.get_paginator('list_things_in_thing_group')
        got = [t for page in p.paginate(thingGroupName=root, recursive=True,
                                        PaginationConfig={'PageSize': 2})
               for t in page['things']]
        self.assertEqual(got, things)

    def test_list_things_in_unknown_group(self):
        self.assertAwsError(lambda: self.iot.list_things_in_thing_group(
            thingGroupName=self.name('nogroup')), 'ResourceNotFoundException', 404)

    def test_list_things_in_group_bad_token(self):
        g = self.create_group()
        self.assertAwsError(lambda: self.iot.list_things_in_thing_group(
            thingGroupName=g, nextToken='bogus'), 'InvalidRequestException', 400)

    def test_deleted_thing_leaves_group(self):
        g = self.create_group()
        t1, t2 = self.create_thing(), self.create_thing()
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t1)
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t2)
        self.iot.delete_thing(thingName=t1)
        self.assertEqual(self.members(g), [t2])



class Limits(harness.JobsdTestCase):
    """Registry limits from spec §3.1 / §4.4 ([DG], [L2019])."""

    def test_thing_in_at_most_10_groups(self):
        t = self.create_thing()
        groups = [self.create_group() for _ in range(11)]
        for g in groups[:10]:
            self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        self.assertAwsError(lambda: self.iot.add_thing_to_thing_group(
            thingGroupName=groups[10], thingName=t), 'InvalidRequestException', 400)
        self.assertEqual(self.iot.list_things_in_thing_group(thingGroupName=groups[10])
                         ['things'], [])

    def test_hierarchy_depth_7(self):
        parent = None
        for _ in range(7):
            parent = self.create_group(parent=parent)
        self.assertAwsError(lambda: self.iot.create_thing_group(
            thingGroupName=self.name('deep'), parentGroupName=parent),
            'InvalidRequestException', 400)


if __name__ == '__main__':
    harness.main()
