/**
 * Periodic jobs on AWS (`fleet:jobSchedules`): one EventBridge Scheduler schedule per entry, in a schedule
 * group of the stack's own, each sending a tick message to the jobs queue through Scheduler's templated SQS
 * target. The worker that receives a tick records its job in the table (the truth) under the tick's
 * idempotency key and deletes the message (service/jobs/ticks.ts), so a tick Scheduler delivers twice, or
 * two workers receive, is one job. Scheduler's role may only send to that one queue, and only schedules of
 * this group may use it.
 *
 * infra/index.ts creates it only for a stack with schedules.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SCHEDULE_NAME, type JobSchedule } from "../../service/jobs/schedules";
import { tickMessageBody } from "../../service/jobs/ticks";

export interface JobSchedulesArgs {
  stack: string;
  region: string;
  accountId: pulumi.Input<string>;
  /** The jobs queue, which the workers read. */
  queueArn: pulumi.Input<string>;
  /** Checked by parseSchedules (fleet:jobSchedules). */
  schedules: readonly JobSchedule[];
  tags?: Record<string, string>;
}

/**
 * How long Scheduler keeps retrying a tick it could not send (SQS throttled or down): an hour, within AWS's
 * 60..86400 s. A tick sent late is still the tick (its time is in the body); one sent after the next tick
 * is due is superseded by it on receipt. Attempts: AWS's largest, 185 (0..185), so the age is the bound.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
 */
export const TICK_RETRY_POLICY = { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 185 } as const;

/** The stack's schedule group: 1-64 of [0-9a-zA-Z-_.], as a schedule's name (GroupName in
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetSchedule.html). */
export function scheduleGroupName(stack: string): string {
  const name = `fleet-${stack}-jobs`;
  if (!SCHEDULE_NAME.test(name)) {
    throw new Error(`the schedule group name "${name}" is not 1-64 of [0-9a-zA-Z-_.]: use a shorter stack name`);
  }
  return name;
}

/**
 * Trust for Scheduler, scoped by aws:SourceAccount and aws:SourceArn to the stack's schedule group, as
 * AWS's confused-deputy guidance asks (SourceArn is the group's ARN, never a schedule's):
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
 */
export function schedulerTrust(accountId: string, groupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId, "aws:SourceArn": groupArn } },
      },
    ],
  });
}

export class JobSchedules extends pulumi.ComponentResource {
  /** The schedules' ARNs by name (empty without schedules). */
  readonly scheduleArns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: JobSchedulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:jobSchedules:JobSchedules", name, {}, opts);
    const tags = args.tags ?? {};
    if (args.schedules.length > 0) {
      const groupName = scheduleGroupName(args.stack);
      const group = new aws.scheduler.ScheduleGroup(`${name}-group`, { name: groupName, tags }, { parent: this });
      const role = new aws.iam.Role(
        `${name}-scheduler`,
        {
          description: `fleet ${args.stack}: EventBridge Scheduler sends periodic jobs' ticks to the jobs queue`,
          assumeRolePolicy: pulumi
            .all([args.accountId, group.arn])
            .apply(([account, groupArn]) => schedulerTrust(account, groupArn)),
          tags,
        },
        { parent: this },
      );
      // The queue uses SQS-managed encryption (jobsQueue.ts): sending needs no KMS permission.
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
      const policy = new aws.iam.RolePolicy(
        `${name}-scheduler`,
        {
          role: role.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [args.queueArn] }],
          }),
        },
        { parent: this },
      );
      for (const schedule of args.schedules) {
        const created = new aws.scheduler.Schedule(
          `${name}-${schedule.name}`,
          {
            name: schedule.name,
            groupName: group.name,
            description: `fleet ${args.stack}: periodic ${schedule.kind} job "${schedule.name}"`,
            scheduleExpression: schedule.schedule,
            scheduleExpressionTimezone: schedule.timeZone,
            // OFF: the tick's time (<aws.scheduler.scheduled-time>, the job's key) is the expression's own.
            flexibleTimeWindow: { mode: "OFF" },
            state: "ENABLED",
            target: {
              // Templated SQS target: the queue's ARN and the message body as Input.
              arn: args.queueArn,
              roleArn: role.arn,
              input: tickMessageBody(schedule),
              retryPolicy: { ...TICK_RETRY_POLICY },
            },
          },
          // Its first tick must find the permission in place.
          { parent: this, dependsOn: [policy] },
        );
        this.scheduleArns[schedule.name] = created.arn;
      }
    }
    this.registerOutputs({});
  }
}
