"""Page objects: what a tester does on ``/simulator`` and ``/``, expressed with Selenium (waits, never sleeps)."""
from __future__ import annotations

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT = 20  # seconds; a reply normally takes milliseconds, the margin is for a loaded CI machine


# What ChromeDriver answers when an element is read while its page is being replaced: not a stale element but an
# "unknown error" from the inspector (seen once in CI: "unhandled inspector error" reading <main> after an upload).
_NAVIGATING = ("unhandled inspector error", "no such execution context", "cannot find context with specified id",
               "Node with given id does not belong to the document")


def wait(driver, condition, what: str):
    """Wait until ``condition(driver)`` is truthy. After a click the old page may go away between finding an element
    and reading it (a stale element, or ChromeDriver's inspector error for the same moment): that counts as
    "not yet" and the condition is asked again, as is an element not there yet. Anything else is raised at once."""

    def asked(d):
        try:
            return condition(d)
        except WebDriverException as exc:
            if isinstance(exc, (NoSuchElementException, StaleElementReferenceException)) or any(
                    m in str(exc) for m in _NAVIGATING):
                return False
            raise

    return WebDriverWait(driver, TIMEOUT).until(asked, message=f"waiting for {what}")


class ChatPage:
    def __init__(self, driver, base_url: str):
        self.driver, self.base_url = driver, base_url

    def open(self) -> "ChatPage":
        self.driver.get(self.base_url + "/simulator")
        self._wait(lambda d: self.rows(), "the chat window's first line")
        return self

    # --- reading the page -------------------------------------------------------------------------------------
    def rows(self) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, "#log > div")

    def bubbles(self) -> list[tuple[str, str]]:
        """``[(who, text)]`` for every chat bubble: who is ``me`` or ``bot``; system lines are left out."""
        return [("me" if "me" in row.get_attribute("class").split() else "bot", row.text)
                for row in self.rows() if "msg" in row.get_attribute("class").split()]

    def last_system_line(self) -> str:
        return self.driver.find_elements(By.CSS_SELECTOR, "#log > .sys")[-1].text

    def typed_text(self) -> str:
        return self.driver.find_element(By.ID, "text").get_attribute("value")

    def openid(self) -> str:
        return self.driver.find_element(By.ID, "openid").get_attribute("value")

    def who(self) -> str:
        return self.driver.find_element(By.ID, "who").text

    def wire(self) -> str:
        return self.driver.find_element(By.ID, "wire").text

    def mode_labels(self) -> list[str]:
        return [o.text for o in Select(self.driver.find_element(By.ID, "mode")).options]

    # --- acting -----------------------------------------------------------------------------------------------
    def choose_mode(self, label: str) -> None:
        Select(self.driver.find_element(By.ID, "mode")).select_by_visible_text(label)

    def send(self, text: str) -> str:
        """Type ``text`` into the input and send it; returns the reply shown in the chat window."""
        box = self.driver.find_element(By.ID, "text")
        box.clear()
        box.send_keys(text)
        return self.press_send()

    def press_send(self) -> str:
        return self._exchange(lambda: self.driver.find_element(By.CSS_SELECTOR, "#form button:not([type])").click())

    def quick(self, word: str) -> str:
        """Click the quick-reply button labelled ``word``."""
        return self._exchange(lambda: self._button("#quick button", word).click())

    def click_event(self, label: str) -> str:
        return self._exchange(lambda: self._button(".panel button", label).click())

    def burst(self, words: list[str]) -> list[str]:
        """Click several quick-reply buttons in the same instant (faster than any reply); returns the replies in arrival order."""
        before = len(self.rows())
        buttons = [self._button("#quick button", word) for word in words]
        self.driver.execute_script("arguments[0].forEach(function (b) { b.click(); });", buttons)  # one JS tick
        self._wait(lambda d: len(self.rows()) >= before + 2 * len(words), f"{len(words)} replies")
        return [row.text for row in self.rows()[before:] if "me" not in row.get_attribute("class").split()]

    def issue_bind_code(self, staff_no: str, expect_code: bool = True) -> str:
        """Use the panel's 生成绑定码 (as unit HR would run ``kaohe bind-code``); returns the code it prefilled."""
        before = len(self.rows())
        staff = self.driver.find_element(By.ID, "staff")
        staff.clear()
        staff.send_keys(staff_no)
        self.driver.find_element(By.ID, "issue").click()
        self._wait(lambda d: len(self.rows()) > before, "the bind code line")
        if not expect_code:
            return ""
        self._wait(lambda d: self.typed_text().startswith("绑定 "), "the prefilled 绑定 <code>")
        return self.typed_text().split(" ", 1)[1]

    # --- helpers ----------------------------------------------------------------------------------------------
    def _button(self, scope: str, label: str):
        for b in self.driver.find_elements(By.CSS_SELECTOR, scope):
            if b.text == label:
                return b
        raise AssertionError(f"no button {label!r} in {scope}")

    def _exchange(self, act) -> str:
        before = len(self.rows())
        act()
        self._wait(lambda d: len(self.rows()) >= before + 2, "the reply")
        mine, reply = self.rows()[before:before + 2]
        assert "me" in mine.get_attribute("class").split(), mine.text
        return reply.text

    def _wait(self, condition, what: str):
        return wait(self.driver, condition, what)


def link_statuses(driver) -> dict[str, int]:
    """Every link's href on the current page → the HTTP status a same-origin ``fetch`` gets for it (a redirect, e.g.
    a page that first signs the person in through WeChat, counts as 302: it is not followed off the server)."""
    return driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        var hrefs = Array.prototype.map.call(document.querySelectorAll("a[href]"), function (a) { return a.href; });
        Promise.all(hrefs.map(function (h) { return fetch(h, {redirect: "manual"}).then(function (r) { return [h, r.type === "opaqueredirect" ? 302 : r.status]; }); }))
          .then(function (pairs) { var out = {}; pairs.forEach(function (p) { out[p[0]] = p[1]; }); done(out); })
          .catch(function (e) { done({error: String(e)}); });
    """)
