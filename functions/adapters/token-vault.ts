import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { kms, probeSeal } from '#commons/clients';
import { config } from '#commons/config';
import { ENV } from '#commons/facts';

/**
 * Task tokens are kept sealed: on AWS encrypted with a KMS key (the encryption context binds the
 * ciphertext to its request and group), in local mode with AES-256-GCM under a local key. A token
 * never leaves the server: not in a URL, a log line or an email.
 */
export interface Binding {
  requestId: string;
  group: string;
}

const aad = (b: Binding) => Buffer.from(`${b.requestId}\n${b.group}`);

export const seal = async (token: string, binding: Binding): Promise<string> => {
  probeSeal();
  const { tokenKeyId, localTokenKey } = config();
  if (tokenKeyId) {
    const out = await kms().send(
      new EncryptCommand({
        KeyId: tokenKeyId,
        Plaintext: Buffer.from(token),
        EncryptionContext: { requestId: binding.requestId, group: binding.group },
      }),
    );
    return `kms:${Buffer.from(out.CiphertextBlob!).toString('base64')}`;
  }
  if (!localTokenKey)
    throw new Error(`neither ${ENV.TOKEN_KEY_ID} nor ${ENV.STEWARD_TOKEN_KEY} is configured`);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(localTokenKey, 'hex'), iv).setAAD(aad(binding));
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return `gcm:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
};

export const unseal = async (sealed: string, binding: Binding): Promise<string> => {
  const [scheme, body] = [sealed.slice(0, 3), Buffer.from(sealed.slice(4), 'base64')];
  if (scheme === 'kms') {
    const out = await kms().send(
      new DecryptCommand({
        CiphertextBlob: body,
        EncryptionContext: { requestId: binding.requestId, group: binding.group },
      }),
    );
    return Buffer.from(out.Plaintext!).toString('utf8');
  }
  const key = config().localTokenKey;
  if (scheme !== 'gcm' || !key) throw new Error('cannot unseal this token here');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'hex'), body.subarray(0, 12)).setAAD(
    aad(binding),
  );
  decipher.setAuthTag(body.subarray(12, 28));
  return Buffer.concat([decipher.update(body.subarray(28)), decipher.final()]).toString('utf8');
};
