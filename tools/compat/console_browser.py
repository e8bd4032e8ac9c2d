"""Drives the web console in Debian's Chromium (headless) with Selenium, as a person would: by the
labels on the screen. Shared by the browser tests and tools/console-screenshots."""
import json
import os
import shutil
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

LAPTOP = (1280, 800)
PHONE = (390, 844)


def start_browser(size=LAPTOP):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={size[0]},{size[1]}",
                     "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(30)
    return Console(driver)


def literal(text):
    """An XPath string literal for any text."""
    if "'" not in text:
        return f"'{text}'"
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


class Console:
    def __init__(self, driver):
        self.driver = driver
        # How often waits look again (tools/console-measure looks more often, to time finely).
        self.poll = 0.1

    def quit(self):
        self.driver.quit()

    def open(self, url):
        self.driver.get_log("browser")  # what earlier pages logged is theirs
        self.driver.get(url)
        self.heading()

    def size(self, size):
        self.driver.set_window_size(*size)
        # The window's outer size includes no frame in headless mode; the viewport is what counts.
        inner = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        if inner[0] != size[0]:
            self.driver.set_window_size(size[0] * 2 - inner[0], size[1] * 2 - inner[1])

    def theme(self, dark):
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})

    def wait(self, condition, timeout=20, message=""):
        def safe(driver):
            try:
                return condition(driver)
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, timeout, poll_frequency=self.poll).until(safe, message)

    def heading(self, text=None, timeout=20):
        def found(driver):
            elements = driver.find_elements(By.CSS_SELECTOR, "main h1")
            if not elements:
                return False
            return elements[0] if text is None or elements[0].text == text else False
        return self.wait(found, timeout, f"heading {text!r}")

    def go(self, route, heading=None):
        self.driver.execute_script("location.hash = arguments[0]", route)
        return self.heading(heading)

    def scope(self):
        dialogs = self.driver.find_elements(By.CSS_SELECTOR, "dialog[open]")
        return dialogs[-1] if dialogs else self.driver

    def field(self, label):
        """The control a visible label names (in the open dialog, if one is)."""
        def find(_):
            for element in self.scope().find_elements(By.XPATH, f".//label[normalize-space()={literal(label)}]"):
                if element.is_displayed():
                    target = element.get_attribute("for")
                    return self.driver.find_element(By.ID, target) if target else element.find_element(By.XPATH, ".//input")
            return False
        return self.wait(find, message=f"field {label!r}")

    def fill(self, label, text):
        element = self.field(label)
        element.clear()
        element.send_keys(text)
        return element

    def choose(self, label, visible_text):
        from selenium.webdriver.support.ui import Select
        Select(self.field(label)).select_by_visible_text(visible_text)

    def button(self, text, index=0):
        def find(_):
            matches = [b for b in self.scope().find_elements(By.XPATH, f".//button[normalize-space()={literal(text)}] | .//a[normalize-space()={literal(text)}]")
                       if b.is_displayed() and b.is_enabled()]
            return matches[index] if len(matches) > index else False
        return self.wait(find, message=f"button {text!r}")

    def click(self, text, index=0):
        element = self.button(text, index)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_text(self, text, timeout=20):
        self.wait(lambda d: text in d.find_element(By.TAG_NAME, "body").text, timeout, f"text {text!r}")

    def errors(self):
        """Script errors the page logged (a console that works logs none). Chrome also logs each
        answer with an error status, which the tests provoke on purpose: those are left out."""
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]

    def script(self, source, *arguments):
        return self.driver.execute_script(source, *arguments)

    def axe(self):
        """axe-core's WCAG 2 A and AA violations on the page (axe-core from PyPI's axe-selenium-python)."""
        import axe_selenium_python
        path = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
        with open(path) as handle:
            self.driver.execute_script(handle.read())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
            ".then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))))"
            ".catch(e => done(JSON.stringify([{id: 'axe-failed', help: String(e)}])));")
        return json.loads(result)

    def tab(self, count, backwards=False):
        """The elements keyboard focus visits in `count` presses of Tab (Shift+Tab) from where it is."""
        visited = []
        for _ in range(count):
            keys = (Keys.SHIFT, Keys.TAB) if backwards else (Keys.TAB,)
            self.driver.switch_to.active_element.send_keys(*keys)
            element = self.driver.switch_to.active_element
            visited.append(element.text.strip() or element.get_attribute("aria-label") or element.get_attribute("id") or element.tag_name)
        return visited

    def screenshot(self, folder, name):
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.driver.execute_script("window.scrollTo(0, 0); document.querySelectorAll('#toast div').forEach(t => t.remove())")
            time.sleep(0.3)
            self.driver.save_screenshot(os.path.join(folder, f"{name}.png"))
