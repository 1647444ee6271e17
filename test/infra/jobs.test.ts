/**
 * The jobs resources and the worker fleet in the Pulumi program, under mocks for the dev and prod stack
 * files (scripts/synth.ts runs it): every new resource's inputs, the IAM statements (no wildcard action),
 * the backlog metric math and the wake-up path, the lifecycle hook, and the environment each launch
 * template writes, named as the AWS backend reads it (AWS_JOBS_ENV).
 */
import * as assert from "node:assert/strict";
import { synth, readStackConfig, type SynthResource, type SynthResult } from "../../scripts/synth";
import { parseFleetConfig, type FleetConfig } from "../../infra/shared/config";
import { AWS_JOBS_ENV, AWS_RESULTS_KEY_PREFIX, AWS_WORKER_ENV } from "../../service/jobs/aws-env";
import { backlogPerInstanceTarget } from "../../service/jobs/capacity";
import {
  DEFAULT_VISIBILITY_TIMEOUT_S,
  LIFECYCLE_HOOK_TIMEOUT_S,
  resultExpireDays,
  resultExpires,
} from "../../service/jobs/timing";
import { buildFrontendConfig } from "../../scripts/frontend-config";
import { createTableInput, JOBS_TABLE } from "../../service/jobs/aws/table-schema";
import { all, envFileOf, idOf, key, one, stackPlan, T, templateOf } from "./helpers";

const userDataOf = (lt: SynthResource) => Buffer.from(lt.inputs.userData as string, "base64").toString("utf8");
const policyDoc = (p: SynthResource) =>
  (typeof p.inputs.policy === "string" ? JSON.parse(p.inputs.policy) : p.inputs.policy) as {
    Statement: Array<{ Effect: string; Action: string | string[]; Resource: string | string[]; Principal?: unknown }>;
  };
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);

/** The inline policy of the role behind a launch template's instance profile. */
function inlinePolicyOf(r: SynthResult, lt: SynthResource) {
  const profile = all(r, T.profile).find((p) => p.outputs.arn === lt.inputs.iamInstanceProfile.arn)!;
  const role = all(r, T.role).find((x) => x.outputs.name === profile.inputs.role)!;
  // The jobs policy; the base policy (Session Manager, the agent) is the role's other one, `<group>-instance-base`.
  const inline = all(r, T.rolePolicy).filter(
    (p) => p.inputs.role === role.outputs.name && !p.name.endsWith("-instance-base"),
  );
  assert.equal(inline.length, 1, `one jobs policy on ${role.name}`);
  return policyDoc(inline[0]!);
}

/** Action → resources, over all Allow statements. */
function grants(doc: ReturnType<typeof policyDoc>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of doc.Statement.filter((x) => x.Effect === "Allow"))
    for (const a of list(s.Action)) out.set(a, [...(out.get(a) ?? []), ...list(s.Resource)].sort());
  return out;
}

/**
 * CloudWatch's metric math for the one expression shape the wake-up alarm uses (IF, AND, comparisons),
 * evaluated on a data point: so the test runs the alarm's own expression string, not a copy of its logic.
 */
