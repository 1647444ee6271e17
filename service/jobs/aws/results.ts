/**
 * Job results in a private S3 bucket, fetched by clients through CloudFront (origin access control): the
 * object key is the caller's deterministic per-job key, so a redelivered job overwrites the same object
 * with the same bytes, and `url` is the CDN address of that key.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ResultStore } from "../backend";

/** Relative paths of plain segments (the same rule as the embedded store's directory): one key names one
 * object whatever the store, and no key is absolute, empty or climbs with `..`. */
const KEY = /^(?!.*\/\.)(?!\.)[A-Za-z0-9._-]{1,200}(\/[A-Za-z0-9._-]{1,200}){0,7}$/;

export class ResultKeyError extends Error {
  override name = "ResultKeyError";
  constructor(readonly key: string) {
    super(`result key ${JSON.stringify(key)} is invalid: expected a relative path such as jobs/<id>/out.png`);
  }
}

function assertResultKey(key: string): void {
  if (!KEY.test(key)) throw new ResultKeyError(key);
}

/** Results never change under their key (same job, same bytes), so the CDN and browsers may keep them. */
const RESULT_CACHE_CONTROL = "public, max-age=31536000, immutable";

export class S3ResultStore implements ResultStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly baseUrl: string,
  ) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    assertResultKey(key);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        CacheControl: RESULT_CACHE_CONTROL,
      }),
    );
  }

  url(key: string): string {
    return `${this.baseUrl}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }
}
