/**
 * Prints the table of "AWS accepts" rules (rule, resource types, field, limit, source) that
 * docs/aws-rules.md holds, from the rules themselves: `npx tsx scripts/aws-rules-table.ts`.
 * A test checks the document lists every rule with its source, so the two cannot drift apart.
 */
import { AWS_ACCEPTS_POLICIES } from "../policy/rules/accepts";

const cell = (s: string) => s.replace(/\|/g, "\\|");

export function awsRulesTable(): string {
  const rows = AWS_ACCEPTS_POLICIES.map((p) => {
    const types = p.accepts.types.map((t) => (t === "*" ? "every AWS resource" : `\`${t}\``)).join("<br>");
    return `| \`${p.name}\` | ${types} | ${cell(p.accepts.field)} | ${cell(p.accepts.limit)} | ${p.accepts.source} |`;
  });
  return ["| rule | resource types | field | limit | source |", "|---|---|---|---|---|", ...rows].join("\n") + "\n";
}

if (require.main === module) process.stdout.write(awsRulesTable());
