/**
 * The fleet's Pulumi program: reads the stack's config and wires the components, nothing more.
 * Stack outputs are the frontend's contract (README, "Stack outputs: the frontend's contract").
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { parseFleetConfig } from "./shared/config";
import { Network } from "./shared/network";
import { Image } from "./image/image";
import { CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, LoadBalancer } from "./web/loadBalancer";
import { ApiCdn, ORIGIN_SECRET_HEADER } from "./web/apiCdn";
import { Fleet } from "./web/fleet";
import { Scaling } from "./web/scaling";
import { Night, UNCHANGED } from "./night/night";
import { AFTER_RESTORE_S, Release } from "./night/release";
import { releaseStateMachineName } from "./night/releasePlan";
import { INSTANCE_REFRESH_PREFERENCES } from "./night/refresh";
import { jobsFailedNamespace, RELEASE_GATES } from "./observability/monitoring";
import { AGENT_NAMESPACE, instanceLogGroupName } from "./observability/agentConfig";
import { instanceBasePolicy } from "./shared/instancePolicy";
import { AccessLogs, ACCESS_LOG_PREFIX } from "./observability/accessLogs";
import { CdnLogs } from "./observability/cdnLogs";
import { WebFirewall } from "./web/waf";
import { InstanceLogs, Observability } from "./observability/observability";
import { JobSchedules } from "./jobs/jobSchedules";
import { JobsQueue } from "./jobs/jobsQueue";
import { JobsTable } from "./jobs/jobsTable";
import { JOBS_TABLE } from "../service/jobs/aws/table-schema";
import { Results } from "./jobs/results";
import { webJobsPolicy } from "./jobs/jobsAccess";
import { proxyHops, renderUserData, type FleetRole } from "./shared/userData";
import {
  WorkerFleet,
  workerGroupName,
  WORKER_LIFECYCLE_HOOK_NAME,
  WORKER_REFRESH_PREFERENCES,
} from "./jobs/workerFleet";
import { WorkerScaling } from "./jobs/workerScaling";
import { vcpusOf } from "./jobs/jobsConfig";
import { DEFAULT_VISIBILITY_TIMEOUT_S } from "../service/jobs/timing";
import { clientQuotaForProcesses } from "../service/jobs/capacity";
import { DEFAULT_CLIENT_QUOTA_S, DEFAULT_MAX_BACKLOG_S } from "../service/jobs/config";

const fleetConfig = new pulumi.Config("fleet");
// Every `fleet:` key the stack sets (allConfig() keys are "<namespace>:<key>"), so a mistyped one is an error.
const setFleetKeys = Object.keys(pulumi.runtime.allConfig())
  .filter((k) => k.startsWith("fleet:"))
  .map((k) => k.slice("fleet:".length));
// Validates everything first: a bad value throws one error naming `fleet:<key>` before any resource exists.
const config = parseFleetConfig((key) => fleetConfig.get(key), new Date(), setFleetKeys);
const region = new pulumi.Config("aws").require("region");
const stackName = pulumi.getStack();
const tags = { project: "fleet", stack: stackName };
const accountId = aws.getCallerIdentityOutput().accountId;

const network = new Network("fleet", {
  availabilityZones: config.availabilityZones,
  natStrategy: config.natStrategy,
  flowLogGroupName: `/fleet/${stackName}/vpc-flow-logs`,
  region,
  accountId,
  tags,
});

const logs = new InstanceLogs("fleet", {
  logGroupName: instanceLogGroupName(stackName),
  retentionDays: config.logRetentionDays,
  failedJobsNamespace: jobsFailedNamespace(stackName),
  tags,
});

const image = new Image("fleet", {
  stack: stackName,
  region,
  accountId,
  architecture: config.architecture,
  instanceType: config.instanceType,
  pipelineCron: config.pipelineCron,
  timeZone: config.timeZone,
  vpcId: network.vpcId,
  subnetId: network.privateSubnetIds.apply((ids) => ids[0]!),
  rootDir: path.resolve(__dirname, ".."),
  logGroupName: instanceLogGroupName(stackName),
  tags,
});

const accessLogs = new AccessLogs("fleet", { region, accountId, tags });

// HTTPS in every stack: on the ALB with a certificate, else through CloudFront (infra/web/apiCdn.ts), whose
// secret header the ALB checks; the secret stays a secret in the state.
const originSecret = config.web.originSecret !== undefined ? pulumi.secret(config.web.originSecret) : undefined;
const lb = new LoadBalancer("fleet", {
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  idleTimeoutSeconds: config.albIdleTimeoutSeconds,
  deletionProtection: config.deletionProtection,
  ...(config.certificateArn !== undefined
    ? { certificateArn: config.certificateArn }
    : {
        behindCloudFront: {
          prefixListId: aws.ec2
            .getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST })
            .apply((l) => l.id),
          headerName: ORIGIN_SECRET_HEADER,
          secret: originSecret!,
        },
      }),
  accessLogs: { bucket: accessLogs.bucketName, prefix: ACCESS_LOG_PREFIX, dependsOn: accessLogs.ready },
  tags,
});
// Both distributions log to one bucket; with fleet:waf, one CLOUDFRONT web ACL rate-limits both, and an ALB
// that serves HTTPS itself gets a REGIONAL one.
const cdnLogs = new CdnLogs("fleet", { tags });
const cdnAccessLogs = { bucketDomainName: cdnLogs.bucketDomainName, ready: cdnLogs.ready };
const rateLimit = { stack: stackName, rateLimit: config.waf.rateLimit, windowS: config.waf.windowS, tags };
const edgeFirewall = config.waf.enabled
  ? new WebFirewall("fleet-edge", { ...rateLimit, scope: "CLOUDFRONT" })
  : undefined;
if (config.waf.enabled && config.certificateArn !== undefined)
  new WebFirewall("fleet-alb", { ...rateLimit, scope: "REGIONAL", loadBalancerArn: lb.arn });
const webAcl = edgeFirewall !== undefined ? { webAclArn: edgeFirewall.arn } : {};
const apiCdn =
  originSecret !== undefined
    ? new ApiCdn("fleet-api", { albDnsName: lb.dnsName, originSecret, accessLogs: cdnAccessLogs, ...webAcl, tags })
    : undefined;
const apiUrl = apiCdn?.url ?? lb.url;

// --- Jobs: the queue, the table, the results and their CDN; both fleets learn their names at boot.
const queue = new JobsQueue("fleet-jobs", { maxAttempts: config.jobs.maxAttempts, tags });
const table = new JobsTable("fleet-jobs", {
  schema: JOBS_TABLE,
  protect: config.deletionProtection,
  tags,
});
const results = new Results("fleet-results", {
  expireDays: config.jobs.resultsExpireDays,
  corsOrigins: config.web.corsOrigins,
  accessLogs: cdnAccessLogs,
  ...webAcl,
  tags,
});
// Periodic jobs: Scheduler sends each tick to the queue; a worker records it as the tick's job. A stack
// without schedules plans none of it.
if (config.jobs.schedules.length > 0) {
  new JobSchedules("fleet-jobs", {
    stack: stackName,
    region,
    accountId,
    queueArn: queue.queueArn,
    schedules: config.jobs.schedules,
    tags,
  });
}
const jobArns = pulumi.output({
  queueArn: queue.queueArn,
  deadLetterQueueArn: queue.deadLetterQueueArn,
  tableArn: table.tableArn,
  resultsBucketArn: results.bucketArn,
});
const jobResources = pulumi.output({
  queueUrl: queue.queueUrl,
  deadLetterQueueUrl: queue.deadLetterQueueUrl,
  table: table.tableName,
  resultsBucket: results.bucketName,
  resultsBaseUrl: results.baseUrl,
});
const userData = (role: FleetRole) =>
  jobResources.apply((resources) =>
    renderUserData({
      role,
      region,
      resources,
      maxAttempts: config.jobs.maxAttempts,
      visibilityTimeoutS: DEFAULT_VISIBILITY_TIMEOUT_S,
      ...(role === "web"
        ? {
            corsOrigins: config.web.corsOrigins,
            trustProxy: proxyHops(apiCdn !== undefined),
            workerSlots: config.jobs.workerMaxSize * config.jobs.workerConcurrency,
            // A web process per vCPU (WEB_CONCURRENCY's default); a type whose size does not tell: the cap.
            clientQuotaS: clientQuotaForProcesses(
              DEFAULT_MAX_BACKLOG_S,
              config.maxSize * (vcpusOf(config.instanceType) ?? 64),
              DEFAULT_CLIENT_QUOTA_S,
            ),
          }
        : {}),
      retentionS: config.jobs.retentionS,
      ...(role === "worker"
        ? {
            worker: {
              concurrency: config.jobs.workerConcurrency,
              groupName: workerGroupName(stackName),
              lifecycleHookName: WORKER_LIFECYCLE_HOOK_NAME,
            },
          }
        : {}),
    }),
  );

// Session Manager and the CloudWatch agent on this stack's log group and namespace: both fleets' base policy.
const instancePolicy = accountId.apply((account) =>
  JSON.stringify(
    instanceBasePolicy({
      region,
      accountId: account,
      logGroupName: instanceLogGroupName(stackName),
      metricsNamespace: AGENT_NAMESPACE,
    }),
  ),
);

const fleet = new Fleet("fleet", {
  stack: stackName,
  vpcId: network.vpcId,
  privateSubnetIds: network.privateSubnetIds,
  instanceType: config.instanceType,
  minSize: config.minSize,
  desiredCapacity: config.desiredCapacity,
  maxSize: config.maxSize,
  imageId: image.lastGoodAmiId,
  albSecurityGroupId: lb.securityGroupId,
  targetGroupArn: lb.targetGroupArn,
  userData: userData("web"),
  inlinePolicy: jobArns.apply((arns) => JSON.stringify(webJobsPolicy(arns))),
  instancePolicy,
  // The last good AMI is the first image's until a release promotes another; the agent needs its log group.
  dependsOn: [image.image, logs.logGroup],
  tags,
});

new Scaling("fleet", {
  asgName: fleet.asgName,
  cpuTargetPercent: config.cpuTargetPercent,
  ...(config.requestsPerTargetPerMinute !== undefined
    ? { requestsPerTargetPerMinute: config.requestsPerTargetPerMinute }
    : {}),
  albArnSuffix: lb.albArnSuffix,
  targetGroupArnSuffix: lb.targetGroupArnSuffix,
  listener: lb.forwarding,
});

new Night("fleet", {
  mode: config.nightly,
  asgName: fleet.asgName,
  drainCron: config.drainCron,
  restoreCron: config.restoreCron,
  timeZone: config.timeZone,
  minSize: config.minSize,
  desiredCapacity: config.desiredCapacity,
});

const workers = new WorkerFleet("fleet-worker", {
  stack: stackName,
  vpcId: network.vpcId,
  privateSubnetIds: network.privateSubnetIds,
  instanceType: config.jobs.workerInstanceType,
  minSize: config.jobs.workerMinSize,
  desiredCapacity: config.jobs.workerDesiredCapacity,
  maxSize: config.jobs.workerMaxSize,
  imageId: image.lastGoodAmiId,
  userData: userData("worker"),
  jobs: jobArns,
  instancePolicy,
  purchase: config.jobs.purchase,
  // As the web fleet: the first image, and the log group its agent writes to.
  dependsOn: [image.image, logs.logGroup],
  tags,
});

new WorkerScaling("fleet-worker", {
  asgName: workers.asgName,
  queueName: queue.queueName,
  backlogPerInstanceTarget: config.jobs.backlogPerInstanceTarget,
});

// `drain`: the workers are drained to zero too (each through its termination hook), then min restored while
// the backlog decides the rest (desired unchanged).
new Night("fleet-worker", {
  mode: config.nightly,
  asgName: workers.asgName,
  drainCron: config.drainCron,
  restoreCron: config.restoreCron,
  timeZone: config.timeZone,
  minSize: config.jobs.workerMinSize,
  desiredCapacity: UNCHANGED,
});

const observability = new Observability("fleet", {
  stack: stackName,
  region,
  accountId,
  albArnSuffix: lb.albArnSuffix,
  targetGroupArnSuffix: lb.targetGroupArnSuffix,
  asgName: fleet.asgName,
  // The DLQ alarm, the backlog-per-instance graph and the worker group's graphs.
  jobs: {
    queueName: queue.queueName,
    dlqName: queue.deadLetterQueueName,
    workerAsgName: workers.asgName,
    failedJobsNamespace: jobsFailedNamespace(stackName),
  },
  // Known before the state machine exists (its name is fixed): its alarm and widget, without a cycle.
  releaseStateMachineArn: pulumi.interpolate`arn:aws:states:${region}:${accountId}:stateMachine:${releaseStateMachineName(stackName)}`,
  ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
  tags,
});

// --- The nightly release: tonight's image onto the web group (the canary of the image), then the workers.
const bakeS = config.releaseBakeMinutes * 60;
const release = new Release("fleet", {
  stack: stackName,
  region,
  accountId,
  candidateParameterName: image.amiParameterName,
  lastGoodParameterName: image.lastGoodParameterName,
  topicArn: observability.alarmTopicArn,
  topicKeyArn: observability.alarmKeyArn,
  groups: [
    {
      group: "web",
      asgName: fleet.asgName,
      launchTemplateId: fleet.launchTemplateId,
      launchTemplateArn: fleet.launchTemplateArn,
      instanceRoleArn: fleet.instanceRoleArn,
      alarmNames: RELEASE_GATES.web.map((k) => observability.alarmNames[k]!),
      refreshPreferences: INSTANCE_REFRESH_PREFERENCES,
      maxSize: config.maxSize,
    },
    {
      group: "worker",
      asgName: workers.asgName,
      launchTemplateId: workers.launchTemplateId,
      launchTemplateArn: workers.launchTemplateArn,
      instanceRoleArn: workers.instanceRoleArn,
      alarmNames: RELEASE_GATES.worker.map((k) => observability.alarmNames[k]!),
      refreshPreferences: WORKER_REFRESH_PREFERENCES,
      maxSize: config.jobs.workerMaxSize,
      purchase: config.jobs.purchase,
    },
  ],
  timing: { canaryBakeS: bakeS, bakeTimeS: bakeS },
  // After the image pipeline, in the stack's time zone (infra/shared/config.ts checks the DST-safe lead).
  cron: config.nightly === "refresh" ? config.drainCron : config.restoreCron,
  timeZone: config.timeZone,
  nightlyDelayS: config.nightly === "drain" ? AFTER_RESTORE_S : 0,
  tags,
});

/** The API, HTTPS in every stack (the ALB's certificate, or CloudFront's in front of it). */
export const url = apiUrl;
/** The jobs API: POST here, poll `${jobsUrl}/<id>`. */
export const jobsUrl = pulumi.interpolate`${apiUrl}/jobs`;
/** Base of every `result.url` (the CloudFront distribution over the results bucket). */
export const resultsBaseUrl = results.baseUrl;
export const albDnsName = lb.dnsName;
export const asgName = fleet.asgName;
/** The worker group (npm run redeploy -- --status / --group worker). */
export const workerAsgName = workers.asgName;
export const targetGroupArn = lb.targetGroupArn;
export const amiParameterName = image.amiParameterName;
/** The release (RELEASE_CONTRACT.md): `npm run redeploy` starts it; the record it writes. */
export const releaseStateMachineArn = release.stateMachineArn;
export const lastGoodAmiParameter = image.lastGoodParameterName;
export const imagePipelineArn = image.pipelineArn;
export const alarmTopicArn = observability.alarmTopicArn;
export const dashboardName = observability.dashboardName;
export const stack = stackName;
