/** Broken and at-the-limit cases of the AWS-accepts rules for Step Functions state machines. */
import { type Case, chars, res } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-state-machine",
    "a state machine name with a space",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { name: "fleet release", definition: "{}" })],
    /white space/,
  ],
  [
    "aws-accepts-state-machine",
    "a name of 81 characters",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { name: chars(81) })],
  ],
  [
    "aws-accepts-state-machine",
    "a definition over 1 MB",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { definition: chars(1024 * 1024 + 1) })],
    /1048576 bytes/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-state-machine",
    "80 characters and exactly 1 MB",
    () => [res("aws:sfn/stateMachine:StateMachine", "release", { name: chars(80), definition: chars(1024 * 1024) })],
  ],
];
