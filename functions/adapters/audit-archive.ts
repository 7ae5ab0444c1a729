import { config } from '#commons/config';
import { ENV, s3Keys } from '#commons/facts';
import { loadS3, s3 } from '#commons/s3';

/**
 * The audit archive bucket (S3 Object Lock): one object per audit event, named by model and
 * sequence, so a redelivered event writes the same key with the same bytes.
 */
const bucket = () => {
  const name = config().auditArchiveBucket;
  if (!name) throw new Error(`${ENV.AUDIT_ARCHIVE_BUCKET} is not configured`);
  return name;
};

export const archiveAuditEvent = async (event: { model: string; seq: number } & Record<string, unknown>) => {
  const [{ PutObjectCommand }, client] = await Promise.all([loadS3(), s3()]);
  await client.send(
    new PutObjectCommand({
      Bucket: bucket(),
      Key: s3Keys.auditEvent(event.model, event.seq),
      Body: JSON.stringify(event),
      ContentType: 'application/json',
      // Object Lock needs an integrity checksum on every PUT.
      ChecksumAlgorithm: 'SHA256',
    }),
  );
};
