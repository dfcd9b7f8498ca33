// Starts the upstream Node server (in-memory) on loopback and prints its URL as one line.
import { DurableStreamTestServer } from "@durable-streams/server";

const port = Number(process.argv[2] ?? 0);
const longPollTimeout = Number(process.argv[3] ?? 500);
const server = new DurableStreamTestServer({ port, host: "127.0.0.1", longPollTimeout });
const url = await server.start();
console.log(`LISTENING ${url ?? `http://127.0.0.1:${port}`}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
