/**
 * Offline synth: runs the Pulumi program in infra/ under Pulumi's mocks with a stack's config
 * (Pulumi.<stack>.yaml) and prints every resource it registers (type, name, key inputs) and the stack
 * outputs. No AWS account or Pulumi CLI needed; nothing is created.
 *
 *   npm run synth -- dev            human-readable
 *   npm run synth -- prod --json    for machines
 *   npm run synth -- qa --dir DIR   reads DIR/Pulumi.qa.yaml instead of the repo root's
 *   npm run synth -- prod --policy  also runs the policy pack (policy/) over the plan; exit 1 on a violation
 *
 * A config error prints the validation message and exits 1; a missing stack file exits 1 naming it.
 *
 * The exported functions are the test harness too (test/infra). How several runs share one process
 * with Pulumi 3.270 (all mocha files run in one process):
 *  - `pulumi.runtime.setMocks` installs a fresh mock monitor and project/stack for each run;
 *  - `pulumi.runtime.setAllConfig` replaces (not merges) the config map for each run;
 *  - the program runs inside `pulumi.runtime.runInPulumiStack`, as `pulumi up` does, so a fresh root
 *    Stack resource exists to hang a (legacy, SDK-side) stack transformation on: it sees every
 *    resource's options (ignoreChanges, dependsOn...), which the mock monitor does not pass to
 *    `newResource`. New-style `registerResourceTransform` transforms are NOT run by the mock monitor;
 *  - each run waits for its outstanding RPCs (settings.waitForRPCs) before returning, so none lands on the
 *    next run's mock monitor;
 *  - the program's modules under infra/ are evicted from `require.cache` before each run: importing a
 *    cached module would register nothing the second time.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { FleetConfigError, parseFleetConfig } from "../infra/shared/config";
import { evaluatePolicies, formatViolations, type PlanResource } from "../policy/evaluate";
import { ALL_POLICIES } from "../policy/policies";

export const ROOT = path.resolve(__dirname, "..");
export const PROGRAM_DIR = path.join(ROOT, "infra");
export const MOCK_ACCOUNT = "123456789012";
/** The key Pulumi's wire format marks a secret value with ({ [SECRET_SIG]: ..., value }). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export class StackFileError extends Error {}

/** A tiny reader for the flat `config:` map of a Pulumi.<stack>.yaml (scalars only). */
export function parseStackYaml(text: string, file = "stack file"): Record<string, string> {
  const out: Record<string, string> = {};
  let inConfig = false;
  let skip = -1;
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (i === skip || /^\s*(#.*)?$/.test(line)) continue;
    if (/^\S/.test(line)) {
      inConfig = /^config:\s*(#.*)?$/.test(line);
      continue;
    }
    if (!inConfig) continue;
    const m = /^\s+("[^"]+"|[A-Za-z0-9_.:-]+):\s*(.*?)\s*$/.exec(line);
    if (!m)
      throw new StackFileError(
        `${file}:${i + 1}: cannot read "${line.trim()}" (only flat key: value config is supported)`,
      );
    const key = m[1]!.replace(/^"|"$/g, "");
    let value = m[2]!;
    // A secret is `key:` then an indented `secure: <ciphertext>`: its stand-in is OFFLINE_SECRETS.
    if (value === "" && /^\s+secure:/.test(lines[i + 1] ?? "") && OFFLINE_SECRETS[key] !== undefined) {
      out[key] = OFFLINE_SECRETS[key]!;
      skip = i + 1;
      continue;
    }
    if (value === "" || value.startsWith("secure:") || value.startsWith("{") || value.startsWith("[")) {
      throw new StackFileError(
        `${file}:${i + 1}: ${key} has a nested, secret or empty value, which the offline synth does not read`,
      );
    }
    if (/^"/.test(value)) value = JSON.parse(value.replace(/\s+#.*$/, "")) as string;
    else if (/^'/.test(value))
      value = value
        .replace(/\s+#.*$/, "")
        .slice(1, -1)
        .replace(/''/g, "'");
    else value = value.replace(/\s+#.*$/, "");
    out[key] = value;
  }
  return out;
}

export function stackFile(stack: string, dir = ROOT): string {
  return path.join(dir, `Pulumi.${stack}.yaml`);
}

/**
 * Stand-ins for the stack secrets a real stack keeps encrypted (`pulumi config set --secret`), which this
 * offline reader cannot decrypt and the repo's stack files therefore do not hold. Used only when the file
 * has no value of its own; the program checks the stand-in exactly as it would the secret.
 */
export const OFFLINE_SECRETS: Readonly<Record<string, string>> = {
  "fleet:originSecret": "0ff11e5ec2e7000000000000000000000000000000000000000000000000000",
};

export function readStackConfig(stack: string, dir = ROOT): Record<string, string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackFileError(`invalid stack name "${stack}"`);
  const file = stackFile(stack, dir);
  const shown = path.relative(process.cwd(), file) || file;
  if (!fs.existsSync(file))
    throw new StackFileError(
      `stack file ${shown} not found (create it, e.g. with \`pulumi stack init ${stack}\` and \`pulumi config set\`)`,
    );
  const config = parseStackYaml(fs.readFileSync(file, "utf8"), shown);
  // Only where the program reads it: a stack with a certificate must not have an origin secret.
  const behindCloudFront = !config["fleet:certificateArn"];
  for (const [key, value] of Object.entries(OFFLINE_SECRETS))
    if (config[key] === undefined && (key !== "fleet:originSecret" || behindCloudFront)) config[key] = value;
  return config;
}

/** Validates the `fleet:*` part of a config map exactly as infra/index.ts does. */
export function validateStackConfig(config: Record<string, string>): void {
  const fleetKeys = Object.keys(config)
    .filter((k) => k.startsWith("fleet:"))
    .map((k) => k.slice("fleet:".length));
  parseFleetConfig((key) => config[`fleet:${key}`], new Date(), fleetKeys);
}

export interface SynthResource {
  type: string;
  name: string;
  /** True for provider-managed resources; false for components (including remote ones like awsx:ec2:Vpc). */
  custom: boolean;
  inputs: Record<string, any>;
  /** The mock's physical id and the outputs it added (arn, name, dnsName...), which other inputs reference. */
  id: string;
  outputs: Record<string, any>;
  /** The resource options the program passed (seen through a stack transformation); resources as "<type>::<name>". */
  options: {
    ignoreChanges?: string[];
    dependsOn?: string[];
    parent?: string;
    customTimeouts?: unknown;
    /** The former names an `aliases` entry keeps the URN of (names only; URN strings as given). */
    aliases?: string[];
  };
}

export interface SynthResult {
  stack: string;
  resources: SynthResource[];
  outputs: Record<string, any>;
}

/** Plausible provider outputs for the resources the program reads outputs of. */
function mockState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${resource}`;
  switch (type) {
    case "awsx:ec2:Vpc": {
      const n = Number(inputs.numberOfAvailabilityZones ?? 3);
      const ids = (kind: string) => Array.from({ length: n }, (_, i) => `subnet-${kind}-${i}`);
      return {
        vpcId: `vpc-${name}`,
        publicSubnetIds: ids("public"),
        privateSubnetIds: ids("private"),
        isolatedSubnetIds: [],
      };
    }
    case "aws:s3/bucket:Bucket":
      return {
        bucket: `${name}-bucket`,
        arn: `arn:aws:s3:::${name}-bucket`,
        bucketRegionalDomainName: `${name}-bucket.s3.${region}.amazonaws.com`,
        bucketDomainName: `${name}-bucket.s3.amazonaws.com`,
      };
    case "aws:s3/bucketObjectv2:BucketObjectv2":
      // What S3 reports after the upload: a version id and, with checksumAlgorithm SHA256, the base64 digest.
      return inputs.checksumAlgorithm === "SHA256"
        ? { versionId: `${name}-v1`, checksumSha256: Buffer.alloc(32, 7).toString("base64") }
        : { versionId: `${name}-v1` };
    case "aws:sqs/queue:Queue":
      return {
        name: `${name}-queue`,
        arn: arn("sqs", `${name}-queue`),
        url: `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT}/${name}-queue`,
      };
    case "aws:dynamodb/table:Table":
      return { name: `${name}-table`, arn: arn("dynamodb", `table/${name}-table`) };
    case "aws:cloudfront/distribution:Distribution":
      return {
        arn: `arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/E${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`,
        // The results CDN keeps the documentation's example name; the API's gets its own.
        domainName: name === "fleet-api" ? "d222222abcdef8.cloudfront.net" : "d111111abcdef8.cloudfront.net",
      };
    // A CLOUDFRONT-scope web ACL's ARN is global (us-east-1); a REGIONAL one's is in its region.
    case "aws:wafv2/webAcl:WebAcl": {
      const where = inputs.scope === "CLOUDFRONT" ? "us-east-1" : region;
      const kind = inputs.scope === "CLOUDFRONT" ? "global" : "regional";
      return { arn: `arn:aws:wafv2:${where}:${MOCK_ACCOUNT}:${kind}/webacl/${name}/a1b2c3d4` };
    }
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/50dc6c495c0c9188`),
        arnSuffix: `app/${name}/50dc6c495c0c9188`,
        dnsName: `${name}-1234567890.${region}.elb.amazonaws.com`,
      };
    case "aws:lb/targetGroup:TargetGroup":
      return {
        arn: arn("elasticloadbalancing", `targetgroup/${name}/73e2d6bc24d8a067`),
        arnSuffix: `targetgroup/${name}/73e2d6bc24d8a067`,
      };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { arn: arn("ec2", `launch-template/lt-${name}`), latestVersion: 1, defaultVersion: 1 };
    case "aws:autoscaling/group:Group":
      return { name: inputs.name ?? `${name}-asg-name`, arn: arn("autoscaling", `autoScalingGroup:${name}`) };
    case "aws:imagebuilder/imagePipeline:ImagePipeline":
      return { arn: arn("imagebuilder", `image-pipeline/${name}`) };
    // The AMI a build distributed (what the first release record starts from).
    case "aws:imagebuilder/image:Image":
      return {
        arn: arn("imagebuilder", `image/${name}/1.0.0/1`),
        outputResources: [{ amis: [{ image: "ami-0f1e2d3c4b5a69788", region }] }],
      };
    case "aws:sfn/stateMachine:StateMachine":
      return { arn: arn("states", `stateMachine:${inputs.name ?? name}`), name: inputs.name ?? name };
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return { arn: arn("scheduler", `schedule-group/${inputs.name ?? name}`), name: inputs.name ?? name };
    default:
      return { arn: arn(type.split(":")[1]?.split("/")[0] ?? "mock", name), name: inputs.name ?? `${name}-name` };
  }
}

/** Assets and archives hold promises; make them plain, printable descriptions of what would be uploaded. */
async function plain(value: unknown): Promise<unknown> {
  if (pulumi.asset.Archive.isInstance(value) || pulumi.asset.Asset.isInstance(value)) {
    const v = value as any;
    if (v.assets !== undefined) {
      const assets = (await v.assets) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(assets).sort()) out[k] = await plain(assets[k]);
      return { archive: out };
    }
    if (v.path !== undefined)
      return {
        [pulumi.asset.Archive.isInstance(value) ? "fileArchive" : "fileAsset"]:
          path.relative(ROOT, await v.path) || ".",
      };
    if (v.text !== undefined) return { stringAsset: await v.text };
    if (v.uri !== undefined) return { remote: await v.uri };
    return {};
  }
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(plain));
  // A secret reaches the mocks wrapped in Pulumi's signature object; the plan shows what AWS would receive.
  if (value !== null && typeof value === "object" && (value as any)[specialSigKey] === specialSecretSig)
    return plain((value as { value: unknown }).value);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await plain(v);
    return out;
  }
  return value;
}

