"""Thing registry: CreateThing, DescribeThing, ListThings, UpdateThing, DeleteThing (spec §4.4)."""

import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import strip, thing_arn  # noqa: E402


class CreateDescribeThing(harness.JobsdTestCase):

    def test_create_returns_name_arn_id(self):
        name = self.name('thing')
        r = self.iot.create_thing(thingName=name)
        self.assertEqual(r['thingName'], name)
        self.assertEqual(r['thingArn'], thing_arn(name))
        self.assertIsInstance(r['thingId'], str)
        self.assertTrue(r['thingId'])
        self.assertTrue(r['ResponseMetadata']['RequestId'], 'x-amzn-RequestId missing')
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)

    def test_create_idempotent_same_config(self):
        name = self.name('thing')
        attrs = {'color': 'red', 'model': 'x1'}
        r1 = self.iot.create_thing(thingName=name, attributePayload={'attributes': attrs})
        r2 = self.iot.create_thing(thingName=name, attributePayload={'attributes': attrs})
        self.assertEqual(r1['thingId'], r2['thingId'])
        self.assertEqual(r1['thingArn'], r2['thingArn'])
        self.assertEqual(r2['thingName'], name)
        # Still version 1: an idempotent create changes nothing.
        self.assertEqual(self.iot.describe_thing(thingName=name)['version'], 1)

    def test_create_idempotent_without_attributes(self):
        name = self.name('thing')
        r1 = self.iot.create_thing(thingName=name)
        r2 = self.iot.create_thing(thingName=name)
        self.assertEqual(r1['thingId'], r2['thingId'])

    def test_create_different_attributes_conflicts(self):
        name = self.name('thing')
        self.iot.create_thing(thingName=name, attributePayload={'attributes': {'color': 'red'}})
        self.assertAwsError(
            lambda: self.iot.create_thing(thingName=name,
                                          attributePayload={'attributes': {'color': 'blue'}}),
            'ResourceAlreadyExistsException', 409)
        # The existing thing is unchanged.
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['attributes'], {'color': 'red'})
        self.assertEqual(d['version'], 1)

    def test_describe(self):
        name = self.name('thing')
        c = self.iot.create_thing(thingName=name,
                                  attributePayload={'attributes': {'a': '1', 'b': 'two'}})
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['thingName'], name)
        self.assertEqual(d['defaultClientId'], name)
        self.assertEqual(d['thingArn'], thing_arn(name))
        self.assertEqual(d['thingId'], c['thingId'])
        self.assertEqual(d['version'], 1)
        self.assertEqual(d['attributes'], {'a': '1', 'b': 'two'})
        self.assertNotIn('thingTypeName', d)

    def test_describe_without_attributes(self):
        name = self.create_thing()
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d.get('attributes', {}), {})
        self.assertEqual(d['version'], 1)

    def test_describe_unknown(self):
        self.assertAwsError(lambda: self.iot.describe_thing(thingName=self.name('nope')),
                            'ResourceNotFoundException', 404)

    def test_distinct_things_get_distinct_ids(self):
        a = self.iot.create_thing(thingName=self.name('thing'))['thingId']
        b = self.iot.create_thing(thingName=self.name('thing'))['thingId']
        self.assertNotEqual(a, b)

    def test_name_with_colon_roundtrips(self):
        # botocore sends a:b as /things/a%3Ab; the server decodes path segments.
        name = 'dev:%s' % self.name('c')
        r = self.iot.create_thing(thingName=name)
        self.assertEqual(r['thingArn'], thing_arn(name))
        self.assertEqual(self.iot.describe_thing(thingName=name)['thingName'], name)
        # And the literal colon spelling reaches the same thing.
        st, _, body = self.jobsd.raw('GET', '/things/' + name)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)['thingName'], name)


