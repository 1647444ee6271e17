/** Broken and at-the-limit cases of the AWS-accepts rules for Image Builder: component data and names, versions, test timeouts, distribution configurations. */
import { type Case, T, chars, mutate } from "../helpers";

export const BROKEN: Case[] = [
  [
    "aws-accepts-component-data-size",
    "16,001 characters of component data",
    () => [mutate(T.component, (i) => (i.data = chars(16_001)))],
    /at most 16000/,
  ],
  [
    "aws-accepts-component-name",
    "a ! in the component name",
    () => [mutate(T.component, (i) => (i.name = "fleet-service!"))],
  ],
  [
    "aws-accepts-imagebuilder-version",
    "a two-node version",
    () => [mutate(T.component, (i) => (i.version = "1.0"))],
    /<major>/,
  ],
  [
    "aws-accepts-imagebuilder-version",
    "a recipe node over 2^30-1",
    () => [mutate(T.recipe, (i) => (i.version = "1.0.1073741824"))],
    /at most 1073741823/,
  ],
  [
    "aws-accepts-image-tests-timeout",
    "a 59-minute test timeout",
    () => [mutate(T.image, (i) => (i.imageTestsConfiguration.timeoutMinutes = 59))],
    /60\.\.1440/,
  ],
  [
    "aws-accepts-image-tests-timeout",
    "a pipeline's 1441-minute test timeout",
    () => [mutate(T.pipeline, (i) => (i.imageTestsConfiguration.timeoutMinutes = 1441))],
  ],
  [
    "aws-accepts-distribution-configuration",
    "a name ending with a space",
    () => [mutate(T.distribution, (i) => (i.name = "fleet dist "))],
  ],
  [
    "aws-accepts-distribution-configuration",
    "a 1025-character description",
    () => [mutate(T.distribution, (i) => (i.description = chars(1025)))],
    /at most 1024/,
  ],
];

export const AT_THE_LIMIT: Case[] = [
  [
    "aws-accepts-component-data-size",
    "16,000 characters",
    () => [mutate(T.component, (i) => (i.data = chars(16_000)))],
  ],
  ["aws-accepts-component-name", "inner spaces", () => [mutate(T.component, (i) => (i.name = "fleet service_1"))]],
  [
    "aws-accepts-imagebuilder-version",
    "1073741823 in every node",
    () => [mutate(T.recipe, (i) => (i.version = "1073741823.1073741823.1073741823"))],
  ],
  [
    "aws-accepts-image-tests-timeout",
    "60 and 1440 minutes",
    () => [
      mutate(T.image, (i) => (i.imageTestsConfiguration.timeoutMinutes = 60)),
      mutate(T.pipeline, (i) => (i.imageTestsConfiguration.timeoutMinutes = 1440)),
    ],
  ],
  [
    "aws-accepts-distribution-configuration",
    "128 characters with inner spaces and a 1024-character description",
    () => [
      mutate(T.distribution, (i) => {
        i.name = "a" + "b c_-".repeat(26).slice(0, 126) + "z";
        i.description = chars(1024);
      }),
    ],
  ],
];
