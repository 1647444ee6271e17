/**
 * The golden image: the service bundle in a private bucket, an EC2 Image Builder component / recipe /
 * infrastructure / distribution, a nightly pipeline, and one image built at the first `pulumi up`.
 * Every successful build writes its AMI id to the SSM parameter `/imagebuilder/fleet/<stack>/ami` (data type
 * aws:ec2:image): tonight's candidate, which only the release (infra/night/release.ts) rolls out.
 *
 * The last good record, `/fleet/<stack>/release/last-good-ami` (RELEASE_CONTRACT.md), starts as the AMI of
 * the image built at the first `pulumi up`, which passed its own test phase; the release rewrites it after
 * every promotion. `lastGoodAmiId` reads it live at every deploy: the launch templates launch that AMI.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { bundleSha256Hex, renderImageComponent } from "./imageComponent";
import { NODE_VERSION } from "./nodeRelease";
import { toAwsCron } from "../shared/config";
import { instanceRole } from "../shared/instanceRole";
import { serviceTrust } from "../shared/serviceTrust";
import { privateBucket } from "../shared/privateBucket";
import { KEEP_TAG, KEEP_VALUE } from "../night/releasePlan";

export interface ImageArgs {
  stack: string;
  region: string;
  /** The account: the lifecycle role trusts Image Builder for this account's lifecycle policies only. */
  accountId: pulumi.Input<string>;
  architecture: "x86_64" | "arm64";
  /** Instance type of the build and test instances (matches the fleet's architecture). */
  instanceType: string;
  /** Unix cron (5 fields) and IANA time zone of the nightly pipeline. */
  pipelineCron: string;
  timeZone: string;
  vpcId: pulumi.Input<string>;
  /** A private subnet with a NAT route: builds download Node.js and npm packages. */
  subnetId: pulumi.Input<string>;
  /** Repository root holding dist/service, package.json and package-lock.json. */
  rootDir: string;
  /** Log group the instances' CloudWatch agent writes the units' journals to. */
  logGroupName: string;
  /** systemd units whose journals are shipped (default: the web and the worker unit, both in the image). */
  logUnits?: readonly string[];
  tags?: Record<string, string>;
}

export const BUNDLE_KEY = "bundle/fleet-service.zip";
/** Nightly images kept (a week of rollbacks); older AMIs and their snapshots are deleted. */
export const IMAGES_KEPT = 7;
/**
 * The tag that keeps the one image Pulumi manages out of the lifecycle policy: deleting the image made at
 * the first `pulumi up` would drop it from state at the next refresh and make the next `up` rebuild it
 * (20-90 min). It is set on that Image Builder image resource, which is what an exclusion tag matches.
 */
export const IMAGE_KEEP_TAG = "fleet:lifecycle";
export const IMAGE_KEEP_VALUE = "managed-by-pulumi";

/**
 * Which images the lifecycle policy acts on: those made from this stack's recipe, by name and version.
 * Not by tag: a lifecycle policy's tagMap matches tags of the Image Builder image resources
 * (https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_LifecyclePolicyResourceSelection.html),
 * and the images a pipeline makes carry none of the pipeline's tags (the distribution's amiTags go on the
 * EC2 AMI, not on the image resource; tagging output image resources is an open request,
 * https://github.com/aws/ec2-image-builder-roadmap/issues/99). The recipe is what every nightly image
 * really has. A COUNT filter keeps that many images per recipe version
 * (https://docs.aws.amazon.com/imagebuilder/latest/userguide/create-lifecycle-policies.html), so the recipe's
 * exact version is the right selection; when a component change replaces the (autonamed) recipe, the
 * policy follows the new one and the retired recipe's last images stay until removed by hand.
 */
export function retentionSelection(recipeName: string, recipeVersion: string) {
  return { recipes: [{ name: recipeName, semanticVersion: recipeVersion }] };
}
/** How long a replaced bundle stays in the bucket as a noncurrent version. */
export const BUNDLE_VERSIONS_KEPT_DAYS = 30;

