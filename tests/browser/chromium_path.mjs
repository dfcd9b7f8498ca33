// Prints the path of the headless Chromium shipped inside the npm package @sparticuz/chromium
// (bin/chromium.br, brotli-compressed), extracting it once into node_modules/.chromium/<version>/.
// Nothing is downloaded: the browser is part of the package that `npm ci` installs.
// Usage: node tests/browser/chromium_path.mjs   (or import { chromiumPath } from it)
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "node_modules", "@sparticuz", "chromium");

export async function chromiumPath() {
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const target = join(here, "node_modules", ".chromium", version);
  const binary = join(target, "chromium");
  if (existsSync(binary)) return binary;
  // Extract into a private staging folder (the package extracts into os.tmpdir(), i.e. $TMPDIR),
  // then rename it into place, so concurrent callers never see a half-written binary.
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    const { default: chromium } = await import("@sparticuz/chromium");
    await chromium.executablePath(join(pkgDir, "bin"));
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw error; // another process won the race otherwise
  }
  return binary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await chromiumPath());
}
