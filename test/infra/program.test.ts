/**
 * The Pulumi program (infra/index.ts) under Pulumi's mocks, for the dev and prod stack files and a few
 * variations. scripts/synth.ts does the running: a fresh setMocks + setAllConfig per run, the program
 * inside runInPulumiStack with a stack transformation that records resource options, infra/ modules
 * evicted from require.cache between runs, and each run's RPCs awaited (see its header comment).
 */
import { KEEP_TAG, KEEP_VALUE } from "../../infra/night/releasePlan";
import * as assert from "node:assert/strict";
import { planOf, synth, readStackConfig, type SynthResource, type SynthResult } from "../../scripts/synth";
import { FleetConfigError, parseFleetConfig, toAwsCron, type FleetConfig } from "../../infra/shared/config";
import {
  ALB_IDLE_TIMEOUT_S,
  DEREGISTRATION_DELAY_S,
  HEALTH_CHECK_PATH,
  HEALTHY_THRESHOLD,
  KEEP_ALIVE_TIMEOUT_MS,
  SERVICE_PORT,
} from "../../service/timing";
import { refreshPreferenceProblems } from "../../infra/night/refresh";
import { all, idOf, key, one, stackPlan, T } from "./helpers";
import { evaluatePolicies } from "../../policy/evaluate";
import { wafOnPublicEndpoints } from "../../policy/rules/waf";

const CERT = "arn:aws:acm:eu-central-1:123456789012:certificate/0b5e7c2a-8a1f-4e6e-9d5e-2f0d6f1c9a11";
const OUTPUT_KEYS = [
  "alarmTopicArn",
  "albDnsName",
  "amiParameterName",
  "asgName",
  "dashboardName",
  "imagePipelineArn",
  "jobsUrl",
  "lastGoodAmiParameter",
  "releaseStateMachineArn",
  "resultsBaseUrl",
  "stack",
  "targetGroupArn",
  "url",
  "workerAsgName",
];

/**
 * Types the jobs resources and the worker fleet create too: named nowhere, a test here means the web
 * fleet's or the bundle's (test/infra/jobs.test.ts covers the others).
 */
const WEB_FLEET_NAMES: Record<string, string> = {
  [T.asg]: "fleet-asg",
  [T.lt]: "fleet-lt",
  [T.bucket]: "fleet-bundle",
  [T.publicAccessBlock]: "fleet-bundle",
  [T.sse]: "fleet-bundle",
  [T.ownership]: "fleet-bundle",
  [T.bucketPolicy]: "fleet-bundle-tls-only",
  [T.lifecycle]: "fleet-bundle",
};

function fleetConfigOf(config: Record<string, string>): FleetConfig {
  return parseFleetConfig((k) => config[`fleet:${k}`]);
}

/** The managed policy ARNs attached to the role an instance profile carries. */
function policiesOfProfile(r: SynthResult, profile: SynthResource): string[] {
  const role = all(r, T.role).find((x) => x.outputs.name === profile.inputs.role);
  assert.ok(role, `role of instance profile ${profile.name}`);
  return all(r, T.attachment)
    .filter((a) => a.inputs.role === role.outputs.name)
    .map((a) => a.inputs.policyArn as string)
    .sort();
}

