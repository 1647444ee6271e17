/**
 * The load balancer: AWS FSBP ELB.1 (HTTP redirects to HTTPS), ELB.4 (invalid headers dropped), ELB.5
 * (access logs), ELB.6 (deletion protection), and a modern TLS policy on HTTPS listeners. No exception: an
 * HTTP listener either redirects to HTTPS or answers a fixed response by default, and then forwards only
 * through rules that require CloudFront's secret header (the stack's HTTPS is CloudFront's, infra/web/apiCdn.ts).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, list } from "../util";

const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const LISTENER_RULE = "aws:lb/listenerRule:ListenerRule";

function isApplication(p: Record<string, any>): boolean {
  return (p.loadBalancerType ?? "application") === "application";
}

export const httpRedirectsToHttps: ResourceValidationPolicy = {
  name: "alb-http-redirects-to-https",
  description: "ELB.1: an HTTP listener redirects to HTTPS, or serves a fixed response by default (behind CloudFront).",
  validateResource: forType("alb-http-redirects-to-https", LISTENER, (p, _a, report) => {
    if (p.protocol !== "HTTP") return;
    const actions = list(p.defaultActions as Array<{ type: string; redirect?: { protocol?: string } }>);
    const redirects = actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
    const refuses = actions.every((a) => a.type === "fixed-response");
    if (actions.length === 0 || !(redirects || refuses))
      report(
        `HTTP listener on ${p.port} serves plain HTTP by default: redirect to HTTPS (set fleet:certificateArn), or answer a fixed response and forward only CloudFront's requests (fleet:originSecret)`,
      );
  }),
};

export const forwardOnlyWithOriginSecret: ResourceValidationPolicy = {
  name: "alb-rule-forwards-only-with-origin-secret",
  description:
    "A listener rule that forwards requires a header condition (CloudFront's secret), so the ALB cannot be used directly.",
  validateResource: forType("alb-rule-forwards-only-with-origin-secret", LISTENER_RULE, (p, _a, report) => {
    const actions = list(p.actions as Array<{ type: string }>);
    if (!actions.some((a) => a.type === "forward")) return;
    const conditions = list(p.conditions as Array<{ httpHeader?: { httpHeaderName?: string; values?: string[] } }>);
    const secret = conditions.some(
      (c) => c.httpHeader?.httpHeaderName && list(c.httpHeader.values).every((v) => String(v).length >= 32),
    );
    if (!secret) report("a rule forwards without requiring a secret header of at least 32 characters");
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
  forwardOnlyWithOriginSecret,
  modernTls,
  dropInvalidHeaders,
  accessLogs,
  deletionProtection,
];