function evictProgramModules(dir: string = PROGRAM_DIR): void {
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(dir + path.sep)) delete require.cache[file];
  }
}

/** Another Pulumi program of this repository to run instead of infra/ (examples/web/infra). */
export interface SynthProgram {
  /** The program's directory (its index.ts is run). */
  dir: string;
  project: string;
  /** The Pulumi organisation the program sees (`pulumi.getOrganization()`). */
  organization?: string;
  /** What each `pulumi.StackReference` (by its full name) sees as the referenced stack's outputs. */
  stackOutputs?: Record<string, Record<string, unknown>>;
}

/**
 * `waitForRPCs` is exported by @pulumi/pulumi/runtime/settings.js (3.270) but marked internal, so it is
 * absent from the typings; fall back to a macrotask turn if a future version drops it.
 */
function waitForRPCs(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
  return typeof settings.waitForRPCs === "function" ? settings.waitForRPCs() : new Promise((r) => setTimeout(r, 50));
}

function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/**
 * Runs infra/index.ts under mocks for `stack` with `config` (keys like "fleet:minSize", "aws:region")
 * and returns every registered resource with its inputs and options, plus the stack outputs. `sink`, if
 * given, receives each resource as it is registered (so a caller sees what a failing run registered).
 */
/** What the mocked account holds already (a later `pulumi up`): SSM parameter values by name. */
export interface LiveState {
  parameters?: Record<string, string>;
}

