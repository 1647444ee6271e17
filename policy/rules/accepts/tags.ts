/**
 * Tags AWS accepts, on every AWS resource of the plan: a resource's `tags` map, an Auto Scaling group's
 * `tags` list, the tags a launch template puts on what it launches, the tags Image Builder puts on AMIs.
 * The limits are the same across services (here as AWS Batch's user guide states them, word for word the
 * ECS and Personalize guides too): <= 50 tags, keys <= 128 characters, values <= 256, no `aws:` prefix.
 */
import { acceptsRule, at, list, type Finding } from "./rule";

// https://docs.aws.amazon.com/en_us/batch/latest/userguide/tag-restrictions.html
export const TAG_SOURCE = "https://docs.aws.amazon.com/en_us/batch/latest/userguide/tag-restrictions.html";
export const MAX_TAGS = 50;
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;

/** Everything wrong with one set of tags (`field` names where they sit). */
export function tagProblems(tags: Record<string, unknown>, field: string): Finding[] {
  const out: Finding[] = [];
  // aws:-prefixed tags do not count against the limit, but they cannot be set either (reported below).
  const counted = Object.keys(tags).filter((k) => !/^aws:/i.test(k));
  if (counted.length > MAX_TAGS)
    out.push({ field, problem: `at most ${MAX_TAGS} tags per resource, has ${counted.length}`, value: counted.length });
  for (const [key, value] of Object.entries(tags)) {
    const kf = `${field}[${JSON.stringify(key)}]`;
    if (key.length === 0) out.push(...at(kf, key, "a tag key cannot be empty"));
    if (key.length > MAX_TAG_KEY)
      out.push(...at(kf, key, `a tag key must be at most ${MAX_TAG_KEY} characters, is ${key.length}`));
    if (/^aws:/i.test(key)) out.push(...at(kf, key, "the aws: prefix is reserved for AWS"));
    if (typeof value === "string") {
      if (value.length > MAX_TAG_VALUE)
        out.push(...at(kf, value, `a tag value must be at most ${MAX_TAG_VALUE} characters, is ${value.length}`));
      if (/^aws:/i.test(value)) out.push(...at(kf, value, "the aws: prefix is reserved for AWS"));
    }
  }
  return out;
}

/** The tag sets of a resource's inputs, each with where it sits. */
export function tagSets(p: Record<string, any>): Array<[string, Record<string, unknown>]> {
  const sets: Array<[string, Record<string, unknown>]> = [];
  if (Array.isArray(p.tags)) {
    // aws.autoscaling.Group: [{ key, value, propagateAtLaunch }]
    const m: Record<string, unknown> = {};
    for (const t of p.tags as Array<{ key?: string; value?: unknown }>)
      if (typeof t.key === "string") m[t.key] = t.value;
    sets.push(["tags", m]);
  } else if (p.tags && typeof p.tags === "object") sets.push(["tags", p.tags]);
  list(p.tagSpecifications as Array<{ tags?: Record<string, unknown> }>).forEach((s, i) => {
    if (s?.tags) sets.push([`tagSpecifications[${i}].tags`, s.tags]);
  });
  list(p.distributions as Array<{ amiDistributionConfiguration?: { amiTags?: Record<string, unknown> } }>).forEach(
    (d, i) => {
      const amiTags = d?.amiDistributionConfiguration?.amiTags;
      if (amiTags) sets.push([`distributions[${i}].amiDistributionConfiguration.amiTags`, amiTags]);
    },
  );
  return sets;
}

export const tagsAccepted = acceptsRule({
  name: "aws-accepts-tags",
  description:
    "Tags AWS accepts on every resource: at most 50, keys <= 128 and values <= 256 characters, no aws: prefix.",
  meta: {
    types: ["*"],
    field: "tags, tagSpecifications[].tags, amiTags",
    limit: "<= 50 tags; key 1..128, value <= 256 characters; no aws: prefix",
    source: TAG_SOURCE,
  },
  check: (p) => tagSets(p).flatMap(([field, tags]) => tagProblems(tags, field)),
});

export const TAG_RULES = [tagsAccepted];
