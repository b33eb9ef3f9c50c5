"""The browser rig of the dashboard tests (issue 14): Debian's chromium, headless, driven
by python3-selenium through Debian's chromedriver (never a downloaded browser).

Debian installs python3-selenium for the system Python; a test run by another Python
(pyenv, a virtualenv with boto3) finds it through /usr/lib/python3/dist-packages, added at
the end of sys.path so that the running Python's own packages win.
"""

import os
import shutil
import sys

CHROMIUM = os.environ.get('JOBSD_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('JOBSD_CHROMEDRIVER', '/usr/bin/chromedriver')
DEBIAN_DIST = '/usr/lib/python3/dist-packages'

try:
    import selenium  # noqa: F401
except ImportError:
    if os.path.isdir(DEBIAN_DIST) and DEBIAN_DIST not in sys.path:
        sys.path.append(DEBIAN_DIST)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402


def missing():
    """Why the browser cannot run here, or None."""
    for p in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(p) or shutil.which(p)):
            return '%s is not installed (apt-get install chromium chromium-driver)' % p
    return None


def chrome(width=1280, height=900):
    """A headless Chromium with its console log kept (get_log('browser'))."""
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--disable-extensions', '--no-first-run', '--disable-background-networking',
              '--window-size=%d,%d' % (width, height)):
        o.add_argument(a)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
