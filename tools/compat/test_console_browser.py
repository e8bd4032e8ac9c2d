"""The web console in a real headless Chromium (Debian's chromium and chromium-driver), doing what
a person does: create a table with a global index, add and edit items (and meet a conflicting
edit), query the index, watch a put arrive on the live stream, read a failing webhook's error on
the triggers page, delete the table; keyboard-only use; axe-core's WCAG checks in light and dark
themes at laptop and phone widths; under --auth sigv4, logging in and a page of another origin
that cannot use the session.

With SHOAL_CONSOLE_SCREENSHOTS=DIR the pages are also saved as PNGs (tools/console-screenshots)."""
import json
import os
import shutil
import tempfile
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import ACCESS_KEY, SECRET_KEY, Server, client_config
from console_browser import LAPTOP, PHONE, start_browser

SHOTS = os.environ.get("SHOAL_CONSOLE_SCREENSHOTS")
TABLE = "Orders"


@pytest.fixture(scope="module")
def console_server():
    folder = tempfile.mkdtemp(prefix="shoal-console-")
    triggers = os.path.join(folder, "triggers.yaml")
    with open(triggers, "w") as f:
        # Nothing listens on port 1: every delivery fails, which the triggers page must show.
        f.write("Functions:\n  notify:\n    Webhook: http://127.0.0.1:1/hook\n    Timeout: 2\n"
                f"EventSourceMappings:\n  - FunctionName: notify\n    Table: {TABLE}\n    StartingPosition: TRIM_HORIZON\n"
                "    BatchSize: 10\n")
    s = Server("--triggers", triggers)
    yield s
    s.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    console = start_browser(LAPTOP)
    yield console
    console.quit()


def client(server):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="a",
                        aws_secret_access_key="b", config=client_config())


def edit_item(console, change):
    """Changes the open item editor's DynamoDB JSON with `change(document)`."""
    text = console.field("Item")
    document = json.loads(text.get_attribute("value"))
    change(document)
    text.clear()
    text.send_keys(json.dumps(document))


def check_page(console, name, themes=(False, True), sizes=(("laptop", LAPTOP), ("phone", PHONE))):
    """axe-core finds no WCAG 2.1 A/AA violation in either theme at either width; saves screenshots."""
    for size_name, size in sizes:
        console.size(size)
        for dark in themes:
            console.theme(dark)
            time.sleep(0.2)
            violations = console.axe()
            assert violations == [], f"{name} ({'dark' if dark else 'light'}, {size_name}): {json.dumps(violations, indent=1)}"
            console.screenshot(SHOTS, f"{name}-{'dark' if dark else 'light'}-{size_name}")
    console.size(LAPTOP)
    console.theme(False)


