import { createHash } from 'node:crypto';

/** A minimal client for the Steward API over real HTTP, as a CI pipeline would call it. */
export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the bench reads a few known fields of API answers.
  body: any;
}

export interface Api {
  call(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
}

export const apiAt = (baseUrl: string): Api => ({
  async call(method, path, options = {}) {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  },
});

/** Fail the bench loudly when a preparation step does not get the answer it needs. */
export const expectStatus = (what: string, response: ApiResponse, ...statuses: number[]): ApiResponse => {
  if (!statuses.includes(response.status))
    throw new Error(
      `${what}: expected ${statuses.join(' or ')}, got ${response.status} ${JSON.stringify(response.body)}`,
    );
  return response;
};

export const artifactBytes = (label: string, size = 4096): Buffer => {
  const bytes = Buffer.alloc(size);
  Buffer.from(`steward bench artifact ${label}\n`).copy(bytes);
  return bytes;
};

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export const registerBody = (bytes: Buffer) => ({
  artifact: { sha256: sha256Hex(bytes), sizeBytes: bytes.length, fileName: 'model.bin' },
});

/** PUT the bytes to the presigned URL of a registration answer. */
export const upload = async (registered: ApiResponse, bytes: Buffer): Promise<number> => {
  const plan = registered.body?.upload as { url: string; headers?: Record<string, string> } | undefined;
  if (!plan?.url)
    throw new Error(`the registration answer has no upload.url: ${JSON.stringify(registered.body)}`);
  const response = await fetch(plan.url, { method: 'PUT', headers: plan.headers ?? {}, body: bytes });
  await response.arrayBuffer();
  return response.status;
};

/** Create a model and one READY version of it (register, upload, commit). */
export const readyModel = async (api: Api, name: string): Promise<void> => {
  expectStatus(`create model ${name}`, await api.call('POST', '/v1/models', { body: { name } }), 201);
  const bytes = artifactBytes(name);
  const registered = expectStatus(
    `register ${name} v1`,
    await api.call('POST', `/v1/models/${name}/versions`, { body: registerBody(bytes) }),
    201,
  );
  const put = await upload(registered, bytes);
  if (put >= 300) throw new Error(`upload of ${name} v1 answered ${put}`);
  expectStatus(
    `commit ${name} v1`,
    await api.call('POST', `/v1/models/${name}/versions/${registered.body.version}/commit`),
    200,
  );
};
