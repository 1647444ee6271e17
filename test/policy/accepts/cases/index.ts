/** Every area's cases, in one list each: rules.test.ts runs them. */
import type { Case } from "../helpers";
import * as ec2 from "./ec2";
import * as elb from "./elb";
import * as autoscaling from "./autoscaling";
import * as imagebuilder from "./imagebuilder";
import * as iam from "./iam";
import * as sqs from "./sqs";
import * as cloudwatch from "./cloudwatch";
import * as scheduler from "./scheduler";
import * as ssm from "./ssm";
import * as sfn from "./sfn";
import * as storage from "./storage";
import * as tags from "./tags";
import * as kms from "./kms";
import * as waf from "./waf";

const AREAS = [ec2, elb, autoscaling, imagebuilder, iam, sqs, cloudwatch, scheduler, ssm, sfn, storage, tags, kms, waf];
export const BROKEN: Case[] = AREAS.flatMap((a) => a.BROKEN);
export const AT_THE_LIMIT: Case[] = AREAS.flatMap((a) => a.AT_THE_LIMIT);
