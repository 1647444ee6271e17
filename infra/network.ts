import * as pulumi from "@pulumi/pulumi";
import * as awsx from "@pulumi/awsx";
import type { NatStrategy } from "./config";

export interface NetworkArgs {
  /** Number of availability zones (>= 2: an ALB needs subnets in two). */
  availabilityZones: number;
  natStrategy: NatStrategy;
  cidrBlock?: string;
  tags?: Record<string, string>;
}

/** A VPC with public subnets (the ALB) and private subnets behind NAT (the instances and the image builds). */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:network:Network", name, {}, opts);
    const vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidrBlock ?? "10.0.0.0/16",
        numberOfAvailabilityZones: args.availabilityZones,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: args.natStrategy },
        subnetStrategy: "Auto",
        subnetSpecs: [
          { type: "Public", cidrMask: 22 },
          { type: "Private", cidrMask: 20 },
        ],
        ...(args.tags ? { tags: args.tags } : {}),
      },
      { parent: this },
    );
    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
