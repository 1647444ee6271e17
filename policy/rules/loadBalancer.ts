/**
 * The load balancer: AWS FSBP ELB.1 (HTTP redirects to HTTPS), ELB.4 (invalid headers dropped), ELB.5
 * (access logs), ELB.6 (deletion protection), and a modern TLS policy on HTTPS listeners. A listener that
 * forwards plain HTTP is a reasoned exception only when it carries `fleet:plain-http` with the reason
 * (the program sets it from `fleet:allowPlainHttp`, or for a stack without deletion protection).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { PLAIN_HTTP_TAG } from "../../infra/web/loadBalancer";
import { forType, list } from "../util";

const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";

function isApplication(p: Record<string, any>): boolean {
  return (p.loadBalancerType ?? "application") === "application";
}

export const httpRedirectsToHttps: ResourceValidationPolicy = {
  name: "alb-http-redirects-to-https",
  description: "ELB.1: an HTTP listener redirects to HTTPS, unless it carries fleet:plain-http with a reason.",
  validateResource: forType("alb-http-redirects-to-https", LISTENER, (p, _a, report) => {
    if (p.protocol !== "HTTP") return;
    const actions = list(p.defaultActions as Array<{ type: string; redirect?: { protocol?: string } }>);
    const redirects =
      actions.length > 0 && actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
    if (redirects) return;
    const reason = String(p.tags?.[PLAIN_HTTP_TAG] ?? "").trim();
    if (reason === "")
      report(
        `HTTP listener on ${p.port} serves plain HTTP: redirect to HTTPS (set fleet:certificateArn), or state why with the ${PLAIN_HTTP_TAG} tag (fleet:allowPlainHttp)`,
      );
  }),
};

export const modernTls: ResourceValidationPolicy = {
  name: "alb-https-modern-tls",
  description: "HTTPS listeners use a TLS 1.3 security policy.",
  validateResource: forType("alb-https-modern-tls", LISTENER, (p, _a, report) => {
    if (p.protocol === "HTTPS" && !String(p.sslPolicy ?? "").startsWith("ELBSecurityPolicy-TLS13-"))
      report(`sslPolicy ${JSON.stringify(p.sslPolicy ?? null)}: use an ELBSecurityPolicy-TLS13-* policy`);
  }),
};

export const dropInvalidHeaders: ResourceValidationPolicy = {
  name: "alb-drop-invalid-headers",
  description: "ELB.4: the ALB drops HTTP headers that are not valid.",
  validateResource: forType("alb-drop-invalid-headers", LB, (p, _a, report) => {
    if (isApplication(p) && p.dropInvalidHeaderFields !== true) report("dropInvalidHeaderFields is not true");
  }),
};

export const accessLogs: ResourceValidationPolicy = {
  name: "alb-access-logs",
  description: "ELB.5: the ALB writes access logs to a bucket.",
  validateResource: forType("alb-access-logs", LB, (p, _a, report) => {
    if (p.accessLogs?.enabled !== true || !p.accessLogs?.bucket)
      report("access logs are off: set accessLogs { bucket, enabled: true }");
  }),
};

export const deletionProtection: ResourceValidationPolicy = {
  name: "alb-deletion-protection",
  description: "ELB.6: the ALB has deletion protection (see the pack's exceptions for dev).",
  validateResource: forType("alb-deletion-protection", LB, (p, _a, report) => {
    if (p.enableDeletionProtection !== true)
      report("enableDeletionProtection is not true: set fleet:deletionProtection");
  }),
};

export const LOAD_BALANCER_POLICIES = [
  httpRedirectsToHttps,
  modernTls,
  dropInvalidHeaders,
  accessLogs,
  deletionProtection,
];
