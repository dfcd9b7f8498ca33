// `chromium --dump-dom URL` for the npm-shipped Chromium (see chromium_path.mjs).
// @sparticuz/chromium is a headless-shell build without the command-line commands: it ignores
// --dump-dom (and --screenshot) and just keeps running. This script takes the same arguments,
// starts that Chromium with --remote-debugging-pipe, loads URL, waits for the load to complete,
// and prints the serialized DOM (doctype + outerHTML) to stdout, as --dump-dom does. No dependencies.
// Usage: node tests/browser/dump_dom.mjs [chromium flags...] --dump-dom URL
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromiumPath } from "./chromium_path.mjs";

const TIMEOUT_MS = Number(process.env.DSCHECK_DUMP_DOM_TIMEOUT_MS ?? 60000);
const args = process.argv.slice(2);
const url = args.filter((a) => !a.startsWith("--")).pop();
if (!url) {
  console.error("usage: node dump_dom.mjs [chromium flags...] --dump-dom URL");
  process.exit(2);
}
const flags = args.filter((a) => a.startsWith("--") && a !== "--dump-dom" && !a.startsWith("--headless"));
let scratchProfile = null;
if (!flags.some((a) => a.startsWith("--user-data-dir="))) {
  scratchProfile = mkdtempSync(join(tmpdir(), "dscheck-chromium-"));
  flags.push(`--user-data-dir=${scratchProfile}`);
}
for (const needed of ["--no-sandbox", "--no-zygote"]) if (!flags.includes(needed)) flags.push(needed);

const browser = spawn(await chromiumPath(), [...flags, "--remote-debugging-pipe", "about:blank"],
  { stdio: ["ignore", "ignore", "inherit", "pipe", "pipe"], detached: true });
const [toBrowser, fromBrowser] = [browser.stdio[3], browser.stdio[4]];
const exited = new Promise((resolve) => browser.once("exit", resolve));

let stage = "starting Chromium";
let nextId = 0;
const pending = new Map();
let buffered = "";
fromBrowser.setEncoding("utf8");
fromBrowser.on("data", (chunk) => {
  buffered += chunk;
  let end;
  while ((end = buffered.indexOf("\0")) >= 0) {
    const message = JSON.parse(buffered.slice(0, end));
    buffered = buffered.slice(end + 1);
    const waiter = message.id !== undefined && pending.get(message.id);
    if (!waiter) continue; // an event
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`));
    else waiter.resolve(message.result);
  }
});
toBrowser.on("error", () => {}); // the browser may close its end first; exits are handled below

function send(method, params = {}, sessionId = undefined) {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, method });
    stage = `waiting for ${method}`;
    toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function dumpDom() {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const navigated = await send("Page.navigate", { url }, sessionId);
  if (navigated.errorText) throw new Error(`cannot load ${url}: ${navigated.errorText}`);
  const evaluate = async (expression) =>
    (await send("Runtime.evaluate", { expression, returnByValue: true }, sessionId)).result.value;
  while ((await evaluate("document.readyState")) !== "complete") await sleep(25);
  // as --dump-dom prints it: the doctype on its own line, then the root element's markup
  return evaluate("(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + '\\n' : '')"
    + " + document.documentElement.outerHTML");
}

// Kill the whole process group (the browser and its renderer/GPU/utility children).
const killBrowser = () => { try { process.kill(-browser.pid, "SIGKILL"); } catch { browser.kill("SIGKILL"); } };

let code = 0;
const timer = setTimeout(() => {
  console.error(`dump_dom.mjs: no DOM after ${TIMEOUT_MS} ms (${stage})`);
  killBrowser();
  process.exit(1);
}, TIMEOUT_MS);
try {
  const html = await Promise.race([
    dumpDom(),
    exited.then((status) => { throw new Error(`Chromium exited early (${status})`); }),
  ]);
  clearTimeout(timer);
  await new Promise((resolve) => process.stdout.write(`${html}\n`, resolve));
} catch (error) {
  clearTimeout(timer);
  console.error(`dump_dom.mjs: ${error.message}`);
  code = 1;
}
// Ask the browser to quit, but do not wait on it for long: Browser.close sometimes never answers.
try { toBrowser.write(`${JSON.stringify({ id: ++nextId, method: "Browser.close" })}\0`); } catch {}
if ((await Promise.race([exited, sleep(3000).then(() => "timeout")])) === "timeout") {
  console.error("dump_dom.mjs: Chromium did not quit within 3 s of Browser.close; killed it");
  killBrowser();
}
if (scratchProfile) rmSync(scratchProfile, { recursive: true, force: true });
process.exit(code);