function evaluate(expression: string, values: Record<string, number>): number {
  const js = expression
    .replace(/\bAND\b/g, "&&")
    .replace(/\bOR\b/g, "||")
    .replace(/\bIF\(/g, "__if(")
    .replace(/\b([a-z][A-Za-z0-9_]*)\b/g, (id) => (id === "__if" ? id : `v.${id}`));
  assert.match(js, /^[\sv.\w()&|<>=!,0-9/*+-]+$/, `only identifiers, numbers and operators: ${js}`);
  const fn = new Function("v", "__if", `return (${js});`) as (
    v: Record<string, number>,
    iff: (c: boolean, a: number, b: number) => number,
  ) => number;
  for (const name of expression.match(/\b[a-z][A-Za-z0-9_]*\b/g) ?? [])
    assert.ok(name in values, `a value for ${name}`);
  return Number(fn(values, (c, a, b) => (c ? a : b)));
}

for (const stack of ["dev", "prod"]) {
  describe(`jobs resources and worker fleet under mocks: ${stack} stack`, () => {
    let r: SynthResult;
    let cfg: FleetConfig;
    const res = (type: string, name?: string) => one(r, type, name);
    const queue = () => res(T.queue, "fleet-jobs");
    const dlq = () => res(T.queue, "fleet-jobs-dlq");
    const workerAsg = () => res(T.asg, "fleet-worker-asg");
    const workerLt = () => res(T.lt, "fleet-worker-lt");

    before(async () => {
      const config = readStackConfig(stack);
      cfg = parseFleetConfig((k) => config[`fleet:${k}`]);
      r = await stackPlan(stack);
    });

    it("queues jobs in an encrypted standard queue whose lease and attempts are the worker's", () => {
      const q = queue().inputs;
      assert.equal(q.fifoQueue, undefined, "standard: FIFO would serialise independent jobs");
      assert.equal(q.visibilityTimeoutSeconds, DEFAULT_VISIBILITY_TIMEOUT_S);
      assert.equal(q.receiveWaitTimeSeconds, 20, "long polling at SQS's maximum");
      assert.equal(q.sqsManagedSseEnabled, true);
      assert.deepEqual(JSON.parse(q.redrivePolicy), {
        deadLetterTargetArn: dlq().outputs.arn,
        maxReceiveCount: cfg.jobs.maxAttempts,
      });
      assert.equal(dlq().inputs.sqsManagedSseEnabled, true);
      assert.ok(dlq().inputs.messageRetentionSeconds > q.messageRetentionSeconds, "dead letters outlive jobs");
      assert.ok(dlq().inputs.messageRetentionSeconds <= 14 * 24 * 3600, "SQS's maximum retention");
      const allow = res(T.redriveAllow);
      assert.equal(allow.inputs.queueUrl, dlq().outputs.url);
      assert.deepEqual(JSON.parse(allow.inputs.redriveAllowPolicy), {
        redrivePermission: "byQueue",
        sourceQueueArns: [queue().outputs.arn],
      });
    });

    it("alarms to the stack's topic as soon as a job fails (its id sent to the DLQ) or the DLQ holds a message (one alarm, not two)", () => {
      const onDlq = all(r, T.alarm).filter((a) =>
        (a.inputs.metricQueries ?? []).some(
          (q: { metric?: { dimensions?: Record<string, string> } }) =>
            q.metric?.dimensions?.QueueName === dlq().outputs.name,
        ),
      );
      assert.deepEqual(
        onDlq.map((a) => a.name),
        ["fleet-jobs-dlq"],
      );
      const alarm = onDlq[0]!.inputs;
      // The workers delete a failed job's DLQ message within seconds (the table holds the job): the sends
      // are what is counted, and what stays visible there (reconciliation stopped).
      const byId = new Map(alarm.metricQueries.map((q: { id: string }) => [q.id, q]));
      const counted = (id: string) => (byId.get(id) as { metric: { namespace: string; metricName: string } }).metric;
      assert.deepEqual(
        [counted("sent"), counted("visible")].map((m) => `${m.namespace} ${m.metricName}`),
        ["AWS/SQS NumberOfMessagesSent", "AWS/SQS ApproximateNumberOfMessagesVisible"],
      );
      const returned = alarm.metricQueries.filter((q: { returnData: boolean }) => q.returnData);
      assert.deepEqual(
        returned.map((q: { expression?: string }) => q.expression),
        ["FILL(sent, 0) + FILL(visible, 0)"],
      );
      assert.equal(alarm.comparisonOperator, "GreaterThanThreshold");
      assert.equal(alarm.threshold, 0);
      assert.equal(alarm.treatMissingData, "notBreaching");
      assert.deepEqual(alarm.alarmActions, [res(T.topic).outputs.arn], "someone is told");
    });

    it("keeps job records in an on-demand, encrypted table with TTL, and PITR where data is protected", () => {
      const t = res(T.table).inputs;
      assert.equal(t.billingMode, "PAY_PER_REQUEST");
      assert.deepEqual(t.ttl, { attributeName: JOBS_TABLE.ttlAttribute, enabled: true });
      assert.equal(t.ttl.attributeName, "expiresAt");
      assert.deepEqual(t.serverSideEncryption, { enabled: true });
      assert.deepEqual(t.pointInTimeRecovery, { enabled: cfg.deletionProtection });
      assert.equal(t.deletionProtectionEnabled, cfg.deletionProtection);
      assert.equal(t.pointInTimeRecovery.enabled, stack === "prod");
      // The same table the AWS backend's emulator tests create (its CreateTable request), key for key.
      const create = createTableInput("x");
      assert.equal(t.billingMode, create.BillingMode);
      assert.equal(t.hashKey, create.KeySchema![0]!.AttributeName);
      assert.deepEqual(
        t.attributes.map((a: { name: string; type: string }) => [a.name, a.type]).sort(),
        create.AttributeDefinitions!.map((a) => [a.AttributeName, a.AttributeType]).sort(),
      );
      assert.deepEqual(
        t.globalSecondaryIndexes.map((g: any) => ({
          IndexName: g.name,
          KeySchema: g.keySchemas.map((k: any) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
          Projection: { ProjectionType: g.projectionType },
        })),
        create.GlobalSecondaryIndexes,
      );
    });

    it("stores results in a private, encrypted, TLS-only bucket that only its distribution reads", () => {
      const bucket = res(T.bucket, "fleet-results");
      for (const type of [T.publicAccessBlock, T.sse, T.ownership, T.bucketPolicy, T.lifecycle])
        assert.equal(res(type, "fleet-results").inputs.bucket, idOf(bucket), type);
      const pab = res(T.publicAccessBlock, "fleet-results").inputs;
      for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
        assert.equal(pab[k], true, k);
      assert.equal(res(T.ownership, "fleet-results").inputs.rule.objectOwnership, "BucketOwnerEnforced");
      assert.equal(
        res(T.sse, "fleet-results").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
        "AES256",
      );
      const cdn = res(T.cdn, "fleet-results");
      assert.deepEqual(policyDoc(res(T.bucketPolicy, "fleet-results")).Statement, [
        {
          Sid: "AllowCloudFrontReadResults",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `${bucket.outputs.arn}/${AWS_RESULTS_KEY_PREFIX}*`,
          Condition: { StringEquals: { "AWS:SourceArn": cdn.outputs.arn } },
        },
        {
          Sid: "DenyPlainHttp",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.outputs.arn, `${bucket.outputs.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
      const rule = res(T.lifecycle, "fleet-results").inputs.rules[0];
      assert.equal(rule.status, "Enabled");
      assert.deepEqual(rule.filter, { prefix: AWS_RESULTS_KEY_PREFIX });
      assert.deepEqual(rule.expiration, { days: cfg.jobs.resultsExpireDays });
      // One number: the bucket deletes a result no sooner than the job's retention ends, and the result's
      // Expires (what CloudFront caches it until) is that same retention, so the CDN never serves a
      // result the bucket has deleted (S3 counts whole days from creation, rounded up to midnight UTC).
      assert.equal(rule.expiration.days, resultExpireDays(cfg.jobs.retentionS));
      const written = Date.parse("2026-12-03T23:59:59Z");
      assert.ok(
        resultExpires(written, cfg.jobs.retentionS).getTime() <= written + rule.expiration.days * 86_400_000,
        "the CDN may serve a result after the bucket deleted it",
      );
    });

    it("serves results over HTTPS from CloudFront, signing requests to the bucket (origin access control)", () => {
      const cdn = res(T.cdn, "fleet-results").inputs;
      const oac = res(T.oac);
      assert.equal(oac.inputs.originAccessControlOriginType, "s3");
      assert.equal(oac.inputs.signingBehavior, "always");
      assert.equal(oac.inputs.signingProtocol, "sigv4");
      assert.deepEqual(cdn.origins, [
        {
          originId: "results",
          domainName: res(T.bucket, "fleet-results").outputs.bucketRegionalDomainName,
          originAccessControlId: idOf(oac),
        },
      ]);
      assert.equal(cdn.enabled, true);
      assert.equal(cdn.defaultCacheBehavior.targetOriginId, "results");
      assert.equal(cdn.defaultCacheBehavior.viewerProtocolPolicy, "redirect-to-https");
      assert.deepEqual(cdn.defaultCacheBehavior.allowedMethods, ["GET", "HEAD"]);
      assert.equal(r.outputs.resultsBaseUrl, `https://${res(T.cdn, "fleet-results").outputs.domainName}`);
    });

    it("hands the jobs endpoint and the CDN to the frontend through frontend-config", () => {
      const fe = buildFrontendConfig(r.outputs);
      assert.equal(fe.jobsUrl, `${r.outputs.url}/jobs`);
      assert.equal(fe.resultsBaseUrl, r.outputs.resultsBaseUrl);
    });

    it("tells both fleets the resources by the names the AWS backend reads (AWS_JOBS_ENV)", () => {
      const expected: Record<string, string> = {
        [AWS_JOBS_ENV.queueUrl]: queue().outputs.url,
        [AWS_JOBS_ENV.deadLetterQueueUrl]: dlq().outputs.url,
        [AWS_JOBS_ENV.table]: res(T.table).outputs.name,
        [AWS_JOBS_ENV.resultsBucket]: res(T.bucket, "fleet-results").outputs.bucket,
        [AWS_JOBS_ENV.resultsBaseUrl]: r.outputs.resultsBaseUrl,
      };
      assert.deepEqual(Object.keys(expected).sort(), Object.values(AWS_JOBS_ENV).sort());
      for (const [lt, role] of [
        [res(T.lt, "fleet-lt"), "web"],
        [workerLt(), "worker"],
      ] as const) {
        const env = envFileOf(userDataOf(lt));
        for (const [name, value] of Object.entries(expected)) assert.equal(env.get(name), value, `${role} ${name}`);
        assert.equal(env.get("FLEET_ROLE"), role);
        assert.equal(env.get("JOBS_BACKEND"), "aws");
        assert.equal(env.get("AWS_REGION"), "eu-central-1");
        assert.equal(env.get("JOBS_MAX_ATTEMPTS"), String(JSON.parse(queue().inputs.redrivePolicy).maxReceiveCount));
        assert.equal(env.get("JOBS_VISIBILITY_TIMEOUT_S"), String(queue().inputs.visibilityTimeoutSeconds));
        // The table's TTL (written by the backend) follows the same retention as the bucket's expiry.
        assert.equal(env.get("JOBS_RETENTION_S"), String(cfg.jobs.retentionS));
      }
      const worker = envFileOf(userDataOf(workerLt()));
      assert.equal(worker.get("WORKER_CONCURRENCY"), String(cfg.jobs.workerConcurrency));
      assert.equal(worker.get(AWS_WORKER_ENV.autoScalingGroup), workerAsg().outputs.name);
      assert.equal(worker.get(AWS_WORKER_ENV.lifecycleHook), res(T.lifecycleHook).inputs.name);
    });

    it("grants each role exactly the jobs actions its code path needs, on our resources only", () => {
      const arns = {
        queue: queue().outputs.arn,
        dlq: dlq().outputs.arn,
        table: res(T.table).outputs.arn,
        results: `${res(T.bucket, "fleet-results").outputs.arn}/${AWS_RESULTS_KEY_PREFIX}*`,
        group: `arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:*:autoScalingGroupName/fleet-worker-${stack}`,
      };
      assert.deepEqual(
        Object.fromEntries(grants(inlinePolicyOf(r, res(T.lt, "fleet-lt")))),
        {
          "sqs:SendMessage": [arns.queue],
          "sqs:GetQueueAttributes": [arns.queue],
          "sqs:DeleteMessage": [arns.queue],
          // No Query and no index: listing and redriving dead letters is the operator's, off-instance.
          "dynamodb:GetItem": [arns.table],
          "dynamodb:PutItem": [arns.table],
          "dynamodb:UpdateItem": [arns.table],
        },
        "web",
      );
      assert.deepEqual(
        Object.fromEntries(grants(inlinePolicyOf(r, workerLt()))),
        {
          "sqs:ReceiveMessage": [arns.dlq, arns.queue].sort(),
          "sqs:ChangeMessageVisibility": [arns.dlq, arns.queue].sort(),
          "sqs:DeleteMessage": [arns.dlq, arns.queue].sort(),
          "sqs:SendMessage": [arns.dlq, arns.queue].sort(),
          "sqs:GetQueueAttributes": [arns.queue],
          "dynamodb:GetItem": [arns.table],
          "dynamodb:UpdateItem": [arns.table],
          "dynamodb:Query": [`${arns.table}/index/sweep`],
          "s3:PutObject": [arns.results],
          "autoscaling:SetInstanceProtection": [arns.group],
          "autoscaling:CompleteLifecycleAction": [arns.group],
        },
        "worker",
      );
      // The group ARN names the group the worker really is in.
      assert.equal(workerAsg().inputs.name, `fleet-worker-${stack}`);
    });

    it("allows no wildcard action and no Allow to everyone anywhere", () => {
      const docs = [...all(r, T.rolePolicy), ...all(r, T.bucketPolicy)].map((p) => [p.name, policyDoc(p)] as const);
      assert.ok(docs.length >= 5);
      for (const [name, doc] of docs)
        for (const s of doc.Statement) {
          if (s.Effect !== "Allow") continue;
          for (const a of list(s.Action)) assert.ok(!a.includes("*"), `${name}: ${a}`);
          assert.notEqual(s.Principal, "*", `${name}: Allow to everyone`);
        }
    });

    it("runs the workers from the same image in private subnets, behind no load balancer, EC2-checked", () => {
      const asg = workerAsg().inputs;
      const lt = workerLt().inputs;
      const webLt = res(T.lt, "fleet-lt").inputs;
      assert.equal(lt.imageId, webLt.imageId, "the same AMI parameter");
      assert.equal(lt.instanceType, cfg.jobs.workerInstanceType);
      assert.equal(lt.metadataOptions.httpTokens, "required");
      assert.equal(lt.blockDeviceMappings[0].ebs.encrypted, "true");
      assert.deepEqual(asg.vpcZoneIdentifiers, res(T.vpc).outputs.privateSubnetIds);
      assert.equal(asg.targetGroupArns, undefined);
      assert.equal(asg.healthCheckType, "EC2");
      assert.deepEqual(
        [asg.minSize, asg.desiredCapacity, asg.maxSize],
        [cfg.jobs.workerMinSize, cfg.jobs.workerDesiredCapacity, cfg.jobs.workerMaxSize],
      );
      for (const m of ["GroupInServiceInstances", "GroupDesiredCapacity"]) assert.ok(asg.enabledMetrics.includes(m), m);
      assert.equal(asg.metricsGranularity, "1Minute");
      assert.equal(templateOf(workerAsg()).id, idOf(workerLt()));
      assert.ok(workerAsg().options.ignoreChanges?.includes("desiredCapacity"));
      const profile = all(r, T.profile).find((p) => p.outputs.arn === lt.iamInstanceProfile.arn)!;
      const role = all(r, T.role).find((x) => x.outputs.name === profile.inputs.role)!;
      assert.equal(role.name, "fleet-worker-instance");
      const trust = role.inputs.assumeRolePolicy;
      const trustDoc = typeof trust === "string" ? JSON.parse(trust) : trust;
      assert.equal(trustDoc.Statement[0].Principal.Service, "ec2.amazonaws.com");
      assert.deepEqual(
        all(r, T.attachment)
          .filter((a) => a.inputs.role === role.outputs.name)
          .map((a) => a.inputs.policyArn)
          .sort(),
        [],
        "no AWS managed policy: the base policy is the role's own",
      );
      const inline = all(r, T.rolePolicy).filter((p) => p.inputs.role === role.outputs.name);
      assert.deepEqual(inline.map((p) => p.name).sort(), ["fleet-worker-instance", "fleet-worker-instance-base"]);
      for (const p of inline)
        assert.ok(workerLt().options.dependsOn?.includes(key(p)), `${p.name} in place before the first boot`);
      const sg = res(T.sg, "fleet-worker-instances");
      assert.deepEqual(lt.vpcSecurityGroupIds, [idOf(sg)]);
      assert.equal(all(r, T.ingress).filter((x) => x.inputs.securityGroupId === idOf(sg)).length, 0, "no ingress");
      const egress = all(r, T.egress).filter((x) => x.inputs.securityGroupId === idOf(sg));
      assert.deepEqual(
        egress.map((e) => [e.inputs.fromPort, e.inputs.toPort]),
        [[443, 443]],
      );
    });

    it("buys workers on Spot through a mixed instances policy; the web group stays On-Demand", () => {
      const asg = workerAsg();
      const mip = asg.inputs.mixedInstancesPolicy;
      assert.equal(asg.inputs.launchTemplate, undefined, "a group has a launch template or a mixed policy, not both");
      assert.deepEqual(
        mip.launchTemplate.overrides.map((o: { instanceType: string }) => o.instanceType),
        cfg.jobs.purchase.instanceTypes,
      );
      assert.equal(
        mip.launchTemplate.overrides[0].instanceType,
        cfg.jobs.workerInstanceType,
        "On-Demand's first choice",
      );
      assert.ok(mip.launchTemplate.overrides.length >= 2, "more than one Spot pool");
      assert.ok(
        mip.launchTemplate.overrides.every((o: Record<string, unknown>) => o.weightedCapacity === undefined),
        "no weights: one instance is one unit",
      );
      assert.deepEqual(mip.instancesDistribution, {
        onDemandAllocationStrategy: "prioritized",
        onDemandBaseCapacity: stack === "dev" ? 0 : 1,
        onDemandPercentageAboveBaseCapacity: 0,
        spotAllocationStrategy: "price-capacity-optimized",
      });
      assert.equal(asg.inputs.capacityRebalance, true);
      const web = res(T.asg, "fleet-asg").inputs;
      assert.equal(web.mixedInstancesPolicy, undefined, "the web group buys On-Demand");
      assert.notEqual(web.capacityRebalance, true);
    });

    it("holds a terminating worker until its drain completes the hook (CONTINUE at the timeout)", () => {
      const hook = res(T.lifecycleHook).inputs;
      assert.equal(hook.autoscalingGroupName, workerAsg().outputs.name);
      assert.equal(hook.lifecycleTransition, "autoscaling:EC2_INSTANCE_TERMINATING");
      assert.equal(hook.heartbeatTimeout, LIFECYCLE_HOOK_TIMEOUT_S);
      assert.ok(hook.heartbeatTimeout >= 30 && hook.heartbeatTimeout <= 7200, "PutLifecycleHook's range");
      assert.equal(hook.defaultResult, "CONTINUE");
      assert.equal(hook.notificationTargetArn, undefined, "the worker watches IMDS, no queue or topic");
    });

    it("replaces protected workers on purpose during a refresh (Refresh, through the hook)", () => {
      const prefs = workerAsg().inputs.instanceRefresh.preferences;
      assert.equal(prefs.scaleInProtectedInstances, "Refresh");
      const web = res(T.asg, "fleet-asg").inputs.instanceRefresh.preferences;
      assert.deepEqual(
        { ...prefs, scaleInProtectedInstances: undefined },
        { ...web, scaleInProtectedInstances: undefined },
      );
    });

    it("tracks backlog per instance with AWS's documented metric math, at the capacity target", () => {
      const policies = all(r, T.policy).filter((p) => p.inputs.autoscalingGroupName === workerAsg().outputs.name);
      const tracking = policies.filter((p) => p.inputs.policyType === "TargetTrackingScaling");
      assert.equal(tracking.length, 1);
      const tt = tracking[0]!.inputs.targetTrackingConfiguration;
      assert.equal(tt.predefinedMetricSpecification, undefined);
      assert.equal(
        tt.targetValue,
        backlogPerInstanceTarget({
          maxWaitSeconds: cfg.jobs.jobMaxWaitSeconds,
          jobSeconds: cfg.jobs.jobSeconds,
          jobsPerInstance: cfg.jobs.workerConcurrency,
        }),
      );
      const [m1, m2, e1] = tt.customizedMetricSpecification.metrics;
      assert.deepEqual(
        { id: m1.id, stat: m1.metricStat.stat, returnData: m1.returnData, metric: m1.metricStat.metric },
        {
          id: "m1",
          stat: "Sum",
          returnData: false,
          metric: {
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: [{ name: "QueueName", value: queue().outputs.name }],
          },
        },
      );
      assert.deepEqual(
        { id: m2.id, stat: m2.metricStat.stat, returnData: m2.returnData, metric: m2.metricStat.metric },
        {
          id: "m2",
          stat: "Average",
          returnData: false,
          metric: {
            namespace: "AWS/AutoScaling",
            metricName: "GroupInServiceInstances",
            dimensions: [{ name: "AutoScalingGroupName", value: workerAsg().outputs.name }],
          },
        },
      );
      assert.deepEqual(
        { id: e1.id, expression: e1.expression, returnData: e1.returnData },
        {
          id: "e1",
          expression: "m1 / m2",
          returnData: true,
        },
      );
      assert.equal(evaluate(e1.expression, { m1: 120, m2: 4 }), 30, "120 waiting over 4 instances");
    });

    it("wakes an empty group (min 0, or any group in the night's drain): visible messages while desired is 0 set it to exactly 1", () => {
      const step = res(T.policy, "fleet-worker-wake-up");
      const alarm = res(T.alarm, "fleet-worker-wake-up").inputs;
      assert.equal(step.inputs.autoscalingGroupName, workerAsg().outputs.name);
      assert.equal(step.inputs.policyType, "StepScaling");
      assert.equal(step.inputs.adjustmentType, "ExactCapacity");
      assert.deepEqual(alarm.alarmActions, [step.outputs.arn]);
      const queries = alarm.metricQueries as Array<any>;
      const byId = new Map(queries.map((q) => [q.id, q]));
      assert.deepEqual(byId.get("visible").metric.dimensions, { QueueName: queue().outputs.name });
      assert.equal(byId.get("visible").metric.metricName, "ApproximateNumberOfMessagesVisible");
      assert.deepEqual(byId.get("desired").metric.dimensions, { AutoScalingGroupName: workerAsg().outputs.name });
      assert.equal(byId.get("desired").metric.metricName, "GroupDesiredCapacity");
      const out = queries.filter((q) => q.returnData);
      assert.equal(out.length, 1, "an alarm evaluates exactly one returned series");

      // The path end to end: the alarm's own expression, its threshold, then the step the policy takes.
      const fires = (visible: number, desired: number) => {
        const value = evaluate(out[0].expression, { visible, desired });
        const breached =
          alarm.comparisonOperator === "GreaterThanOrEqualToThreshold" ? value >= alarm.threshold : false;
        if (!breached) return undefined;
        const overBy = value - alarm.threshold;
        const stepTaken = (step.inputs.stepAdjustments as Array<any>).find(
          (s) =>
            overBy >= Number(s.metricIntervalLowerBound ?? -Infinity) &&
            overBy < Number(s.metricIntervalUpperBound ?? Infinity),
        );
        return stepTaken?.scalingAdjustment as number | undefined;
      };
      assert.equal(fires(5, 0), 1, "jobs waiting, no worker wanted: exactly one");
      assert.equal(fires(1, 0), 1);
      assert.equal(fires(0, 0), undefined, "an empty queue keeps the group at zero");
      assert.equal(fires(500, 3), undefined, "a starting group (desired 3, none in service yet) is not shrunk to 1");
      assert.equal(fires(500, 1), undefined, "target tracking owns a group above zero");
      assert.equal(alarm.treatMissingData, "notBreaching", "an idle queue publishes no metrics");
    });
  });
}

describe("jobs resources under mocks: variations", () => {
  it("an idle-at-zero prod worker fleet keeps the same wake-up path", async () => {
    // Drain mode: the night's restore must bring the group back to min 0, not to the web fleet's min.
    const r = await synth("prod", { ...readStackConfig("prod"), "fleet:workerMinSize": "0", "fleet:nightly": "drain" });
    assert.equal(one(r, T.asg, "fleet-worker-asg").inputs.minSize, 0);
    assert.equal(one(r, T.policy, "fleet-worker-wake-up").inputs.adjustmentType, "ExactCapacity");
    const night = all(r, T.schedule).filter((s) => s.name === "fleet-worker-restore");
    assert.equal(night[0]!.inputs.minSize, 0);
  });
});
