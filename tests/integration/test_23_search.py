"""SearchIndex on AWS_Things with the dynamic groups' query engine, and
Get/UpdateIndexingConfiguration (issue 12), through boto3 and the aws CLI."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class SearchIndex(harness.JobsdTestCase):

    def search_all(self, query, **kw):
        out, token = [], None
        while True:
            args = dict(kw, queryString=query)
            if token:
                args['nextToken'] = token
            r = self.iot.search_index(**args)
            out.extend(r['things'])
            token = r.get('nextToken')
            if not token:
                return out

    def test_documents(self):
        g = self.create_group()
        t = self.create_thing(attributePayload={'attributes': {'fw': '2', 'ring': 'canary'}})
        self.create_thing(attributePayload={'attributes': {'fw': '5'}})
        self.iot.add_thing_to_thing_group(thingGroupName=g, thingName=t)
        r = self.iot.search_index(indexName='AWS_Things',
                                  queryString='attributes.fw < 3 AND thingGroupNames:%s' % g)
        self.assertEqual(len(r['things']), 1)
        doc = r['things'][0]
        self.assertEqual(doc['thingName'], t)
        self.assertEqual(doc['thingId'],
                         self.iot.describe_thing(thingName=t)['thingId'])
        self.assertEqual(doc['thingGroupNames'], [g])
        self.assertEqual(doc['attributes'], {'fw': '2', 'ring': 'canary'})
        self.assertNotIn('nextToken', r)
        self.assertEqual(self.iot.search_index(queryString='thingName:nothing*')['things'], [])

    def test_pagination_past_250(self):
        prefix = self.name('s')
        made = sorted(self.create_thing('%s-%03d' % (prefix, i)) for i in range(255))
        got = [d['thingName'] for d in self.search_all('thingName:%s-*' % prefix,
                                                       maxResults=100)]
        self.assertEqual(got, made)
        r = self.iot.search_index(queryString='thingName:%s-*' % prefix, maxResults=250)
        self.assertEqual(len(r['things']), 250)
        self.assertIn('nextToken', r)
        r = self.iot.search_index(queryString='thingName:%s-*' % prefix, maxResults=500)
        self.assertEqual(len(r['things']), 255)
        self.assertNotIn('nextToken', r)

    def test_errors(self):
        for q in ('attributes.fw <', 'thingName:(a', 'shadow.reported.x:1', 'a AND', '   '):
            with self.subTest(query=q):
                self.assertAwsError(lambda: self.iot.search_index(queryString=q),
                                    'InvalidQueryException', 400)
        self.assertAwsError(lambda: self.iot.search_index(queryString='x', indexName='nope'),
                            'ResourceNotFoundException', 404)
        for body in (b'{}', b'{"queryString":""}', b'{"queryString":"x","maxResults":0}',
                     b'{"queryString":"x","maxResults":501}',
                     b'{"queryString":"x","nextToken":"forged"}', b'{"queryString":5}'):
            with self.subTest(body=body):
                self.assertRawError(self.jobsd.raw('POST', '/indices/search', body=body),
                                    'InvalidRequestException', 400)

    def test_cli(self):
        t = self.create_thing(attributePayload={'attributes': {'fw': '1'}})
        _, out, _ = self.jobsd.aws('iot', 'search-index', '--query-string', 'attributes.fw:1')
        self.assertEqual([d['thingName'] for d in out['things']], [t])


class IndexingConfiguration(harness.JobsdTestCase):

    def test_default_and_update(self):
        r = self.iot.get_indexing_configuration()
        self.assertEqual(r['thingIndexingConfiguration']['thingIndexingMode'], 'REGISTRY')
        self.assertEqual(r['thingGroupIndexingConfiguration']['thingGroupIndexingMode'], 'OFF')
        self.iot.update_indexing_configuration(
            thingIndexingConfiguration={'thingIndexingMode': 'REGISTRY_AND_SHADOW',
                                        'thingConnectivityIndexingMode': 'STATUS'},
            thingGroupIndexingConfiguration={'thingGroupIndexingMode': 'ON'})
        r = self.iot.get_indexing_configuration()
        self.assertEqual(r['thingIndexingConfiguration']['thingIndexingMode'],
                         'REGISTRY_AND_SHADOW')
        self.assertEqual(r['thingIndexingConfiguration']['thingConnectivityIndexingMode'],
                         'STATUS')
        self.assertEqual(r['thingGroupIndexingConfiguration']['thingGroupIndexingMode'], 'ON')

    def test_off(self):
        self.iot.update_indexing_configuration(
            thingIndexingConfiguration={'thingIndexingMode': 'OFF'})
        self.assertAwsError(lambda: self.iot.search_index(queryString='thingName:x'),
                            'InvalidRequestException', 400)
        self.assertAwsError(lambda: self.iot.create_dynamic_thing_group(
            thingGroupName=self.name('dyn'), queryString='thingName:x'),
            'InvalidRequestException', 400)
        self.iot.update_indexing_configuration(
            thingIndexingConfiguration={'thingIndexingMode': 'REGISTRY'})
        self.iot.create_dynamic_thing_group(thingGroupName=self.name('dyn'),
                                            queryString='thingName:x')
        # not while dynamic groups exist
        self.assertAwsError(lambda: self.iot.update_indexing_configuration(
            thingIndexingConfiguration={'thingIndexingMode': 'OFF'}),
            'InvalidRequestException', 400)
        self.assertEqual(self.iot.get_indexing_configuration()[
            'thingIndexingConfiguration']['thingIndexingMode'], 'REGISTRY')

    def test_errors(self):
        for body in (b'{"thingIndexingConfiguration":{}}',
                     b'{"thingIndexingConfiguration":{"thingIndexingMode":"ON"}}',
                     b'{"thingIndexingConfiguration":"x"}',
                     b'{"thingGroupIndexingConfiguration":{"thingGroupIndexingMode":"YES"}}',
                     b'{"thingIndexingConfiguration":{"thingIndexingMode":"OFF",'
                     b'"thingConnectivityIndexingMode":"STATUS"}}'):
            with self.subTest(body=body):
                self.assertRawError(self.jobsd.raw('POST', '/indexing/config', body=body),
                                    'InvalidRequestException', 400)

    def test_cli(self):
        _, out, _ = self.jobsd.aws('iot', 'get-indexing-configuration')
        self.assertEqual(out['thingIndexingConfiguration']['thingIndexingMode'], 'REGISTRY')
        self.jobsd.aws('iot', 'update-indexing-configuration', '--thing-indexing-configuration',
                       'thingIndexingMode=REGISTRY')


if __name__ == '__main__':
    harness.main()