/**
 * Under /imagebuilder/ because Image Builder writes the parameter with its service-linked role
 * (AWSServiceRoleForImageBuilder), which may put parameters only below parameter/imagebuilder/*; any
 * other path needs a custom execution role, or the distribution (and so the first `pulumi up`) fails.
 */
export function amiParameterName(stack: string): string {
  return `/imagebuilder/fleet/${stack}/ami`;
}

/** The last promoted AMI id: written by Pulumi once, then by the release (RELEASE_CONTRACT.md). */
export function lastGoodAmiParameterName(stack: string): string {
  return `/fleet/${stack}/release/last-good-ami`;
}

export function parentImageArn(region: string, architecture: "x86_64" | "arm64"): string {
  return `arn:aws:imagebuilder:${region}:aws:image/amazon-linux-2023-${architecture === "arm64" ? "arm64" : "x86"}/x.x.x`;
}

export class Image extends pulumi.ComponentResource {
  readonly amiParameterName: string;
  readonly pipelineArn: pulumi.Output<string>;
  /** The image built at the first `pulumi up`; depend on it to know the SSM parameter exists. */
  readonly image: aws.imagebuilder.Image;
  readonly lastGoodParameter: aws.ssm.Parameter;
  readonly lastGoodParameterName: string;
  /** The last good AMI id as the record holds it now (read at every deploy, not Pulumi's stored value). */
  readonly lastGoodAmiId: pulumi.Output<string>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleet:image:Image", name, {}, opts);
    const tags = args.tags ?? {};
    this.amiParameterName = amiParameterName(args.stack);
    this.lastGoodParameterName = lastGoodAmiParameterName(args.stack);