class ThingValidation(harness.JobsdTestCase):

    def _bad_name(self, name):
        e = self.assertAwsError(lambda: self.iot.create_thing(thingName=name),
                                'InvalidRequestException', 400)
        self.assertIn('thingName', e.response['Error']['Message'])
        return e

    def test_name_max_length(self):
        ok = 'n' * 128
        self.assertEqual(self.iot.create_thing(thingName=ok)['thingName'], ok)
        self._bad_name('n' * 129)

    def test_name_with_space(self):
        self._bad_name('bad name')

    def test_name_with_slash(self):
        self._bad_name('bad/name')

    def test_name_with_other_chars(self):
        for bad in ('bad!', 'a.b', 'caf\u00e9', 'a$b'):
            with self.subTest(name=bad):
                self._bad_name(bad)

    def test_describe_validates_name(self):
        e = self.assertAwsError(lambda: self.iot.describe_thing(thingName='n' * 129),
                                'InvalidRequestException', 400)
        self.assertIn('thingName', e.response['Error']['Message'])

    def test_bad_attribute_name(self):
        self.assertAwsError(
            lambda: self.iot.create_thing(thingName=self.name('thing'),
                                          attributePayload={'attributes': {'bad key': 'v'}}),
            'InvalidRequestException', 400)

    def test_bad_attribute_value(self):
        self.assertAwsError(
            lambda: self.iot.create_thing(thingName=self.name('thing'),
                                          attributePayload={'attributes': {'k': 'has space'}}),
            'InvalidRequestException', 400)
        self.assertAwsError(
            lambda: self.iot.create_thing(thingName=self.name('thing'),
                                          attributePayload={'attributes': {'k': 'v' * 801}}),
            'InvalidRequestException', 400)

    def test_error_wire_format(self):
        # Errors carry x-amzn-ErrorType, a JSON {"message":...} body (spec §10.1).
        resp = self.jobsd.raw('GET', '/things/' + 'n' * 129)
        self.assertRawError(resp, 'InvalidRequestException', 400)
        resp = self.jobsd.raw('GET', '/things/' + self.name('nope'))
        self.assertRawError(resp, 'ResourceNotFoundException', 404)
        self.assertIn('x-amzn-requestid', resp[1])

    def test_malformed_json_body(self):
        name = self.name('thing')
        resp = self.jobsd.raw('POST', '/things/' + name, '{"attributePayload": ',
                              {'Content-Type': 'application/json'})
        self.assertRawError(resp, 'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.describe_thing(thingName=name),
                            'ResourceNotFoundException', 404)


