"""The dashboard in a real browser (issue 14 item 2's acceptance): Debian's chromium,
headless, driven by python3-selenium with Debian's chromedriver.

One jobsd (SQLite, the test rig's virtual clock) with TLS on its control and data
listeners and the admin listener on a free loopback port; devices speak to it over HTTPS
with boto3's iot-jobs-data, as the integration tests do. It checks that:

  * the dashboard loads, with nothing in the browser's console;
  * a job's progress bar moves as devices complete their executions, through the live
    stream (no page reload: a marker set in the page survives);
  * pause stops new executions and resume restarts them (a rollout of one a minute, the
    virtual clock moved by the test rig); skipped only when jobsd answers 404 there;
  * a forced delete asks for confirmation: dismissed, nothing is deleted; accepted, the
    execution is gone;
  * the keyboard reaches the actions, opens the dialog and closes it with Escape.

Registered once in CMake (browser_test_dashboard), against SQLite. Run:
  JOBSD_BIN=build/jobsd python3 tests/browser/test_dashboard.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import thing_arn  # noqa: E402

if os.environ.get('JOBSD_SKIP_BROWSER'):
    raise unittest.SkipTest('JOBSD_SKIP_BROWSER is set')
import browser  # noqa: E402
from selenium.common.exceptions import (NoSuchElementException,  # noqa: E402
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 15  # seconds an element or a live update may take


def admin_url(jobsd):
    for line in jobsd.stdout_lines:
        if line.startswith('jobsd admin='):
            return 'http://' + line.split('=', 1)[1]
    raise AssertionError('no admin line on stdout')


class DashboardBrowserTest(harness.JobsdTestCase):
    jobsd_scheme = 'https'
    eventually_timeout = 10.0

    @classmethod
    def setUpClass(cls):
        why = browser.missing()
        if why:
            raise AssertionError(why)
        cls.certs = tempfile.mkdtemp(prefix='jobsd-dash-')
        subprocess.run([os.path.join(harness.REPO, 'scripts', 'dev-certs.sh'), cls.certs],
                       check=True, stdout=subprocess.DEVNULL)
        cls.jobsd_ca_file = os.path.join(cls.certs, 'ca.crt')
        cls.jobsd_extra_args = ('--tls-cert', os.path.join(cls.certs, 'server.crt'),
                                '--tls-key', os.path.join(cls.certs, 'server.key'),
                                '--admin-listen', '127.0.0.1:0')
        try:
            super().setUpClass()
            cls.driver = browser.chrome()
        except Exception:
            if cls.jobsd is not None:
                cls.jobsd.close()
            shutil.rmtree(cls.certs, ignore_errors=True)
            raise
        cls.base = admin_url(cls.jobsd)

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, 'driver', None) is not None:
                cls.driver.quit()
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certs, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------

    def open(self, hash_path):
        self.driver.get(self.base + '/#' + hash_path)
        self.wait(lambda d: d.find_element(By.ID, 'page-title'))

    def wait(self, cond, timeout=WAIT, what='condition'):
        try:
            return WebDriverWait(self.driver, timeout, ignored_exceptions=(
                NoSuchElementException, StaleElementReferenceException)).until(cond)
        except TimeoutException:
            raise AssertionError('timed out waiting for %s; page text:\n%s\nconsole: %r'
                                 % (what, self.driver.find_element(By.TAG_NAME, 'body').text[:2000],
                                    self.driver.get_log('browser')))

    def console_errors(self):
        return [e for e in self.driver.get_log('browser') if e['level'] == 'SEVERE']

    def bar_count(self, status, scope='#job-progress'):
        segs = self.driver.find_elements(By.CSS_SELECTOR, '%s .bar span[data-status="%s"]'
                                         % (scope, status))
        return int(segs[0].get_attribute('data-count')) if segs else 0

    def click(self, css):
        """Click the element css names; the live page may redraw it meanwhile."""
        def attempt(d):
            d.find_element(By.CSS_SELECTOR, css).click()
            return True
        self.wait(attempt, what='a click on ' + css)

    def click_and_confirm(self, css, accept):
        self.click(css)
        dlg = self.wait(lambda d: d.find_element(By.ID, 'confirm') if
                        d.find_element(By.ID, 'confirm').get_attribute('open') is not None else False,
                        what='the confirmation dialog')
        self.assertTrue(dlg.is_displayed())
        self.driver.find_element(By.ID, 'confirm-yes' if accept else 'confirm-no').click()
        self.wait(lambda d: d.find_element(By.ID, 'confirm').get_attribute('open') is None,
                  what='the dialog to close')
        return dlg

    def admin_json(self, method, path):
        import http.client
        host, port = self.base[len('http://'):].rsplit(':', 1)
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            c.request(method, path)
            r = c.getresponse()
            body = r.read()
            return r.status, (json.loads(body) if body else None)
        finally:
            c.close()

    # -- tests --------------------------------------------------------------------

    def test_1_loads_without_console_errors(self):
        things = [self.create_thing() for _ in range(2)]
        job = self.job_on(things)
        self.driver.get(self.base + '/')
        self.wait(lambda d: 'IN_PROGRESS' in d.find_element(
            By.CSS_SELECTOR, 'tr[data-job="%s"]' % job).text, what='the job row')
        self.wait(lambda d: d.find_element(By.ID, 'live').text == 'Live', what='the live stream')
        self.assertEqual(self.driver.title, 'Jobs · jobsd')
        # the job's page and a thing's page load too
        self.open('/jobs/' + job)
        self.open('/things/' + things[0])
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-job="%s"]' % job))
        self.assertEqual(self.console_errors(), [])

    def test_2_progress_bar_moves_live(self):
        things = [self.create_thing() for _ in range(4)]
        job = self.job_on(things)
        self.open('/jobs/' + job)
        self.wait(lambda d: d.find_element(By.ID, 'live').text == 'Live', what='the live stream')
        self.assertEqual(self.bar_count('QUEUED'), 4)
        self.driver.execute_script('window.__noReload = 42;')
        for t in things[:2]:   # devices over HTTPS
            self.data.start_next_pending_job_execution(thingName=t)
            self.update_exec(job, t, 'SUCCEEDED')
        self.wait(lambda d: self.bar_count('SUCCEEDED') == 2, what='2 SUCCEEDED in the bar')
        self.data.start_next_pending_job_execution(thingName=things[2])
        self.update_exec(job, things[2], 'FAILED')
        self.wait(lambda d: self.bar_count('FAILED') == 1 and self.bar_count('QUEUED') == 1,
                  what='1 FAILED and 1 QUEUED in the bar')
        self.assertEqual(self.driver.execute_script('return window.__noReload;'), 42)
        # the list page's bar moves too
        self.driver.get(self.base + '/#/')
        scope = 'tr[data-job="%s"]' % job
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, scope + ' .bar'))
        self.wait(lambda d: d.find_element(By.ID, 'live').text == 'Live', what='the live stream')
        self.update_exec(job, things[3], 'SUCCEEDED')
        self.wait(lambda d: self.bar_count('SUCCEEDED', scope) == 3, what='3 SUCCEEDED in the list')
        self.assertEqual(self.console_errors(), [])

    def test_3_pause_stops_new_executions_resume_restarts(self):
        things = [self.create_thing() for _ in range(4)]
        job = self.create_job(targets=[thing_arn(t) for t in things],
                              jobExecutionsRolloutConfig={'maximumPerMinute': 1})
        st, _ = self.admin_json('GET', '/api/jobs/%s/rollout' % job)
        if st == 404:
            self.skipTest('GET /api/jobs/{jobId}/rollout answers 404: pause and resume are '
                          'not in this build (branch h-pause)')

        def notified():
            return self.admin_json('GET', '/api/jobs/' + job)[1]['rollout']['notified']
        self.assertEqual(notified(), 1)
        self.open('/jobs/' + job)
        self.wait(lambda d: d.find_element(By.ID, 'pause-job'), what='the pause button')
        self.click_and_confirm('#pause-job', accept=True)
        self.wait(lambda d: d.find_element(By.ID, 'resume-job'), what='the resume button')
        self.wait(lambda d: 'PAUSED' in d.find_element(By.ID, 'job-paused').text)
        self.jobsd.advance_clock(125)
        self.jobsd.advance_clock(5)
        self.assertEqual(notified(), 1)            # paused: no new execution
        self.assertEqual(self.bar_count('QUEUED'), 1)
        self.click_and_confirm('#resume-job', accept=True)
        self.wait(lambda d: d.find_element(By.ID, 'pause-job'), what='the pause button again')
        self.jobsd.advance_clock(65)
        self.wait(lambda d: self.bar_count('QUEUED') >= 2, what='a new execution after resume')
        self.assertGreaterEqual(notified(), 2)
        self.assertEqual(self.console_errors(), [])

    def test_4_forced_delete_asks_for_confirmation(self):
        things = [self.create_thing() for _ in range(2)]
        job = self.job_on(things)
        self.data.start_next_pending_job_execution(thingName=things[0])   # IN_PROGRESS
        self.open('/jobs/' + job)
        sel = 'tr[data-thing="%s"] button.act-delete' % things[0]
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, sel).text == 'Force delete…',
                  what='the force delete button')
        self.click_and_confirm(sel, accept=False)
        self.assertEqual(self.describe_exec(job, things[0])['status'], 'IN_PROGRESS')
        self.click(sel)
        self.wait(lambda d: d.find_element(By.ID, 'confirm').get_attribute('open') is not None)
        self.assertIn('needs force', self.driver.find_element(By.ID, 'confirm-body').text)
        self.assertEqual(self.driver.find_element(By.ID, 'confirm-yes').text, 'Force delete')
        self.driver.find_element(By.ID, 'confirm-yes').click()

        def gone():
            try:
                self.describe_exec(job, things[0])
            except Exception as e:   # botocore ClientError
                if 'ResourceNotFound' in str(e):
                    return True
                raise
            raise AssertionError('execution still there')
        self.eventually(gone)
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, 'tr[data-thing="%s"]' % things[0]),
                  what='the row to go')
        # a finished execution needs no force
        self.update_exec(job, things[1], 'SUCCEEDED')
        self.driver.refresh()
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-thing="%s"] button.act-delete'
                                           % things[1]).text == 'Delete…', what='a plain delete')
        self.assertEqual(self.console_errors(), [])

    def test_6_execution_page_shows_status_details_live(self):
        """Regression: a device's update of statusDetails alone (no status change, so no
        count of the job moves) reached the execution page only on a reload."""
        things = [self.create_thing()]
        job = self.job_on(things)
        self.data.start_next_pending_job_execution(thingName=things[0])
        self.open('/jobs/%s/executions/%s/1' % (job, things[0]))
        self.wait(lambda d: 'No status details.' in d.find_element(By.TAG_NAME, 'main').text,
                  what='the execution page')
        self.wait(lambda d: d.find_element(By.ID, 'live').text == 'Live', what='the live stream')
        self.driver.execute_script('window.__noReload = 7;')
        self.update_exec(job, things[0], 'IN_PROGRESS', statusDetails={'progress': '45%'})
        self.wait(lambda d: '45%' in d.find_element(By.TAG_NAME, 'main').text,
                  what='the new status details')
        self.assertEqual(self.driver.execute_script('return window.__noReload;'), 7)
        self.assertEqual(self.console_errors(), [])

    def test_5_keyboard_reaches_the_actions(self):
        things = [self.create_thing() for _ in range(1)]
        job = self.job_on(things)
        self.open('/jobs/' + job)
        self.wait(lambda d: d.find_element(By.ID, 'cancel-job'))
        self.driver.find_element(By.TAG_NAME, 'body').click()
        reached = []
        body = self.driver.switch_to.active_element
        for _ in range(60):
            body.send_keys(Keys.TAB)
            body = self.driver.switch_to.active_element
            reached.append(body.get_attribute('id') or body.get_attribute('aria-label') or body.text)
            if any(r and r.startswith('Cancel ' + things[0]) for r in reached):
                break
        self.assertIn('cancel-job', reached)
        self.assertTrue(any(r and r.startswith('Cancel ' + things[0]) for r in reached), reached)
        # Enter on "Cancel job" opens the dialog with the safe choice focused; Escape closes it
        self.wait(lambda d: d.find_element(By.ID, 'cancel-job').send_keys(Keys.ENTER) or True)
        self.wait(lambda d: d.find_element(By.ID, 'confirm').get_attribute('open') is not None)
        self.assertEqual(self.driver.switch_to.active_element.get_attribute('id'), 'confirm-no')
        self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        self.wait(lambda d: d.find_element(By.ID, 'confirm').get_attribute('open') is None)
        self.assertEqual(self.iot.describe_job(jobId=job)['job']['status'], 'IN_PROGRESS')
        # every form control has a label
        unlabeled = self.driver.execute_script(
            "return [...document.querySelectorAll('input,select')].filter("
            "e => !e.labels || e.labels.length === 0).map(e => e.id);")
        self.assertEqual(unlabeled, [])


if __name__ == '__main__':
    harness.main()
