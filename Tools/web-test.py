#!/usr/bin/env python3
"""The staff web page in a real browser (issue 20): Selenium driving Debian's chromium and chromium-driver
against a real `sst node serve` whose hub is stopped (nothing listens on its port).

Sets up a school with two nodes (ekbacken-1 serves the page; ekbacken-2 makes a conflict through a change-set
file), then, in the browser: signs in with a staff token, finds a pupil by a name typed with å ä ö, opens the
file (screenshot: docs/pupil-file.png), records a consent, moves the case phase, resolves the conflict, signs
out (audited, with the sign-in page saying so); a mentor's account does not see the case; the session cookie is
refused after sign-out; a form posted without its CSRF token changes nothing; a junk token gets a Swedish message.

Usage: Tools/web-test.py [--sst PATH] [--screenshot PATH]   (run from the repository; builds nothing)
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

SCHOOL = "Ekbackens skola"
STADSDEL = "Södermalm"


def run(sst, *arguments):
    result = subprocess.run([sst, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"sst {' '.join(arguments)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print(f"ok  {message}")


class Setup:
    """A district CA, a school node with a pupil, a case in conflict and two staff accounts."""

    def __init__(self, sst, scratch):
        self.sst, self.scratch = sst, scratch
        self.ca = os.path.join(scratch, "ca")
        self.tls = os.path.join(scratch, "school-tls")
        self.data = os.path.join(scratch, "ekbacken-1")
        self.other = os.path.join(scratch, "ekbacken-2")
        run(sst, "pki", "init", "--out", self.ca)
        run(sst, "pki", "issue", "--ca", self.ca, "--node-id", "ekbacken-1", "--role", "school", "--school", SCHOOL,
            "--stadsdel", STADSDEL, "--out", self.tls)
        run(sst, "init", "--role", "school", "--node-id", "ekbacken-1", "--data", self.data, "--school", SCHOOL,
            "--stadsdel", STADSDEL)
        run(sst, "init", "--role", "school", "--node-id", "ekbacken-2", "--data", self.other, "--school", SCHOOL,
            "--stadsdel", STADSDEL, "--join")
        self.pupil, self.guardian, self.case = (str(uuid.uuid4()) for _ in range(3))
        self.set(self.data, "pupil", self.pupil, "given_name=Åsa", "family_name=Ärlig-Öberg", "grade=7",
                 "class_name=8B", "personnummer=20130101-0003", f"school={SCHOOL}", f"stadsdel={STADSDEL}")
        self.set(self.data, "guardian", self.guardian, f"pupil_id={self.pupil}", "given_name=Örjan",
                 "family_name=Ärlig-Öberg", "has_custody=true", "phone=070-123 45 67")
        for month, excused, unexcused in (("2026-08", 120, 0), ("2026-09", 600, 1200), ("2026-10", 300, 2400),
                                          ("2026-11", 240, 1800)):
            self.set(self.data, "absence", str(uuid.uuid4()), f"pupil_id={self.pupil}", f"period_start={month}-01",
                     f"period_end={month}-28", "scheduled_minutes=6000", f"excused_minutes={excused}",
                     f"unexcused_minutes={unexcused}")
        self.set(self.data, "case", self.case, f"pupil_id={self.pupil}", "category=absence", "phase=opened",
                 "concern=Lång frånvaro sedan augusti.", "plan=Motiverande samtal varje vecka.")
        self.set(self.data, "intervention", str(uuid.uuid4()), f"case_id={self.case}", "kind=motivational_talks",
                 "description=Samtal med kurator varje tisdag", "starts=2026-09-15", "responsible=Anna Lind")
        # A conflict: the second node of the school takes the case, and both change its plan before they sync.
        export = os.path.join(scratch, "to-2.sstchanges")
        run(sst, "changes", "export", "--data", self.data, "--out", export, "--for", "school", "--school", SCHOOL)
        run(sst, "changes", "import", "--data", self.other, export, "--school", SCHOOL)
        self.set(self.data, "case", self.case, "plan=Plan från Ekbacken 1: samtal varje vecka.")
        self.set(self.other, "case", self.case, "plan=Plan från Ekbacken 2: hembesök och samtal.")
        back = os.path.join(scratch, "to-1.sstchanges")
        run(sst, "changes", "export", "--data", self.other, "--out", back, "--for", "school", "--school", SCHOOL)
        run(sst, "changes", "import", "--data", self.data, back, "--school", SCHOOL)
        self.token = json.loads(run(sst, "staff", "add", "--data", self.data, "--name", "Anna Lind", "--json"))["token"]
        self.mentor = json.loads(run(sst, "staff", "add", "--data", self.data, "--name", "Maj Mentor", "--role",
                                     "mentor", "--classes", "8B", "--json"))["token"]

    def set(self, data, entity, record, *assignments):
        run(self.sst, "record", "set", "--data", data, "--entity", entity, "--id", record, *assignments)

    def serve(self):
        """`sst node serve` with its hub stopped (a loopback port nothing listens on: every sync attempt is
        refused at once); returns the process and its port."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            stopped_hub = probe.getsockname()[1]
        log = open(os.path.join(self.scratch, "serve.log"), "w+")
        process = subprocess.Popen(
            [self.sst, "node", "serve", "--data", self.data, "--hub", f"https://127.0.0.1:{stopped_hub}", "--listen",
             "127.0.0.1:0", "--cert", self.tls + "/node.pem", "--key", self.tls + "/node-key.pem", "--ca",
             self.ca + "/ca.pem", "--interval", "2"],
            stdout=log, stderr=subprocess.STDOUT, text=True)
        for _ in range(600):
            log.seek(0)
            found = re.search(r"port=(\d+).*node listening|node listening.*port=(\d+)", log.read())
            if found:
                return process, int(found.group(1) or found.group(2))
            if process.poll() is not None:
                log.seek(0)
                sys.exit("sst node serve ended:\n" + log.read())
            time.sleep(0.1)
        process.kill()
        sys.exit("sst node serve logged no port")


