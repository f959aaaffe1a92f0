// The gateway's first ClawTell account start warns once, in OpenClaw's log, about what doctor would report.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostLogger } from "../../../src/plugin/host-logger.js";
import { createStartupCheck } from "../../../src/plugin/startup-check.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

describe("the startup check", () => {
  let server: TestServer;
  let aliceKey: string;
  beforeAll(async () => {
    server = await startTestServer();
    aliceKey = (await server.createName("alice", "owner@example.com")).apiKey;
  });
  afterAll(() => server.close());

  const collect = () => {
    const warnings: string[] = [];
    return { warnings, logger: createHostLogger({ info: () => undefined, warn: (line) => warnings.push(line), error: (line) => warnings.push(line) }) };
  };

  it("warns once about a route to an agent OpenClaw does not have, however often accounts start", async () => {
    const cfg = {
      tools: { profile: "messaging" },
      channels: { clawtell: { name: "alice", apiKey: aliceKey, baseUrl: server.url, routing: { alice: { agent: "ghost" } } } },
    };
    const check = createStartupCheck();
    const { warnings, logger } = collect();
    await check.run(cfg, () => ["main"], logger);
    await check.run(cfg, () => ["main"], logger);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('openclaw clawtell doctor would report: channels.clawtell.routing.alice.agent: no agent "ghost" in OpenClaw (agents: main)');
  });

  it("says nothing when doctor would find nothing", async () => {
    const cfg = { channels: { clawtell: { name: "alice", apiKey: aliceKey, baseUrl: server.url, routing: { alice: { agent: "main" } } } } };
    const { warnings, logger } = collect();
    await createStartupCheck().run(cfg, () => ["main"], logger);
    expect(warnings).toEqual([]);
  });
});
