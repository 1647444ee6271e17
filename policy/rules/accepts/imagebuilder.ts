/**
 * EC2 Image Builder values AWS accepts beyond the provider's types: inline component documents (16,000
 * characters), component names, semantic versions of components and recipes, and the image test timeout.
 */
import { acceptsRule, at, lengthProblem, num, rangeProblem, str, type Finding } from "./rule";

const COMPONENT = "aws:imagebuilder/component:Component";
const RECIPE = "aws:imagebuilder/imageRecipe:ImageRecipe";
const IMAGE = "aws:imagebuilder/image:Image";
const PIPELINE = "aws:imagebuilder/imagePipeline:ImagePipeline";

export const COMPONENT_DATA_MAX = 16_000;

// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateComponent.html (data: 1..16000)
export const componentData = acceptsRule({
  name: "aws-accepts-component-data-size",
  description: "An Image Builder component's inline YAML document is 1-16,000 characters (use uri beyond).",
  meta: {
    types: [COMPONENT],
    field: "data",
    limit: "1..16,000 characters",
    source: "https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_CreateComponent.html",
  },
  check: (p) => (str(p.data) ? at("data", p.data, lengthProblem(p.data, 1, COMPONENT_DATA_MAX)) : []),
});

/** Image Builder names (components, distribution configurations): 3-128 of letters, digits, - and _, spaces inside only. */
const COMPONENT_NAME = /^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$/;

// https://docs.aws.amazon.com/cli/latest/reference/imagebuilder/create-component.html
// (--name pattern ^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$)
export const componentName = acceptsRule({
  name: "aws-accepts-component-name",
  description: "An Image Builder component name is 3-128 letters, digits, hyphens, underscores, inner spaces.",
  meta: {
    types: [COMPONENT],
    field: "name",
    limit: "^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$",
    source: "https://docs.aws.amazon.com/cli/latest/reference/imagebuilder/create-component.html",
  },
  check: (p) =>
    str(p.name) && !COMPONENT_NAME.test(p.name)
      ? at("name", p.name, "must be 3..128 of letters, digits, - and _, with spaces only inside")
      : [],
});

export const SEMVER_NODE_MAX = 2 ** 30 - 1;

/** Why Image Builder would refuse `version` as a semantic version (<major>.<minor>.<patch>, each 0..2^30-1). */
export function semanticVersionProblem(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) return "must be <major>.<minor>.<patch> with whole numbers (Image Builder assigns the /build node)";
  if (m.slice(1).some((n) => Number(n) > SEMVER_NODE_MAX)) return `each node must be at most ${SEMVER_NODE_MAX}`;
  return undefined;
}

// https://docs.aws.amazon.com/imagebuilder/latest/userguide/ibhow-semantic-versioning.html
export const semanticVersion = acceptsRule({
  name: "aws-accepts-imagebuilder-version",
  description: "Image Builder component and recipe versions are <major>.<minor>.<patch>, each 0..2^30-1.",
  meta: {
    types: [COMPONENT, RECIPE],
    field: "version",
    limit: "<major>.<minor>.<patch>, each node 0..1073741823",
    source: "https://docs.aws.amazon.com/imagebuilder/latest/userguide/ibhow-semantic-versioning.html",
  },
  check: (p) => (str(p.version) ? at("version", p.version, semanticVersionProblem(p.version)) : []),
});

// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageTestsConfiguration.html (60..1440)
export const imageTestsTimeout = acceptsRule({
  name: "aws-accepts-image-tests-timeout",
  description: "An image or pipeline's test timeout is 60-1440 minutes.",
  meta: {
    types: [IMAGE, PIPELINE],
    field: "imageTestsConfiguration.timeoutMinutes",
    limit: "60..1440 minutes",
    source: "https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_ImageTestsConfiguration.html",
  },
  check: (p) => {
    const raw = p.imageTestsConfiguration?.timeoutMinutes;
    const n = num(raw);
    const out: Finding[] = [];
    if (n !== undefined)
      out.push(...at("imageTestsConfiguration.timeoutMinutes", raw, rangeProblem(n, 60, 1440, "minutes")));
    return out;
  },
});

// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_DistributionConfiguration.html (name pattern;
// description 1..1024)
export const distributionConfiguration = acceptsRule({
  name: "aws-accepts-distribution-configuration",
  description:
    "A distribution configuration's name is 3-128 letters, digits, - _ and inner spaces; its description 1-1024.",
  meta: {
    types: ["aws:imagebuilder/distributionConfiguration:DistributionConfiguration"],
    field: "name, description",
    limit: "name ^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$; description 1..1024 characters",
    source: "https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_DistributionConfiguration.html",
  },
  check: (p) => [
    ...(str(p.name) && !COMPONENT_NAME.test(p.name)
      ? at("name", p.name, "must be 3..128 of letters, digits, - and _, with spaces only inside")
      : []),
    ...(str(p.description) ? at("description", p.description, lengthProblem(p.description, 1, 1024)) : []),
  ],
});

export const IMAGEBUILDER_RULES = [
  componentData,
  componentName,
  semanticVersion,
  imageTestsTimeout,
  distributionConfiguration,
];