def raw_request(port, ca, method, path, cookie, body=None):
    """A request outside the browser, with the browser's session cookie: (status, location, text)."""
    context = ssl.create_default_context(cafile=ca)
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    headers = {"Cookie": cookie}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8")
    connection.close()
    return response.status, response.getheader("Location"), text


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     "--window-size=1200,3000", "--lang=sv-SE"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


def sign_in(driver, base, token):
    driver.get(base + "/staff/sign-in")
    check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv", "the page says lang=sv")
    field = driver.find_element(By.ID, "token")
    field.send_keys(token)
    field.submit()
    WebDriverWait(driver, 10).until(lambda d: "/staff/pupils" in d.current_url)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sst", default=".build/debug/sst")
    parser.add_argument("--screenshot", default="docs/pupil-file.png")
    arguments = parser.parse_args()
    sst = os.path.abspath(arguments.sst)
    scratch = tempfile.mkdtemp(prefix="sst-web-test-")
    setup = Setup(sst, scratch)
    server, port = setup.serve()
    base = f"https://127.0.0.1:{port}"
    driver = browser()
    try:
        sign_in(driver, base, setup.token)
        check("Anna Lind" in driver.page_source, "signed in: the header names the staff member")

        # Find the pupil by a name typed with å ä ö.
        search = driver.find_element(By.ID, "q")
        search.send_keys("åsa ärlig-öb")
        search.submit()
        WebDriverWait(driver, 10).until(lambda d: "Träffar" in d.page_source)
        driver.find_element(By.PARTIAL_LINK_TEXT, "Åsa Ärlig-Öberg").click()
        WebDriverWait(driver, 10).until(lambda d: "Identitet" in d.page_source)
        page = driver.page_source
        for expected in ("20130101-0003", "Örjan Ärlig-Öberg", "Frånvaro per månad", "aktualiserad",
                         "Samtal med kurator"):
            check(expected in page, f"the pupil's file shows {expected}")
        # The hub is stopped: the banner says no sync has had a result yet (the first attempt is still trying) or
        # that the hub cannot be reached, and that the changes wait here; never that the hub answered.
        banner = driver.find_element(By.ID, "sync-banner")
        look = banner.get_attribute("class")
        check((("waiting" in look and "Ingen synkronisering ännu" in banner.text)
               or ("offline" in look and "Hubben nås inte" in banner.text))
              and "Hubben svarade" not in banner.text
              and "väntar på att skickas" in banner.text, f"the banner says the hub is not reached: {banner.text}")
        os.makedirs(os.path.dirname(os.path.abspath(arguments.screenshot)), exist_ok=True)
        driver.find_element(By.TAG_NAME, "body").screenshot(arguments.screenshot)
        check(os.path.getsize(arguments.screenshot) > 10_000, f"screenshot of the pupil's file: {arguments.screenshot}")
        file_url = driver.current_url

        # A form posted without its CSRF token changes nothing.
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
        check("__Host-sst-session" in cookie, "the session cookie is set")
        session = next(c for c in driver.get_cookies() if c["name"] == "__Host-sst-session")
        check(session.get("httpOnly") and session.get("secure") and session.get("sameSite") == "Strict",
              "the session cookie is HttpOnly, Secure and SameSite=Strict")
        forged = urllib.parse.urlencode({"scope": "sst_case", f"guardian-{setup.guardian}": "yes",
                                         "method": "written", "pupil_view": "vill ha hjälp"})
        status, _, _ = raw_request(port, setup.ca + "/ca.pem", "POST", f"/staff/pupils/{setup.pupil}/consents",
                                   cookie, forged)
        check(status == 403, "a consent form without its CSRF token is refused (403)")
        driver.get(file_url)
        check("Inga samtycken." in driver.page_source, "and no consent was recorded")

        # Record a consent.
        driver.find_element(By.XPATH, "//summary[normalize-space()='Registrera ett nytt samtycke']").click()
        driver.find_element(By.ID, "scope-sst_case").click()
        driver.find_element(By.ID, "scope-identity").click()
        Select(driver.find_element(By.ID, f"guardian-{setup.guardian}")).select_by_value("yes")
        driver.find_element(By.ID, "pupil-view").send_keys("Åsa vill att skolan och socialtjänsten pratar ihop sig.")
        driver.find_element(By.XPATH, "//button[normalize-space()='Registrera samtycket']").click()
        WebDriverWait(driver, 10).until(lambda d: "Samtycket är registrerat" in d.page_source)
        check("status-active" in driver.page_source, "a consent recorded through the form is active")

        # Move the phase forward.
        Select(driver.find_element(By.ID, f"step-{setup.case}")).select_by_value("planning")
        driver.find_element(By.XPATH, "//button[normalize-space()='Flytta fasen']").click()
        WebDriverWait(driver, 10).until(lambda d: "Ärendets fas är ändrad" in d.page_source)
        current = driver.find_element(By.CSS_SELECTOR, "ol.phases li.current").text
        check(current == "planering av insats", f"the case moved to planering av insats ({current})")
        driver.find_element(By.TAG_NAME, "body").screenshot(arguments.screenshot)

        # Resolve the conflict, both values side by side.
        driver.find_element(By.LINK_TEXT, "Konflikter").click()
        page = driver.page_source
        check("Plan från Ekbacken 1" in page and "Plan från Ekbacken 2" in page,
              "the conflict shows both values side by side")
        driver.find_element(By.ID, "c0-v1").click()
        driver.find_element(By.XPATH, "//button[normalize-space()='Lös konflikten']").click()
        WebDriverWait(driver, 10).until(lambda d: "Konflikten är löst" in d.page_source)
        check("Inga konflikter." in driver.page_source, "the conflict is resolved")

        # Sign out; the old cookie is refused.
        driver.find_element(By.XPATH, "//button[normalize-space()='Logga ut']").click()
        WebDriverWait(driver, 10).until(lambda d: "/staff/sign-in" in d.current_url)
        check("Du är utloggad" in driver.page_source, "the sign-in page says the member signed out")
        status, location, text = raw_request(port, setup.ca + "/ca.pem", "GET", f"/staff/pupils/{setup.pupil}",
                                             cookie)
        check(status == 303 and location == "/staff/sign-in?reason=expired" and "Ärlig-Öberg" not in text,
              "the session cookie is refused after sign-out")
        _, _, text = raw_request(port, setup.ca + "/ca.pem", "GET", location, cookie)
        check("Din session har upphört" in text, "and the sign-in page says the session has ended")

        # A token that is not one: a Swedish message, no session.
        driver.get(base + "/staff/sign-in")
        field = driver.find_element(By.ID, "token")
        field.send_keys("lösenord")
        field.submit()
        WebDriverWait(driver, 10).until(lambda d: "Det är ingen personalnyckel" in d.page_source)
        check(driver.get_cookie("__Host-sst-session") is None, "a junk token is refused in Swedish, no session")

        # A mentor of 8B sees the pupil's identity and absence, not the case.
        sign_in(driver, base, setup.mentor)
        driver.get(f"{base}/staff/pupils/{setup.pupil}")
        page = driver.page_source
        check("Åsa" in page and "Frånvaro per månad" in page, "the mentor sees the pupil and the absence")
        check("Flytta fasen" not in page and "Motiverande" not in page and "Samtycken" not in page,
              "the mentor does not see the case or the consents")
        status, _, _ = raw_request(port, setup.ca + "/ca.pem", "GET", f"/api/v1/records/case/{setup.case}", "")
        check(status == 401, "and the API without a token answers 401")
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)

    # Every read and write through the page is in the audit trail, with the staff member's name.
    audit = run(sst, "audit", "list", "--data", setup.data, "--kind", "staff_read,staff_write")
    check("staff:Anna Lind" in audit and "staff:Maj Mentor" in audit, "the page's reads and writes are audited")
    writes = run(sst, "audit", "list", "--data", setup.data, "--kind", "staff_write")
    check(writes.count("staff:Anna Lind") == 3, "three writes: the consent, the phase, the resolution")
    sessions = run(sst, "audit", "list", "--data", setup.data, "--kind", "staff_session")
    check("signed in to the staff web page" in sessions and "signed out of the staff web page" in sessions
          and "staff:Maj Mentor" in sessions, f"sign-in and sign-out are audited:\n{sessions}")
    trail = run(sst, "audit", "list", "--data", setup.data)
    check(setup.token not in trail and setup.mentor not in trail, "no token text in the audit trail")
    shutil.rmtree(scratch, ignore_errors=True)
    print("web-test: all passed")


if __name__ == "__main__":
    main()