for (const stack of ["dev", "prod"]) {
  describe(`infra program under mocks: ${stack} stack`, () => {
    let r: SynthResult;
    let cfg: FleetConfig;
    const res = (type: string, name?: string) => one(r, type, name ?? WEB_FLEET_NAMES[type]);

    before(async () => {
      const config = readStackConfig(stack);
      cfg = fleetConfigOf(config);
      r = await stackPlan(stack);
    });

    it("exports the frontend contract", () => {
      assert.deepEqual(Object.keys(r.outputs).sort(), OUTPUT_KEYS);
      assert.equal(r.outputs.stack, stack);
      // Neither stack in the repo has a certificate: HTTPS through the API's CloudFront distribution.
      assert.equal(r.outputs.url, `https://${one(r, T.cdn, "fleet-api").outputs.domainName}`);
      assert.equal(r.outputs.amiParameterName, `/imagebuilder/fleet/${stack}/ami`);
      assert.equal(r.outputs.asgName, res(T.asg).outputs.name);
      assert.equal(r.outputs.targetGroupArn, res(T.tg).outputs.arn);
      assert.equal(r.outputs.imagePipelineArn, res(T.pipeline).outputs.arn);
      assert.equal(r.outputs.jobsUrl, `${r.outputs.url}/jobs`);
      assert.equal(r.outputs.resultsBaseUrl, `https://${one(r, T.cdn, "fleet-results").outputs.domainName}`);
    });

    it("builds a VPC over at least 2 AZs with the stack's NAT strategy; ALB public, instances private", () => {
      const vpc = res(T.vpc);
      assert.ok(vpc.inputs.numberOfAvailabilityZones >= 2);
      assert.equal(vpc.inputs.numberOfAvailabilityZones, cfg.availabilityZones);
      assert.deepEqual(vpc.inputs.natGateways, { strategy: cfg.natStrategy });
      const alb = res(T.alb);
      const asg = res(T.asg);
      assert.deepEqual(alb.inputs.subnets, vpc.outputs.publicSubnetIds);
      assert.deepEqual(asg.inputs.vpcZoneIdentifiers, vpc.outputs.privateSubnetIds);
      assert.ok(asg.inputs.vpcZoneIdentifiers.length >= 2 && alb.inputs.subnets.length >= 2);
      assert.ok(
        vpc.outputs.privateSubnetIds.includes(res(T.infra).inputs.subnetId),
        "image builds run in a private subnet",
      );
    });

    it("routes S3 and DynamoDB from the private subnets through gateway endpoints, not the NAT", () => {
      const vpc = res(T.vpc);
      const endpoints = all(r, T.vpcEndpoint);
      assert.deepEqual(endpoints.map((e) => e.inputs.serviceName).sort(), [
        "com.amazonaws.eu-central-1.dynamodb",
        "com.amazonaws.eu-central-1.s3",
      ]);
      // The mock gives each private subnet its route table (rtb-private-<i>), as awsx does.
      const privateTables = (vpc.outputs.privateSubnetIds as string[]).map((s) => s.replace("subnet-", "rtb-")).sort();
      for (const e of endpoints) {
        assert.equal(e.inputs.vpcEndpointType, "Gateway");
        assert.equal(e.inputs.vpcId, vpc.outputs.vpcId);
        assert.deepEqual(e.inputs.routeTableIds, privateTables);
      }
    });

    it("keeps the bundle in a private, encrypted, versioned bucket", () => {
      const bucket = res(T.bucket, "fleet-bundle");
      const pab = res(T.publicAccessBlock, "fleet-bundle");
      assert.equal(pab.inputs.bucket, idOf(bucket));
      for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(pab.inputs[k], true, k);
      const sse = res(T.sse, "fleet-bundle");
      assert.equal(sse.inputs.bucket, idOf(bucket));
      assert.match(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, /^(AES256|aws:kms)$/);
      const ver = res(T.versioning);
      assert.equal(ver.inputs.bucket, idOf(bucket));
      assert.equal(ver.inputs.versioningConfiguration.status, "Enabled");
      const obj = res(T.object);
      assert.equal(obj.inputs.bucket, idOf(bucket));
      assert.deepEqual(obj.inputs.source, {
        archive: {
          "dist/service": { fileArchive: "dist/service" },
          "package-lock.json": { fileAsset: "package-lock.json" },
          "package.json": { fileAsset: "package.json" },
        },
      });
      assert.ok(obj.options.dependsOn?.includes(key(pab)), "uploaded only once the bucket is private");
    });

    it("refuses plain HTTP to the bundle, owns its objects, and expires replaced bundles", () => {
      const bucket = res(T.bucket, "fleet-bundle");
      assert.equal(res(T.ownership, "fleet-bundle").inputs.rule.objectOwnership, "BucketOwnerEnforced");
      const policy = JSON.parse(res(T.bucketPolicy, "fleet-bundle-tls-only").inputs.policy);
      assert.deepEqual(policy.Statement, [
        {
          Sid: "DenyPlainHttp",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.outputs.arn, `${bucket.outputs.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
      const rule = res(T.lifecycle, "fleet-bundle").inputs.rules[0];
      assert.equal(rule.status, "Enabled");
      assert.ok(rule.noncurrentVersionExpiration.noncurrentDays >= 1, "old bundles expire");
      for (const [type, name] of [
        [T.ownership, "fleet-bundle"],
        [T.bucketPolicy, "fleet-bundle-tls-only"],
        [T.lifecycle, "fleet-bundle"],
      ] as const)
        assert.equal(res(type, name).inputs.bucket, idOf(bucket));
    });

    it("builds the image on AL2023 with the generated component, encrypted gp3, IMDSv2 and a least-privilege builder", () => {
      const component = res(T.component);
      const bucket = res(T.bucket, "fleet-bundle");
      assert.equal(component.inputs.platform, "Linux");
      assert.match(component.inputs.data, /^schemaVersion: 1\.0$/m);
      // The upload it was rendered from: that version, checked against the SHA-256 S3 verified at upload.
      const bundle = res(T.object);
      assert.equal(bundle.inputs.checksumAlgorithm, "SHA256");
      const sum = Buffer.from(bundle.outputs.checksumSha256, "base64").toString("hex");
      const data: string = component.inputs.data;
      assert.ok(data.includes(`--bucket ${bucket.outputs.bucket} --key bundle/fleet-service.zip`), "the bundle bucket");
      assert.ok(data.includes(`--version-id ${bundle.outputs.versionId} /tmp/fleet-bundle.zip`), "that version");
      assert.ok(data.includes(`echo "${sum}  /tmp/fleet-bundle.zip" | sha256sum -c -`), "that upload's sum");
      const recipe = res(T.recipe);
      const arch = cfg.architecture === "arm64" ? "arm64" : "x86";
      assert.equal(
        recipe.inputs.parentImage,
        `arn:aws:imagebuilder:eu-central-1:aws:image/amazon-linux-2023-${arch}/x.x.x`,
      );
      assert.deepEqual(recipe.inputs.components, [{ componentArn: component.outputs.arn }]);
      const ebs = recipe.inputs.blockDeviceMappings[0].ebs;
      assert.equal(ebs.encrypted, "true");
      assert.equal(ebs.volumeType, "gp3");

      const infra = res(T.infra);
      assert.equal(infra.inputs.terminateInstanceOnFailure, true);
      assert.equal(infra.inputs.instanceMetadataOptions.httpTokens, "required");
      assert.deepEqual(infra.inputs.instanceTypes, [cfg.instanceType]);
      const profile = all(r, T.profile).find((p) => p.outputs.name === infra.inputs.instanceProfileName)!;
      assert.deepEqual(policiesOfProfile(r, profile), [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
      ]);
      const builderRole = all(r, T.role).find((x) => x.outputs.name === profile.inputs.role)!;
      const inline = all(r, T.rolePolicy).filter((p) => p.inputs.role === idOf(builderRole));
      assert.equal(inline.length, 1);
      const statements = JSON.parse(inline[0]!.inputs.policy).Statement as Array<{
        Action: string[];
        Resource: string[];
      }>;
      const actions = statements.flatMap((s) => s.Action).sort();
      assert.deepEqual(actions, ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]);
      for (const s of statements)
        for (const resArn of s.Resource)
          assert.ok(resArn.startsWith(bucket.outputs.arn), `${resArn} is within the bundle bucket`);
      // Egress: HTTPS only (SSM, S3, the AL2023 repositories and npm are all HTTPS); no port 80.
      const buildSg = all(r, T.sg).find((g) => infra.inputs.securityGroupIds.includes(g.id))!;
      assert.deepEqual(
        buildSg.inputs.egress.map((e: { fromPort: number; toPort: number }) => [e.fromPort, e.toPort]),
        [[443, 443]],
      );
    });

    it("distributes the AMI id to /imagebuilder/fleet/<stack>/ami as an aws:ec2:image parameter", () => {
      const dist = res(T.distribution);
      assert.equal(dist.inputs.distributions.length, 1);
      assert.equal(dist.inputs.distributions[0].region, "eu-central-1");
      assert.deepEqual(dist.inputs.distributions[0].ssmParameterConfigurations, [
        { parameterName: `/imagebuilder/fleet/${stack}/ami`, dataType: "aws:ec2:image" },
      ]);
    });

    it("deletes all but the newest week of nightly AMIs, with their snapshots, never the image Pulumi manages", () => {
      const policy = res(T.lifecyclePolicy);
      assert.equal(policy.inputs.resourceType, "AMI_IMAGE");
      assert.deepEqual(policy.inputs.policyDetails.length, 1);
      const detail = policy.inputs.policyDetails[0];
      assert.deepEqual(detail.action, { type: "DELETE", includeResources: { amis: true, snapshots: true } });
      assert.deepEqual(detail.filter, { type: "COUNT", value: 7 });
      // Selected by what a nightly image really carries: the recipe its pipeline builds from (name and
      // exact version). A tagMap would match tags on the Image Builder image resources, and the images a
      // pipeline makes carry none of the pipeline's tags.
      assert.equal(policy.inputs.resourceSelection.tagMap, undefined, "no selection by tags the images never get");
      const pipeline = res(T.pipeline);
      const recipe = all(r, T.recipe).find((x) => x.outputs.arn === pipeline.inputs.imageRecipeArn);
      assert.ok(recipe, "the pipeline builds from a recipe of the plan");
      assert.deepEqual(policy.inputs.resourceSelection.recipes, [
        { name: recipe.outputs.name, semanticVersion: recipe.inputs.version },
      ]);
      assert.match(recipe.inputs.version, /^[0-9]+\.[0-9]+\.[0-9]+$/);
      // The image Pulumi manages comes from the same recipe: only its tag keeps it.
      assert.equal(res(T.image).inputs.imageRecipeArn, recipe.outputs.arn);
      const excluded = (tags: Record<string, string>) =>
        Object.entries((detail.exclusionRules?.tagMap ?? {}) as Record<string, string>).some(([k, v]) => tags[k] === v);
      assert.ok(excluded(res(T.image).inputs.tags), "the image of the first `pulumi up` is kept");
      assert.ok(!excluded(pipeline.inputs.tags ?? {}), "nothing of the pipeline's would shield its images");
      // The last good AMI survives any run of bad nights: the tag the release moves onto it shields the AMI.
      assert.deepEqual(detail.exclusionRules?.amis?.tagMap, { [KEEP_TAG]: KEEP_VALUE });
      const role = all(r, T.role).find((x) => x.outputs.arn === policy.inputs.executionRole)!;
      const trust = role.inputs.assumeRolePolicy;
      const doc = typeof trust === "string" ? JSON.parse(trust) : trust;
      assert.equal(
        doc.Statement[0].Principal.Service,
        "imagebuilder.amazonaws.com",
        "Image Builder runs the deletions",
      );
      // ...for this account's lifecycle policies only (the confused-deputy guard).
      assert.deepEqual(doc.Statement[0].Condition, {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:imagebuilder:eu-central-1:123456789012:lifecycle-policy/*" },
      });
    });

    it("writes the parameter where Image Builder's service-linked role may (no execution role is given)", () => {
      // AWSServiceRoleForImageBuilder allows ssm:PutParameter on parameter/imagebuilder/* only: any other
      // path makes the distribution, and so the first image and the whole first `pulumi up`, fail.
      for (const type of [T.image, T.pipeline]) assert.equal(res(type).inputs.executionRole, undefined);
      for (const config of res(T.distribution).inputs.distributions[0].ssmParameterConfigurations)
        assert.match(config.parameterName, /^\/imagebuilder\//);
    });

    it("runs the pipeline nightly before the drain, even when the parent image did not change", () => {
      const p = res(T.pipeline);
      assert.equal(p.inputs.schedule.scheduleExpression, toAwsCron(cfg.pipelineCron));
      assert.match(p.inputs.schedule.scheduleExpression, /^cron\(\S+ \S+ \S+ \S+ \S+ \*\)$/);
      assert.equal(p.inputs.schedule.timezone, cfg.timeZone);
      assert.equal(p.inputs.schedule.pipelineExecutionStartCondition, "EXPRESSION_MATCH_ONLY");
      const img = res(T.image);
      for (const k of ["imageRecipeArn", "infrastructureConfigurationArn", "distributionConfigurationArn"]) {
        assert.ok(p.inputs[k], k);
        assert.equal(img.inputs[k], p.inputs[k], `the first image uses the pipeline's ${k}`);
      }
      assert.equal(p.inputs.imageRecipeArn, res(T.recipe).outputs.arn);
      assert.equal(p.inputs.distributionConfigurationArn, res(T.distribution).outputs.arn);
    });

    it("fronts the fleet with a hardened ALB whose idle timeout is below the service's keepAlive", () => {
      const alb = res(T.alb);
      assert.equal(alb.inputs.loadBalancerType, "application");
      assert.equal(alb.inputs.internal, false);
      assert.equal(alb.inputs.dropInvalidHeaderFields, true);
      assert.equal(alb.inputs.idleTimeout, ALB_IDLE_TIMEOUT_S);
      assert.ok(alb.inputs.idleTimeout * 1000 < KEEP_ALIVE_TIMEOUT_MS);
      assert.equal(alb.inputs.enableDeletionProtection, cfg.deletionProtection);
      assert.equal(alb.inputs.enableDeletionProtection, stack === "prod");
      assert.deepEqual(alb.inputs.securityGroups, [idOf(res(T.sg, "fleet-alb"))]);
    });

    it("health-checks /healthcheck on the service port and lets in-flight requests finish on deregistration", () => {
      const tg = res(T.tg);
      assert.equal(tg.inputs.port, SERVICE_PORT);
      assert.equal(tg.inputs.protocol, "HTTP");
      assert.equal(tg.inputs.deregistrationDelay, DEREGISTRATION_DELAY_S);
      const hc = tg.inputs.healthCheck;
      assert.equal(hc.path, HEALTH_CHECK_PATH);
      assert.ok(hc.interval <= 10);
      assert.equal(hc.healthyThreshold, HEALTHY_THRESHOLD);
      assert.equal(hc.healthyThreshold, 2);
      assert.equal(hc.matcher, "200");
    });

    it("without a certificate, answers 403 on 80 and forwards only requests carrying CloudFront's secret", () => {
      const listener = res(T.listener);
      assert.equal(listener.inputs.port, 80);
      assert.equal(listener.inputs.protocol, "HTTP");
      assert.deepEqual(listener.inputs.defaultActions, [
        {
          type: "fixed-response",
          fixedResponse: { statusCode: "403", contentType: "text/plain", messageBody: "Forbidden" },
        },
      ]);
      assert.equal(listener.inputs.loadBalancerArn, res(T.alb).outputs.arn);
      const rule = one(r, "aws:lb/listenerRule:ListenerRule");
      assert.deepEqual(rule.inputs.actions, [{ type: "forward", targetGroupArn: res(T.tg).outputs.arn }]);
      assert.deepEqual(rule.inputs.conditions, [
        { httpHeader: { httpHeaderName: "X-Fleet-Origin-Secret", values: [cfg.web.originSecret] } },
      ]);
      assert.equal(r.outputs.url, "https://d222222abcdef8.cloudfront.net");
    });

    it("admits the service port to instances from the ALB's group only; the ALB talks only to them", () => {
      const albSg = res(T.sg, "fleet-alb");
      const instSg = res(T.sg, "fleet-instances");
      const toInstances = all(r, T.ingress).filter((x) => x.inputs.securityGroupId === idOf(instSg));
      assert.equal(toInstances.length, 1, "exactly one ingress rule on the instances");
      const rule = toInstances[0]!;
      assert.equal(rule.inputs.referencedSecurityGroupId, idOf(albSg));
      assert.equal(rule.inputs.fromPort, SERVICE_PORT);
      assert.equal(rule.inputs.toPort, SERVICE_PORT);
      assert.equal(rule.inputs.cidrIpv4, undefined);
      assert.equal(rule.inputs.cidrIpv6, undefined);
      for (const sg of all(r, T.sg)) assert.equal(sg.inputs.ingress, undefined, `${sg.name}: no inline ingress`);
      for (const ing of all(r, T.ingress))
        assert.ok(!(ing.inputs.fromPort <= 22 && ing.inputs.toPort >= 22), `${ing.name} opens 22`);
      const albIngress = all(r, T.ingress).filter((x) => x.inputs.securityGroupId === idOf(albSg));
      // Neither stack in the repo has a certificate: only HTTP, and only from CloudFront's origin-facing servers.
      assert.deepEqual(
        albIngress.map((x) => [x.inputs.fromPort, x.inputs.toPort, x.inputs.cidrIpv4, x.inputs.prefixListId]),
        [[80, 80, undefined, "pl-3b927c52"]],
      );
      const albEgress = all(r, T.egress).filter((x) => x.inputs.securityGroupId === idOf(albSg));
      assert.equal(albEgress.length, 1);
      assert.equal(albEgress[0]!.inputs.referencedSecurityGroupId, idOf(instSg));
      assert.equal(albEgress[0]!.inputs.fromPort, SERVICE_PORT);
      assert.equal(albEgress[0]!.inputs.cidrIpv4, undefined);
    });

    it("launches the last good AMI (concrete) with IMDSv2, encryption, monitoring and no key pair", () => {
      const lt = res(T.lt);
      // The last good record's value, read at deploy time: the first image's AMI until a release promotes one.
      const lastGood = one(r, "aws:ssm/parameter:Parameter", "fleet-last-good");
      assert.match(lt.inputs.imageId, /^ami-[0-9a-f]{8,17}$/);
      assert.equal(lt.inputs.imageId, "ami-0f1e2d3c4b5a69788", "the mock's first image, through the record");
      assert.equal(lastGood.inputs.name, `/fleet/${stack}/release/last-good-ami`);
      assert.equal(lt.inputs.instanceType, cfg.instanceType);
      assert.deepEqual(
        { ...lt.inputs.metadataOptions, instanceMetadataTags: undefined },
        {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: undefined,
        },
      );
      assert.equal(lt.inputs.keyName, undefined);
      assert.deepEqual(lt.inputs.monitoring, { enabled: true });
      const ebs = lt.inputs.blockDeviceMappings[0].ebs;
      assert.equal(ebs.encrypted, "true");
      assert.equal(ebs.volumeType, "gp3");
      assert.deepEqual(lt.inputs.vpcSecurityGroupIds, [idOf(res(T.sg, "fleet-instances"))]);
      assert.ok(lt.inputs.tagSpecifications.some((t: { resourceType: string }) => t.resourceType === "instance"));
      const profile = all(r, T.profile).find((p) => p.outputs.arn === lt.inputs.iamInstanceProfile.arn)!;
      assert.ok(profile, "launch template's instance profile");
      // No AWS managed policy (AmazonSSMManagedInstanceCore reads every parameter of the account): the base
      // policy grants Session Manager and the agent on this stack's log group and namespace.
      assert.deepEqual(policiesOfProfile(r, profile), []);
      const role = all(r, T.role).find((x) => x.outputs.name === profile.inputs.role)!;
      const base = all(r, T.rolePolicy).find(
        (p) => p.inputs.role === role.outputs.name && p.name === "fleet-instance-base",
      );
      assert.ok(
        base && lt.options.dependsOn?.includes(`${T.rolePolicy}::fleet-instance-base`),
        "base policy before boot",
      );
      const doc = JSON.parse(base.inputs.policy) as { Statement: Array<{ Action: string[]; Resource: string[] }> };
      const logs = doc.Statement.find((s) => s.Action.includes("logs:PutLogEvents"))!;
      assert.deepEqual(logs.Resource, [
        `arn:aws:logs:eu-central-1:123456789012:log-group:/fleet/${stack}/instances`,
        `arn:aws:logs:eu-central-1:123456789012:log-group:/fleet/${stack}/instances:log-stream:*`,
      ]);
    });

    it("runs an ELB-checked group on a fixed template version that pulumi up never resizes", () => {
      const asg = res(T.asg);
      const lt = res(T.lt);
      assert.deepEqual(
        [asg.inputs.minSize, asg.inputs.desiredCapacity, asg.inputs.maxSize],
        [cfg.minSize, cfg.desiredCapacity, cfg.maxSize],
      );
      assert.equal(asg.inputs.launchTemplate.id, idOf(lt));
      assert.equal(asg.inputs.launchTemplate.version, String(lt.outputs.latestVersion));
      assert.notEqual(asg.inputs.launchTemplate.version, "$Latest");
      assert.deepEqual(asg.inputs.targetGroupArns, [res(T.tg).outputs.arn]);
      assert.equal(asg.inputs.healthCheckType, "ELB");
      assert.ok(asg.inputs.healthCheckGracePeriod > 0);
      assert.ok(asg.inputs.defaultInstanceWarmup > 0);
      assert.equal(asg.inputs.instanceRefresh.strategy, "Rolling");
      assert.deepEqual(refreshPreferenceProblems(asg.inputs.instanceRefresh.preferences), [], "AWS accepts them");
      assert.equal(asg.inputs.instanceRefresh.preferences.minHealthyPercentage, 100);
      assert.equal(asg.inputs.instanceRefresh.preferences.maxHealthyPercentage, 200, "launch before terminate");
      assert.ok(asg.inputs.enabledMetrics.includes("GroupInServiceInstances"));
      assert.ok(asg.options.ignoreChanges?.includes("desiredCapacity"), "ignoreChanges: desiredCapacity");
      assert.ok(
        asg.options.ignoreChanges?.includes("launchTemplate.version"),
        "the release owns the group's version: pulumi up never moves it back",
      );
      assert.ok(
        asg.options.dependsOn?.includes(key(res(T.image))),
        "the group waits for the first image (the AMI parameter)",
      );
      assert.ok(lt.options.dependsOn?.includes(key(res(T.image))), "so does the launch template that references it");
    });

    it("tracks CPU, and requests per target only when configured", () => {
      const asg = res(T.asg);
      const policies = all(r, T.policy).filter((p) => p.inputs.autoscalingGroupName === asg.outputs.name);
      for (const p of policies) {
        assert.equal(p.inputs.autoscalingGroupName, asg.outputs.name);
        assert.equal(p.inputs.policyType, "TargetTrackingScaling");
      }
      const cpu = policies.filter(
        (p) =>
          p.inputs.targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType ===
          "ASGAverageCPUUtilization",
      );
      assert.equal(cpu.length, 1);
      assert.equal(cpu[0]!.inputs.targetTrackingConfiguration.targetValue, cfg.cpuTargetPercent);
      const req = policies.filter(
        (p) =>
          p.inputs.targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType ===
          "ALBRequestCountPerTarget",
      );
      if (cfg.requestsPerTargetPerMinute === undefined) {
        assert.equal(req.length, 0);
      } else {
        assert.equal(req.length, 1);
        const spec = req[0]!.inputs.targetTrackingConfiguration;
        assert.equal(spec.targetValue, cfg.requestsPerTargetPerMinute);
        const label = spec.predefinedMetricSpecification.resourceLabel as string;
        const albSuffix = res(T.alb).outputs.arnSuffix;
        const tgSuffix = res(T.tg).outputs.arnSuffix;
        assert.equal(label, `${albSuffix}/${tgSuffix}`);
        assert.match(label, /^app\/[^/]+\/[^/]+\/targetgroup\/[^/]+\/[^/]+$/);
        const forwarding = one(r, "aws:lb/listenerRule:ListenerRule");
        assert.ok(req[0]!.options.dependsOn?.includes(key(forwarding)), "waits for the forwarding rule");
      }
      assert.equal(req.length > 0, stack === "prod", "prod scales on requests too, dev on CPU only");
    });

    it("wraps everything in components: every AWS resource has a component parent", () => {
      const components = new Set(r.resources.filter((x) => !x.custom && x.type.startsWith("fleet:")).map(key));
      assert.deepEqual([...components].map((k) => k.split("::")[0]).sort(), [
        "fleet:accessLogs:AccessLogs",
        "fleet:apiCdn:ApiCdn",
        "fleet:cdnLogs:CdnLogs",
        "fleet:fleet:Fleet",
        "fleet:image:Image",
        "fleet:jobsQueue:JobsQueue",
        "fleet:jobsTable:JobsTable",
        "fleet:lb:LoadBalancer",
        "fleet:network:Network",
        "fleet:night:Night",
        "fleet:night:Night",
        "fleet:observability:InstanceLogs",
        "fleet:observability:Observability",
        "fleet:release:Release",
        "fleet:results:Results",
        "fleet:scaling:Scaling",
        ...(stack === "prod" ? ["fleet:waf:WebFirewall"] : []),
        "fleet:workerFleet:WorkerFleet",
        "fleet:workerScaling:WorkerScaling",
      ]);
      for (const x of r.resources.filter((x) => x.type.startsWith("aws:") || x.type.startsWith("awsx:"))) {
        assert.ok(x.options.parent && components.has(x.options.parent), `${key(x)} has parent ${x.options.parent}`);
      }
    });
  });
}

describe("infra program under mocks: variations", () => {
  it("with a certificate, serves HTTPS with a TLS 1.3 policy and redirects HTTP with a 301", async () => {
    const { "fleet:originSecret": _secret, ...prod } = readStackConfig("prod");
    const r = await synth("prod", { ...prod, "fleet:certificateArn": CERT });
    assert.equal(all(r, T.cdn).length, 1, "no CloudFront in front of the API: only the results CDN");
    const listeners = all(r, T.listener);
    assert.equal(listeners.length, 2);
    const https = listeners.find((l) => l.inputs.port === 443)!;
    const http = listeners.find((l) => l.inputs.port === 80)!;
    assert.equal(https.inputs.protocol, "HTTPS");
    assert.equal(https.inputs.certificateArn, CERT);
    assert.match(https.inputs.sslPolicy, /^ELBSecurityPolicy-TLS13-/);
    assert.deepEqual(https.inputs.defaultActions, [{ type: "forward", targetGroupArn: one(r, T.tg).outputs.arn }]);
    assert.deepEqual(http.inputs.defaultActions, [
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
    assert.equal(r.outputs.url, `https://${r.outputs.albDnsName}`);
    const albSg = one(r, T.sg, "fleet-alb");
    const albPorts = all(r, T.ingress).filter((x) => x.inputs.securityGroupId === idOf(albSg));
    assert.deepEqual(albPorts.map((x) => x.inputs.fromPort).sort(), [443, 80]);
    const req = all(r, T.policy).find(
      (p) =>
        p.inputs.targetTrackingConfiguration?.predefinedMetricSpecification?.predefinedMetricType ===
        "ALBRequestCountPerTarget",
    )!;
    assert.ok(
      req.options.dependsOn?.includes(key(https)),
      "the request policy waits for the forwarding (HTTPS) listener",
    ); // prod's fleet:waf: the ALB serves the public itself, so it gets a REGIONAL web ACL; the results CDN keeps
    // the CLOUDFRONT one. And the policy pack finds the ALB covered.
    const acls = all(r, T.webAcl);
    assert.deepEqual(acls.map((a) => a.inputs.scope).sort(), ["CLOUDFRONT", "REGIONAL"]);
    const regional = acls.find((a) => a.inputs.scope === "REGIONAL")!;
    assert.equal(regional.inputs.region, undefined, "in the stack's region");
    const association = one(r, T.webAclAssociation);
    assert.equal(association.inputs.resourceArn, one(r, T.alb).outputs.arn);
    assert.equal(association.inputs.webAclArn, regional.outputs.arn);
    const found = await evaluatePolicies("prod", planOf(r), [wafOnPublicEndpoints]);
    assert.deepEqual(found, []);
  });

  it("refuses a stack without a certificate and without fleet:originSecret, before any resource", async () => {
    const { "fleet:originSecret": _removed, ...config } = readStackConfig("prod");
    const sink: SynthResource[] = [];
    await assert.rejects(
      synth("prod", config, sink),
      /fleet:originSecret = null is invalid: missing: without fleet:certificateArn .*pulumi config set --secret fleet:originSecret/,
    );
    assert.deepEqual(
      sink.map((x) => x.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  it("on Graviton instance types, builds from the arm64 parent image", async () => {
    const r = await synth("dev", { ...readStackConfig("dev"), "fleet:instanceType": "t4g.small" });
    assert.match(one(r, T.recipe).inputs.parentImage, /amazon-linux-2023-arm64\/x\.x\.x$/);
    assert.match(one(r, T.component).inputs.data, /linux-arm64/);
    assert.deepEqual(one(r, T.infra).inputs.instanceTypes, ["t4g.small"]);
  });

  it("a config error names the key and stops the program before any resource is registered", async () => {
    const sink: SynthResource[] = [];
    await assert.rejects(
      synth("dev", { ...readStackConfig("dev"), "fleet:maxSize": "0" }, sink),
      // Not `instanceof`: each run loads infra/ afresh, so the program's FleetConfigError is another class object.
      (err: unknown) =>
        err instanceof Error && err.name === FleetConfigError.name && /^fleet:maxSize = "0"/.test(err.message),
    );
    assert.deepEqual(
      sink.map((x) => x.type),
      ["pulumi:pulumi:Stack"],
      "only the root stack was registered",
    );
  });

  for (const typo of ["minsize", "nightlyMode"]) {
    it(`an unknown key (fleet:${typo}) is an error naming it, before any resource is registered`, async () => {
      const sink: SynthResource[] = [];
      await assert.rejects(
        synth("dev", { ...readStackConfig("dev"), [`fleet:${typo}`]: "2" }, sink),
        (err: unknown) =>
          err instanceof Error &&
          err.name === FleetConfigError.name &&
          err.message.startsWith(`fleet:${typo} = "2" is invalid: not a setting`) &&
          (typo !== "minsize" || /did you mean fleet:minSize\?/.test(err.message)),
      );
      assert.deepEqual(
        sink.map((x) => x.type),
        ["pulumi:pulumi:Stack"],
      );
    });
  }

  it("a missing aws:region stops the program", async () => {
    const { "aws:region": _omitted, ...config } = readStackConfig("dev");
    await assert.rejects(synth("dev", config), /aws:region/);
  });
});
