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
import { LoadBalancer } from "./web/loadBalancer";
import { Fleet } from "./web/fleet";
import { Scaling } from "./web/scaling";
import { Night, UNCHANGED } from "./night/night";
import { instanceLogGroupName } from "./observability/agentConfig";
import { AccessLogs, ACCESS_LOG_PREFIX } from "./observability/accessLogs";
import { InstanceLogs, Observability } from "./observability/observability";
import { JobsQueue } from "./jobs/jobsQueue";
import { JobsTable } from "./jobs/jobsTable";
import { JOBS_TABLE } from "../service/jobs/aws/table-schema";
import { Results } from "./jobs/results";
import { webJobsPolicy } from "./jobs/jobsAccess";
import { renderUserData, type FleetRole } from "./shared/userData";
import {
  WorkerFleet,
  workerGroupName,
  WORKER_LIFECYCLE_HOOK_NAME,
  WORKER_REFRESH_PREFERENCES,
} from "./jobs/workerFleet";
import { WorkerScaling } from "./jobs/workerScaling";
import { DEFAULT_VISIBILITY_TIMEOUT_S } from "../service/jobs/timing";

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
  tags,
});

const logs = new InstanceLogs("fleet", {
  logGroupName: instanceLogGroupName(stackName),
  retentionDays: config.logRetentionDays,
  tags,
});

const image = new Image("fleet", {
  stack: stackName,
  region,
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

const lb = new LoadBalancer("fleet", {
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  idleTimeoutSeconds: config.albIdleTimeoutSeconds,
  deletionProtection: config.deletionProtection,
  ...(config.certificateArn !== undefined
    ? { certificateArn: config.certificateArn }
    : {
        plainHttpReason: config.allowPlainHttp
          ? "fleet:allowPlainHttp is true"
          : "no deletion protection: a development stack",
      }),
  accessLogs: { bucket: accessLogs.bucketName, prefix: ACCESS_LOG_PREFIX, dependsOn: accessLogs.ready },
  tags,
});

// --- Jobs: the queue, the table, the results and their CDN; both fleets learn their names at boot.
const queue = new JobsQueue("fleet-jobs", { maxAttempts: config.jobs.maxAttempts, tags });
const table = new JobsTable("fleet-jobs", {
  schema: JOBS_TABLE,
  protect: config.deletionProtection,
  tags,
});
const results = new Results("fleet-results", { expireDays: config.jobs.resultsExpireDays, tags });
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

const fleet = new Fleet("fleet", {
  stack: stackName,
  vpcId: network.vpcId,
  privateSubnetIds: network.privateSubnetIds,
  instanceType: config.instanceType,
  minSize: config.minSize,
  desiredCapacity: config.desiredCapacity,
  maxSize: config.maxSize,
  amiParameterName: image.amiParameterName,
  albSecurityGroupId: lb.securityGroupId,
  targetGroupArn: lb.targetGroupArn,
  userData: userData("web"),
  inlinePolicy: jobArns.apply((arns) => JSON.stringify(webJobsPolicy(arns))),
  // The first image writes the AMI parameter the launch template resolves; the agent needs its log group.
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
  listener: lb.forwardingListener,
});

new Night("fleet", {
  mode: config.nightly,
  region,
  accountId,
  tags,
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
  amiParameterName: image.amiParameterName,
  userData: userData("worker"),
  jobs: jobArns,
  // As the web fleet: the AMI parameter, and the log group its agent writes to.
  dependsOn: [image.image, logs.logGroup],
  tags,
});

new WorkerScaling("fleet-worker", {
  asgName: workers.asgName,
  queueName: queue.queueName,
  backlogPerInstanceTarget: config.jobs.backlogPerInstanceTarget,
});

// The workers follow the web fleet's night onto the fresh image, in the same mode. `drain`: drained to zero
// (each through its termination hook), then min restored while the backlog decides the rest (desired
// unchanged). `refresh`: with the worker's preferences, so busy (scale-in protected) workers are replaced
// too, through the hook, instead of AWS's default Wait, which fails the refresh after an hour.
new Night("fleet-worker", {
  mode: config.nightly,
  region,
  accountId,
  refreshPreferences: WORKER_REFRESH_PREFERENCES,
  tags,
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
  jobs: { queueName: queue.queueName, dlqName: queue.deadLetterQueueName, workerAsgName: workers.asgName },
  ...(config.alarmEmail !== undefined ? { alarmEmail: config.alarmEmail } : {}),
  tags,
});

export const url = lb.url;
/** The jobs API: POST here, poll `${jobsUrl}/<id>`. */
export const jobsUrl = pulumi.interpolate`${lb.url}/jobs`;
/** Base of every `result.url` (the CloudFront distribution over the results bucket). */
export const resultsBaseUrl = results.baseUrl;
export const albDnsName = lb.dnsName;
export const asgName = fleet.asgName;
export const targetGroupArn = lb.targetGroupArn;
export const amiParameterName = image.amiParameterName;
export const imagePipelineArn = image.pipelineArn;
export const alarmTopicArn = observability.alarmTopicArn;
export const dashboardName = observability.dashboardName;
export const stack = stackName;
