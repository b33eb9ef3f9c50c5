"""Trust nothing: hostile and malformed requests, sent raw over sockets.

Every malformed request that is still HTTP must get a 4xx with x-amzn-ErrorType and a JSON
{"message"} body. Transport-level garbage that cannot be parsed as HTTP may instead get a
plain 400 from libmicrohttpd or a closed connection; each such case says which outcomes it
accepts. After every batch: jobsd is still up, a describe still works, and a snapshot of
every thing, group, job, execution and template equals the one taken before the batch.

Limits exercised (src/jd_limits.h): body 256 KiB, URI 8192 bytes, 32 query parameters,
16 path segments, 60 s connection timeout (never waited for: slowloris tests check that
other clients are served while slow connections are open).

Run:  JOBSD_BIN=build/jobsd python3 tests/integration/test_97_hostile.py
"""

import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import thing_arn, group_arn  # noqa: E402
import faultkit  # noqa: E402
from faultkit import build_request, exchange  # noqa: E402

T1, T2, T3 = 'hx-t1', 'hx-t2', 'hx-t3'
G1 = 'hx-g1'
J1, J2 = 'hx-j1', 'hx-j2'
TPL = 'hx-tpl1'
NEW_THING, NEW_GROUP, NEW_JOB, NEW_TPL = 'hx-new-thing', 'hx-new-group', 'hx-new-job', 'hx-new-tpl'
A1, A2 = thing_arn(T1), thing_arn(T2)

AWS = 'aws'           # a 4xx with x-amzn-ErrorType and {"message": str}
CLOSE = object()      # marker in expectation sets: the connection closed with no response

DROP = object()


def mut(base, **kw):
    """A copy of base with members changed (DROP removes one)."""
    d = dict(base)
    for k, v in kw.items():
        if v is DROP:
            d.pop(k, None)
        else:
            d[k] = v
    return d


class Case:
    def __init__(self, name, method, path, body=None, plane='control', headers=()):
        self.name = name
        self.method = method
        self.path = path
        self.body = body            # dict/list -> JSON; bytes/str verbatim
        self.plane = plane
        self.headers = list(headers)

    def request(self):
        return build_request(self.method, self.path, self.body, self.headers)


# ---------------------------------------------------------------------------------------
# Case tables. Each request targets the fixture world so that, were it accepted, the store
# would change (a new resource, a version bump, a state change) and the snapshot would see it.
# ---------------------------------------------------------------------------------------

def bad_json_cases():
    """Bodies that are not (acceptable) JSON, on several write operations."""
    bodies = [
        ('open-brace', b'{'),
        ('close-brace', b'}'),
        ('open-bracket', b'['),
        ('missing-value', b'{"status":}'),
        ('single-quotes', b"{'status':'IN_PROGRESS'}"),
        ('trailing-comma', b'{"status":"IN_PROGRESS",}'),
        ('trailing-garbage', b'{"status":"IN_PROGRESS"} x'),
        ('two-objects', b'{}{}'),
        ('null', b'null'),
        ('true', b'true'),
        ('number', b'1'),
        ('string', b'"IN_PROGRESS"'),
        ('array', b'[]'),
        ('array-of-object', b'[{"status":"IN_PROGRESS"}]'),
        ('duplicate-keys', b'{"status":"IN_PROGRESS","status":"IN_PROGRESS"}'),
        ('bad-escape', b'{"status":"IN_\\xPROGRESS"}'),
        ('lone-surrogate', b'{"status":"\\ud800"}'),
        ('escaped-nul', b'{"status":"IN_PROGRESS\\u0000"}'),
        ('raw-nul', b'{"status":"IN_PROGRESS\x00"}'),
        ('raw-control', b'{"status":"IN_PROG\x01RESS"}'),
        ('raw-newline-in-string', b'{"status":"IN_PROG\nRESS"}'),
        ('invalid-utf8-ff', b'{"status":"\xff"}'),
        ('overlong-utf8', b'{"status":"\xc0\xaf"}'),
        ('utf8-surrogate', b'{"status":"\xed\xa0\x80"}'),
        ('truncated-utf8', b'{"status":"\xe2\x82"}'),
        ('utf16-bom', '\ufeff{"status":"IN_PROGRESS"}'.encode('utf-16')),
        ('utf8-bom', b'\xef\xbb\xbf{"status":"IN_PROGRESS"}'),
        ('nan', b'{"status":"IN_PROGRESS","expectedVersion":NaN}'),
        ('infinity', b'{"status":"IN_PROGRESS","expectedVersion":Infinity}'),
        ('leading-zero', b'{"status":"IN_PROGRESS","expectedVersion":01}'),
        ('huge-exponent', b'{"status":"IN_PROGRESS","expectedVersion":1e999999}'),
        ('int-overflow', b'{"status":"IN_PROGRESS","expectedVersion":99999999999999999999}'),
        ('comment', b'{/* c */"status":"IN_PROGRESS"}'),
        ('unquoted-key', b'{status:"IN_PROGRESS"}'),
        ('deep-nesting', b'{"statusDetails":' + b'[' * 5000 + b']' * 5000 + b',"status":"IN_PROGRESS"}'),
        ('only-whitespace-then-x', b'   x'),
        ('nul-bytes', b'\x00\x00\x00\x00'),
    ]
    out = []
    for name, body in bodies:
        out.append(Case('update-exec/' + name, 'POST', '/things/%s/jobs/%s' % (T1, J1), body,
                        plane='data'))
    # A smaller set on control-plane writes, to check they share the same front door.
    for name, body in bodies[:12] + [bodies[14], bodies[17], bodies[21]]:
        out.append(Case('create-thing/' + name, 'POST', '/things/' + NEW_THING, body))
        out.append(Case('create-job/' + name, 'PUT', '/jobs/' + NEW_JOB, body))
    return out


UPD = {'status': 'IN_PROGRESS'}
CJ = {'targets': [A1], 'document': '{"op":"x"}'}


