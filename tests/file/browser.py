"""browser.py - headless Chromium driven over the DevTools protocol, for the
tests of memrec's HTML pages: load a file:// page, click at a point as a
mouse does, type, read the DOM through JavaScript, take a screenshot. It
also notes every network request the page makes, each uncaught JavaScript
exception and each dialog (alert() and the like): a page that runs injected
code opens one.

Needs python3-websocket (Debian's websocket-client); open() raises
Unavailable with the reason when it or Chromium is missing.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request


class Unavailable(Exception):
    pass


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    def __init__(self, chromium, log):
        import websocket    # python3-websocket
        self.prof = tempfile.mkdtemp(prefix="memrec-chromium.")
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--user-data-dir=" + self.prof, "--window-size=1200,1000",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port = self._port()
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.requests, self.exceptions, self.dialogs = [], [], []
        for domain in ("Page", "Runtime", "Network"):
            self.call(domain + ".enable")

    def _port(self):
        # Chromium writes the port it chose into the profile directory
        path = os.path.join(self.prof, "DevToolsActivePort")
        for _ in range(300):
            if self.proc.poll() is not None:
                raise Unavailable("chromium exited with status %d" % self.proc.returncode)
            try:
                with open(path) as f:
                    return int(f.readline())
            except (OSError, ValueError):
                time.sleep(0.1)
        raise Unavailable("chromium did not open its DevTools port in 30 s")

    def _event(self, msg):
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            self.exceptions.append(params["exceptionDetails"].get("exception", {})
                                   .get("description") or params["exceptionDetails"]["text"])
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message"))
            self.ws.send(json.dumps({"id": 0, "method": "Page.handleJavaScriptDialog",
                                     "params": {"accept": True}}))

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self._event(msg)

    def wait_event(self, method, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            self._event(msg)
            if msg.get("method") == method:
                return msg.get("params", {})
        raise RuntimeError("no %s in %d s" % (method, timeout))

    def load(self, path):
        self.call("Page.navigate", url="file://" + os.path.abspath(path))
        self.wait_event("Page.loadEventFired")

    def js(self, expr):
        """The value of a JavaScript expression (JSON-able)."""
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, x, y):
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)

    def type(self, text):
        self.call("Input.insertText", text=text)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.prof, ignore_errors=True)


def open_browser(log):
    chromium = find_chromium()
    if not chromium:
        raise Unavailable("no chromium (apt-get install chromium; scripts/test.sh does as root)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        raise Unavailable("no python3-websocket (apt-get install python3-websocket)")
    return Browser(chromium, log)