class ListThings(harness.JobsdTestCase):

    def _all(self, **kw):
        out, token, pages = [], None, 0
        while True:
            args = dict(kw)
            if token:
                args['nextToken'] = token
            r = self.iot.list_things(**args)
            pages += 1
            out.extend(r['things'])
            token = r.get('nextToken')
            if not token:
                return out, pages
            self.assertLess(pages, 100, 'pagination does not end')

    def test_list_sorted_by_name(self):
        names = [self.create_thing(self.name('lt')) for _ in range(5)]
        r = self.iot.list_things()
        got = [t['thingName'] for t in r['things']]
        self.assertEqual(got, sorted(names))
        self.assertNotIn('nextToken', r)
        for t in r['things']:
            self.assertEqual(t['thingArn'], thing_arn(t['thingName']))
            self.assertEqual(t['version'], 1)

    def test_list_empty(self):
        r = self.iot.list_things()
        self.assertEqual(r['things'], [])
        self.assertNotIn('nextToken', r)

    def test_pagination(self):
        names = sorted(self.create_thing(self.name('pg')) for _ in range(5))
        r1 = self.iot.list_things(maxResults=2)
        self.assertEqual([t['thingName'] for t in r1['things']], names[0:2])
        self.assertTrue(r1.get('nextToken'))
        r2 = self.iot.list_things(maxResults=2, nextToken=r1['nextToken'])
        self.assertEqual([t['thingName'] for t in r2['things']], names[2:4])
        self.assertTrue(r2.get('nextToken'))
        self.assertNotEqual(r1['nextToken'], r2['nextToken'])
        r3 = self.iot.list_things(maxResults=2, nextToken=r2['nextToken'])
        self.assertEqual([t['thingName'] for t in r3['things']], names[4:5])
        self.assertNotIn('nextToken', r3)

    def test_pagination_exact_multiple(self):
        names = sorted(self.create_thing(self.name('pe')) for _ in range(4))
        got, pages = self._all(maxResults=2)
        self.assertEqual([t['thingName'] for t in got], names)
        self.assertLessEqual(pages, 3)

    def test_paginator(self):
        names = sorted(self.create_thing(self.name('pp')) for _ in range(5))
        p = self.iot.get_paginator('list_things')
        got = [t['thingName'] for page in p.paginate(PaginationConfig={'PageSize': 2})
               for t in page['things']]
        self.assertEqual(got, names)

    def test_pagination_stable_under_inserts(self):
        # D9: keyset tokens, no skips or repeats while rows are inserted.
        names = sorted(self.create_thing('m-%02d' % i) for i in range(0, 10, 2))
        r1 = self.iot.list_things(maxResults=2)
        self.assertEqual([t['thingName'] for t in r1['things']], names[:2])
        # Insert before and after the cursor.
        self.create_thing('m-01')
        self.create_thing('m-05')
        rest, _ = self._all(maxResults=2, nextToken=r1['nextToken'])
        self.assertEqual([t['thingName'] for t in rest], ['m-04', 'm-05', 'm-06', 'm-08'])

    def test_default_page_size_is_50(self):
        for i in range(51):
            self.iot.create_thing(thingName='d-%03d' % i)
        r = self.iot.list_things()
        self.assertEqual(len(r['things']), 50)
        self.assertTrue(r.get('nextToken'))
        r2 = self.iot.list_things(nextToken=r['nextToken'])
        self.assertEqual([t['thingName'] for t in r2['things']], ['d-050'])
        self.assertNotIn('nextToken', r2)

    def test_bad_next_token(self):
        self.create_thing()
        for tok in ('garbage', 'AAAA', 'eyJ4IjoxfQ=='):
            with self.subTest(token=tok):
                self.assertAwsError(lambda: self.iot.list_things(nextToken=tok),
                                    'InvalidRequestException', 400)

    def test_max_results_range(self):
        self.assertAwsError(lambda: self.iot.list_things(maxResults=251),
                            'InvalidRequestException', 400)
        # botocore refuses 0 client-side (min 1), so send it raw.
        self.assertRawError(self.jobsd.raw('GET', '/things?maxResults=0'),
                            'InvalidRequestException', 400)
        self.assertRawError(self.jobsd.raw('GET', '/things?maxResults=abc'),
                            'InvalidRequestException', 400)
        r = self.iot.list_things(maxResults=250)
        self.assertEqual(r['things'], [])
        r = self.iot.list_things(maxResults=1)
        self.assertEqual(r['things'], [])

    def test_attribute_filter(self):
        red1 = self.create_thing(attributePayload={'attributes': {'color': 'red', 'n': '1'}})
        red2 = self.create_thing(attributePayload={'attributes': {'color': 'red'}})
        self.create_thing(attributePayload={'attributes': {'color': 'blue'}})
        self.create_thing(attributePayload={'attributes': {'shade': 'red'}})
        self.create_thing()
        r = self.iot.list_things(attributeName='color', attributeValue='red')
        self.assertEqual([t['thingName'] for t in r['things']], sorted([red1, red2]))
        for t in r['things']:
            self.assertEqual(t['attributes']['color'], 'red')
        r = self.iot.list_things(attributeName='color', attributeValue='green')
        self.assertEqual(r['things'], [])

    def test_attribute_prefix_filter(self):
        a = self.create_thing(attributePayload={'attributes': {'fw': 'v1.2.3'}})
        b = self.create_thing(attributePayload={'attributes': {'fw': 'v1.9'}})
        self.create_thing(attributePayload={'attributes': {'fw': 'v2.0'}})
        r = self.iot.list_things(attributeName='fw', attributeValue='v1.',
                                 usePrefixAttributeValue=True)
        self.assertEqual([t['thingName'] for t in r['things']], sorted([a, b]))
        r = self.iot.list_things(attributeName='fw', attributeValue='v1.')
        self.assertEqual(r['things'], [])

    def test_attribute_filter_pagination(self):
        match = sorted(self.create_thing(attributePayload={'attributes': {'k': 'x'}})
                       for _ in range(3))
        for _ in range(3):
            self.create_thing(attributePayload={'attributes': {'k': 'y'}})
        got, _ = self._all(attributeName='k', attributeValue='x', maxResults=2)
        self.assertEqual([t['thingName'] for t in got], match)

    def test_unsigned_raw_list_on_control_port(self):
        # D6: unsigned requests on the main listener are control plane.
        name = self.create_thing()
        st, h, body = self.jobsd.raw('GET', '/things')
        self.assertEqual(st, 200, body)
        self.assertIn('x-amzn-requestid', h)
        self.assertEqual([t['thingName'] for t in json.loads(body)['things']], [name])


