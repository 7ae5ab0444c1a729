import { describe, expect, it } from 'vitest';
import { API_FUNCTION_TIMEOUT_SECONDS } from '#commons/facts';
import { API_FUNCTION_TIMEOUT_MS } from '#local/http-adapter';
import { startApi } from './local-api.ts';

/**
 * Local mode gives an API function the time it has on AWS, counted from its start, and middy
 * answers early when it runs out, as there (a system of its own: client settings are per process).
 */
describe('the simulated function timeout', () => {
  it('answers 502 as API Gateway does when the function runs out of time, and the default is the AWS timeout', async () => {
    // Prepare: a function that has 1 ms, and DynamoDB throttling every request, so its reads wait
    // out the SDK's backoff, well past that millisecond
    const hurried = await startApi({ functionTimeoutMs: 1, log: () => undefined });
    try {
      const faults = await hurried.call('POST', '/local/faults', {
        body: { rules: [{ service: 'dynamodb', fault: 'throttle' }] },
      });
      expect(faults.status, faults.text).toBe(200);

      // Act
      const res = await hurried.call('GET', '/v1/models');

      // Assess
      expect(res.status, res.text).toBe(502);
      expect(res.body.title).toBe('Bad gateway');
    } finally {
      await hurried.close();
    }
    expect(API_FUNCTION_TIMEOUT_MS).toBe(API_FUNCTION_TIMEOUT_SECONDS * 1000);
    expect(API_FUNCTION_TIMEOUT_SECONDS).toBeLessThan(29);
  });
});
