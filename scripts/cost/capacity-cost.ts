/**
 * The EC2 line `npm run capacity` prints under its recommendation: min / desired / max instances × the
 * instance type's on-demand price (scripts/prices/<region>.json, or a price given on the command line)
 * × 730 hours. EC2 only: `npm run cost -- <stack>` prices the rest of the stack.
 */
import { HOURS_PER_MONTH } from "./plan";
import { instancePrice, type PriceTable } from "./prices";

export interface GroupSizes {
  minSize: number;
  desiredCapacity: number;
  maxSize: number;
}

export function capacityCostLines(
  sizes: GroupSizes,
  instanceType: string,
  region: string,
  /** The region's table; undefined when it has none (then only an override prices anything). */
  table: PriceTable | undefined,
  priceOverride?: number,
): string[] {
  const price = priceOverride ?? (table ? instancePrice(table, instanceType) : null);
  if (price === null) {
    return [
      `cost: no on-demand price for ${instanceType} in scripts/prices/${region}.json; ` +
        `give one with --instance-price USD (per instance-hour)`,
    ];
  }
  const month = (n: number) => `$${(n * price * HOURS_PER_MONTH).toFixed(2)}`;
  const entry = table?.ec2OnDemandPerHour[instanceType];
  const source =
    priceOverride !== undefined
      ? "price given on the command line"
      : `price read ${entry?.readOn} (${entry?.confidence}), see scripts/prices/${region}.json`;
  return [
    `cost of ${instanceType} on demand in ${region} at $${price}/h × ${HOURS_PER_MONTH} h a month (${source}):`,
    `  min ${sizes.minSize} → ${month(sizes.minSize)} / desired ${sizes.desiredCapacity} → ${month(sizes.desiredCapacity)} / max ${sizes.maxSize} → ${month(sizes.maxSize)} a month`,
    `  EC2 instances only; \`npm run cost -- <stack>\` prices the whole stack (EBS, ALB, NAT, logs...)`,
  ];
}
