"""Thing types (issue 12): CreateThingType, DescribeThingType, ListThingTypes,
DeprecateThingType (and undo), DeleteThingType after AWS's 5-minute wait on the virtual
clock; a thing's type on CreateThing / UpdateThing / DescribeThing / ListThings."""

import concurrent.futures
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JobsdTestCase, sqlite_only, all_pages  # noqa: E402


def type_arn(name):
    return 'arn:aws:iot:%s:%s:thingtype/%s' % (harness.REGION, harness.ACCOUNT, name)


class ThingTypes(JobsdTestCase):

    def create_type(self, name=None, **kw):
        name = name or self.name('type')
        out = self.iot.create_thing_type(thingTypeName=name, **kw)
        self.assertEqual(out['thingTypeName'], name)
        self.assertEqual(out['thingTypeArn'], type_arn(name))
        self.assertTrue(out['thingTypeId'])
        return name

    def test_create_describe_round_trip(self):
        props = {'thingTypeDescription': 'a light bulb',
                 'searchableAttributes': ['model', 'wattage', 'color']}
        name = self.create_type(thingTypeProperties=props)
        d = self.iot.describe_thing_type(thingTypeName=name)
        self.assertEqual(d['thingTypeName'], name)
        self.assertEqual(d['thingTypeArn'], type_arn(name))
        self.assertTrue(d['thingTypeId'])
        self.assertEqual(d['thingTypeProperties'], props)
        self.assertFalse(d['thingTypeMetadata']['deprecated'])
        self.assertNotIn('deprecationDate', d['thingTypeMetadata'])
        self.assertIsInstance(d['thingTypeMetadata']['creationDate'], datetime.datetime)

    def test_create_is_idempotent_and_conflicts(self):
        props = {'thingTypeDescription': 'd'}
        name = self.create_type(thingTypeProperties=props)
        first = self.iot.describe_thing_type(thingTypeName=name)['thingTypeId']
        again = self.iot.create_thing_type(thingTypeName=name, thingTypeProperties=props)
        self.assertEqual(again['thingTypeId'], first)
        e = self.assertAwsError(lambda: self.iot.create_thing_type(
            thingTypeName=name, thingTypeProperties={'thingTypeDescription': 'other'}),
            'ResourceAlreadyExistsException', 409)
        self.assertEqual(e.response.get('resourceArn'), type_arn(name))

    def test_validation(self):
        self.assertAwsError(lambda: self.iot.create_thing_type(thingTypeName='bad name'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_thing_type(
            thingTypeName=self.name('type'),
            thingTypeProperties={'searchableAttributes': ['a', 'b', 'c', 'd']}),
            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_thing_type(
            thingTypeName=self.name('type'),
            thingTypeProperties={'searchableAttributes': ['not ok']}),
            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_thing_type(
            thingTypeName=self.name('type'),
            thingTypeProperties={'thingTypeDescription': 'x' * 2029}),
            'InvalidRequestException', 400)
        self.assertEqual(self.iot.list_thing_types()['thingTypes'], [])

    def test_unknown_is_404(self):
        for call in (lambda: self.iot.describe_thing_type(thingTypeName='nope'),
                     lambda: self.iot.deprecate_thing_type(thingTypeName='nope'),
                     lambda: self.iot.delete_thing_type(thingTypeName='nope'),
                     lambda: self.iot.create_thing(thingName=self.name(), thingTypeName='nope')):
            self.assertAwsError(call, 'ResourceNotFoundException', 404)
        thing = self.create_thing()
        self.assertAwsError(lambda: self.iot.update_thing(thingName=thing, thingTypeName='nope'),
                            'ResourceNotFoundException', 404)

    def test_list_filter_and_pagination_past_250(self):
        names = sorted('tt-%04d' % i for i in range(260))
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(lambda n: self.jobsd.iot().create_thing_type(thingTypeName=n), names))
        first = self.iot.list_thing_types()
        self.assertEqual(len(first['thingTypes']), 50)          # the default page (D9)
        self.assertIn('nextToken', first)
        page = self.iot.list_thing_types(maxResults=250)
        self.assertEqual(len(page['thingTypes']), 250)
        seen = all_pages(self.iot.list_thing_types, 'thingTypes', maxResults=250)
        self.assertEqual([t['thingTypeName'] for t in seen], names)
        row = seen[0]
        self.assertEqual(row['thingTypeArn'], type_arn(names[0]))
        self.assertEqual(row['thingTypeProperties'], {})
        self.assertFalse(row['thingTypeMetadata']['deprecated'])
        only = self.iot.list_thing_types(thingTypeName='tt-0042')['thingTypes']
        self.assertEqual([t['thingTypeName'] for t in only], ['tt-0042'])
        self.assertEqual(self.iot.list_thing_types(thingTypeName='tt-9999')['thingTypes'], [])
        # boto3's paginator and the CLI walk the same pages
        pag = self.iot.get_paginator('list_thing_types')
        got = [t['thingTypeName'] for p in pag.paginate(PaginationConfig={'PageSize': 100})
               for t in p['thingTypes']]
        self.assertEqual(got, names)
        if harness.STORE == 'sqlite':   # the CLI's paging does not depend on the store
            _, out, _ = self.jobsd.aws('iot', 'list-thing-types', '--page-size', '120')
            self.assertEqual([t['thingTypeName'] for t in out['thingTypes']], names)
        self.assertAwsError(lambda: self.iot.list_thing_types(nextToken='forged'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.list_thing_types(maxResults=251),
                            'InvalidRequestException', 400)

    def test_deprecate_undo_and_delete_after_five_minutes(self):
        name = self.create_type()
        self.assertAwsError(lambda: self.iot.delete_thing_type(thingTypeName=name),
                            'InvalidRequestException', 400)     # not deprecated
        self.iot.deprecate_thing_type(thingTypeName=name)
        md = self.iot.describe_thing_type(thingTypeName=name)['thingTypeMetadata']
        self.assertTrue(md['deprecated'])
        self.assertIsInstance(md['deprecationDate'], datetime.datetime)
        self.iot.deprecate_thing_type(thingTypeName=name)       # again: no change
        self.assertEqual(self.iot.describe_thing_type(
            thingTypeName=name)['thingTypeMetadata']['deprecationDate'], md['deprecationDate'])
        self.iot.deprecate_thing_type(thingTypeName=name, undoDeprecate=True)
        self.assertFalse(self.iot.describe_thing_type(
            thingTypeName=name)['thingTypeMetadata']['deprecated'])
        self.iot.deprecate_thing_type(thingTypeName=name)
        self.jobsd.advance_clock(4 * 60 + 50)
        self.assertAwsError(lambda: self.iot.delete_thing_type(thingTypeName=name),
                            'InvalidRequestException', 400)     # within the 5 minutes
        self.jobsd.advance_clock(11)
        self.iot.delete_thing_type(thingTypeName=name)
        self.assertAwsError(lambda: self.iot.describe_thing_type(thingTypeName=name),
                            'ResourceNotFoundException', 404)

    def test_deprecated_type_cannot_be_assigned(self):
        name = self.create_type()
        keeper = self.create_thing(thingTypeName=name)
        plain = self.create_thing()
        self.iot.deprecate_thing_type(thingTypeName=name)
        self.assertAwsError(lambda: self.iot.create_thing(thingName=self.name(),
                                                          thingTypeName=name),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.update_thing(thingName=plain, thingTypeName=name),
                            'InvalidRequestException', 400)
        # a thing that has it keeps it, and may be updated without changing it
        self.iot.update_thing(thingName=keeper, thingTypeName=name,
                              attributePayload={'attributes': {'a': '1'}})
        self.assertEqual(self.iot.describe_thing(thingName=keeper)['thingTypeName'], name)
        # and it blocks the deletion until its type is removed
        self.jobsd.advance_clock(301)
        self.assertAwsError(lambda: self.iot.delete_thing_type(thingTypeName=name),
                            'InvalidRequestException', 400)
        self.iot.update_thing(thingName=keeper, removeThingType=True)
        self.iot.delete_thing_type(thingTypeName=name)

    def test_thing_type_on_things(self):
        bulb, plug = self.create_type('bulb'), self.create_type('plug')
        attrs = {'attributes': {'a': '1', 'b': '2', 'c': '3', 'd': '4', 'model': 'X2'}}
        t1 = self.create_thing('b-1', thingTypeName=bulb, attributePayload=attrs)
        # the same configuration again is the same thing
        self.iot.create_thing(thingName='b-1', thingTypeName=bulb, attributePayload=attrs)
        self.create_thing('p-1', thingTypeName=plug,
                          attributePayload={'attributes': {'model': 'X2'}})
        self.create_thing('n-1', attributePayload={'attributes': {'model': 'X3'}})
        d = self.iot.describe_thing(thingName=t1)
        self.assertEqual(d['thingTypeName'], bulb)
        self.assertEqual(d['attributes']['d'], '4')
        rows = self.iot.list_things(thingTypeName=bulb)['things']
        self.assertEqual([(t['thingName'], t['thingTypeName']) for t in rows], [('b-1', bulb)])
        rows = self.iot.list_things(attributeName='model', attributeValue='X2')['things']
        self.assertEqual(sorted(t['thingName'] for t in rows), ['b-1', 'p-1'])
        rows = self.iot.list_things(thingTypeName=plug, attributeName='model',
                                    attributeValue='X2')['things']
        self.assertEqual([t['thingName'] for t in rows], ['p-1'])
        # more than 3 attributes need a type: removing it is refused, nothing changes
        self.assertAwsError(lambda: self.iot.update_thing(thingName=t1, removeThingType=True),
                            'InvalidRequestException', 400)
        self.assertEqual(self.iot.describe_thing(thingName=t1)['thingTypeName'], bulb)
        self.assertAwsError(lambda: self.iot.update_thing(
            thingName=t1, thingTypeName=plug, removeThingType=True),
            'InvalidRequestException', 400)
        self.iot.update_thing(thingName=t1, thingTypeName=plug)
        self.assertEqual(self.iot.describe_thing(thingName=t1)['thingTypeName'], plug)
        self.iot.update_thing(thingName='p-1', removeThingType=True)
        self.assertNotIn('thingTypeName', self.iot.describe_thing(thingName='p-1'))
        self.assertAwsError(lambda: self.iot.create_thing(
            thingName='n-2', attributePayload={'attributes': {
                'a': '1', 'b': '2', 'c': '3', 'd': '4'}}), 'InvalidRequestException', 400)

    @sqlite_only('the CLI speaks to the same handlers whatever the store: run it once')
    def test_cli(self):
        # one CLI call (each costs a Python start-up); the CLI's paging is in
        # test_list_filter_and_pagination_past_250
        name = self.name('type')
        _, out, _ = self.jobsd.aws('iot', 'create-thing-type', '--thing-type-name', name,
                                   '--thing-type-properties',
                                   'thingTypeDescription=cli,searchableAttributes=a,b',
                                   '--tags', 'Key=team,Value=fw')
        self.assertEqual(out['thingTypeArn'], type_arn(name))
        d = self.iot.describe_thing_type(thingTypeName=name)
        self.assertEqual(d['thingTypeProperties'],
                         {'thingTypeDescription': 'cli', 'searchableAttributes': ['a', 'b']})
        self.assertEqual(self.iot.list_tags_for_resource(resourceArn=type_arn(name))['tags'],
                         [{'Key': 'team', 'Value': 'fw'}])


if __name__ == '__main__':
    harness.main()