def test_a_person_works_through_the_console(console_server, browser):
    ddb = client(console_server)
    c = browser
    c.open(console_server.endpoint + "/console/")
    assert c.heading().text == "Tables"
    c.wait_text("No tables yet")

    # Create a table with a global index and a stream; the server's message lands by the field.
    c.click("Create table")
    c.heading("Create table")
    c.fill("Table name", "ab")
    c.fill("Partition key", "customer")
    c.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    name_error = c.wait(lambda d: d.find_element(By.ID, c.field("Table name").get_attribute("id") + "-error"))
    c.wait(lambda d: name_error.is_displayed() and "tableName" in name_error.text)
    assert c.field("Table name").get_attribute("aria-invalid") == "true"
    c.fill("Table name", TABLE)
    c.fill("Sort key (optional)", "order")
    c.choose("Type", "String")
    type_selects = [e for e in c.driver.find_elements(By.XPATH, "//label[normalize-space()='Type']") if e.is_displayed()]
    from selenium.webdriver.support.ui import Select
    Select(c.driver.find_element(By.ID, type_selects[1].get_attribute("for"))).select_by_visible_text("Number")
    c.choose("Stream", "NEW_AND_OLD_IMAGES")
    c.click("Add global secondary index")
    c.fill("Index name", "byStatus")
    index_box = c.driver.find_elements(By.CSS_SELECTOR, "form fieldset")[-1]
    index_box.find_element(By.XPATH, ".//label[normalize-space()='Partition key']/following-sibling::input").send_keys("status")
    check_page(c, "create-table")
    c.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    c.heading(f"Table {TABLE}")
    c.wait_text("byStatus")
    described = ddb.describe_table(TableName=TABLE)["Table"]
    assert described["GlobalSecondaryIndexes"][0]["IndexName"] == "byStatus"
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {d["AttributeName"]: d["AttributeType"] for d in described["AttributeDefinitions"]} == {"customer": "S", "order": "N", "status": "S"}
    c.wait_text("notify")  # the mapping waiting for this table now reads its stream
    check_page(c, "table")

    # Add an item as plain JSON (exact numbers), then edit it.
    c.click("Browse items")
    c.heading(f"Items of {TABLE}")
    c.click("Add item")
    c.fill("Item", '{"customer": "alice", "order": 1, "status": "new", "total": 12.50000000000000000000000000000000001}')
    c.click("Save")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    item = ddb.get_item(TableName=TABLE, Key={"customer": {"S": "alice"}, "order": {"N": "1"}})["Item"]
    assert item["total"] == {"N": "12.50000000000000000000000000000000001"} and item["status"] == {"S": "new"}
    c.wait_text("alice")
    ddb.put_item(TableName=TABLE, Item={"customer": {"S": "bob"}, "order": {"N": "2"}, "status": {"S": "paid"}, "tags": {"SS": ["x", "y"]}})
    c.click("Run")
    c.wait_text("bob")
    check_page(c, "items")

    c.driver.find_element(By.CSS_SELECTOR, "button[aria-label='Open item alice / 1']").click()
    c.wait(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] h2").text == "Edit item")
    c.choose("Format", "Plain JSON")
    text = c.field("Item")
    edited = json.loads(text.get_attribute("value").replace("12.50000000000000000000000000000000001", "12.5"))
    edited["status"] = "paid"
    text.clear()
    text.send_keys(json.dumps(edited))
    c.click("Save")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    assert ddb.get_item(TableName=TABLE, Key={"customer": {"S": "alice"}, "order": {"N": "1"}})["Item"]["status"] == {"S": "paid"}

    # A conflicting change behind the editor's back: both versions are shown; saving anyway wins.
    c.wait_text("paid")
    c.driver.find_element(By.CSS_SELECTOR, "button[aria-label='Open item alice / 1']").click()
    ddb.update_item(TableName=TABLE, Key={"customer": {"S": "alice"}, "order": {"N": "1"}}, UpdateExpression="SET note = :n",
                    ExpressionAttributeValues={":n": {"S": "from elsewhere"}})
    edit_item(c, lambda document: document.update(status={"S": "sent"}))
    c.click("Save")
    c.wait_text("The item changed since you opened it")
    assert "from elsewhere" in c.scope().text
    c.click("Save mine anyway")
    c.wait_text("Saved.")
    stored = ddb.get_item(TableName=TABLE, Key={"customer": {"S": "alice"}, "order": {"N": "1"}})["Item"]
    assert stored["status"] == {"S": "sent"} and "note" not in stored
    c.click("Cancel")

    # Validation before saving: a DynamoDB JSON mistake is named, nothing is written.
    c.click("Add item")
    c.choose("Format", "DynamoDB JSON")
    c.fill("Item", '{"customer": {"S": "carol"}, "order": {"N": "three"}}')
    c.click("Save")
    try:
        c.wait_text("order: N takes a number in a string", timeout=5)
    except Exception:
        c.driver.save_screenshot("/tmp/smoke/fail.png")
        raise
    c.click("Cancel")
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"customer": {"S": "carol"}, "order": {"N": "3"}})

    # Query the global index.
    c.choose("Operation", "Query")
    c.choose("Read from", "Index byStatus (global)")
    c.fill("Partition key status (S)", "paid")
    c.click("Run")
    c.wait(lambda d: "bob" in d.find_element(By.CSS_SELECTOR, "main table.data").text)
    rows = c.driver.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")
    assert len(rows) == 1 and "bob" in rows[0].text

    # Bulk delete of a selection.
    ddb.put_item(TableName=TABLE, Item={"customer": {"S": "dave"}, "order": {"N": "4"}, "status": {"S": "paid"}})
    c.click("Run")
    c.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")) == 2)
    for box in c.driver.find_elements(By.CSS_SELECTOR, "main table.data tbody input[type=checkbox]"):
        box.click()
    c.click("Delete selected")
    c.click("Delete")
    c.wait_text("2 items deleted")
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 1

    # The live stream shows a put as it happens.
    c.go(f"#/stream/{TABLE}", "Live stream")
    c.wait_text("Watching")
    ddb.put_item(TableName=TABLE, Item={"customer": {"S": "erin"}, "order": {"N": "5"}, "status": {"S": "new"}})
    c.wait(lambda d: "customer=erin" in d.find_element(By.CSS_SELECTOR, "ul.records").text)
    first = c.driver.find_element(By.CSS_SELECTOR, "ul.records li")
    assert first.text.startswith("INSERT") and "+status=new" in first.text
    check_page(c, "stream")

    # The trigger page shows the failing webhook's error.
    c.go("#/triggers", "Triggers")
    c.wait(lambda d: "Connection refused" in d.find_element(By.TAG_NAME, "main").text or "connect" in d.find_element(By.CSS_SELECTOR, "main .card dd.error").text.lower(), timeout=40)
    assert "notify" in c.text() and "Webhook" in c.text()
    check_page(c, "triggers")

    # Metrics, PartiQL and operations pages.
    c.go("#/metrics", "Metrics")
    c.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "figure.chart svg polyline"))
    assert "PutItem" in c.text()
    check_page(c, "metrics")
    c.go("#/partiql", "PartiQL")
    c.fill("Statement", f'SELECT * FROM "{TABLE}" WHERE "customer" = ?')
    c.fill("Parameters (optional)", '[{"S": "erin"}]')
    c.click("Run")
    c.wait(lambda d: "erin" in d.find_element(By.CSS_SELECTOR, "main table.data").text)
    check_page(c, "partiql")
    c.go("#/operations", "Operations")
    c.fill("Backup name", "before-delete")
    c.click("Create backup")
    c.wait(lambda d: "before-delete" in d.find_element(By.TAG_NAME, "main").text)
    check_page(c, "operations")
    c.go("#/tables", "Tables")
    c.wait_text(TABLE)
    check_page(c, "tables")

    # Delete the table, typing its name.
    c.go(f"#/table/{TABLE}", f"Table {TABLE}")
    c.click("Delete table")
    c.fill(f"Type {TABLE} to confirm", "wrong")
    c.click("Delete table")
    c.wait_text(f"Type exactly {TABLE}")
    c.fill(f"Type {TABLE} to confirm", TABLE)
    c.click("Delete table")
    c.heading("Tables")
    assert TABLE not in ddb.list_tables()["TableNames"]
    assert c.errors() == []