def wrong_member_cases():
    out = []

    # UpdateJobExecution (device plane): every member wrong in several ways.
    upd_path = '/things/%s/jobs/%s' % (T1, J1)
    upd = [
        ('status=int', mut(UPD, status=1)),
        ('status=bool', mut(UPD, status=True)),
        ('status=list', mut(UPD, status=['IN_PROGRESS'])),
        ('status=object', mut(UPD, status={})),
        ('status=empty', mut(UPD, status='')),
        ('status=lowercase', mut(UPD, status='in_progress')),
        ('status=trailing-space', mut(UPD, status='IN_PROGRESS ')),
        ('status=QUEUED', mut(UPD, status='QUEUED')),
        ('status=CANCELED', mut(UPD, status='CANCELED')),
        ('status=TIMED_OUT', mut(UPD, status='TIMED_OUT')),
        ('status=REMOVED', mut(UPD, status='REMOVED')),
        ('status=unknown', mut(UPD, status='DONE')),
        ('status=null', mut(UPD, status=None)),
        ('status=missing', {}),
        ('statusDetails=string', mut(UPD, statusDetails='x')),
        ('statusDetails=list', mut(UPD, statusDetails=['a'])),
        ('statusDetails=int', mut(UPD, statusDetails=1)),
        ('statusDetails.value=int', mut(UPD, statusDetails={'k': 1})),
        ('statusDetails.value=bool', mut(UPD, statusDetails={'k': True})),
        ('statusDetails.value=object', mut(UPD, statusDetails={'k': {}})),
        ('statusDetails.value=empty', mut(UPD, statusDetails={'k': ''})),
        ('statusDetails.value=1025', mut(UPD, statusDetails={'k': 'v' * 1025})),
        ('statusDetails.value=control', mut(UPD, statusDetails={'k': 'a\u0001b'})),
        ('statusDetails.value=newline', mut(UPD, statusDetails={'k': 'a\nb'})),
        ('statusDetails.key=empty', mut(UPD, statusDetails={'': 'v'})),
        ('statusDetails.key=space', mut(UPD, statusDetails={'bad key': 'v'})),
        ('statusDetails.key=129', mut(UPD, statusDetails={'k' * 129: 'v'})),
        ('statusDetails.key=unicode', mut(UPD, statusDetails={'kä': 'v'})),
        ('statusDetails=11-pairs', mut(UPD, statusDetails={'k%d' % i: 'v' for i in range(11)})),
        ('expectedVersion=string', mut(UPD, expectedVersion='1')),
        ('expectedVersion=negative', mut(UPD, expectedVersion=-1)),
        ('expectedVersion=float', mut(UPD, expectedVersion=1.5)),
        ('expectedVersion=bool', mut(UPD, expectedVersion=True)),
        ('expectedVersion=list', mut(UPD, expectedVersion=[2])),
        ('expectedVersion=int64-min', mut(UPD, expectedVersion=-2 ** 63)),
        ('expectedVersion=wrong', mut(UPD, expectedVersion=99)),
        ('executionNumber=0', mut(UPD, executionNumber=0)),
        ('executionNumber=negative', mut(UPD, executionNumber=-1)),
        ('executionNumber=string', mut(UPD, executionNumber='1')),
        ('executionNumber=float', mut(UPD, executionNumber=1.5)),
        ('executionNumber=missing-number', mut(UPD, executionNumber=999)),
        ('executionNumber=int64-max', mut(UPD, executionNumber=2 ** 63 - 1)),
        ('includeJobExecutionState=string', mut(UPD, includeJobExecutionState='true')),
        ('includeJobExecutionState=int', mut(UPD, includeJobExecutionState=1)),
        ('includeJobDocument=string', mut(UPD, includeJobDocument='false')),
        ('includeJobDocument=list', mut(UPD, includeJobDocument=[])),
        ('stepTimeoutInMinutes=0', mut(UPD, stepTimeoutInMinutes=0)),
        ('stepTimeoutInMinutes=-2', mut(UPD, stepTimeoutInMinutes=-2)),
        ('stepTimeoutInMinutes=10081', mut(UPD, stepTimeoutInMinutes=10081)),
        ('stepTimeoutInMinutes=string', mut(UPD, stepTimeoutInMinutes='5')),
        ('stepTimeoutInMinutes=float', mut(UPD, stepTimeoutInMinutes=1.5)),
        ('stepTimeoutInMinutes=2^40', mut(UPD, stepTimeoutInMinutes=2 ** 40)),
    ]
    out += [Case('update-exec/' + n, 'POST', upd_path, b, plane='data') for n, b in upd]
    out.append(Case('update-exec/job-id-too-long', 'POST', '/things/%s/jobs/%s' % (T1, 'j' * 65),
                    UPD, plane='data'))
    out.append(Case('update-exec/thing-bad-pattern', 'POST', '/things/a!b/jobs/%s' % J1, UPD,
                    plane='data'))
    out.append(Case('update-exec/$next', 'POST', '/things/%s/jobs/$next' % T1, UPD, plane='data'))

    # StartNextPendingJobExecution (device plane) on hx-t2, whose head is QUEUED.
    sn_path = '/things/%s/jobs/$next' % T2
    for n, b in [('statusDetails=string', {'statusDetails': 'x'}),
                 ('statusDetails.value=int', {'statusDetails': {'k': 1}}),
                 ('stepTimeoutInMinutes=-1', {'stepTimeoutInMinutes': -1}),
                 ('stepTimeoutInMinutes=0', {'stepTimeoutInMinutes': 0}),
                 ('stepTimeoutInMinutes=10081', {'stepTimeoutInMinutes': 10081}),
                 ('stepTimeoutInMinutes=string', {'stepTimeoutInMinutes': '5'})]:
        out.append(Case('start-next/' + n, 'PUT', sn_path, b, plane='data'))

    # CreateJob: every member wrong.
    cj = [
        ('targets=string', mut(CJ, targets=A1)),
        ('targets=object', mut(CJ, targets={})),
        ('targets=int', mut(CJ, targets=1)),
        ('targets=empty', mut(CJ, targets=[])),
        ('targets=missing', mut(CJ, targets=DROP)),
        ('targets=[int]', mut(CJ, targets=[1])),
        ('targets=[null]', mut(CJ, targets=[None])),
        ('targets=[list]', mut(CJ, targets=[[]])),
        ('targets=not-arn', mut(CJ, targets=['not-an-arn'])),
        ('targets=unknown-thing', mut(CJ, targets=[thing_arn('hx-nope')])),
        ('targets=unknown-group', mut(CJ, targets=[group_arn('hx-nope')])),
        ('targets=other-region', mut(CJ, targets=['arn:aws:iot:eu-west-1:%s:thing/%s'
                                                  % (harness.ACCOUNT, T1)])),
        ('targets=other-account', mut(CJ, targets=['arn:aws:iot:us-east-1:999999999999:thing/'
                                                   + T1])),
        ('targets=job-arn', mut(CJ, targets=[faultkit.ARN_PREFIX + 'job/' + J1])),
        ('targets=101', mut(CJ, targets=[A1] * 101)),
        ('targets=2049-chars', mut(CJ, targets=[thing_arn('t' * 2049)])),
        ('document=object', mut(CJ, document={'op': 'x'})),
        ('document=int', mut(CJ, document=1)),
        ('document=list', mut(CJ, document=[])),
        ('document=bool', mut(CJ, document=True)),
        ('document=empty', mut(CJ, document='')),
        ('document=not-json', mut(CJ, document='not json')),
        ('document=json-array', mut(CJ, document='[1]')),
        ('document=json-string', mut(CJ, document='"s"')),
        ('document=truncated', mut(CJ, document='{"a":')),
        ('document=32769-bytes', mut(CJ, document='{"a":"%s"}' % ('x' * 32763))),
        ('document=missing', mut(CJ, document=DROP)),
        ('document+documentSource', mut(CJ, documentSource='s3://b/k')),
        ('documentSource=int', mut(CJ, document=DROP, documentSource=1)),
        ('documentSource=s3', mut(CJ, document=DROP, documentSource='https://s3/b/k')),
        ('documentParameters=object', mut(CJ, documentParameters={'a': 'b'})),
        ('description=int', mut(CJ, description=1)),
        ('description=empty', mut(CJ, description='')),
        ('description=2029', mut(CJ, description='d' * 2029)),
        ('description=control', mut(CJ, description='a\u0007b')),
        ('targetSelection=lowercase', mut(CJ, targetSelection='snapshot')),
        ('targetSelection=unknown', mut(CJ, targetSelection='BOTH')),
        ('targetSelection=int', mut(CJ, targetSelection=1)),
        ('targetSelection=empty', mut(CJ, targetSelection='')),
        ('namespaceId=int', mut(CJ, namespaceId=1)),
        ('namespaceId=empty', mut(CJ, namespaceId='')),
        ('namespaceId=65', mut(CJ, namespaceId='n' * 65)),
        ('namespaceId=pattern', mut(CJ, namespaceId='bad ns!')),
        ('jobTemplateArn=int', mut(CJ, jobTemplateArn=1)),
        ('jobTemplateArn=not-arn', mut(CJ, jobTemplateArn='arn:bad')),
        ('jobTemplateArn=unknown', mut(CJ, jobTemplateArn=faultkit.ARN_PREFIX + 'jobtemplate/nope')),
        ('timeoutConfig=string', mut(CJ, timeoutConfig='x')),
        ('timeoutConfig=list', mut(CJ, timeoutConfig=[])),
        ('timeoutConfig.minutes=string', mut(CJ, timeoutConfig={'inProgressTimeoutInMinutes': '5'})),
        ('timeoutConfig.minutes=0', mut(CJ, timeoutConfig={'inProgressTimeoutInMinutes': 0})),
        ('timeoutConfig.minutes=-1', mut(CJ, timeoutConfig={'inProgressTimeoutInMinutes': -1})),
        ('timeoutConfig.minutes=10081', mut(CJ, timeoutConfig={'inProgressTimeoutInMinutes': 10081})),
        ('timeoutConfig.minutes=float', mut(CJ, timeoutConfig={'inProgressTimeoutInMinutes': 1.5})),
        ('timeoutConfig.minutes=2^62', mut(CJ, timeoutConfig={'inProgressTimeoutInMinutes': 2 ** 62})),
        ('retry=string', mut(CJ, jobExecutionsRetryConfig='x')),
        ('retry=no-criteria', mut(CJ, jobExecutionsRetryConfig={})),
        ('retry=empty-criteria', mut(CJ, jobExecutionsRetryConfig={'criteriaList': []})),
        ('retry.failureType=unknown', mut(CJ, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'NOPE', 'numberOfRetries': 1}]})),
        ('retry.failureType=lowercase', mut(CJ, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'failed', 'numberOfRetries': 1}]})),
        ('retry.numberOfRetries=11', mut(CJ, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': 11}]})),
        ('retry.numberOfRetries=-1', mut(CJ, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': -1}]})),
        ('retry.numberOfRetries=string', mut(CJ, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': '1'}]})),
        ('retry=3-criteria', mut(CJ, jobExecutionsRetryConfig={'criteriaList': [
            {'failureType': 'FAILED', 'numberOfRetries': 1}] * 3})),
        ('abort=string', mut(CJ, abortConfig='x')),
        ('abort.action=unknown', mut(CJ, abortConfig={'criteriaList': [
            {'failureType': 'FAILED', 'action': 'NOPE', 'thresholdPercentage': 50,
             'minNumberOfExecutedThings': 1}]})),
        ('abort.failureType=unknown', mut(CJ, abortConfig={'criteriaList': [
            {'failureType': 'NOPE', 'action': 'CANCEL', 'thresholdPercentage': 50,
             'minNumberOfExecutedThings': 1}]})),
        ('abort.threshold=101', mut(CJ, abortConfig={'criteriaList': [
            {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 101,
             'minNumberOfExecutedThings': 1}]})),
        ('abort.threshold=string', mut(CJ, abortConfig={'criteriaList': [
            {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': '50',
             'minNumberOfExecutedThings': 1}]})),
        ('abort.minExecuted=0', mut(CJ, abortConfig={'criteriaList': [
            {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 50,
             'minNumberOfExecutedThings': 0}]})),
        ('abort.minExecuted=2^31', mut(CJ, abortConfig={'criteriaList': [
            {'failureType': 'FAILED', 'action': 'CANCEL', 'thresholdPercentage': 50,
             'minNumberOfExecutedThings': 2 ** 31}]})),
        ('rollout=string', mut(CJ, jobExecutionsRolloutConfig='x')),
        ('rollout.max=0', mut(CJ, jobExecutionsRolloutConfig={'maximumPerMinute': 0})),
        ('rollout.max=1001', mut(CJ, jobExecutionsRolloutConfig={'maximumPerMinute': 1001})),
        ('rollout.max=string', mut(CJ, jobExecutionsRolloutConfig={'maximumPerMinute': '5'})),
        ('rollout.exponential.base=0', mut(CJ, jobExecutionsRolloutConfig={'exponentialRate': {
            'baseRatePerMinute': 0, 'incrementFactor': 2,
            'rateIncreaseCriteria': {'numberOfNotifiedThings': 1}}})),
        ('presigned=string', mut(CJ, presignedUrlConfig='x')),
        ('presigned.expires=59', mut(CJ, presignedUrlConfig={'expiresInSec': 59})),
        ('presigned.roleArn=int', mut(CJ, presignedUrlConfig={'roleArn': 1})),
        ('scheduling=string', mut(CJ, schedulingConfig='x')),
        ('scheduling.startTime=garbage', mut(CJ, schedulingConfig={'startTime': 'yesterday'})),
        ('scheduling.startTime=past', mut(CJ, schedulingConfig={'startTime': '2020-01-01T00:00'})),
        ('scheduling.startTime=int', mut(CJ, schedulingConfig={'startTime': 1})),
        ('scheduling.endBehavior=unknown', mut(CJ, schedulingConfig={'endBehavior': 'NOPE'})),
        ('tags=string', mut(CJ, tags='x')),
        ('tags=[int]', mut(CJ, tags=[1])),
        ('tags.Key=missing', mut(CJ, tags=[{'Value': 'v'}])),
        ('tags.Key=int', mut(CJ, tags=[{'Key': 1, 'Value': 'v'}])),
        ('tags=51', mut(CJ, tags=[{'Key': 'k%d' % i, 'Value': 'v'} for i in range(51)])),
        ('destinationPackageVersions=string', mut(CJ, destinationPackageVersions='x')),
        ('destinationPackageVersions=[int]', mut(CJ, destinationPackageVersions=[1])),
    ]
    out += [Case('create-job/' + n, 'PUT', '/jobs/' + NEW_JOB, b) for n, b in cj]
    out.append(Case('create-job/jobId-65', 'PUT', '/jobs/' + 'j' * 65, CJ))
    out.append(Case('create-job/jobId-pattern', 'PUT', '/jobs/bad%20id', CJ))
    out.append(Case('create-job/exists', 'PUT', '/jobs/' + J1, CJ))

    # CreateThing and UpdateThing.
    ct = [
        ('thingTypeName=int', {'thingTypeName': 1}),
        ('thingTypeName=unknown', {'thingTypeName': 'nope'}),
        ('billingGroupName=int', {'billingGroupName': 1}),
        ('billingGroupName=unknown', {'billingGroupName': 'nope'}),
        ('attributePayload=string', {'attributePayload': 'x'}),
        ('attributePayload=list', {'attributePayload': []}),
        ('attributes=string', {'attributePayload': {'attributes': 'x'}}),
        ('attributes=list', {'attributePayload': {'attributes': []}}),
        ('attributes.value=int', {'attributePayload': {'attributes': {'k': 1}}}),
        ('attributes.value=object', {'attributePayload': {'attributes': {'k': {}}}}),
        ('attributes=4', {'attributePayload': {'attributes': {c: '1' for c in 'abcd'}}}),
        ('attributes=51', {'attributePayload': {'attributes': {'a%d' % i: '1' for i in range(51)}}}),
        ('attributes.key=pattern', {'attributePayload': {'attributes': {'bad key!': 'v'}}}),
        ('attributes.key=129', {'attributePayload': {'attributes': {'k' * 129: 'v'}}}),
        ('attributes.value=801', {'attributePayload': {'attributes': {'k': 'v' * 801}}}),
    ]
    out += [Case('create-thing/' + n, 'POST', '/things/' + NEW_THING, b) for n, b in ct]
    out.append(Case('create-thing/name-129', 'POST', '/things/' + 't' * 129, {}))
    out.append(Case('create-thing/name-pattern', 'POST', '/things/bad%21name', {}))
    out.append(Case('create-thing/name-slash', 'POST', '/things/a%2Fb', {}))
    out.append(Case('create-thing/exists-different', 'POST', '/things/' + T1,
                    {'attributePayload': {'attributes': {'model': 'other'}}}))
    ut = [
        ('expectedVersion=string', {'expectedVersion': '1'}),
        ('expectedVersion=negative', {'expectedVersion': -1}),
        ('expectedVersion=wrong', {'expectedVersion': 99}),
        ('expectedVersion=float', {'expectedVersion': 1.5}),
        ('removeThingType=string', {'removeThingType': 'true'}),
        ('removeThingType+thingTypeName', {'removeThingType': True, 'thingTypeName': 'x'}),
        ('thingTypeName=unknown', {'thingTypeName': 'nope'}),
        ('merge=string', {'attributePayload': {'attributes': {'x': '1'}, 'merge': 'yes'}}),
        ('attributes.value=int', {'attributePayload': {'attributes': {'x': 1}}}),
    ]
    out += [Case('update-thing/' + n, 'PATCH', '/things/' + T1, b) for n, b in ut]

    # CreateThingGroup.
    cg = [
        ('parentGroupName=int', {'parentGroupName': 1}),
        ('parentGroupName=unknown', {'parentGroupName': 'hx-nope'}),
        ('parentGroupName=pattern', {'parentGroupName': 'bad name!'}),
        ('properties=string', {'thingGroupProperties': 'x'}),
        ('properties=list', {'thingGroupProperties': []}),
        ('description=int', {'thingGroupProperties': {'thingGroupDescription': 1}}),
        ('description=2029', {'thingGroupProperties': {'thingGroupDescription': 'd' * 2029}}),
        ('attributePayload=string', {'thingGroupProperties': {'attributePayload': 'x'}}),
        ('tags=string', {'tags': 'x'}),
    ]
    out += [Case('create-group/' + n, 'POST', '/thing-groups/' + NEW_GROUP, b) for n, b in cg]

    # AddThingToThingGroup / RemoveThingFromThingGroup.
    add = {'thingGroupName': G1, 'thingName': T2}
    for n, b in [('thingName=int', mut(add, thingName=1)),
                 ('thingName=list', mut(add, thingName=[])),
                 ('thingName=pattern', mut(add, thingName='bad!')),
                 ('thingName=unknown', mut(add, thingName='hx-nope')),
                 ('thingName=missing', mut(add, thingName=DROP)),
                 ('thingGroupName=int', mut(add, thingGroupName=1)),
                 ('thingGroupName=unknown', mut(add, thingGroupName='hx-nope')),
                 ('thingGroupName=missing', mut(add, thingGroupName=DROP)),
                 ('thingGroupArn=int', mut(add, thingGroupName=DROP, thingGroupArn=1)),
                 ('thingArn=list', mut(add, thingName=DROP, thingArn=[])),
                 ('overrideDynamicGroups=string', mut(add, overrideDynamicGroups='yes'))]:
        out.append(Case('add-member/' + n, 'PUT', '/thing-groups/addThingToThingGroup', b))
    rm = {'thingGroupName': G1, 'thingName': T1}
    for n, b in [('thingName=int', mut(rm, thingName=1)),
                 ('thingGroupName=object', mut(rm, thingGroupName={}))]:
        out.append(Case('remove-member/' + n, 'PUT', '/thing-groups/removeThingFromThingGroup', b))

    # UpdateJob, CancelJob, CancelJobExecution, AssociateTargetsWithJob, CreateJobTemplate.
    uj = {'description': 'changed'}
    for n, b in [('description=int', mut(uj, description=1)),
                 ('description=empty', mut(uj, description='')),
                 ('description=2029', mut(uj, description='d' * 2029)),
                 ('timeoutConfig=string', mut(uj, timeoutConfig='x')),
                 ('abortConfig=list', mut(uj, abortConfig=[])),
                 ('rollout.max=0', mut(uj, jobExecutionsRolloutConfig={'maximumPerMinute': 0}))]:
        out.append(Case('update-job/' + n, 'PATCH', '/jobs/' + J1, b))
    out.append(Case('update-job/namespaceId=pattern', 'PATCH', '/jobs/%s?namespaceId=bad%%21' % J1, uj))
    for n, b in [('reasonCode=int', {'reasonCode': 1}),
                 ('reasonCode=lowercase', {'reasonCode': 'lower'}),
                 ('reasonCode=129', {'reasonCode': 'R' * 129}),
                 ('reasonCode=space', {'reasonCode': 'A B'}),
                 ('comment=int', {'comment': 1}),
                 ('comment=2029', {'comment': 'c' * 2029}),
                 ('comment=control', {'comment': 'a\u0001b'})]:
        out.append(Case('cancel-job/' + n, 'PUT', '/jobs/%s/cancel' % J1, b))
    for q in ('yes', 'TRUE', '1', ''):
        out.append(Case('cancel-job/force=%r' % q, 'PUT', '/jobs/%s/cancel?force=%s' % (J1, q), {}))
    cje = '/things/%s/jobs/%s/cancel' % (T2, J1)
    for n, b in [('expectedVersion=string', {'expectedVersion': '1'}),
                 ('expectedVersion=negative', {'expectedVersion': -1}),
                 ('expectedVersion=wrong', {'expectedVersion': 99}),
                 ('statusDetails=string', {'statusDetails': 'x'}),
                 ('statusDetails=11-pairs', {'statusDetails': {'k%d' % i: 'v' for i in range(11)}})]:
        out.append(Case('cancel-exec/' + n, 'PUT', cje, b))
    out.append(Case('cancel-exec/force=maybe', 'PUT', cje + '?force=maybe', {}))
    out.append(Case('cancel-exec/in-progress-without-force', 'PUT',
                    '/things/%s/jobs/%s/cancel' % (T1, J1), {}))
    at = {'targets': [A2]}
    for n, b in [('targets=string', mut(at, targets=A2)),
                 ('targets=empty', mut(at, targets=[])),
                 ('targets=[int]', mut(at, targets=[1])),
                 ('targets=101', mut(at, targets=[A2] * 101)),
                 ('comment=int', mut(at, comment=1))]:
        out.append(Case('associate/' + n, 'POST', '/jobs/%s/targets' % J2, b))
    out.append(Case('associate/snapshot-job', 'POST', '/jobs/%s/targets' % J1, at))
    tpl = {'description': 'd', 'document': '{"a":1}'}
    for n, b in [('description=missing', mut(tpl, description=DROP)),
                 ('description=int', mut(tpl, description=1)),
                 ('description=empty', mut(tpl, description='')),
                 ('document=int', mut(tpl, document=1)),
                 ('document=not-json', mut(tpl, document='x')),
                 ('document+jobArn', mut(tpl, jobArn=faultkit.ARN_PREFIX + 'job/' + J1)),
                 ('neither', mut(tpl, document=DROP)),
                 ('jobArn=int', mut(tpl, document=DROP, jobArn=1)),
                 ('jobArn=unknown', mut(tpl, document=DROP, jobArn=faultkit.ARN_PREFIX + 'job/nope')),
                 ('timeoutConfig=string', mut(tpl, timeoutConfig='x'))]:
        out.append(Case('create-template/' + n, 'PUT', '/job-templates/' + NEW_TPL, b))
    out.append(Case('create-template/exists', 'PUT', '/job-templates/' + TPL, tpl))
    return out


def query_and_path_cases():
    out = []
    # Deletes whose success would change the store.
    dje = '/things/%s/jobs/%s/executionNumber/' % (T2, J1)
    for n, tail in [('number=abc', 'abc?force=true'), ('number=-1', '-1?force=true'),
                    ('number=1.0', '1.0?force=true'), ('number=0', '0?force=true'),
                    ('number=2^64', '18446744073709551616?force=true'),
                    ('number=1e0', '1e0?force=true'), ('number=0x1', '0x1?force=true'),
                    ('number=+1', '+1?force=true'), ('number=space', '%201?force=true'),
                    ('number=empty', '?force=true'),
                    ('force=maybe', '1?force=maybe'), ('force=TRUE', '1?force=TRUE'),
                    ('force=1', '1?force=1'), ('namespaceId=pattern', '1?force=true&namespaceId=a!'),
                    ('queued-without-force', '1'), ('force=false', '1?force=false')]:
        out.append(Case('delete-exec/' + n, 'DELETE', dje + tail))
    for n, q in [('expectedVersion=abc', 'abc'), ('expectedVersion=-5', '-5'),
                 ('expectedVersion=1e3', '1e3'), ('expectedVersion=wrong', '99'),
                 ('expectedVersion=empty', ''), ('expectedVersion=2^63', '9223372036854775808')]:
        out.append(Case('delete-thing/' + n, 'DELETE', '/things/%s?expectedVersion=%s' % (T2, q)))
    out.append(Case('delete-group/expectedVersion=x', 'DELETE', '/thing-groups/%s?expectedVersion=x' % G1))
    for n, q in [('force=maybe', '?force=maybe'), ('in-progress-without-force', ''),
                 ('namespaceId=pattern', '?force=true&namespaceId=bad!')]:
        out.append(Case('delete-job/' + n, 'DELETE', '/jobs/' + J1 + q))
    out.append(Case('delete-template/unknown', 'DELETE', '/job-templates/hx-nope'))

    # Read-only operations with bad query parameters.
    reads = [
        ('list-things/maxResults=0', '/things?maxResults=0'),
        ('list-things/maxResults=-1', '/things?maxResults=-1'),
        ('list-things/maxResults=251', '/things?maxResults=251'),
        ('list-things/maxResults=abc', '/things?maxResults=abc'),
        ('list-things/maxResults=huge', '/things?maxResults=99999999999999999999999'),
        ('list-things/maxResults=float', '/things?maxResults=1.5'),
        ('list-things/maxResults=empty', '/things?maxResults='),
        ('list-things/nextToken=garbage', '/things?nextToken=garbage'),
        ('list-things/nextToken=forged-hex', '/things?nextToken=' + '0' * 24 + '74207a7a'),
        ('list-things/usePrefixAttributeValue=maybe', '/things?usePrefixAttributeValue=maybe'),
        ('list-jobs/status=unknown', '/jobs?status=NOPE'),
        ('list-jobs/status=lowercase', '/jobs?status=in_progress'),
        ('list-jobs/targetSelection=unknown', '/jobs?targetSelection=NOPE'),
        ('list-jobs/maxResults=0', '/jobs?maxResults=0'),
        ('list-jobs/nextToken=other-kind', None),   # filled in at run time
        ('list-exec-job/status=unknown', '/jobs/%s/things?status=NOPE' % J1),
        ('list-exec-job/status=REMOVED-lowercase', '/jobs/%s/things?status=removed' % J1),
        ('list-exec-job/maxResults=251', '/jobs/%s/things?maxResults=251' % J1),
        ('list-exec-job/unknown-job', '/jobs/hx-nope/things'),
        ('list-exec-thing/status=unknown', '/things/%s/jobs?status=NOPE' % T1),
        ('list-exec-thing/namespaceId=pattern', '/things/%s/jobs?namespaceId=bad!' % T1),
        ('list-groups/recursive=maybe', '/thing-groups?recursive=maybe'),
        ('list-groups/parentGroup=unknown', '/thing-groups?parentGroup=hx-nope'),
        ('list-groups/namePrefixFilter=pattern', '/thing-groups?namePrefixFilter=bad!'),
        ('list-members/recursive=yes', '/thing-groups/%s/things?recursive=yes' % G1),
        ('list-members/unknown-group', '/thing-groups/hx-nope/things'),
        ('describe-exec/executionNumber=-1', '/things/%s/jobs/%s?executionNumber=-1' % (T1, J1)),
        ('describe-exec/executionNumber=abc', '/things/%s/jobs/%s?executionNumber=abc' % (T1, J1)),
        ('describe-exec/executionNumber=0', '/things/%s/jobs/%s?executionNumber=0' % (T1, J1)),
        ('describe-exec/jobId=$next', '/things/%s/jobs/$next' % T1),
        ('describe-job/unknown', '/jobs/hx-nope'),
        ('describe-job/id-65', '/jobs/' + 'j' * 65),
        ('describe-thing/name-129', '/things/' + 't' * 129),
        ('job-document/beforeSubstitution=maybe', '/jobs/%s/job-document?beforeSubstitution=maybe' % J1),
        ('list-templates/maxResults=0', '/job-templates?maxResults=0'),
        ('describe-template/unknown', '/job-templates/hx-nope'),
    ]
    for n, p in reads:
        if p is not None:
            out.append(Case(n, 'GET', p))
    for n, p in [('dev-describe/includeJobDocument=maybe', '/things/%s/jobs/%s?includeJobDocument=maybe' % (T1, J1)),
                 ('dev-describe/executionNumber=abc', '/things/%s/jobs/%s?executionNumber=abc' % (T1, J1)),
                 ('dev-describe/unknown-job', '/things/%s/jobs/hx-nope' % T1),
                 ('dev-describe/job-id-pattern', '/things/%s/jobs/bad!' % T1),
                 ('dev-pending/thing-pattern', '/things/bad!/jobs')]:
        out.append(Case(n, 'GET', p, plane='data'))

    # Bad percent-encoding, NUL bytes and non-UTF-8 in the path and query.
    for n, p in [('pct/lone', '/things/%'), ('pct/one-digit', '/things/%4'),
                 ('pct/non-hex', '/things/%G0'), ('pct/zz', '/things/%zz'),
                 ('pct/trailing', '/things/a%'), ('pct/double', '/things/%%'),
                 ('pct/u-escape', '/things/%u0041'), ('pct/in-query-value', '/things?maxResults=%'),
                 ('pct/in-query-key', '/things?%=1'), ('pct/query-zz', '/things?maxResults=%zz'),
                 ('pct/in-route-word', '/thing%s' % '%7'),
                 ('nul/path', '/things/a%00b'), ('nul/path-only', '/things/%00'),
                 ('nul/query-value', '/things?nextToken=%00'), ('nul/query-key', '/things?%00=1'),
                 ('nul/job-id', '/jobs/%00'), ('nul/route-word', '/th%00ings'),
                 ('utf8/ff', '/things/%FF'), ('utf8/overlong', '/things/%C0%AF'),
                 ('utf8/surrogate', '/things/%ED%A0%80'), ('utf8/fe-ff', '/jobs/%FE%FF'),
                 ('utf8/valid-non-ascii', '/things/%C3%A4'),
                 ('utf8/query-value', '/jobs?status=%FF')]:
        out.append(Case(n, 'GET', p))
    # Invalid UTF-8 that a validation message might echo back: the error body must stay
    # valid UTF-8 JSON (x-amzn-ErrorType alone is not enough for an SDK to read it).
    for n, m, p in [('echo/query-enum-ff', 'GET', '/jobs?targetSelection=%FF'),
                    ('echo/query-long-ff', 'GET', '/things?maxResults=%FF'),
                    ('echo/query-long-c3', 'GET', '/things/%s/jobs/%s?executionNumber=%%C3' % (T1, J1)),
                    ('echo/query-bool-ff', 'DELETE', '/jobs/%s?force=%%FF' % J1),
                    ('echo/query-bool-recursive', 'GET', '/thing-groups?recursive=%FE'),
                    ('echo/path-number-ff', 'DELETE', '/things/%s/jobs/%s/executionNumber/%%FF?force=true' % (T2, J1)),
                    ('echo/query-enum-cut-at-64', 'GET', '/jobs?status=a' + '%C3%A4' * 40),
                    ('echo/query-control', 'GET', '/jobs?status=%01%1F'),
                    ('echo/query-quote-backslash', 'GET', '/jobs?status=%22%5C')]:
        out.append(Case(n, m, p))
    out.append(Case('echo/body-enum-cut-at-64', 'PUT', '/jobs/' + NEW_JOB,
                    mut(CJ, targetSelection='a' + '\u00e4' * 40)))
    # Same for writes, so that acceptance would show in the snapshot.
    for n, p in [('pct/create-thing', '/things/hx-%zz'), ('nul/create-thing', '/things/hx-new%00'),
                 ('utf8/create-thing', '/things/hx-%FF'), ('pct/create-thing-trailing', '/things/hx-new%')]:
        out.append(Case(n, 'POST', p, {}))
    out.append(Case('nul/update-exec', 'POST', '/things/%s/jobs/%s%%00' % (T1, J1), UPD, plane='data'))

    # Path traversal and odd segments. Deletes would be destructive if normalised.
    for n, m, p in [
            ('traversal/dotdot', 'GET', '/things/..'),
            ('traversal/dotdot-jobs', 'GET', '/things/../jobs'),
            ('traversal/encoded-dotdot', 'GET', '/things/%2e%2e'),
            ('traversal/encoded-slash', 'GET', '/things/..%2fjobs'),
            ('traversal/etc-passwd', 'GET', '/%2e%2e/%2e%2e/etc/passwd'),
            ('traversal/plain-etc-passwd', 'GET', '/../../etc/passwd'),
            ('traversal/double-slash-start', 'GET', '//things'),
            ('traversal/double-slash-mid', 'GET', '/things//jobs'),
            ('traversal/dot-start', 'GET', '/./things'),
            ('traversal/dot-mid', 'GET', '/things/./' + T1),
            ('traversal/trailing-slash', 'GET', '/things/%s/' % T1),
            ('traversal/backslash', 'GET', '/things\\..\\jobs'),
            ('traversal/delete-job-via-dotdot', 'DELETE', '/things/%s/../../jobs/%s?force=true' % (T2, J1)),
            ('traversal/delete-thing-via-dot', 'DELETE', '/things/./%s' % T2),
            ('traversal/delete-thing-via-encoded-dotdot', 'DELETE', '/jobs/%%2e%%2e/things/%s' % T2),
            ('traversal/delete-exec-via-dotdot', 'DELETE',
             '/things/%s/jobs/%s/executionNumber/1/../1?force=true' % (T2, J1)),
            ('segments/17', 'GET', '/things' + '/a' * 16),
            ('segments/100', 'GET', '/' + '/'.join(['x'] * 100)),
            ('route/unknown', 'GET', '/nope'),
            ('route/root', 'GET', '/'),
            ('route/rig-unknown', 'POST', '/_jobsd/nope'),
            ('route/empty-label', 'GET', '/things//jobs/' + J1),
            ('route/delete-exec-no-number', 'DELETE', '/things/%s/jobs/%s/executionNumber' % (T2, J1)),
            ('route/no-leading-slash', 'GET', 'things'),
            ('route/asterisk', 'GET', '*'),
            ('route/absolute-uri', 'GET', 'http://127.0.0.1/things/' + T1),
            ('route/fragment', 'GET', '/things/%s#frag' % T1)]:
        out.append(Case(n, m, p))

    # Methods.
    for n, m, p in [('method/FOO', 'FOO', '/things'), ('method/lowercase-get', 'get', '/things'),
                    ('method/PROPFIND', 'PROPFIND', '/things'), ('method/TRACE', 'TRACE', '/things'),
                    ('method/OPTIONS', 'OPTIONS', '/things'), ('method/PATCH-list', 'PATCH', '/things'),
                    ('method/DELETE-list', 'DELETE', '/things'), ('method/PUT-thing', 'PUT', '/things/' + T1),
                    ('method/POST-job', 'POST', '/jobs/' + J1), ('method/GET-cancel', 'GET', '/jobs/%s/cancel' % J1),
                    ('method/POST-reset-GET', 'GET', '/_jobsd/reset'),
                    ('method/very-long', 'X' * 1000, '/things')]:
        out.append(Case(n, m, p, {} if m in ('PATCH', 'PUT', 'POST') else None))
    out.append(Case('method/HEAD-thing', 'HEAD', '/things/' + T1))
    for n, m, p in [('plane/control-op-on-data', 'PUT', '/jobs/' + NEW_JOB),
                    ('plane/create-thing-on-data', 'POST', '/things/' + NEW_THING),
                    ('plane/dev-update-wrong-method', 'PATCH', '/things/%s/jobs/%s' % (T1, J1))]:
        out.append(Case(n, m, p, CJ if 'jobs/' + NEW_JOB in p else {}, plane='data'))
    out.append(Case('plane/dev-update-on-control', 'POST', '/things/%s/jobs/%s' % (T1, J1), UPD))

    # Authorization headers that do not fit.
    cred = 'AWS4-HMAC-SHA256 Credential=AKID/20260101/%s/%s/aws4_request, SignedHeaders=host, Signature=0'
    for n, region, service in [('auth/service-s3', 'us-east-1', 's3'),
                               ('auth/service-empty-ish', 'us-east-1', 'x'),
                               ('auth/region-injection', 'us-east-1;drop', 'iot'),
                               ('auth/region-slash-dot', '..', 'iot'),
                               ('auth/region-uppercase', 'US-EAST-1', 'iot'),
                               ('auth/region-quote', 'us"east', 'iot')]:
        out.append(Case(n, 'POST', '/things/' + NEW_THING, {},
                        headers=[('Authorization', cred % (region, service))]))

    # Duplicate and excessive query parameters.
    out.append(Case('query/duplicate-first-invalid', 'GET', '/things?maxResults=0&maxResults=5'))
    out.append(Case('query/duplicate-force-first-invalid', 'DELETE', '/jobs/%s?force=maybe&force=true' % J1))
    out.append(Case('query/duplicate-force-first-false', 'DELETE', dje + '1?force=false&force=true'))
    out.append(Case('query/33-params', 'GET', '/things?' + '&'.join('p%d=1' % i for i in range(33))))
    out.append(Case('query/1000-params', 'GET', '/things?' + '&'.join('p%d=1' % i for i in range(1000))))
    out.append(Case('query/1000-params-write', 'POST', '/things/%s?%s' % (
        NEW_THING, '&'.join('p%d=1' % i for i in range(1000))), {}))
    out.append(Case('query/500-params', 'GET', '/things?' + '&'.join('p%d=1' % i for i in range(500))))
    out.append(Case('query/3000-ampersands', 'GET', '/things?' + '&' * 3000))
    out.append(Case('query/1000-same-param', 'DELETE', '/jobs/%s?%s' % (J1, '&'.join(['force=x'] * 1000))))

    # Over-long URIs that still fit libmicrohttpd's buffer: jobsd's own 8192-byte limit.
    out.append(Case('uri/8193-bytes', 'GET', '/things/' + 'a' * (8193 - len('/things/'))))
    out.append(Case('uri/8193-bytes-write', 'POST', '/things/' + 'a' * (8193 - len('/things/')), {}))
    out.append(Case('uri/16k-query', 'GET', '/things?nextToken=' + 'a' * 16000))
    out.append(Case('uri/30k', 'GET', '/jobs/' + 'j' * 30000))
    return out


def body_size_cases():
    """Honest but oversized bodies: 413 RequestEntityTooLargeException."""
    big = json.dumps({'targets': [A1], 'document': '{}', 'description': 'x' * (256 * 1024)})
    exact = b'{"description":"' + b'x' * (256 * 1024 + 1 - 18) + b'"}'
    assert len(exact) == 256 * 1024 + 1
    return [
        Case('size/create-job-300k', 'PUT', '/jobs/' + NEW_JOB, big),
        Case('size/limit-plus-one', 'POST', '/things/' + NEW_THING, exact),
        Case('size/update-exec-1m', 'POST', '/things/%s/jobs/%s' % (T1, J1),
             b'{"status":"IN_PROGRESS","x":"' + b'y' * (1024 * 1024) + b'"}', plane='data'),
    ]


ALL_CASES = None


def all_cases():
    global ALL_CASES
    if ALL_CASES is None:
        ALL_CASES = (bad_json_cases() + wrong_member_cases() + query_and_path_cases()
                     + body_size_cases())
    return ALL_CASES


# ---------------------------------------------------------------------------------------

class HostileBase(unittest.TestCase):
    """One jobsd and one fixture world for the class; the store must never change."""

    jobsd = None
    before = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jobsd = harness.Jobsd()
        try:
            cls.jobsd.start()
            cls.build_world()
            cls.before = faultkit.snapshot(cls.jobsd)
        except Exception:
            cls.jobsd.close()
            raise
        cls.hp = {'control': faultkit.hostport(cls.jobsd.control_url),
                  'data': faultkit.hostport(cls.jobsd.data_url)}

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.jobsd is not None:
                cls.jobsd.close()
        finally:
            super().tearDownClass()

    @classmethod
    def build_world(cls):
        iot, data = cls.jobsd.iot(), cls.jobsd.jobs_data()
        iot.create_thing(thingName=T1, attributePayload={'attributes': {'model': 'm1'}})
        iot.create_thing(thingName=T2)
        iot.create_thing(thingName=T3)
        iot.create_thing_group(thingGroupName=G1)
        iot.add_thing_to_thing_group(thingGroupName=G1, thingName=T1)
        iot.create_job(jobId=J1, targets=[A1, A2], document='{"op":"one"}', description='fixture')
        data.update_job_execution(jobId=J1, thingName=T1, status='IN_PROGRESS',
                                  statusDetails={'step': '1'})
        iot.create_job(jobId=J2, targets=[group_arn(G1)], document='{"op":"two"}',
                       targetSelection='CONTINUOUS')
        iot.create_job_template(jobTemplateId=TPL, description='tpl', document='{"op":"t"}')

    # -- checks --------------------------------------------------------------------------

    def send(self, case, timeout=5.0):
        head = case.method == 'HEAD'
        return exchange(self.hp[case.plane], case.request(), timeout=timeout, expect=1, head=head)

    def assertAwsError(self, outcome, what, statuses=range(400, 500)):
        r = outcome.first
        problem = faultkit.aws_error_problem(r, statuses)
        if problem is not None:
            self.fail('%s: %s\noutcome: %r' % (what, problem, outcome))
        return r

    def assertServing(self):
        self.assertTrue(self.jobsd.running(), 'jobsd died:\n' + self.jobsd.log_tail())
        d = self.jobsd.iot().describe_thing(thingName=T1)
        self.assertEqual(d['thingName'], T1)
        d = self.jobsd.jobs_data().describe_job_execution(jobId=J1, thingName=T1)
        self.assertEqual(d['execution']['status'], 'IN_PROGRESS')

    def assertStoreUnchanged(self):
        self.assertServing()
        after = faultkit.snapshot(self.jobsd)
        if after != self.before:
            self.fail('the store changed:\n' + faultkit.diff_snapshots(self.before, after))

    def run_cases(self, cases):
        for c in cases:
            with self.subTest(c.name):
                o = self.send(c)
                self.assertAwsError(o, '%s %s %s' % (c.plane, c.method, c.path[:120]))
        self.assertStoreUnchanged()


class TestHostileRequests(HostileBase):
    """Well-formed HTTP carrying malformed operations: always a 4xx with x-amzn-ErrorType."""

    def test_case_names_are_distinct_and_many(self):
        names = [c.name for c in all_cases()]
        dups = sorted({n for n in names if names.count(n) > 1})
        self.assertEqual(dups, [])
        # plus the transport-level cases of TestTransportGarbage and the strict-HTTP cases
        self.assertGreaterEqual(len(names), 200)

    def test_bad_json(self):
        self.run_cases(bad_json_cases())

    def test_wrong_members(self):
        self.run_cases(wrong_member_cases())

    def test_query_path_method(self):
        self.run_cases(query_and_path_cases())

    def test_next_token_of_another_list(self):
        # A genuine ListThings token handed to ListJobs: 400, not a crash or a leak.
        r = self.jobsd.iot().list_things(maxResults=1)
        tok = r['nextToken']
        o = self.send(Case('x', 'GET', '/jobs?nextToken=' + tok))
        self.assertAwsError(o, 'foreign nextToken', statuses=(400,))
        # Flip one hex digit of the MAC.
        bad = ('0' if tok[0] != '0' else '1') + tok[1:]
        o = self.send(Case('x', 'GET', '/things?nextToken=' + bad))
        self.assertAwsError(o, 'forged nextToken', statuses=(400,))
        self.assertStoreUnchanged()

    def test_oversized_bodies(self):
        for c in body_size_cases():
            with self.subTest(c.name):
                o = self.send(c, timeout=15)
                self.assertAwsError(o, c.name, statuses=(413,))
        self.assertStoreUnchanged()

    def test_content_length_over_limit_is_refused_before_the_body(self):
        # Declares 300000 bytes and sends none: the 413 must come at once, not after a wait.
        for name, cl in [('300000', '300000'), ('limit+1', str(256 * 1024 + 1)),
                         ('int64-max', str(2 ** 63 - 1))]:
            with self.subTest(name):
                req = build_request('POST', '/things/' + NEW_THING, None, content_length=cl)
                t0 = time.monotonic()
                o = exchange(self.hp['control'], req, timeout=5, expect=1)
                self.assertLess(time.monotonic() - t0, 3)
                self.assertAwsError(o, 'Content-Length ' + cl, statuses=(413,))
        # Expect: 100-continue with a large body: refused without asking for the body.
        req = build_request('PUT', '/jobs/' + NEW_JOB, None, content_length='999999',
                            headers=[('Expect', '100-continue')])
        o = exchange(self.hp['control'], req, timeout=5, expect=1)
        self.assertAwsError(o, 'Expect: 100-continue', statuses=(413,))
        self.assertStoreUnchanged()

    def test_chunked_body_over_limit(self):
        # No Content-Length: the limit must hold for a chunked body too.
        chunk = b'x' * 65536
        body = b'{"description":"'
        payload = b''.join(b'%x\r\n%s\r\n' % (len(p), p) for p in
                           [body] + [chunk] * 5 + [b'"}']) + b'0\r\n\r\n'
        req = build_request('POST', '/things/' + NEW_THING, None, content_length=False,
                            headers=[('Transfer-Encoding', 'chunked')]) + payload
        o = exchange(self.hp['control'], req, timeout=10, expect=1)
        self.assertAwsError(o, 'chunked 320 KiB', statuses=(413,))
        # A small chunked body with a bad member is an ordinary 400.
        small = b'{"attributePayload":"x"}'
        req = build_request('POST', '/things/' + NEW_THING, None, content_length=False,
                            headers=[('Transfer-Encoding', 'chunked')]) + \
            b'%x\r\n%s\r\n0\r\n\r\n' % (len(small), small)
        o = exchange(self.hp['control'], req, timeout=10, expect=1)
        self.assertAwsError(o, 'chunked small', statuses=(400,))
        self.assertStoreUnchanged()

    def test_content_length_lies(self):
        hp = self.hp['control']
        # Shorter than the body: jobsd reads 5 bytes ('{"att', invalid JSON) -> 400; the rest
        # is a second "request" of garbage -> 400 from libmicrohttpd or a closed connection.
        body = b'{"attributePayload":"x"}'
        req = build_request('POST', '/things/' + NEW_THING, body, content_length='5', close=False)
        o = exchange(hp, req, timeout=5, expect=2)
        self.assertAwsError(o, 'Content-Length shorter than the body', statuses=(400,))
        for extra in o.responses[1:]:
            self.assertEqual(extra.status, 400, 'garbage after the declared body: %r' % o)
        # Longer than the body, then the client half-closes: no request was complete, so no
        # write may happen. Accepted: a closed connection (no response), or a 400.
        req = build_request('POST', '/things/' + NEW_THING, b'{}', content_length='1000')
        o = exchange(hp, req, timeout=5, half_close=True)
        self.assertTrue(o.closed or o.timed_out, o)
        for r in o.responses:
            self.assertEqual(r.status, 400, o)
        # Longer than the body and the client just waits: nothing is answered within 1 s
        # (jobsd waits for the rest of the body, up to its 60 s idle timeout), nothing is
        # written, and others are served meanwhile.
        s = socket.create_connection(hp, timeout=5)
        try:
            s.sendall(build_request('POST', '/things/' + NEW_THING, b'{}', content_length='100',
                                    close=False))
            self.assertServing()
            s.settimeout(1.0)
            try:
                got = s.recv(1024)
            except socket.timeout:
                got = None
            self.assertIn(got, (None, b''), 'an answer to an incomplete body: %r' % got)
        finally:
            s.close()
        self.assertStoreUnchanged()

    def test_pipelined_malformed_requests_on_one_connection(self):
        # Three malformed requests back to back on one keep-alive connection: three 4xx with
        # x-amzn-ErrorType, in order.
        reqs = [build_request('POST', '/things/%s/jobs/%s' % (T1, J1), b'{', close=False),
                build_request('POST', '/things/%s/jobs/%s' % (T1, J1), {'status': 'DONE'},
                              close=False),
                build_request('GET', '/things/%s/jobs/%s?executionNumber=abc' % (T1, J1),
                              close=True)]
        o = exchange(self.hp['data'], b''.join(reqs), timeout=5, expect=3)
        self.assertEqual(len(o.responses), 3, o)
        for r in o.responses:
            self.assertIsNone(faultkit.aws_error_problem(r, (400,)), r)
        self.assertStoreUnchanged()

    def test_pipelined_garbage_after_a_valid_request(self):
        # A valid describe, then garbage: the describe is answered (200), then the garbage
        # gets a 400 (libmicrohttpd's, no x-amzn-ErrorType) or the connection is closed.
        for name, garbage in [('words', b'GARBAGE GARBAGE\r\n\r\n'),
                              ('binary', b'\x01\x02\x03 \x04\x05 \x06\r\n\r\n'),
                              ('half-request', b'POST /things/hx-new-thing HTTP/1.1\r\nContent-Le'),
                              ('json', b'{"status":"IN_PROGRESS"}\r\n\r\n')]:
            with self.subTest(name):
                req = build_request('GET', '/things/' + T1, close=False) + garbage
                o = exchange(self.hp['control'], req, timeout=3, expect=2, half_close=True)
                self.assertGreaterEqual(len(o.responses), 1, o)
                self.assertEqual(o.responses[0].status, 200, o)
                for r in o.responses[1:]:
                    self.assertEqual(r.status, 400, o)
        self.assertStoreUnchanged()

    def test_duplicate_query_parameter_first_counts(self):
        # Documented (behaviour.md): the first occurrence counts. A valid first value wins
        # over an invalid second one.
        o = self.send(Case('x', 'GET', '/things?maxResults=1&maxResults=abc'))
        self.assertEqual(o.first.status, 200, o)
        self.assertEqual(len(o.first.json()['things']), 1)
        self.assertStoreUnchanged()

    def test_query_parameter_count_boundary(self):
        # 32 parameters (unknown ones are ignored) is the limit and still served.
        o = self.send(Case('x', 'GET', '/things?' + '&'.join('p%d=1' % i for i in range(32))))
        self.assertEqual(o.first.status, 200, o)
        o = self.send(Case('x', 'GET', '/things?' + '&'.join('p%d=1' % i for i in range(33))))
        self.assertAwsError(o, '33 parameters', statuses=(400,))

    @unittest.skipIf(os.environ.get('JOBSD_SANITIZED') == '1',
                     "ASan's quarantine keeps freed memory resident (it grew 57 MB over these "
                     "requests in CI); the plain build measures RSS, LeakSanitizer covers this one")
    def test_no_memory_growth_from_requests_libmicrohttpd_refuses(self):
        # Requests whose query string overflows libmicrohttpd's per-connection memory
        # (500 parameters, 3.5 KB), each dropped by the client at once. A request context
        # allocated for the URI and never freed would show as ~10 KB per request: ~45 MB
        # over the 4500 measured here. With many threads, glibc's arenas make
        # RSS move by a few MB either way between rounds (seen: -2.3 to +3.5 MB per 1500
        # requests), so the pools are warmed with both kinds first and the bound is 8 MB.
        def rss_kb():
            with open('/proc/%d/status' % self.jobsd.proc.pid) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        return int(line.split()[1])

        def blast(req, n=1500):
            for _ in range(n):
                s = socket.create_connection(self.hp['control'], timeout=5)
                try:
                    s.sendall(req)
                finally:
                    s.close()
            self.assertServing()        # also lets the server catch up
            time.sleep(0.5)

        q_bad = '&'.join('p%d=1' % i for i in range(500))
        q_ok = 'p=' + 'a' * (len(q_bad) - 2)
        blast(build_request('GET', '/things?' + q_ok))      # warm up the pools
        blast(build_request('GET', '/things?' + q_bad))
        r0 = rss_kb()
        for _ in range(3):
            blast(build_request('GET', '/things?' + q_bad))
        grew = rss_kb() - r0
        self.assertLess(grew, 8192,
                        'RSS grew %d KiB over 4500 refused requests' % grew)
        self.assertStoreUnchanged()

    def test_regression_query_of_thousands_of_pieces_hung_the_client(self):
        # libmicrohttpd stores one record per '&' piece in its per-connection pool; 4000
        # pieces in a 8 KB target (and 20,000 in a 40 KB one) ran it out and the client
        # never got an answer. Both are now a clean 400 at once.
        for n, what in ((4000, '4000 pieces, within the URI limit'),
                        (20000, '20,000 pieces, over the URI limit')):
            with self.subTest(what):
                o = self.send(Case('x', 'GET', '/things?' + '&'.join(['a'] * n)), timeout=3)
                self.assertAwsError(o, what, statuses=(400,))
        self.assertStoreUnchanged()

    def test_uri_length_boundary(self):
        # 8192 bytes is served (a 404 for an unknown thing name would do, but the name is
        # also over 128 characters, so a 400 naming thingName); 8193 is "URI malformed".
        o = self.send(Case('x', 'GET', '/things?p=' + 'a' * (8192 - len('/things?p='))))
        self.assertEqual(o.first.status, 200, o)
        o = self.send(Case('x', 'GET', '/things?p=' + 'a' * (8193 - len('/things?p='))))
        self.assertAwsError(o, '8193-byte URI', statuses=(400,))


class TestTransportGarbage(HostileBase):
    """Bytes that are not (acceptable) HTTP. What is accepted is stated per case: an AWS
    error, a plain 4xx/505 from libmicrohttpd (no x-amzn-ErrorType: jobsd never sees the
    request), a closed connection, or -- only where the bytes never complete a request
    line -- a connection that stays open waiting for more (jobsd's 60 s idle timeout)."""

    # accept: set of 'aws' (4xx with x-amzn-ErrorType), ints (plain status from
    # libmicrohttpd), CLOSE, 'pending'
    CASES = [
        # (name, bytes, half_close, accept)
        ('http09/no-version', b'GET /things\r\n\r\n', False, {400, CLOSE}),
        ('http09/no-version-no-blank-line', b'GET /things\r\n', True, {400, CLOSE}),
        ('version/2.0', b'GET /things HTTP/2.0\r\nHost: x\r\n\r\n', False, {400, 505, CLOSE}),
        ('version/h2-preface', b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', False, {400, 505, CLOSE}),
        ('version/FOO', b'GET /things FOO/1.1\r\nHost: x\r\n\r\n', False, {400, CLOSE}),
        ('version/HTTP/9.9', b'GET /things HTTP/9.9\r\nHost: x\r\n\r\n', False, {400, 505, CLOSE}),
        ('version/lowercase', b'GET /things http/1.1\r\nHost: x\r\n\r\n', False, {400, CLOSE}),
        ('request-line/no-uri', b'GET  HTTP/1.1\r\nHost: x\r\n\r\n', False, {400, AWS, CLOSE}),
        ('request-line/empty-method', b' /things HTTP/1.1\r\nHost: x\r\n\r\n', False, {400, CLOSE}),
        ('request-line/only-method', b'GET\r\n\r\n', False, {400, CLOSE}),
        ('header/no-colon', b'GET /things HTTP/1.1\r\nHost: x\r\nBadHeader\r\n\r\n', False, {400, CLOSE}),
        ('binary/with-newlines', bytes(range(1, 256)) + b'\r\n\r\n', True, {400, CLOSE}),
        ('binary/words', b'\x01\x02 garbage \x03\r\n\r\n', False, {400, CLOSE}),
        ('binary/tls-client-hello', bytes.fromhex('16030100a5010000a10303') + bytes(32), False,
         {400, CLOSE, 'pending'}),
        ('binary/ssh-banner', b'SSH-2.0-OpenSSH_9.0\r\n', False, {400, CLOSE, 'pending'}),
        ('content-length/negative', build_request('POST', '/things/' + NEW_THING, b'{}', content_length='-1'),
         False, {400, CLOSE}),
        ('content-length/letters', build_request('POST', '/things/' + NEW_THING, b'{}', content_length='abc'),
         False, {400, CLOSE}),
        ('content-length/two-numbers', build_request('POST', '/things/' + NEW_THING, b'{}', content_length='2 3'),
         False, {400, CLOSE}),
        ('content-length/plus', build_request('POST', '/things/' + NEW_THING, b'{}', content_length='+2'),
         False, {400, CLOSE}),
        ('content-length/list', build_request('POST', '/things/' + NEW_THING, b'{}', content_length='2, 2'),
         False, {400, CLOSE}),
        ('content-length/2^70', build_request('POST', '/things/' + NEW_THING, b'{}',
                                              content_length=str(2 ** 70)), False, {400, 413, AWS, CLOSE}),
        ('chunked/bad-size', build_request('POST', '/things/' + NEW_THING, None, content_length=False,
                                           headers=[('Transfer-Encoding', 'chunked')]) + b'zz\r\n{}\r\n0\r\n\r\n',
         False, {400, CLOSE}),
        ('chunked/huge-size', build_request('POST', '/things/' + NEW_THING, None, content_length=False,
                                            headers=[('Transfer-Encoding', 'chunked')])
         + b'ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n', False, {400, 413, AWS, CLOSE}),
        # libmicrohttpd 0.9.75 sometimes (about 1 in 4) misses the FIN that follows an
        # incomplete chunked body and keeps the connection until the 60 s idle timeout;
        # accepted here ('pending'), noted in the report.
        ('chunked/no-terminator-then-eof', build_request('POST', '/things/' + NEW_THING, None, content_length=False,
                                                         headers=[('Transfer-Encoding', 'chunked')])
         + b'2\r\n{}\r\n', True, {400, CLOSE, 'pending'}),
        ('headers/one-100k-header', build_request('GET', '/things', headers=[('X-Big', 'a' * 100000)]),
         False, {400, 413, 431, AWS, CLOSE}),
        ('headers/5000-headers', build_request('GET', '/things', headers=[('X-H%d' % i, 'v') for i in range(5000)]),
         False, {400, 413, 431, AWS, CLOSE}),
        ('headers/100k-name', build_request('GET', '/things', headers=[('X' * 100000, 'v')]),
         False, {400, 413, 431, AWS, CLOSE}),
        ('request-line/70k', build_request('GET', '/things/' + 'a' * 70000), False, {400, 414, AWS, CLOSE}),
        ('request-line/70k-write', build_request('POST', '/things/' + 'a' * 70000, b'{}'), False,
         {400, 414, AWS, CLOSE}),
    ]

    def test_transport_garbage(self):
        for name, data, half_close, accept in self.CASES:
            with self.subTest(name):
                o = exchange(self.hp['control'], data, timeout=3, half_close=half_close, expect=1)
                self.check_accept(o, accept)
        self.assertStoreUnchanged()

    def check_accept(self, o, accept):
        if o.responses:
            r = o.responses[0]
            if AWS in accept and faultkit.aws_error_problem(r) is None:
                return
            self.assertIn(r.status, accept, 'unexpected response: %r' % o)
            return
        if o.closed:
            self.assertIn(CLOSE, accept, 'closed without a response: %r' % o)
            return
        self.assertIn('pending', accept,
                      'no response and the connection is still open after 3 s: %r' % o)

    def test_many_garbage_connections_do_not_hurt_others(self):
        # 50 connections of binary garbage left open, then normal traffic must still flow.
        socks = []
        try:
            for i in range(50):
                s = socket.create_connection(self.hp['control'], timeout=5)
                s.sendall(bytes([i % 256]) * 100)
                socks.append(s)
            for _ in range(10):
                t0 = time.monotonic()
                self.assertServing()
                self.assertLess(time.monotonic() - t0, 2.0)
        finally:
            for s in socks:
                s.close()
        self.assertStoreUnchanged()


class TestSlowloris(HostileBase):
    """Slow clients never starve others. The 60 s idle timeout is never waited for."""

    def test_slow_headers_while_others_are_served(self):
        n_slow = 12                     # 3x the worker pool
        req = build_request('POST', '/things/%s/jobs/%s' % (T1, J1), {'status': 'DONE'},
                            close=True)
        stop = threading.Event()
        results = [None] * n_slow
        errors = []

        def slow(i, finish):
            try:
                s = socket.create_connection(self.hp['data'], timeout=10)
                try:
                    sent = 0
                    limit = len(req) if finish else len(req) - 6
                    while sent < limit and not stop.is_set():
                        s.sendall(req[sent:sent + 1])
                        sent += 1
                        time.sleep(0.005 if finish else 0.05)
                    if finish:
                        buf = b''
                        while True:
                            d = s.recv(65536)
                            if not d:
                                break
                            buf += d
                        results[i] = faultkit.parse_responses(buf)[0]
                    else:
                        stop.wait(10)
                finally:
                    s.close()
            except Exception as e:      # reported below
                errors.append((i, repr(e)))

        threads = [threading.Thread(target=slow, args=(i, i == 0), daemon=True)
                   for i in range(n_slow)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            # While 11 connections trickle bytes and one finishes slowly, others are served.
            worst = 0.0
            for _ in range(20):
                t0 = time.monotonic()
                self.assertServing()
                worst = max(worst, time.monotonic() - t0)
            self.assertLess(worst, 2.0, 'a describe took %.2f s during slowloris' % worst)
            threads[0].join(15)
            self.assertFalse(threads[0].is_alive(), 'the slow complete request got no answer')
        finally:
            stop.set()
            for t in threads:
                t.join(15)
        self.assertEqual(errors, [])
        # The request that arrived a byte at a time was parsed like any other.
        self.assertEqual(len(results[0]), 1, results[0])
        self.assertIsNone(faultkit.aws_error_problem(results[0][0], (400,)), results[0])
        self.assertStoreUnchanged()

    def test_slow_body(self):
        # Headers at once, then a 2-byte-per-100 ms body: answered normally at the end.
        body = b'{"status":"DONE","statusDetails":{"k":"v"}}'
        head = build_request('POST', '/things/%s/jobs/%s' % (T1, J1), None,
                             content_length=str(len(body)))
        chunks = [head] + [body[i:i + 2] for i in range(0, len(body), 2)]
        o = exchange(self.hp['data'], None, timeout=10, expect=1, chunks=chunks,
                     chunk_delay=0.05)
        self.assertIsNone(faultkit.aws_error_problem(o.first, (400,)), o)
        self.assertStoreUnchanged()

    def test_many_idle_connections(self):
        # 200 connections that never send anything; normal traffic still flows.
        socks = []
        try:
            for _ in range(200):
                socks.append(socket.create_connection(self.hp['control'], timeout=5))
            t0 = time.monotonic()
            for _ in range(10):
                self.assertServing()
            self.assertLess(time.monotonic() - t0, 5.0)
        finally:
            for s in socks:
                s.close()
        self.assertStoreUnchanged()


class TestStrictHttpFraming(HostileBase):
    """RFC 9110/9112 MUST-level rules about message framing and header syntax. Lenient
    parsing here is what request smuggling and path confusion are built on. Each case names
    the rule. Kept apart from the other tests so the lead can judge them on their own."""

    def test_raw_nul_in_request_target(self):
        # A raw NUL byte inside the request target (not %00). Must be a 400 (or a closed
        # connection), and must never act on the prefix before the NUL.
        req = build_request('POST', b'/things/hx-nul\x00suffix', b'{}')
        o = exchange(self.hp['control'], req, timeout=3, expect=1)
        created = None
        try:
            created = self.jobsd.iot().describe_thing(thingName='hx-nul')
            self.jobsd.iot().delete_thing(thingName='hx-nul')   # keep the world intact
        except Exception:
            pass
        self.assertIsNone(created, 'POST /things/hx-nul\\x00suffix created thing "hx-nul": %r' % o)
        if o.responses:
            self.assertEqual(o.responses[0].status, 400, o)
        self.assertStoreUnchanged()

    def test_conflicting_content_length_headers(self):
        # RFC 9112 6.3: differing Content-Length values are an unrecoverable framing error.
        req = build_request('POST', '/things/hx-cl2', b'{}xyz', content_length=False,
                            headers=[('Content-Length', '2'), ('Content-Length', '5')])
        o = exchange(self.hp['control'], req, timeout=3, expect=1)
        created = None
        try:
            created = self.jobsd.iot().describe_thing(thingName='hx-cl2')
            self.jobsd.iot().delete_thing(thingName='hx-cl2')
        except Exception:
            pass
        self.assertIsNone(created, 'two different Content-Length headers were accepted: %r' % o)
        if o.responses:
            self.assertEqual(o.responses[0].status, 400, o)
        self.assertStoreUnchanged()

    @unittest.expectedFailure
    def test_whitespace_before_colon(self):
        # RFC 9112 5.1: a server MUST reject whitespace between a field name and the colon.
        # Known limitation (docs/behaviour.md): libmicrohttpd 0.9.75 trims it before jobsd
        # sees the header, even in its strict mode. jobsd terminates HTTP itself, so no
        # front end can read this Content-Length differently. Expected to fail until the
        # library rejects it; an unexpected pass makes this test fail, to be updated.
        req = build_request('POST', '/things/hx-ws', b'{}', content_length=False,
                            headers=[('Content-Length ', '2')])
        o = exchange(self.hp['control'], req, timeout=3, expect=1)
        try:
            self.jobsd.iot().delete_thing(thingName='hx-ws')
        except Exception:
            pass
        self.assertTrue(o.responses, o)
        self.assertEqual(o.responses[0].status, 400, o)
        self.assertStoreUnchanged()

    def test_http11_without_host(self):
        # RFC 9112 3.2: a server MUST respond 400 to an HTTP/1.1 request without Host.
        req = build_request('GET', '/things/' + T1, host=False)
        o = exchange(self.hp['control'], req, timeout=3, expect=1)
        self.assertTrue(o.responses, o)
        self.assertEqual(o.responses[0].status, 400, o)

    def test_nul_in_header_value(self):
        # RFC 9110 5.5: a field value with NUL MUST be rejected or the NUL replaced by SP.
        # jobsd uses the Authorization value (plane and region); a NUL must not truncate it
        # into another meaning. Either a 400, or the value was not cut at the NUL: here the
        # credential scope after the NUL names service "s3", which would be a 403.
        cred = b'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/\x00/s3/aws4_request'
        req = build_request('GET', '/things/' + T1, headers=[(b'Authorization', cred)])
        o = exchange(self.hp['control'], req, timeout=3, expect=1)
        self.assertTrue(o.responses, o)
        self.assertIn(o.responses[0].status, (400, 403), o)

    def test_unknown_transfer_encoding_is_not_left_hanging(self):
        # RFC 9112 6.1: a transfer coding the server does not understand: 501 (or 400, or a
        # closed connection). Not a request that waits 60 s for a body it cannot frame.
        for name, te in [('gzip', 'gzip'), ('chunked-gzip', 'chunked, gzip'),
                         ('identity', 'identity')]:
            with self.subTest(name):
                req = build_request('POST', '/things/hx-te', b'{}', content_length='2',
                                    headers=[('Transfer-Encoding', te)])
                o = exchange(self.hp['control'], req, timeout=3, expect=1)
                try:
                    self.jobsd.iot().delete_thing(thingName='hx-te')
                except Exception:
                    pass
                self.assertFalse(o.timed_out and not o.responses,
                                 'Transfer-Encoding: %s: no answer within 3 s' % te)
                if o.responses:
                    self.assertIn(o.responses[0].status, (400, 501), o)
        self.assertStoreUnchanged()


class TestCaseBasesAreValid(unittest.TestCase):
    """The unmutated bodies the tables start from are accepted, on a throw-away server, so
    every mutation above really tests the one member it changes."""

    def test_bases(self):
        with harness.Jobsd() as j:
            cls = type('W', (HostileBase,), {})
            cls.jobsd = j
            cls.build_world()
            hp = {'control': faultkit.hostport(j.control_url), 'data': faultkit.hostport(j.data_url)}
            for name, plane, m, p, b in [
                    ('update-exec', 'data', 'POST', '/things/%s/jobs/%s' % (T1, J1), UPD),
                    ('start-next', 'data', 'PUT', '/things/%s/jobs/$next' % T2, {}),
                    ('create-job', 'control', 'PUT', '/jobs/' + NEW_JOB, CJ),
                    ('create-thing', 'control', 'POST', '/things/' + NEW_THING, {}),
                    ('update-thing', 'control', 'PATCH', '/things/' + T1,
                     {'attributePayload': {'attributes': {'x': '1'}, 'merge': True}}),
                    ('create-group', 'control', 'POST', '/thing-groups/' + NEW_GROUP, {}),
                    ('add-member', 'control', 'PUT', '/thing-groups/addThingToThingGroup',
                     {'thingGroupName': G1, 'thingName': T2}),
                    ('update-job', 'control', 'PATCH', '/jobs/' + J1, {'description': 'changed'}),
                    ('associate', 'control', 'POST', '/jobs/%s/targets' % J2, {'targets': [A2]}),
                    ('create-template', 'control', 'PUT', '/job-templates/' + NEW_TPL,
                     {'description': 'd', 'document': '{"a":1}'}),
                    ('cancel-exec', 'control', 'PUT', '/things/%s/jobs/%s/cancel' % (T3, J2), {}),
                    ('cancel-job', 'control', 'PUT', '/jobs/%s/cancel' % J1, {}),
                    ('delete-exec', 'control', 'DELETE',
                     '/things/%s/jobs/%s/executionNumber/1?force=true' % (T2, J1), None),
                    ('delete-job', 'control', 'DELETE', '/jobs/%s?force=true' % J1, None)]:
                with self.subTest(name):
                    if name == 'cancel-exec':
                        j.iot().add_thing_to_thing_group(thingGroupName=G1, thingName=T3)
                    o = exchange(hp[plane], build_request(m, p, b), timeout=10, expect=1)
                    self.assertEqual(o.first.status, 200, o)


if __name__ == '__main__':
    harness.main()
