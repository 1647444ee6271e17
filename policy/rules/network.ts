/**
 * The network: nothing but HTTP(S) open to the internet (and so only the ALB, the one resource that
 * listens on 80/443), no SSH from anywhere, a locked default security group (FSBP EC2.2) and VPC flow logs
 * (EC2.6).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { forType, list } from "../util";

const INTERNET_V4 = "0.0.0.0/0";
const INTERNET_V6 = "::/0";
const PUBLIC_PORTS = [80, 443];

interface Ingress {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
}

/** The ingress rules a resource declares, whichever of the three AWS shapes it uses. */
function ingressOf(type: string, p: Record<string, any>): Ingress[] {
  const range = (r: Record<string, any>, protocolKey: string) => ({
    protocol: String(r[protocolKey] ?? ""),
    fromPort: Number(r.fromPort ?? 0),
    toPort: Number(r.toPort ?? r.fromPort ?? 65535),
  });
  if (type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    return [{ ...range(p, "ipProtocol"), cidrs: [p.cidrIpv4, p.cidrIpv6].filter(Boolean) }];
  if (type === "aws:ec2/securityGroupRule:SecurityGroupRule" && p.type === "ingress")
    return [{ ...range(p, "protocol"), cidrs: [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)] }];
  if (type === "aws:ec2/securityGroup:SecurityGroup" || type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    return list(p.ingress as Record<string, any>[]).map((r) => ({
      ...range(r, "protocol"),
      cidrs: [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)],
    }));
  return [];
}

const INGRESS_TYPES = [
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
  "aws:ec2/securityGroup:SecurityGroup",
] as const;

/** "-1"/"all" covers every port. */
function covers(r: Ingress, port: number): boolean {
  return r.protocol === "-1" || r.protocol === "all" || (r.fromPort <= port && port <= r.toPort);
}

export const internetOnlyHttp: ResourceValidationPolicy = {
  name: "internet-ingress-only-http",
  description: "Only TCP 80/443 (the ALB's listeners) may be open to the internet.",
  validateResource: forType("internet-ingress-only-http", INGRESS_TYPES, (p, args, report) => {
    for (const r of ingressOf(args.type, p)) {
      if (!r.cidrs.some((c) => c === INTERNET_V4 || c === INTERNET_V6)) continue;
      const onlyPublicPort = r.protocol === "tcp" && r.fromPort === r.toPort && PUBLIC_PORTS.includes(r.fromPort);
      if (!onlyPublicPort)
        report(`${r.protocol} ${r.fromPort}-${r.toPort} is open to the internet: only tcp 80/443 on the ALB may be`);
    }
  }),
};

export const noSsh: ResourceValidationPolicy = {
  name: "no-ssh-ingress",
  description: "No ingress to port 22 from anywhere: instances are reached through SSM Session Manager.",
  validateResource: forType("no-ssh-ingress", INGRESS_TYPES, (p, args, report) => {
    for (const r of ingressOf(args.type, p))
      if (covers(r, 22)) report(`ingress ${r.protocol} ${r.fromPort}-${r.toPort} admits SSH (22)`);
  }),
};

export const defaultSgLocked: ResourceValidationPolicy = {
  name: "vpc-default-sg-locked",
  description: "EC2.2: the VPC's default security group allows no traffic.",
  validateResource: forType(
    "vpc-default-sg-locked",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    (p, _a, report) => {
      if (list(p.ingress).length || list(p.egress).length)
        report("the default security group has rules: remove them all");
    },
  ),
};

/** A top-level VPC (a raw VPC inside an awsx VPC is covered by the component's flow log). */
function isTopLevelVpc(r: PolicyResource): boolean {
  if (r.type === "awsx:ec2:Vpc") return true;
  return r.type === "aws:ec2/vpc:Vpc" && r.parent?.type !== "awsx:ec2:Vpc";
}

export const vpcFlowLogs: StackValidationPolicy = {
  name: "vpc-flow-logs",
  description: "EC2.6: every VPC has a flow log of all its traffic.",
  validateStack: (args, report) => {
    const flowLogs = args.resources.filter((r) => r.type === "aws:ec2/flowLog:FlowLog");
    for (const vpc of args.resources.filter(isTopLevelVpc)) {
      const logged = flowLogs.some(
        (f) => (f.propertyDependencies.vpcId ?? []).some((d) => d.urn === vpc.urn) && f.props.trafficType === "ALL",
      );
      if (!logged) report(`VPC ${vpc.name} has no flow log of ALL traffic`, vpc.urn);
    }
  },
};

export const NETWORK_POLICIES = [internetOnlyHttp, noSsh, defaultSgLocked, vpcFlowLogs];
