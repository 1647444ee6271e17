/**
 * Job results in a private S3 bucket, fetched by clients through CloudFront (origin access control): the
 * object key is the caller's deterministic per-job key below AWS_RESULTS_KEY_PREFIX (the only place the
 * worker's role may write), so a redelivered job overwrites the same object with the same bytes, and
 * `url` is the CDN address of that object: JOBS_RESULTS_BASE_URL + "/" + the object key.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { AWS_RESULTS_KEY_PREFIX } from "../aws-env";
import type { ResultStore } from "../backend";
import { resultExpires } from "../timing";
// One key rule for every store: a key that is valid on one backend is valid on the other.
import { assertResultKey } from "../sqlite/results";

/**
 * Results never change under their key (same job, same bytes), so the CDN and browsers may keep them, but
 * never past the moment the job's retention (JOBS_RETENTION_S) ends: the object carries an absolute
 * `Expires` of its write time plus the retention and no `Cache-Control` max-age, which would count from
 * each fetch and let CloudFront serve a copy long after the bucket's lifecycle rule deleted the object.
 * CloudFront caches an object until its Expires when no max-age is given (and uses max-age over Expires
 * when both are: https://repost.aws/knowledge-center/cloudfront-cache-files-time). The bucket's rule
 * deletes after `resultExpireDays(retentionS)` whole days, never sooner (infra/jobs/results.ts); both
 * functions live in timing.ts, which the infra imports.
 */
export class S3ResultStore implements ResultStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly baseUrl: string,
    private readonly retentionS: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    assertResultKey(key);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: AWS_RESULTS_KEY_PREFIX + key,
        Body: body,
        ContentType: contentType,
        Expires: resultExpires(this.clock(), this.retentionS),
      }),
    );
  }

  url(key: string): string {
    const objectKey = AWS_RESULTS_KEY_PREFIX + key;
    return `${this.baseUrl}/${objectKey.split("/").map(encodeURIComponent).join("/")}`;
  }
}