class UpdateThing(harness.JobsdTestCase):

    def test_merge_attributes(self):
        name = self.create_thing(attributePayload={'attributes': {'a': '1', 'b': '2'}})
        r = self.iot.update_thing(thingName=name,
                                  attributePayload={'attributes': {'b': '3', 'c': '4'},
                                                    'merge': True})
        self.assertEqual(strip(r), {})
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['attributes'], {'a': '1', 'b': '3', 'c': '4'})
        self.assertEqual(d['version'], 2)

    def test_merge_empty_value_removes(self):
        name = self.create_thing(attributePayload={'attributes': {'a': '1', 'b': '2'}})
        self.iot.update_thing(thingName=name,
                              attributePayload={'attributes': {'a': ''}, 'merge': True})
        self.assertEqual(self.iot.describe_thing(thingName=name)['attributes'], {'b': '2'})

    def test_replace_attributes(self):
        name = self.create_thing(attributePayload={'attributes': {'a': '1', 'b': '2'}})
        self.iot.update_thing(thingName=name, attributePayload={'attributes': {'c': '3'}})
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['attributes'], {'c': '3'})
        self.assertEqual(d['version'], 2)
        self.iot.update_thing(thingName=name,
                              attributePayload={'attributes': {'c': '4'}, 'merge': False})
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['attributes'], {'c': '4'})
        self.assertEqual(d['version'], 3)

    def test_expected_version(self):
        name = self.create_thing()
        self.iot.update_thing(thingName=name, expectedVersion=1,
                              attributePayload={'attributes': {'a': '1'}})
        self.assertEqual(self.iot.describe_thing(thingName=name)['version'], 2)
        self.assertAwsError(
            lambda: self.iot.update_thing(thingName=name, expectedVersion=1,
                                          attributePayload={'attributes': {'a': '2'}}),
            'VersionConflictException', 409)
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['version'], 2)
        self.assertEqual(d['attributes'], {'a': '1'})
        self.iot.update_thing(thingName=name, expectedVersion=2,
                              attributePayload={'attributes': {'a': '3'}})
        self.assertEqual(self.iot.describe_thing(thingName=name)['version'], 3)

    def test_update_unknown(self):
        self.assertAwsError(
            lambda: self.iot.update_thing(thingName=self.name('nope'),
                                          attributePayload={'attributes': {'a': '1'}}),
            'ResourceNotFoundException', 404)

    def test_update_reflected_in_list(self):
        name = self.create_thing(attributePayload={'attributes': {'color': 'red'}})
        self.iot.update_thing(thingName=name, attributePayload={'attributes': {'color': 'blue'}})
        r = self.iot.list_things(attributeName='color', attributeValue='red')
        self.assertEqual(r['things'], [])
        r = self.iot.list_things(attributeName='color', attributeValue='blue')
        self.assertEqual([t['thingName'] for t in r['things']], [name])
        self.assertEqual(r['things'][0]['version'], 2)

    def test_empty_output_wire(self):
        # Empty-output operations answer 200 with an empty body and a request id.
        name = self.create_thing()
        st, h, body = self.jobsd.raw('PATCH', '/things/' + name,
                                     {'attributePayload': {'attributes': {'x': 'y'}}})
        self.assertEqual(st, 200, body)
        self.assertEqual(body, b'')
        self.assertIn('x-amzn-requestid', h)


