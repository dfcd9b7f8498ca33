// The upstream conformance suite, run against DSCHECK_UPSTREAM_URL. The package's own CLI
// finds no tests when installed under node_modules, so it is called from this file instead.
import { runConformanceTests } from "@durable-streams/server-conformance-tests";

const baseUrl = process.env.DSCHECK_UPSTREAM_URL;
if (!baseUrl) throw new Error("DSCHECK_UPSTREAM_URL is not set (use run_upstream.py)");

runConformanceTests({ baseUrl });