export async function synth(
  stack: string,
  config: Record<string, string>,
  sink?: SynthResource[],
  { program = { dir: PROGRAM_DIR, project: "fleet" }, live = {} }: { program?: SynthProgram; live?: LiveState } = {},
): Promise<SynthResult> {
  const region = config["aws:region"] ?? "us-east-1";
  const recorded = new Map<string, SynthResource>();
  const seen: pulumi.Resource[] = [];
  const options = new Map<string, { opts: pulumi.ResourceOptions }>();

  pulumi.runtime.setAllConfig(config, []);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const outputs =
          args.type === "pulumi:pulumi:StackReference"
            ? { name: args.inputs.name, outputs: program.stackOutputs?.[args.inputs.name] ?? {}, secretOutputNames: [] }
            : mockState(args.type, args.name, args.inputs, region);
        const id = `${args.name}-id`;
        const rec: SynthResource = {
          type: args.type,
          name: args.name,
          custom: args.custom ?? true,
          inputs: args.inputs,
          id,
          outputs,
          options: {},
        };
        recorded.set(`${args.type}::${args.name}`, rec);
        sink?.push(rec);
        return { id, state: { ...args.inputs, ...outputs } };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        if (args.token === "aws:index/getRegion:getRegion") return { region, name: region, id: region };
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: MOCK_ACCOUNT };
        // One route table per private subnet, as awsx makes them.
        if (args.token === "aws:ec2/getRouteTables:getRouteTables")
          return {
            ids: ((args.inputs.filters?.[0]?.values ?? []) as string[]).map((s) => s.replace(/^subnet-/, "rtb-")),
          };
        if (args.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList")
          return { id: "pl-3b927c52", name: args.inputs.name, addressFamily: "IPv4" };
        // A parameter read at deploy time answers what the program stored in it (the live record).
        if (args.token === "aws:ssm/getParameter:getParameter") {
          const stored = [...recorded.values()].find(
            (r) => r.type === "aws:ssm/parameter:Parameter" && r.inputs.name === args.inputs.name,
          );
          // The provider marks a parameter's value secret: the mock sees it wrapped in Pulumi's secret envelope.
          const raw = live.parameters?.[args.inputs.name] ?? stored?.inputs.value;
          const value = raw !== null && typeof raw === "object" && SECRET_SIG in raw ? raw.value : raw;
          return { ...args.inputs, value, insecureValue: value, type: stored?.inputs.type };
        }
        return args.inputs;
      },
    },
    program.project,
    stack,
    false,
    program.organization,
  );

  evictProgramModules(program.dir);
  let programError: unknown;
  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      seen.push(args.resource);
      options.set(`${args.type}::${args.name}`, { opts: args.opts });
      return undefined;
    });
    // A throw escaping this callback would also reject promises inside the Stack resource that nobody
    // awaits (an unhandled rejection that fails mocha), so hand it out of band instead.
    try {
      return require(path.join(program.dir, "index.ts")) as Record<string, unknown>;
    } catch (err) {
      programError = err;
      return {};
    }
  });
  // Let this run's last RPCs (e.g. the Stack's registerResourceOutputs) reach THIS mock monitor before
  // anyone calls setMocks again; otherwise they hit the next run's monitor ("unknown resource").
  await waitForRPCs();
  if (programError !== undefined) throw programError;
  // Every registration has completed once every URN has resolved.
  const urns = await Promise.all(seen.map((r) => outputValue(r.urn)));
  // "<type>::<name>" (names repeat across types: e.g. the bucket and its versioning are both "fleet-bundle").
  const nameOfUrn = new Map<pulumi.Resource, string>(
    seen.map((r, i) => {
      const parts = urns[i]!.split("::");
      return [r, `${parts[2]!.split("$").pop()}::${parts[3]}`];
    }),
  );

  for (const rec of recorded.values()) rec.inputs = (await plain(rec.inputs)) as Record<string, any>;
  for (const [key, { opts }] of options) {
    const rec = recorded.get(key);
    if (!rec) continue;
    const deps = opts.dependsOn === undefined ? [] : Array.isArray(opts.dependsOn) ? opts.dependsOn : [opts.dependsOn];
    const dependsOn = (await Promise.all(deps.map((d) => Promise.resolve(d as pulumi.Input<pulumi.Resource>))))
      .flat()
      .map((r) => nameOfUrn.get(r as pulumi.Resource) ?? "?");
    rec.options = {
      ...(opts.ignoreChanges ? { ignoreChanges: opts.ignoreChanges } : {}),
      ...(dependsOn.length ? { dependsOn } : {}),
      ...(opts.parent ? { parent: nameOfUrn.get(opts.parent) ?? "?" } : {}),
      ...(opts.customTimeouts ? { customTimeouts: opts.customTimeouts } : {}),
      ...(opts.aliases?.length
        ? {
            aliases: opts.aliases.map((a) =>
              typeof a === "string" ? a : String((a as { name?: unknown }).name ?? "?"),
            ),
          }
        : {}),
    };
  }
  return { stack, resources: [...recorded.values()], outputs: (outputs ?? {}) as Record<string, any> };
}