class DeleteThing(harness.JobsdTestCase):

    def test_delete(self):
        name = self.create_thing()
        r = self.iot.delete_thing(thingName=name)
        self.assertEqual(strip(r), {})
        self.assertAwsError(lambda: self.iot.describe_thing(thingName=name),
                            'ResourceNotFoundException', 404)
        self.assertEqual(self.iot.list_things()['things'], [])

    def test_delete_missing_is_ok(self):
        r = self.iot.delete_thing(thingName=self.name('nope'))
        self.assertEqual(r['ResponseMetadata']['HTTPStatusCode'], 200)

    def test_delete_expected_version(self):
        name = self.create_thing()
        self.iot.update_thing(thingName=name, attributePayload={'attributes': {'a': '1'}})
        self.assertAwsError(lambda: self.iot.delete_thing(thingName=name, expectedVersion=1),
                            'VersionConflictException', 409)
        self.assertEqual(self.iot.describe_thing(thingName=name)['version'], 2)
        self.iot.delete_thing(thingName=name, expectedVersion=2)
        self.assertAwsError(lambda: self.iot.describe_thing(thingName=name),
                            'ResourceNotFoundException', 404)

    def test_recreate_after_delete(self):
        name = self.create_thing(attributePayload={'attributes': {'a': '1'}})
        old = self.iot.describe_thing(thingName=name)['thingId']
        self.iot.delete_thing(thingName=name)
        r = self.iot.create_thing(thingName=name, attributePayload={'attributes': {'a': '2'}})
        self.assertEqual(r['thingArn'], thing_arn(name))
        d = self.iot.describe_thing(thingName=name)
        self.assertEqual(d['version'], 1)
        self.assertEqual(d['attributes'], {'a': '2'})
        self.assertNotEqual(d['thingId'], old)

    def test_delete_validates_name(self):
        self.assertAwsError(lambda: self.iot.delete_thing(thingName='bad name'),
                            'InvalidRequestException', 400)

    def test_delete_bad_expected_version(self):
        name = self.create_thing()
        self.assertRawError(
            self.jobsd.raw('DELETE', '/things/%s?expectedVersion=%s'
                           % (name, urllib.parse.quote('one'))),
            'InvalidRequestException', 400)



class AttributeLimits(harness.JobsdTestCase):

    def test_at_most_3_attributes_without_thing_type(self):
        # spec §3.1: <= 3 attributes without a thing type [L2019].
        attrs3 = {'a': '1', 'b': '2', 'c': '3'}
        name = self.create_thing(attributePayload={'attributes': attrs3})
        self.assertAwsError(
            lambda: self.iot.create_thing(thingName=self.name('thing'), attributePayload={
                'attributes': dict(attrs3, d='4')}),
            'InvalidRequestException', 400)
        self.assertAwsError(
            lambda: self.iot.update_thing(thingName=name, attributePayload={
                'attributes': {'d': '4'}, 'merge': True}),
            'InvalidRequestException', 400)
        self.assertEqual(self.iot.describe_thing(thingName=name)['attributes'], attrs3)
        # Removing one and adding one in the same merge stays within the limit.
        self.iot.update_thing(thingName=name, attributePayload={
            'attributes': {'a': '', 'd': '4'}, 'merge': True})
        self.assertEqual(self.iot.describe_thing(thingName=name)['attributes'],
                         {'b': '2', 'c': '3', 'd': '4'})


if __name__ == '__main__':
    harness.main()
