/**
 * The identity an EC2 instance of ours wears: a role EC2 may assume, the AWS managed policies the caller
 * names (none for the fleets, whose policies are their own; the image builder's two that Image Builder
 * requires), and its profile.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface InstanceRole {
  role: aws.iam.Role;
  /** Depend on these before launching: a profile whose policies are not attached yet fails at boot. */
  attachments: aws.iam.RolePolicyAttachment[];
  profile: aws.iam.InstanceProfile;
}

export function instanceRole(
  name: string,
  managedPolicies: string[],
  parent: pulumi.Resource,
  tags: Record<string, string>,
): InstanceRole {
  const role = new aws.iam.Role(
    name,
    { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }), tags },
    { parent },
  );
  const attachments = managedPolicies.map(
    (policy) =>
      new aws.iam.RolePolicyAttachment(
        `${name}-${policy}`,
        { role: role.name, policyArn: `arn:aws:iam::aws:policy/${policy}` },
        { parent },
      ),
  );
  const profile = new aws.iam.InstanceProfile(name, { role: role.name, tags }, { parent });
  return { role, attachments, profile };
}
