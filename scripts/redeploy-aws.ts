/**
 * The AWS calls `npm run redeploy` makes, behind one narrow interface (`ReleaseAws`) so the CLI runs in
 * tests against a fake, and the one implementation over the SDK v3 clients (Step Functions, SSM, EC2,
 * Auto Scaling) in the stack's region. Every call here reads, except `startExecution`.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionOutput,
  type ExecutionListItem,
  type HistoryEvent,
} from "@aws-sdk/client-sfn";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
  DescribeImagesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type Image,
} from "@aws-sdk/client-ec2";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
} from "@aws-sdk/client-auto-scaling";

export type { DescribeExecutionOutput, ExecutionListItem, HistoryEvent, Image, InstanceRefresh };

/** A group's launch template as the group names it (a number, `$Default` or `$Latest`). */
export interface GroupTemplate {
  templateId: string;
  version: string;
}

export interface ReleaseAws {
  startExecution(
    stateMachineArn: string,
    name: string,
    input: string,
  ): Promise<{ executionArn: string; startDate: Date }>;
  describeExecution(executionArn: string): Promise<DescribeExecutionOutput>;
  /** The events after the one numbered `afterId` (0: all of them), oldest first. */
  history(executionArn: string, afterId: number): Promise<HistoryEvent[]>;
  /** The newest executions first; `running` limits them to RUNNING ones. */
  executions(stateMachineArn: string, max: number, running?: boolean): Promise<ExecutionListItem[]>;
  /** The group's refreshes, newest first (AWS keeps six weeks of them). */
  instanceRefreshes(groupName: string): Promise<InstanceRefresh[]>;
  /** The parameter's value, or undefined when it does not exist. */
  parameter(name: string): Promise<string | undefined>;
  /** The image, or undefined when it does not exist (or is no longer available) in this region. */
  image(imageId: string): Promise<Image | undefined>;
  /** This account's images carrying every one of these tags. */
  imagesTagged(tags: Record<string, string>): Promise<Image[]>;
  groupTemplate(groupName: string): Promise<GroupTemplate | undefined>;
  /** The AMI of one version of a launch template (`ImageId` as written: an id, or `resolve:ssm:...`). */
  templateImage(
    templateId: string,
    version: string,
  ): Promise<{ version: number | undefined; imageId: string | undefined }>;
}

/** Anything with the SDK clients' `send`; the tests pass recorders. */
export interface Sender {
  send(command: any): Promise<any>;
}

export interface Clients {
  sfn: Sender;
  ssm: Sender;
  ec2: Sender;
  autoscaling: Sender;
}

export function sdkClients(region: string): Clients {
  return {
    sfn: new SFNClient({ region }),
    ssm: new SSMClient({ region }),
    ec2: new EC2Client({ region }),
    autoscaling: new AutoScalingClient({ region }),
  };
}

/** GetExecutionHistory returns at most 1000 events a page (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html). */
const HISTORY_PAGE = 1000;

export function sdkReleaseAws(c: Clients): ReleaseAws {
  return {
    async startExecution(stateMachineArn, name, input) {
      const out = await c.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      return { executionArn: out.executionArn, startDate: out.startDate };
    },
    describeExecution: (executionArn) => c.sfn.send(new DescribeExecutionCommand({ executionArn })),
    async history(executionArn, afterId) {
      // Newest first, page by page, until the last event already seen: a long release has thousands of
      // events, and a poll every 15 s should read only the few new ones.
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await c.sfn.send(
          new GetExecutionHistoryCommand({ executionArn, maxResults: HISTORY_PAGE, reverseOrder: true, nextToken }),
        );
        const fresh = (page.events ?? []).filter((e: HistoryEvent) => (e.id ?? 0) > afterId);
        events.push(...fresh);
        nextToken = fresh.length === (page.events ?? []).length ? page.nextToken : undefined;
      } while (nextToken);
      return events.reverse();
    },
    async executions(stateMachineArn, max, running) {
      // Most recent first; maxResults 1..1000 (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
      const out = await c.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: max,
          ...(running ? { statusFilter: "RUNNING" } : {}),
        }),
      );
      return out.executions ?? [];
    },
    async instanceRefreshes(groupName) {
      const out = await c.autoscaling.send(
        // Newest first; MaxRecords 1..100, and a release makes at most a few per group
        // (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html).
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: groupName, MaxRecords: 10 }),
      );
      return out.InstanceRefreshes ?? [];
    },
    async parameter(name) {
      try {
        const out = await c.ssm.send(new GetParameterCommand({ Name: name }));
        return out.Parameter?.Value;
      } catch (err) {
        if ((err as Error).name === "ParameterNotFound") return undefined;
        throw err;
      }
    },
    async image(imageId) {
      try {
        const out = await c.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
        return out.Images?.[0];
      } catch (err) {
        // A well-formed id of no image (or a deregistered one) is an error, not an empty list.
        if ((err as Error).name === "InvalidAMIID.NotFound" || (err as Error).name === "InvalidAMIID.Unavailable")
          return undefined;
        throw err;
      }
    },
    async imagesTagged(tags) {
      // `tag:<key>` filters by a tag's value; a key may itself contain ':'
      // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html).
      const Filters = Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
      const out = await c.ec2.send(new DescribeImagesCommand({ Owners: ["self"], Filters }));
      return out.Images ?? [];
    },
    async groupTemplate(groupName) {
      const out = await c.autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
      );
      const group = out.AutoScalingGroups?.[0];
      const spec = group?.LaunchTemplate ?? group?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      if (!spec?.LaunchTemplateId) return undefined;
      return { templateId: spec.LaunchTemplateId, version: spec.Version ?? "$Default" };
    },
    async templateImage(templateId, version) {
      // A group names a number, `$Latest` or `$Default`: each a valid `Versions` entry for one template
      // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html).
      const out = await c.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [version] }),
      );
      const v = out.LaunchTemplateVersions?.[0];
      return { version: v?.VersionNumber, imageId: v?.LaunchTemplateData?.ImageId };
    },
  };
}
