"""What both browser tests share: checks that are counted, polling, and headless Chromium."""
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def wait_for(condition, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def lowest_contrast(driver):
    """The visible text on the page with the lowest WCAG 2 contrast ratio against the background
    it is drawn on: (ratio, which element)."""
    return driver.execute_script("""
        const luminance = (color) => {
          const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map((v) => {
            v = Number(v) / 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const background = (el) => {
          for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor, parts = c.match(/[\\d.]+/g);
            if (parts && (parts.length < 4 || Number(parts[3]) > 0.5)) return c;
          }
          return 'rgb(255, 255, 255)';
        };
        let worst = [99, 'no text'];
        for (const el of document.querySelectorAll('body *')) {
          if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
          if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
          const a = luminance(getComputedStyle(el).color), b = luminance(background(el));
          const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          if (ratio < worst[0]) worst = [ratio, el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + el.textContent.trim().slice(0, 30) + '"'];
        }
        return worst;""")