    // --- The bundle: private, encrypted, versioned, TLS only, owned by this account alone. Every upload
    // keeps the previous bundle as a version: enough for a rollback, not forever.
    const { bucket, ready } = privateBucket(
      `${name}-bundle`,
      {
        sseAlgorithm: "AES256",
        bucketKeyEnabled: true,
        versioned: true,
        policyName: `${name}-bundle-tls-only`,
        lifecycleRules: [
          {
            id: "expire-old-bundles",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: BUNDLE_VERSIONS_KEPT_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
        tags,
      },
      this,
    );
    // Pulumi zips an archive source on upload. Run `npm run build` first: dist/service must exist.
    const bundle = new aws.s3.BucketObjectv2(
      `${name}-bundle`,
      {
        bucket: bucket.id,
        key: BUNDLE_KEY,
        serverSideEncryption: "AES256",
        // S3 verifies the upload against this SHA-256 and reports it (checksumSha256): the image build
        // checks the bundle it downloads against the same sum (imageComponent.ts BundlePin).
        checksumAlgorithm: "SHA256",
        source: new pulumi.asset.AssetArchive({
          "dist/service": new pulumi.asset.FileArchive(path.join(args.rootDir, "dist", "service")),
          "package.json": new pulumi.asset.FileAsset(path.join(args.rootDir, "package.json")),
          "package-lock.json": new pulumi.asset.FileAsset(path.join(args.rootDir, "package-lock.json")),
        }),
        tags,
      },
      { parent: this, dependsOn: ready },
    );

    // --- The component and recipe (autonamed: a changed document replaces them under a new name).
    const component = new aws.imagebuilder.Component(
      `${name}-service`,
      {
        platform: "Linux",
        version: "1.0.0",
        description: `fleet service on Node.js ${NODE_VERSION} with its systemd unit and the CloudWatch agent`,
        // The build takes this upload (its version and sum), never a later one under the same key.
        data: pulumi
          .all([bucket.bucket, bundle.versionId, bundle.checksumSha256])
          .apply(([bucketName, versionId, sum]) =>
            renderImageComponent({
              bundle: {
                region: args.region,
                bucket: bucketName,
                key: BUNDLE_KEY,
                versionId,
                sha256: bundleSha256Hex(sum),
              },
              architecture: args.architecture,
              logGroupName: args.logGroupName,
              ...(args.logUnits ? { logUnits: args.logUnits } : {}),
            }),
          ),
        tags,
      },
      { parent: this },
    );
    const recipe = new aws.imagebuilder.ImageRecipe(
      `${name}-recipe`,
      {
        version: "1.0.0",
        parentImage: parentImageArn(args.region, args.architecture),
        components: [{ componentArn: component.arn }],
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: { volumeSize: 8, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
          },
        ],
        tags,
      },
      { parent: this },
    );

    // --- The build instance: SSM-managed, reads the bundle bucket only, IMDSv2.
    const { role, attachments, profile } = instanceRole(
      `${name}-builder`,
      ["EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore"],
      this,
      tags,
    );
    const readBundle = new aws.iam.RolePolicy(
      `${name}-builder-read-bundle`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["s3:GetObject", "s3:GetObjectVersion"],
              Resource: [pulumi.interpolate`${bucket.arn}/*`],
            },
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket.arn] },
          ],
        }),
      },
      { parent: this },
    );
    const buildSg = new aws.ec2.SecurityGroup(
      `${name}-builder`,
      {
        vpcId: args.vpcId,
        // HTTPS only. Image Builder drives the build through Systems Manager and S3 over HTTPS
        // (https://docs.aws.amazon.com/imagebuilder/latest/userguide/vpc-interface-endpoints.html), and AL2023's
        // dnf repositories are HTTPS URLs (https://cdn.amazonlinux.com/al2023/core/mirrors/latest/<arch>/mirror.list,
        // /etc/yum.repos.d/amazonlinux.repo), as are nodejs.org and the npm registry: no AWS page asks for port 80.
        description: "Image Builder build/test instances: no ingress, HTTPS egress only",
        egress: [
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
            description: "HTTPS (SSM, S3, dnf repositories, nodejs.org, npm)",
          },
        ],
        tags,
      },
      { parent: this },
    );
    const infrastructure = new aws.imagebuilder.InfrastructureConfiguration(
      `${name}-infra`,
      {
        instanceProfileName: profile.name,
        instanceTypes: [args.instanceType],
        subnetId: args.subnetId,
        securityGroupIds: [buildSg.id],
        terminateInstanceOnFailure: true,
        instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        tags,
      },
      { parent: this, dependsOn: [...attachments, readBundle] },
    );

    // --- Distribution: the AMI id lands in /imagebuilder/fleet/<stack>/ami.
    const distribution = new aws.imagebuilder.DistributionConfiguration(
      `${name}-dist`,
      {
        distributions: [
          {
            region: args.region,
            amiDistributionConfiguration: {
              name: `fleet-${args.stack}-{{ imagebuilder:buildDate }}`,
              amiTags: { ...tags, "fleet:stack": args.stack },
            },
            ssmParameterConfigurations: [{ parameterName: this.amiParameterName, dataType: "aws:ec2:image" }],
          },
        ],
        tags,
      },
      { parent: this },
    );

    const common = {
      imageRecipeArn: recipe.arn,
      infrastructureConfigurationArn: infrastructure.arn,
      distributionConfigurationArn: distribution.arn,
      imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 60 },
      enhancedImageMetadataEnabled: true,
    };
    const pipeline = new aws.imagebuilder.ImagePipeline(
      `${name}-pipeline`,
      {
        ...common,
        tags,
        description: `Nightly fleet image for ${args.stack}`,
        status: "ENABLED",
        schedule: {
          scheduleExpression: toAwsCron(args.pipelineCron),
          timezone: args.timeZone,
          // Build on schedule even when the parent image did not change: the bundle and Node patch may have.
          pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY",
        },
      },
      { parent: this },
    );
    // One build now, so the SSM parameter exists before the group launches.
    this.image = new aws.imagebuilder.Image(
      `${name}-initial`,
      { ...common, tags: { ...tags, [IMAGE_KEEP_TAG]: IMAGE_KEEP_VALUE } },
      { parent: this, dependsOn: [bundle], customTimeouts: { create: "90m" } },
    );

    // --- The last good record. Its value belongs to the release after creation: a `pulumi up` (with or
    // without --refresh) must never put the first image back, so changes to `value` are ignored.
    this.lastGoodParameter = new aws.ssm.Parameter(
      `${name}-last-good`,
      {
        name: this.lastGoodParameterName,
        type: "String",
        description: `fleet ${args.stack}: the last promoted AMI (written by the release state machine)`,
        value: this.image.outputResources.apply((r) => {
          const ami = r[0]?.amis?.[0]?.image;
          if (!ami) throw new Error(`Image ${name}: the first build distributed no AMI`);
          return ami;
        }),
        tags,
      },
      { parent: this, ignoreChanges: ["value"] },
    );
    this.lastGoodAmiId = aws.ssm
      // dependsOn: on the first deploy the read waits for the record's creation (in a preview it is unknown
      // instead of failing with ParameterNotFound).
      .getParameterOutput({ name: this.lastGoodParameter.name }, { parent: this, dependsOn: [this.lastGoodParameter] })
      // insecureValue: a String parameter holds no secret, and `value` would mark every template secret.
      .apply((p) => p.insecureValue);

    // --- Retention: a new AMI every night would otherwise pile up AMIs and snapshots forever.
    // Image Builder may assume it for this account's lifecycle policies only (the policy's ARN is known only
    // once it exists, and it names this role: the account's lifecycle-policy/* pattern). Execution role:
    // https://docs.aws.amazon.com/imagebuilder/latest/userguide/image-lifecycle-prerequisites.html.
    const lifecycleRole = new aws.iam.Role(
      `${name}-lifecycle`,
      {
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((account) =>
            serviceTrust(
              "imagebuilder.amazonaws.com",
              account,
              `arn:aws:imagebuilder:${args.region}:${account}:lifecycle-policy/*`,
            ),
          ),
        tags,
      },
      { parent: this },
    );
    const lifecycleAccess = new aws.iam.RolePolicyAttachment(
      `${name}-lifecycle`,
      {
        role: lifecycleRole.name,
        policyArn: "arn:aws:iam::aws:policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy",
      },
      { parent: this },
    );
    new aws.imagebuilder.LifecyclePolicy(
      `${name}-retention`,
      {
        description: `Keep the newest ${IMAGES_KEPT} fleet ${args.stack} images; delete older AMIs and their snapshots`,
        executionRole: lifecycleRole.arn,
        resourceType: "AMI_IMAGE",
        resourceSelection: pulumi
          .all([recipe.name, recipe.version])
          .apply(([recipeName, recipeVersion]) => retentionSelection(recipeName, recipeVersion)),
        policyDetails: [
          {
            action: { type: "DELETE", includeResources: { amis: true, snapshots: true } },
            filter: { type: "COUNT", value: IMAGES_KEPT },
            // Never the image Pulumi manages (the first `pulumi up`'s), nor its AMI; never the last good AMI,
            // which the release tags (and untags when it promotes the next): after a week of bad nights the
            // newest IMAGES_KEPT are all bad, and the AMI the groups launch must survive them. AMI tags are
            // matched by `amis.tagMap` ("tags that should be excluded from lifecycle actions for the AMIs that
            // have them", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-imagebuilder-lifecyclepolicy-amiexclusionrules.html).
            exclusionRules: {
              tagMap: { [IMAGE_KEEP_TAG]: IMAGE_KEEP_VALUE },
              amis: { tagMap: { [KEEP_TAG]: KEEP_VALUE } },
            },
          },
        ],
        tags,
      },
      { parent: this, dependsOn: [lifecycleAccess] },
    );
    this.pipelineArn = pipeline.arn;
    this.registerOutputs({
      amiParameterName: this.amiParameterName,
      pipelineArn: this.pipelineArn,
      lastGoodAmiId: this.lastGoodAmiId,
    });
  }
}
