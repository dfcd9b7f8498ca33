import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["upstream.test.mjs"],
    // The suite shares one server; run its files in one worker to keep its timing honest.
    fileParallelism: false,
    testTimeout: 5000,
  },
});
