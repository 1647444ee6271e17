/**
 * The trust policy of a role an AWS service assumes on our behalf: that service only, for this account and
 * the one resource (or resource pattern) that acts through the role. `aws:SourceAccount` and `aws:SourceArn`
 * are the confused-deputy guard AWS recommends for service principals ("The confused deputy problem",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html); each caller cites its service's page.
 * The policy pack (policy/rules/iam.ts `iam-service-trust-conditions`) checks every such role has both.
 */
export function serviceTrust(service: string, accountId: string, sourceArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": sourceArn } },
      },
    ],
  });
}
