// What `openclaw clawtell doctor` concludes from OpenClaw's tool policy (layered per agent as OpenClaw layers it), and
// how `routes` shows keys.
import { describe, expect, it } from "vitest";
import { maskKey } from "../../../src/plugin/cli/routes-command.js";
import { namesTool, toolProblem } from "../../../src/plugin/cli/tool-policy.js";

describe("toolProblem", () => {
  it("sees the tool with no policy, the full profile, or an unset profile", () => {
    expect(toolProblem({}, "main")).toBeUndefined();
    expect(toolProblem({ tools: { profile: "full" } }, "main")).toBeUndefined();
    expect(toolProblem({ tools: { allow: [] } }, "main")).toBeUndefined();
  });

  it("hides it under a limited profile until alsoAllow names it, the plugin, group:plugins or a matching pattern", () => {
    for (const profile of ["minimal", "coding", "messaging"]) {
      expect(toolProblem({ tools: { profile } }, "main")).toMatchObject({ path: "tools.alsoAllow", reason: `tools.profile "${profile}" leaves plugin tools out and tools.alsoAllow does not list it` });
    }
    for (const grant of ["clawtell_send", "clawtell", "group:plugins", "ClawTell_*", "*"]) {
      expect(toolProblem({ tools: { profile: "messaging", alsoAllow: [grant] } }, "main"), grant).toBeUndefined();
    }
    expect(toolProblem({ tools: { profile: "messaging", alsoAllow: ["message", "clawtell_other"] } }, "main")).toBeDefined();
  });

  it("takes the agent's own profile and alsoAllow over the global ones", () => {
    const cfg = { tools: { profile: "messaging", alsoAllow: ["clawtell_send"] }, agents: { entries: { main: {}, bob: { tools: { alsoAllow: ["web_search"] } }, eve: { tools: { profile: "full" } } } } };
    expect(toolProblem(cfg, "main")).toBeUndefined();
    // bob's own alsoAllow replaces the global one under the global profile.
    expect(toolProblem(cfg, "bob")).toMatchObject({ path: "agents.entries.bob.tools.alsoAllow", reason: 'tools.profile "messaging" leaves plugin tools out and agents.entries.bob.tools.alsoAllow does not list it' });
    expect(toolProblem(cfg, "eve")).toBeUndefined();
    // An agent that owns a limited profile, with nothing to inherit: the fix goes to the agent.
    expect(toolProblem({ agents: { entries: { main: { tools: { profile: "coding" } } } } }, "main")).toMatchObject({ path: "agents.entries.main.tools.alsoAllow" });
  });

  it("lets deny win and makes a non-empty allow list admit it, at either level", () => {
    expect(toolProblem({ tools: { deny: ["clawtell_*"] } }, "main")).toMatchObject({ path: "tools.deny" });
    expect(toolProblem({ tools: { profile: "full" }, agents: { entries: { main: { tools: { deny: ["group:plugins"] } } } } }, "main")).toMatchObject({ path: "agents.entries.main.tools.deny" });
    expect(toolProblem({ tools: { allow: ["read", "message"] } }, "main")).toMatchObject({ path: "tools.allow", fix: 'add "clawtell_send" to tools.allow' });
    expect(toolProblem({ tools: { allow: ["read", "clawtell_send"] } }, "main")).toBeUndefined();
  });

  it("reads agents.defaults.tools when there is no agent roster", () => {
    expect(toolProblem({ agents: { defaults: { tools: { profile: "minimal" } } } }, "main")).toMatchObject({ path: "agents.defaults.tools.alsoAllow" });
    expect(toolProblem({ agents: { defaults: { tools: { profile: "minimal", alsoAllow: ["clawtell"] } } } }, "main")).toBeUndefined();
  });

  it("judges clawtell_lists by its own name: an allow list naming only clawtell_send hides it", () => {
    const cfg = { tools: { profile: "messaging", alsoAllow: ["clawtell_send"] } };
    expect(toolProblem(cfg, "main")).toBeUndefined();
    expect(toolProblem(cfg, "main", "clawtell_lists")).toMatchObject({ path: "tools.alsoAllow", fix: 'add "clawtell_lists" to tools.alsoAllow (clawtell or group:plugins also work)' });
    expect(toolProblem({ tools: { profile: "messaging", alsoAllow: ["clawtell_*"] } }, "main", "clawtell_lists")).toBeUndefined();
    expect(toolProblem({ tools: { deny: ["clawtell_lists"] } }, "main", "clawtell_lists")).toMatchObject({ path: "tools.deny" });
    expect(toolProblem({ tools: { deny: ["clawtell_lists"] } }, "main")).toBeUndefined();
  });

  it("matches entries case-insensitively and only whole names", () => {
    expect(namesTool(["CLAWTELL_SEND"])).toBe(true);
    expect(namesTool(["clawtell_sen"])).toBe(false);
    expect(namesTool(["*_send"])).toBe(true);
    expect(namesTool(undefined)).toBe(false);
  });
});

describe("maskKey", () => {
  it("shows the lookup prefix of a ClawTell key and nothing of a key of another shape", () => {
    expect(maskKey("claw_ab12cd34_s3cr3tS3cr3tS3cr3t")).toBe("claw_ab12cd34…");
    expect(maskKey("sk-s3cr3tS3cr3tS3cr3t")).toBe("(hidden)");
    expect(maskKey("claw_s3cr3tS3cr3tS3cr3t")).toBe("(hidden)");
  });
});
