// The web page in a real Chromium against a real Axon: sign in by the form's labels, see a person
// turn busy live, go busy from the page, stay signed in across a reload, sign out; and the busy
// fallback notice on a server without busy. Writes packages/web/test/screenshots/page.png.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { AxonClient, isMatrixError } from "@axon/sdk";
import { chromium, type Browser, type Page } from "playwright-core";
import { ensureWebBuilt } from "../../../scripts/build-web.mjs";
import { addUser, startLiveServer, type LiveServer } from "../../server/test/e2e/harness";

const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "correct horse battery";
const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

let browser: Browser;
before(async () => {
  // Never a silent skip: scripts/system-deps.sh (run by `npm test`) installs Debian's chromium.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/system-deps.sh as root (apt-get install chromium)`);
  await ensureWebBuilt();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
});
after(() => browser?.close());

/** A user with a display name, signed in through the SDK. */
async function person(live: LiveServer, localpart: string, displayName: string): Promise<AxonClient> {
  await addUser(live, localpart, PASSWORD);
  const client = await AxonClient.login(live.url, localpart, PASSWORD, { deviceName: "test" });
  await client.setDisplayName(displayName);
  return client;
}

/** A room made by `owner` that everyone else joins. */
async function shareRoom(owner: AxonClient, others: AxonClient[]): Promise<void> {
  const roomId = await owner.createRoom({ name: "Team", preset: "private_chat", invite: others.map((c) => c.userId) });
  for (const c of others) await c.joinRoom(roomId);
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The list item of `userId` in the group list whose heading starts with `group` (e.g. "Busy"). */
const inGroup = (page: Page, group: string, userId: string) =>
  page.getByRole("list", { name: new RegExp(`^${group} `) }).getByRole("listitem").filter({ hasText: userId });

describe("the web page against a server with busy", () => {
  let live: LiveServer;
  let bob: AxonClient;
  let page: Page;
  let aliceId = "";

  before(async () => {
    live = await startLiveServer();
    aliceId = await addUser(live, "alice", PASSWORD);
    const alice = await AxonClient.login(live.url, "alice", PASSWORD);
    await alice.setDisplayName("Alice Martin");
    await alice.logout();
    bob = await person(live, "bob", "Bob Okafor");
    const carol = await person(live, "carol", "Carol Nguyen");
    const dave = await person(live, "dave", "Dave Schmidt");
    const erin = await person(live, "erin", "Erin Rossi");
    await shareRoom(bob, [carol, dave, erin, await AxonClient.login(live.url, "alice", PASSWORD)]);
    await carol.setPresence("online", { statusMsg: "Reviewing the release notes" });
    await dave.setPresence("unavailable", { statusMsg: "Lunch, back at 2" });
    await erin.setPresence("offline");
    page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  });
  after(async () => {
    await page?.close();
    await live?.close();
  });

  test("sign in, see Bob go busy within a second, go busy from the page, survive a reload, sign out", async (t) => {
    await page.goto(`${live.url}/`);
    assert.equal(await page.getByLabel("Homeserver").inputValue(), live.url, "the homeserver is the page's own origin");

    await signIn(page, "alice", "not the password");
    await page.getByText("Wrong username or password.").waitFor();

    await signIn(page, "alice", PASSWORD);
    await page.getByRole("heading", { name: "Your people" }).waitFor();
    await page.getByRole("listitem").filter({ hasText: bob.userId }).getByText("Bob Okafor").waitFor();
    await inGroup(page, "Online", "@carol:").getByText("Reviewing the release notes").waitFor();
    assert.equal(await page.getByText("This server has no busy state").isVisible(), false, "no fallback notice where busy exists");

    // Bob, through the SDK, goes busy: the page shows it from its /sync long-poll, without a reload.
    await page.getByText("You appear as Online").waitFor();
    await new Promise((r) => setTimeout(r, 300)); // the page is now waiting in /sync
    await bob.setPresence("busy", { statusMsg: "In a meeting until 3" });
    const put = performance.now();
    await inGroup(page, "Busy", bob.userId).filter({ hasText: "In a meeting until 3" }).waitFor({ timeout: 5000 });
    const shownAfter = performance.now() - put;
    assert.ok(shownAfter < 1000, `Bob shown busy ${Math.round(shownAfter)} ms after his PUT returned`);
    t.diagnostic(`Bob shown busy ${Math.round(shownAfter)} ms after his PUT returned`);
    const bobItem = inGroup(page, "Busy", bob.userId);
    assert.match(await bobItem.innerText(), /Bob Okafor[\s\S]*Busy/, "the state is written out, not only a colour");

    // Alice picks Busy on the page (by keyboard: from Online, the arrow key moves to Busy).
    await page.getByRole("radio", { name: "Online" }).check();
    await page.getByRole("radio", { name: "Online" }).focus();
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.getByRole("radio", { name: "Busy" }).isChecked(), true, "arrow keys move between the choices");
    await page.getByLabel("Status message").fill("Writing the quarterly report");
    // "Clear after" offers what chat apps offer, "Today" first chosen; Alice picks an hour.
    const clearAfter = page.getByLabel("Clear after");
    assert.equal(await clearAfter.inputValue(), "today", "Today is the default");
    assert.deepEqual(await clearAfter.locator("option").allInnerTexts(), ["30 minutes", "1 hour", "4 hours", "Today", "Don't clear"]);
    await clearAfter.selectOption({ label: "1 hour" });
    const chosenAt = Date.now();
    await page.getByRole("button", { name: "Set status" }).click();
    let seen = await bob.getPresence(aliceId);
    for (const start = Date.now(); seen.state !== "busy" && Date.now() - start < 5000; ) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await bob.getPresence(aliceId);
    }
    assert.equal(seen.state, "busy", "Bob's SDK sees Alice busy");
    assert.equal(seen.statusMsg, "Writing the quarterly report");
    assert.ok(seen.until !== null && Math.abs(seen.until - (chosenAt + 3_600_000)) < 10_000, `Alice's status ends in an hour (${seen.until})`);
    await page.getByText("You appear as Busy").waitFor();
    const hhmm = (at: number) => `${String(new Date(at).getHours()).padStart(2, "0")}:${String(new Date(at).getMinutes()).padStart(2, "0")}`;
    await page.locator(".current").getByText(/until (\d\d:\d\d|\d+ \w+ \d\d:\d\d)/).waitFor();
    // Bob's own end shows next to his status.
    const bobUntil = Date.now() + 2 * 3_600_000;
    await bob.setPresence("busy", { statusMsg: "In a meeting until 3", until: bobUntil });
    await inGroup(page, "Busy", bob.userId).getByText(new RegExp(`until (\\d+ \\w+ )?${hhmm(bobUntil)}`)).waitFor({ timeout: 5000 });

    // A reload keeps Alice signed in, as she is.
    await page.reload();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Sign in" }).count(), 0);
    await page.getByText("You appear as Busy").waitFor();
    await inGroup(page, "Busy", bob.userId).waitFor();
    await inGroup(page, "Away", "@dave:").waitFor();
    await inGroup(page, "Offline", "@erin:").waitFor();
    assert.equal(await page.getByRole("radio", { name: "Busy" }).isChecked(), true);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}page.png` });

    // A change from elsewhere (Alice's other device) shows as the server reports it.
    const phone = await AxonClient.login(live.url, "alice", PASSWORD, { deviceName: "phone" });
    await phone.setPresence("online", { statusMsg: "On the train" });
    await page.getByText("You appear as Online “On the train”").waitFor({ timeout: 5000 });
    assert.equal(await page.getByRole("radio", { name: "Online" }).isChecked(), true, "the form follows while untouched");
    await phone.logout();

    // Sign out ends the session on the server too.
    const token = await page.evaluate(() => (JSON.parse(localStorage.getItem("axon.session") ?? "{}") as { accessToken?: string }).accessToken);
    assert.ok(token, "the session was kept in localStorage");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const old = new AxonClient({ homeserver: live.url, userId: aliceId, deviceId: "x", accessToken: token });
    await assert.rejects(old.whoami(), (err: unknown) => isMatrixError(err, "M_UNKNOWN_TOKEN"));
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  });

  test("narrow phone screen: nothing wider than 360 px; the times keep ticking", async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 } });
    try {
      await phone.clock.install();
      await phone.goto(`${live.url}/`);
      await signIn(phone, "carol", PASSWORD);
      await inGroup(phone, "Busy", bob.userId).waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `page is ${width} px wide`);
      await phone.clock.fastForward("05:00");
      await inGroup(phone, "Busy", bob.userId).getByText("active 5 min ago").waitFor({ timeout: 5000 });
      mkdirSync(SCREENSHOTS, { recursive: true });
      await phone.screenshot({ path: `${SCREENSHOTS}phone.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });
});

