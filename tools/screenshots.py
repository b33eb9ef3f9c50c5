#!/usr/bin/env python3
"""Screenshots of the dashboard for the README and docs/operations.md (issue 14).

Starts a jobsd (SQLite in a temporary directory, the admin listener on a free loopback
port), creates a small demo fleet and jobs, lets devices finish some executions over the
device plane, and saves docs/img/dashboard-jobs.png (the job list) and
docs/img/dashboard-job.png (a job's page) with Debian's headless chromium.

  JOBSD_BIN=build/jobsd python3 tools/screenshots.py [OUT_DIR]
"""

import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'browser'))
import harness  # noqa: E402
import browser  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def demo(j):
    iot, dp = j.iot(), j.jobs_data()
    things = ['pump-%03d' % i for i in range(60)]
    for t in things:
        iot.create_thing(thingName=t)
    arns = [harness.thing_arn(t) for t in things]
    iot.create_job(jobId='config-rotate-keys', targets=arns[:8], document='{"op":"rotate"}',
                   description='Rotate device keys')
    iot.create_job(jobId='gg-deploy-17', targets=arns[:12], document='{"op":"gg"}',
                   namespaceId='greengrass', description='Greengrass deployment 17')
    iot.create_job(jobId='firmware-2-4', targets=arns, document='{"op":"flash","v":"2.4"}',
                   description='Firmware 2.4 for the pump fleet',
                   jobExecutionsRolloutConfig={'maximumPerMinute': 40},
                   abortConfig={'criteriaList': [{'failureType': 'FAILED', 'action': 'CANCEL',
                                                  'thresholdPercentage': 25,
                                                  'minNumberOfExecutedThings': 20}]},
                   timeoutConfig={'inProgressTimeoutInMinutes': 30})
    for i, t in enumerate(things[:40]):
        r = dp.start_next_pending_job_execution(thingName=t).get('execution')
        while r is not None and r['jobId'] != 'firmware-2-4':
            dp.update_job_execution(jobId=r['jobId'], thingName=t, status='SUCCEEDED')
            r = dp.start_next_pending_job_execution(thingName=t).get('execution')
        if r is None or i >= 30:
            continue
        status = 'FAILED' if i % 9 == 4 else 'REJECTED' if i == 13 else 'SUCCEEDED'
        dp.update_job_execution(jobId='firmware-2-4', thingName=t, status=status,
                                statusDetails={'progress': '100%', 'image': 'fw-2.4.bin'})
    iot.create_job(jobId='old-certs-cleanup', targets=arns[50:], document='{"op":"clean"}')
    iot.cancel_job(jobId='old-certs-cleanup')


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, 'docs', 'img')
    os.makedirs(out, exist_ok=True)
    j = harness.Jobsd(extra_args=('--admin-listen', '127.0.0.1:0'))
    d = None
    try:
        j.start()
        demo(j)
        base = 'http://' + [x for x in j.stdout_lines if x.startswith('jobsd admin=')][0].split('=', 1)[1]
        d = browser.chrome(1280, 820)
        d.get(base + '/#/')
        WebDriverWait(d, 15).until(lambda d: d.find_element(By.ID, 'live').text == 'Live')
        time.sleep(0.5)
        d.save_screenshot(os.path.join(out, 'dashboard-jobs.png'))
        d.set_window_size(1280, 1500)
        d.get(base + '/#/jobs/firmware-2-4')
        WebDriverWait(d, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#exec-table table'))
        WebDriverWait(d, 15).until(lambda d: d.find_element(By.ID, 'live').text == 'Live')
        time.sleep(0.5)
        d.save_screenshot(os.path.join(out, 'dashboard-job.png'))
        print('saved %s/dashboard-jobs.png and dashboard-job.png' % out)
    finally:
        if d is not None:
            d.quit()
        j.close()


if __name__ == '__main__':
    main()