/** A synth result as the policy evaluator's plan. */
export function planOf(result: SynthResult): PlanResource[] {
  return result.resources.map((r) => ({
    type: r.type,
    name: r.name,
    inputs: r.inputs,
    id: r.id,
    outputs: r.outputs,
    ...(r.options.parent ? { parent: r.options.parent } : {}),
  }));
}

/** The inputs worth printing per resource type (everything else is noise for a reader). */
const KEY_INPUTS: Record<string, string[]> = {
  "awsx:ec2:Vpc": ["numberOfAvailabilityZones", "natGateways"],
  "aws:lb/loadBalancer:LoadBalancer": ["idleTimeout", "dropInvalidHeaderFields", "enableDeletionProtection"],
  "aws:lb/targetGroup:TargetGroup": ["port", "deregistrationDelay", "healthCheck"],
  "aws:lb/listener:Listener": ["port", "protocol", "sslPolicy", "defaultActions"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["imageId", "instanceType", "metadataOptions"],
  "aws:sfn/stateMachine:StateMachine": ["name", "type"],
  "aws:ssm/parameter:Parameter": ["name", "type", "value"],
  "aws:autoscaling/group:Group": [
    "minSize",
    "desiredCapacity",
    "maxSize",
    "healthCheckType",
    "launchTemplate",
    "instanceRefresh",
  ],
  "aws:autoscaling/policy:Policy": ["policyType", "targetTrackingConfiguration", "adjustmentType", "stepAdjustments"],
  "aws:autoscaling/lifecycleHook:LifecycleHook": ["lifecycleTransition", "heartbeatTimeout", "defaultResult"],
  // The description says what an alarm watches whether it reads one metric or metric math.
  "aws:cloudwatch/metricAlarm:MetricAlarm": [
    "alarmDescription",
    "metricName",
    "dimensions",
    "comparisonOperator",
    "threshold",
    "evaluationPeriods",
  ],
  "aws:sqs/queue:Queue": [
    "visibilityTimeoutSeconds",
    "receiveWaitTimeSeconds",
    "messageRetentionSeconds",
    "redrivePolicy",
  ],
  "aws:dynamodb/table:Table": ["billingMode", "hashKey", "globalSecondaryIndexes", "ttl", "pointInTimeRecovery"],
  "aws:cloudfront/distribution:Distribution": ["origins", "defaultCacheBehavior"],
  "aws:autoscaling/schedule:Schedule": ["recurrence", "timeZone", "minSize", "desiredCapacity", "maxSize"],
  "aws:scheduler/schedule:Schedule": ["scheduleExpression", "scheduleExpressionTimezone", "target"],
  "aws:imagebuilder/imagePipeline:ImagePipeline": ["schedule"],
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": ["distributions"],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
    "fromPort",
    "cidrIpv4",
    "cidrIpv6",
    "referencedSecurityGroupId",
  ],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["fromPort", "cidrIpv4", "referencedSecurityGroupId"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn"],
  "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "retentionInDays"],
  "aws:ec2/flowLog:FlowLog": ["trafficType", "logDestinationType"],
};

export function formatHuman(result: SynthResult): string {
  const lines = [`stack ${result.stack}: ${result.resources.length} resources`, ""];
  for (const r of result.resources) {
    const keys = KEY_INPUTS[r.type] ?? [];
    const shown = keys.filter((k) => r.inputs[k] !== undefined).map((k) => `${k}=${JSON.stringify(r.inputs[k])}`);
    const opts = Object.keys(r.options).length ? ` options=${JSON.stringify(r.options)}` : "";
    lines.push(
      `${r.custom ? "" : "[component] "}${r.type}  ${r.name}${shown.length ? "\n    " + shown.join("\n    ") : ""}${opts ? "\n   " + opts : ""}`,
    );
  }
  lines.push("", "outputs:");
  for (const [k, v] of Object.entries(result.outputs)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  return lines.join("\n") + "\n";
}

export async function main(argv: string[]): Promise<number> {
  const usage =
    "usage: npm run synth -- <stack> [--json] [--policy] [--dir DIR]   (reads DIR/Pulumi.<stack>.yaml, DIR defaults to the repo root)\n";
  let json = false;
  let policy = false;
  let dir = ROOT;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--policy") policy = true;
    else if (a === "--dir" && argv[i + 1]) dir = path.resolve(argv[++i]!);
    else if (a.startsWith("-")) {
      process.stderr.write(`unknown option ${a}\n${usage}`);
      return 1;
    } else positional.push(a);
  }
  if (positional.length !== 1) {
    process.stderr.write(usage);
    return 1;
  }
  const stack = positional[0]!;
  let config: Record<string, string>;
  try {
    config = readStackConfig(stack, dir);
    validateStackConfig(config);
  } catch (err) {
    if (err instanceof StackFileError || err instanceof FleetConfigError) {
      process.stderr.write(`synth ${stack}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const result = await synth(stack, config);
  if (!policy) {
    process.stdout.write(json ? JSON.stringify(result, null, 2) + "\n" : formatHuman(result));
    return 0;
  }
  const violations = await evaluatePolicies(stack, planOf(result), ALL_POLICIES);
  process.stdout.write(
    json
      ? JSON.stringify({ stack, resources: result.resources.length, violations }, null, 2) + "\n"
      : formatViolations(stack, violations),
  );
  return violations.length === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`synth failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