describe("the web page against a server without busy", () => {
  let live: LiveServer;
  let page: Page;
  let closed = false;

  before(async () => {
    live = await startLiveServer({ presence: { busy_presence: false } });
    await addUser(live, "frank", PASSWORD);
    page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  });
  after(async () => {
    await page?.close();
    if (!closed) await live?.close();
  });

  test("a dead session and an unreachable server are said; the busy fallback is said plainly; the banner shows a lost connection", async () => {
    await page.goto(`${live.url}/`);
    const dead = { homeserver: live.url, userId: `@frank:${live.serverName}`, deviceId: "GONE", accessToken: "revoked" };
    await page.evaluate((session) => localStorage.setItem("axon.session", JSON.stringify(session)), dead);
    await page.reload();
    await page.getByText("Your session has ended: sign in again.").waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem("axon.session")), null, "the dead session is forgotten");

    await page.getByLabel("Homeserver").fill("http://127.0.0.1:9");
    await signIn(page, "frank", PASSWORD);
    await page.getByText("Cannot reach http://127.0.0.1:9.").waitFor();

    await page.getByLabel("Homeserver").fill(live.url);
    await signIn(page, "frank", PASSWORD);
    await page.getByText("This server has no busy state: choosing Busy makes you appear away.").waitFor();
    assert.equal(await page.getByRole("radio", { name: "Busy" }).isVisible(), true, "Busy is still offered");

    await page.getByRole("radio", { name: "Busy" }).check();
    await page.getByRole("button", { name: "Set status" }).click();
    await page.getByText("You appear as Away").waitFor();
    assert.equal(await page.getByRole("radio", { name: "Busy" }).isChecked(), true, "your choice stays Busy");

    closed = true;
    await live.close();
    await page.getByRole("status").filter({ hasText: /Reconnecting/ }).waitFor({ timeout: 10_000 });
  });
});
