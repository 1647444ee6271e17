/**
 * The second stack: the example page hosted on S3 + CloudFront, reading the API's URLs from a fleet stack
 * through `pulumi.StackReference`, so `pulumi up` here picks up each environment's API: the web stack
 * `dev` reads the fleet stack `dev`, `prod` reads `prod` (or whatever `fleet-web:fleetStack` names).
 *
 *   cd examples/web/infra && pulumi stack init dev && pulumi config set aws:region eu-central-1 && pulumi up
 *   then, on the fleet stack: pulumi config set fleet:corsOrigins "$(pulumi stack output pageOrigin -C examples/web/infra)"
 *
 * Only reads config and wires (the component is ./webSite.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { fleetStackName, WebSite } from "./webSite";

const config = new pulumi.Config("fleet-web");
const fleet = new pulumi.StackReference(
  fleetStackName(config.get("fleetStack"), pulumi.getOrganization(), pulumi.getStack()),
);

const site = new WebSite("fleet-web", {
  api: {
    url: fleet.requireOutput("url") as pulumi.Output<string>,
    jobsUrl: fleet.requireOutput("jobsUrl") as pulumi.Output<string>,
    resultsBaseUrl: fleet.requireOutput("resultsBaseUrl") as pulumi.Output<string>,
  },
  stack: pulumi.getStack(),
  tags: { project: "fleet-web", stack: pulumi.getStack() },
});

/** The page. */
export const pageUrl = site.pageUrl;
/** Its origin: what the fleet stack's `fleet:corsOrigins` must list for the page's calls to be allowed. */
export const pageOrigin = site.pageUrl;
/** The API the page calls (from the fleet stack). */
export const apiUrl = site.apiUrl;
