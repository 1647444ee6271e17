/**
 * The instance metadata service, IMDSv2 only (the launch templates require tokens): a session token from
 * PUT /latest/api/token, then GETs that carry it. The worker asks it for its instance id and for the Auto
 * Scaling lifecycle state that announces a termination.
 */

/** The SDK's own variable for the IMDS endpoint; the tests point it at a local fake. */
export const IMDS_ENDPOINT_ENV = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
export const IMDS_DEFAULT_ENDPOINT = "http://169.254.169.254";

/** A token lives this long; it is renewed a minute before, so a poll never carries an expired one. */
const TOKEN_TTL_S = 21_600;
const TOKEN_RENEW_MARGIN_MS = 60_000;
/** IMDS answers in microseconds on an instance; a slow answer means it is not there (not on EC2). */
const REQUEST_TIMEOUT_MS = 2_000;

export class ImdsError extends Error {
  override name = "ImdsError";
}

export class Imds {
  private token: { value: string; expiresAtMs: number } | undefined;

  constructor(
    private readonly endpoint = IMDS_DEFAULT_ENDPOINT,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The metadata at `latest/meta-data/<path>`, or undefined where IMDS has none (404). */
  async get(path: string): Promise<string | undefined> {
    for (let round = 0; round < 2; round++) {
      const token = await this.sessionToken();
      const response = await fetch(`${this.endpoint}/latest/meta-data/${path}`, {
        headers: { "X-aws-ec2-metadata-token": token },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (response.status === 401 && round === 0) {
        this.token = undefined; // revoked or expired early: one fresh token, then give up
        continue;
      }
      if (response.status === 404) return undefined;
      if (!response.ok) throw new ImdsError(`IMDS GET ${path}: HTTP ${response.status}`);
      return (await response.text()).trim();
    }
    throw new ImdsError(`IMDS GET ${path}: the token was refused twice`);
  }

  private async sessionToken(): Promise<string> {
    const now = this.clock();
    if (this.token && this.token.expiresAtMs - TOKEN_RENEW_MARGIN_MS > now) return this.token.value;
    const response = await fetch(`${this.endpoint}/latest/api/token`, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(TOKEN_TTL_S) },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw new ImdsError(`IMDS token: HTTP ${response.status}`);
    this.token = { value: await response.text(), expiresAtMs: now + TOKEN_TTL_S * 1000 };
    return this.token.value;
  }
}
