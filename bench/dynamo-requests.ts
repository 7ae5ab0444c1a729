import { dynamo } from '#commons/clients';
import { startLocalSystem } from '#local/system';
import { type Api, apiAt, artifactBytes, expectStatus, registerBody, upload } from './api.ts';
import { heading, marker, print, type TargetResult, table } from './report.ts';

/**
 * DynamoDB requests per API operation: the local system in this process, and a middleware on the
 * handlers' own DynamoDB client that counts every request sent. It sits in the finalizeRequest
 * step at low priority, inside the SDK's retry loop, so a retried request counts again.
 */
export interface OperationCount {
  operation: string;
  status: number;
  expectedStatus: number;
  requests: number;
  commands: string[];
  target: number | undefined;
  marker: 'PASS' | 'OVER' | undefined;
  note?: string;
}

const MODEL = 'bench-requests';
const LIST_VERSIONS = 30;
const LIST_LIMIT = 10;

/** `GetItem, TransactWriteItems, GetItem` -> the same, with repeats in a row folded as `GetItem x2`. */
export const describeCommands = (commands: readonly string[]): string => {
  const folded: string[] = [];
  let i = 0;
  while (i < commands.length) {
    let j = i;
    while (j < commands.length && commands[j] === commands[i]) j++;
    folded.push(j - i > 1 ? `${commands[i]} x${j - i}` : commands[i]!);
    i = j;
  }
  return folded.join(', ') || '-';
};

export const measureDynamoRequests = async (): Promise<{
  rows: OperationCount[];
  targets: TargetResult[];
}> => {
  const system = await startLocalSystem();
  try {
    const sent: string[] = [];
    dynamo().middlewareStack.add(
      (next, context) => async (args) => {
        sent.push((context.commandName ?? 'unknown').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'benchCountRequests' },
    );

    const api: Api = apiAt(system.url);
    const rows: OperationCount[] = [];
    const measure = async (
      operation: string,
      expectedStatus: number,
      target: number | undefined,
      act: () => Promise<{ status: number }>,
      note?: string,
    ) => {
      sent.length = 0;
      const { status } = await act();
      const commands = [...sent];
      rows.push({
        operation,
        status,
        expectedStatus,
        requests: commands.length,
        commands,
        target,
        marker: target === undefined ? undefined : marker(commands.length <= target),
        ...(note ? { note } : {}),
      });
    };

    const v = `/v1/models/${MODEL}/versions`;
    await measure('createModel', 201, undefined, () =>
      api.call('POST', '/v1/models', { body: { name: MODEL } }),
    );

    const bytes = artifactBytes('requests');
    let registered: Awaited<ReturnType<Api['call']>> | undefined;
    await measure('registerVersion', 201, 2, async () => {
      registered = await api.call('POST', v, { body: registerBody(bytes) });
      return registered;
    });
    expectStatus('registerVersion', registered!, 201);
    await measure(
      'upload (presigned PUT to S3)',
      200,
      undefined,
      async () => ({ status: await upload(registered!, bytes) }),
      'no DynamoDB: the bytes go to S3',
    );
    await measure('commitVersion', 200, 2, () => api.call('POST', `${v}/1/commit`));
    await measure('getVersion', 200, 1, () => api.call('GET', `${v}/1`));
    await measure('getArtifactUrl', 200, undefined, () => api.call('GET', `${v}/1/artifact`));

    // A list of 30 versions read 10 at a time; registrations made here are not counted.
    for (let n = 2; n <= LIST_VERSIONS; n++)
      expectStatus(
        `register v${n}`,
        await api.call('POST', v, { body: registerBody(artifactBytes(`list-${n}`)) }),
        201,
      );
    let cursor: string | undefined;
    await measure(`listVersions page 1 (limit ${LIST_LIMIT} of ${LIST_VERSIONS})`, 200, 1, async () => {
      const page = await api.call('GET', `${v}?limit=${LIST_LIMIT}`);
      cursor = page.body?.nextCursor;
      return page;
    });
    if (!cursor) throw new Error('listVersions page 1 returned no nextCursor');
    await measure('listVersions page 2 (nextCursor)', 200, 1, () =>
      api.call('GET', `${v}?limit=${LIST_LIMIT}&cursor=${encodeURIComponent(cursor!)}`),
    );

    await measure('listModels', 200, undefined, () => api.call('GET', '/v1/models?limit=10'));
    await measure('getModel', 200, undefined, () => api.call('GET', `/v1/models/${MODEL}`));
    await measure('updateModel', 200, undefined, () =>
      api.call('PATCH', `/v1/models/${MODEL}`, { body: { description: 'counted by the bench' } }),
    );
    await measure('updateVersion', 200, undefined, () =>
      api.call('PATCH', `${v}/1`, { body: { description: 'counted by the bench' } }),
    );
    const alias = `/v1/models/${MODEL}/aliases/champion`;
    await measure('setAlias', 200, undefined, () => api.call('PUT', alias, { body: { version: 1 } }));
    await measure('getAlias', 200, undefined, () => api.call('GET', alias));
    await measure('deleteAlias', 204, undefined, () => api.call('DELETE', alias));
    await measure('transitionVersion (READY -> DEPRECATED)', 200, undefined, () =>
      api.call('POST', `${v}/1/transitions`, { body: { to: 'DEPRECATED', reason: 'bench' } }),
    );

    const keyed = {
      body: registerBody(artifactBytes('idempotent')),
      headers: { 'idempotency-key': 'bench-1' },
    };
    await measure(
      'registerVersion + Idempotency-Key (first)',
      201,
      undefined,
      () => api.call('POST', v, keyed),
      'register <= 2, plus the idempotency record',
    );
    await measure(
      'registerVersion + Idempotency-Key (replay)',
      201,
      undefined,
      () => api.call('POST', v, keyed),
      'the same key and body again',
    );

    const targets = rows
      .filter((r) => r.target !== undefined)
      .map((r) => ({
        figure: `${r.operation}: DynamoDB requests`,
        value: String(r.requests),
        target: `<= ${r.target}`,
        marker: r.marker!,
      }));
    return { rows, targets };
  } finally {
    await system.close();
  }
};

export const printDynamoRequests = (rows: readonly OperationCount[]): void => {
  print(heading('DynamoDB requests per API operation'));
  print(
    "  Counted by a finalizeRequest middleware (inside the retry loop) on the handlers' DynamoDB client;",
  );
  print('  local mode in this process, one request at a time, the count reset before each call.');
  print();
  print(
    table(
      [
        { title: 'operation' },
        { title: 'HTTP', align: 'right' },
        { title: 'requests', align: 'right' },
        { title: 'commands, in order' },
        { title: 'target', align: 'right' },
        { title: '' },
        { title: 'note' },
      ],
      rows.map((r) => [
        r.operation,
        r.status === r.expectedStatus ? String(r.status) : `${r.status}!`,
        String(r.requests),
        describeCommands(r.commands),
        r.target === undefined ? '-' : `<= ${r.target}`,
        r.marker ?? '',
        r.note ?? '',
      ]),
    ),
  );
  const unexpected = rows.filter((r) => r.status !== r.expectedStatus);
  if (unexpected.length > 0)
    print(
      `\n  ! unexpected HTTP status: ${unexpected.map((r) => `${r.operation} ${r.status} (expected ${r.expectedStatus})`).join('; ')}`,
    );
};