def test_keyboard_alone(console_server, browser):
    c = browser
    c.open(console_server.endpoint + "/console/#/tables")
    # Each page puts focus on its heading; from there Tab reaches the page's controls and
    # Shift+Tab walks back through the navigation to the skip link, in reading order.
    c.wait_text("No tables yet")
    assert c.driver.switch_to.active_element == c.heading("Tables")
    assert c.tab(8, backwards=True) == ["Operations", "Metrics", "Triggers", "Live stream", "PartiQL", "Tables", "Shoal", "Skip to content"]
    c.driver.switch_to.active_element.send_keys(Keys.ENTER)  # the skip link goes to the content
    assert c.driver.switch_to.active_element.get_attribute("id") == "main"
    assert c.tab(2) == ["Create table", "Refresh"]
    c.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
    active = c.driver.switch_to.active_element
    assert active.text == "Create table"
    active.send_keys(Keys.ENTER)
    heading = c.heading("Create table")
    assert c.driver.switch_to.active_element == heading  # focus moves to the new page's heading
    active = c.driver.switch_to.active_element
    active.send_keys(Keys.TAB)
    c.driver.switch_to.active_element.send_keys("KeyboardOnly")
    c.driver.switch_to.active_element.send_keys(Keys.TAB, "id", Keys.ENTER)
    c.heading("Table KeyboardOnly")
    ddb = client(console_server)
    assert ddb.describe_table(TableName="KeyboardOnly")["Table"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    ddb.delete_table(TableName="KeyboardOnly")
    # On a phone the menu opens from its button, by keyboard too.
    c.size(PHONE)
    try:
        c.go("#/tables", "Tables")
        nav = c.driver.find_element(By.ID, "nav")
        assert not nav.is_displayed()
        toggle = c.driver.find_element(By.ID, "menu-toggle")
        toggle.send_keys(Keys.ENTER)
        assert nav.is_displayed() and toggle.get_attribute("aria-expanded") == "true"
        width = c.script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    finally:
        c.size(LAPTOP)


class EvilPage(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_sigv4_login_and_a_foreign_page(sigv4_server, browser):
    s = sigv4_server
    c = browser
    c.open(s.endpoint + "/console/")
    c.heading("Log in to Shoal")
    check_page(c, "login", sizes=(("laptop", LAPTOP), ("phone", PHONE)))
    c.fill("Access key ID", ACCESS_KEY)
    c.fill("Secret access key", "not the secret")
    c.click("Log in")
    c.wait_text("not valid")
    assert c.field("Secret access key").get_attribute("value") == ""
    c.fill("Secret access key", SECRET_KEY)
    c.click("Log in")
    c.heading("Tables")
    c.wait_text(f"Signed in as {ACCESS_KEY}")
    # No script can read the session, and nothing of it is kept in the page's storage.
    assert c.script("return document.cookie") == ""
    assert c.script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") == "{}{}"
    assert SECRET_KEY not in c.driver.current_url
    c.click("Create table")
    c.fill("Table name", "Signed")
    c.fill("Partition key", "id")
    c.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    c.heading("Table Signed")

    # A page of another origin (same host, other port: the same site, so the browser even sends
    # the SameSite cookie) tries the console's API every way a page can.
    folder = tempfile.mkdtemp(prefix="shoal-evil-")
    shoal = s.endpoint
    with open(os.path.join(folder, "index.html"), "w") as f:
        f.write('<!doctype html><title>evil</title><script src="evil.js"></script>')
    with open(os.path.join(folder, "evil.js"), "w") as f:
        f.write(f"""
const results = {{}};
const target = {json.dumps(shoal + '/console/api/dynamodb')};
const body = JSON.stringify({{TableName: 'Pwned', KeySchema: [{{AttributeName: 'k', KeyType: 'HASH'}}],
  AttributeDefinitions: [{{AttributeName: 'k', AttributeType: 'S'}}], BillingMode: 'PAY_PER_REQUEST'}});
async function attempt(name, init) {{
  try {{ const r = await fetch(target, init); results[name] = 'status ' + r.status + ' ' + (await r.text()).slice(0, 80); }}
  catch (e) {{ results[name] = 'blocked'; }}
}}
(async () => {{
  await attempt('cors', {{method: 'POST', credentials: 'include', headers: {{'X-Shoal-Console': '1', 'X-Amz-Target': 'DynamoDB_20120810.CreateTable'}}, body}});
  await attempt('simple', {{method: 'POST', credentials: 'include', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, body}});
  await attempt('read', {{credentials: 'include', headers: {{'X-Shoal-Console': '1'}}}});
  document.title = 'done ' + JSON.stringify(results);
}})();
""")
    handler = lambda *a, **k: EvilPage(*a, directory=folder, **k)
    evil = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=evil.serve_forever, daemon=True)
    thread.start()
    try:
        c.driver.get(f"http://127.0.0.1:{evil.server_address[1]}/index.html")
        c.wait(lambda d: d.title.startswith("done "))
        results = json.loads(c.driver.title[5:])
        assert results["cors"] == "blocked" and results["read"] == "blocked"
        # Sent without the console's header and refused; its answer is opaque, or (with
        # Cross-Origin-Resource-Policy: same-origin) not even that.
        assert results["simple"] in ("status 0 ", "blocked")
    finally:
        evil.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    signed = boto3.client("dynamodb", endpoint_url=s.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, config=client_config())
    tables = signed.list_tables()["TableNames"]
    assert "Signed" in tables and "Pwned" not in tables

    # Back in the console: log out, and the session is gone.
    c.open(s.endpoint + "/console/#/tables")
    c.wait_text("Signed")
    c.click("Log out")
    c.heading("Log in to Shoal")
    status = c.script("""
      const done = arguments[arguments.length - 1];
      return fetch('api/dynamodb', {method: 'POST', headers: {'X-Shoal-Console': '1', 'X-Amz-Target': 'DynamoDB_20120810.ListTables'}, body: '{}'})
        .then(r => r.status);""")
    assert status == 401
    signed.delete_table(TableName="Signed")


def lambda_client(server):
    return boto3.client("lambda", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="a",
                        aws_secret_access_key="b", config=client_config())


def scans(server):
    """Scan requests the server has answered (from GET /metrics)."""
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith('shoal_requests_total{operation="Scan"}'):
                return float(line.split()[-1])
    return 0.0


def rows(c):
    return c.driver.find_elements(By.CSS_SELECTOR, "main table.data tbody tr")


def test_paging_filters_exports_and_the_other_controls(console_server, browser):
    ddb, lam, c = client(console_server), lambda_client(console_server), browser
    name = "Extras"
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "n", "AttributeType": "N"}],
                     BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    for start in range(0, 60, 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"id": {"S": "p"}, "n": {"N": str(i)}, "v": {"N": str(i)}, "text": {"S": f"say \"{i}\", ok"}}}}
                                                   for i in range(start, min(start + 25, 60))]})
    # The items page reads one page (one Scan with a Limit), never the whole table.
    scans_before = scans(console_server)
    c.open(console_server.endpoint + f"/console/#/items/{name}")
    c.wait(lambda d: len(rows(c)) == 25)
    assert scans(console_server) - scans_before == 1
    first_page = [r.text for r in rows(c)]
    c.click("Next page")
    c.wait_text("Page 2: 25 items")
    assert [r.text for r in rows(c)] != first_page
    c.click("Next page")
    c.wait_text("Page 3: 10 items")
    assert not c.driver.find_element(By.XPATH, "//button[normalize-space()='Next page']").is_enabled()
    c.click("Previous page")
    c.wait_text("Page 2: 25 items")

    # A filter (v ≥ 50: a query's filter may not name a key) and a backward query.
    c.click("Add filter")
    c.fill("Attribute", "v")
    c.choose("Condition", "≥")
    c.choose("Type", "Number")
    c.fill("Value", "50")
    c.choose("Operation", "Query")
    c.fill("Partition key id (S)", "p")
    c.choose("Sort order", "Descending")
    c.click("Run")
    c.wait_text("Page 1: 10 items (25 read)")
    assert rows(c)[0].text.split()[2] == "59"

    # Export what is shown, as JSON lines and as CSV.
    downloads = tempfile.mkdtemp(prefix="shoal-downloads-")
    c.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    c.click("Export JSON lines")
    c.click("Export CSV")
    c.wait(lambda _: {f for f in os.listdir(downloads)} == {f"{name}.jsonl", f"{name}.csv"})
    time.sleep(0.3)
    with open(os.path.join(downloads, f"{name}.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    assert [line["Item"]["n"]["N"] for line in lines] == [str(i) for i in range(59, 49, -1)]
    with open(os.path.join(downloads, f"{name}.csv"), newline="") as f:
        import csv
        table = list(csv.reader(f))
    assert table[0][:2] == ["id", "n"] and sorted(table[0]) == ["id", "n", "text", "v"] and len(table) == 11
    assert dict(zip(table[0], table[1])) == {"id": "p", "n": "59", "v": "59", "text": 'say "59", ok'}
    shutil.rmtree(downloads, ignore_errors=True)

    # Duplicate an item under a new key.
    c.driver.find_element(By.CSS_SELECTOR, "button[aria-label='Open item p / 59']").click()
    c.click("Duplicate")
    c.wait(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] h2").text == "Duplicate item")
    edit_item(c, lambda document: document.update(n={"N": "100"}))
    c.click("Save")
    c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    copy = ddb.get_item(TableName=name, Key={"id": {"S": "p"}, "n": {"N": "100"}})["Item"]
    assert copy["text"] == {"S": 'say "59", ok'}

    # PartiQL, page by page.
    c.go("#/partiql", "PartiQL")
    c.fill("Statement", f'SELECT * FROM "{name}"')
    c.fill("Items read per page", "40")
    c.click("Run")
    c.wait_text("Page 1: 40 items")
    c.click("Next page")
    c.wait_text("Page 2: 21 items")
    c.wait_text("SELECT * FROM")  # the history lists it
    c.click("Use")
    assert c.field("Statement").get_attribute("value") == f'SELECT * FROM "{name}"'

    # The live stream under a flood: the page keeps answering, keeps at most 300 rows and says it samples.
    c.go(f"#/stream/{name}", "Live stream")
    c.wait_text("Watching")
    started = time.time()
    for start in range(0, 3000, 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"id": {"S": "flood"}, "n": {"N": str(i)}}}} for i in range(start, start + 25)]})
    flood_seconds = time.time() - started
    slowest = 0
    for _ in range(10):
        before = time.time()
        c.script("return document.querySelectorAll('ul.records li').length")
        slowest = max(slowest, time.time() - before)
    c.wait_text("3,000 records received", timeout=30)
    assert len(c.driver.find_elements(By.CSS_SELECTOR, "ul.records li")) <= 300
    assert slowest < 1.0, f"the page took {slowest:.2f} s to answer during the flood"
    if flood_seconds < 3000 / 400:
        assert "of them not sent" in c.text()
    # Pause: nothing new is drawn.
    c.field("Pause").click()
    ddb.put_item(TableName=name, Item={"id": {"S": "paused"}, "n": {"N": "1"}})
    time.sleep(1.5)
    assert "id=paused" not in c.driver.find_element(By.CSS_SELECTOR, "ul.records").text
    c.field("Pause").click()
    # Filtering by event name and key.
    c.fill("Key contains", "late")
    ddb.put_item(TableName=name, Item={"id": {"S": "late"}, "n": {"N": "1"}})
    ddb.delete_item(TableName=name, Key={"id": {"S": "late"}, "n": {"N": "1"}})
    c.wait(lambda d: any(li.text.startswith("REMOVE") and "id=late" in li.text for li in d.find_elements(By.CSS_SELECTOR, "ul.records li")))
    assert all("late" in li.text for li in c.driver.find_elements(By.CSS_SELECTOR, "ul.records li")[:2])

    # Triggers: disable, batch size, restart from LATEST (a mapping of this table made through Lambda's API).
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    uuid = lam.create_event_source_mapping(FunctionName="notify", EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=50)["UUID"]
    c.go("#/triggers", "Triggers")

    def card():
        return c.wait(lambda d: next((s for s in d.find_elements(By.CSS_SELECTOR, "main section.card")
                                      if s.find_element(By.TAG_NAME, "h3").text == f"notify ← {name}"), False))

    def press(text):
        button = card().find_element(By.XPATH, f".//button[normalize-space()='{text}']")
        c.script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()

    press("Disable")
    c.wait(lambda _: lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled")
    c.wait(lambda _: card().find_elements(By.XPATH, ".//button[normalize-space()='Enable']"))
    batch = card().find_element(By.CSS_SELECTOR, "input[type=number]")
    batch.clear()
    batch.send_keys("5")
    press("Set batch size")
    c.wait(lambda _: lam.get_event_source_mapping(UUID=uuid)["BatchSize"] == 5)
    press("Restart…")
    c.click("From LATEST (new records only)")
    mine = lambda: [m for m in lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]]
    c.wait(lambda _: [m["UUID"] for m in mine()] not in ([uuid], []))
    (restarted,) = mine()
    assert restarted["StartingPosition"] == "LATEST" and restarted["BatchSize"] == 5 and restarted["State"] == "Disabled"
    lam.delete_event_source_mapping(UUID=restarted["UUID"])

    # Operations: restore a backup into a new table.
    ddb.create_backup(TableName=name, BackupName="extras-backup")
    c.go("#/operations", "Operations")
    c.click("Restore extras-backup")
    c.fill("New table name", "ExtrasRestored")
    c.click("Restore")
    c.wait(lambda _: "ExtrasRestored" in ddb.list_tables()["TableNames"])

    # Purge a table's items (the table stays).
    c.go(f"#/table/{name}", f"Table {name}")
    c.click("Purge items")
    c.fill(f"Type {name} to confirm", name)
    c.click("Purge items", index=0)
    c.wait_text("Purged", timeout=60)
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 0
    assert name in ddb.list_tables()["TableNames"]
    assert c.errors() == []
    for table in (name, "ExtrasRestored"):
        c.wait(lambda _: ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE")
        ddb.delete_table(TableName=table)


def test_behind_a_base_path(browser):
    s = Server("--base-path", "/tools/shoal")
    try:
        client(s).create_table(TableName="Prefixed", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        c = browser
        c.open(s.endpoint + "/tools/shoal/console/")
        c.wait_text("Prefixed")
        c.click("Prefixed")
        c.heading("Table Prefixed")
        assert c.errors() == []
    finally:
        s.stop()


def test_an_index_backfill_shows_its_progress(browser):
    """A global index added to a table of 100,000 items: the table page shows the backfill's
    progress and looks again by itself until the index is active."""
    folder = tempfile.mkdtemp(prefix="shoal-console-backfill-")
    items = 100_000
    path = os.path.join(folder, "items.json")
    with open(path, "w") as out:
        for i in range(items):
            out.write('{"Item":{"id":{"S":"item%07d"},"group":{"S":"g%d"}}}\n' % (i, i % 100))
    import subprocess
    from conftest import shoal_binary
    subprocess.run([shoal_binary(), "import", "--data", os.path.join(folder, "db"), "--to-table", "Big", "--from", path,
                    "--format", "dynamodb", "--create-table", "--partition-key", "id:S"], check=True, stdout=subprocess.DEVNULL)
    os.remove(path)
    s = Server(data=folder)
    try:
        c, ddb = browser, client(s)
        c.open(s.endpoint + "/console/#/tables")
        c.wait_text("100,000")
        ddb.update_table(TableName="Big", AttributeDefinitions=[{"AttributeName": "group", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "byGroup", "KeySchema": [{"AttributeName": "group", "KeyType": "HASH"}],
                                                                  "Projection": {"ProjectionType": "ALL"}}}])
        c.go("#/table/Big", "Table Big")
        progress = c.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "progress[aria-label='Backfill of byGroup']"), timeout=10)[0]
        assert progress.get_attribute("max") == str(items) and 0 <= int(progress.get_attribute("value")) <= items
        assert "BACKFILLING" in c.text()
        # No reload by hand: the page looks again until the index is active.
        c.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "progress") and "BACKFILLING" not in d.find_element(By.TAG_NAME, "main").text, timeout=120)
        index_row = next(r for r in c.driver.find_elements(By.CSS_SELECTOR, "main table.data tbody tr") if r.text.startswith("byGroup"))
        assert "ACTIVE" in index_row.text and "100,000" in index_row.text
        assert c.errors() == []
    finally:
        s.stop()
