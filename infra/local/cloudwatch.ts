import { createServer } from 'node:http';
import { type LocalEndpoint, listenLocal } from './listen.ts';

/**
 * The local stand-in for CloudWatch alarms and metric reads, speaking the AWS JSON 1.0 protocol
 * the SDK's CloudWatchClient uses: PutMetricAlarm, DeleteAlarms, DescribeAlarms keep alarm
 * definitions (GET /local/alarms shows them), GetMetricData answers no data points (local targets
 * publish no metrics, so health reads UNKNOWN). Drift metrics themselves are EMF log lines, which
 * local mode does not collect.
 */
export interface LocalAlarm {
  AlarmName: string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: string }[];
  Threshold?: number;
  ComparisonOperator?: string;
  AlarmActions?: string[];
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  updatedAt: string;
}

export class LocalCloudWatch {
  readonly alarms = new Map<string, LocalAlarm>();

  private handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'PutMetricAlarm': {
        const name = String(input.AlarmName);
        const previous = this.alarms.get(name);
        this.alarms.set(name, {
          ...(input as Omit<LocalAlarm, 'StateValue' | 'updatedAt'>),
          AlarmName: name,
          StateValue: previous?.StateValue ?? 'INSUFFICIENT_DATA',
          updatedAt: new Date().toISOString(),
        });
        return {};
      }
      case 'DeleteAlarms':
        for (const name of (input.AlarmNames as string[] | undefined) ?? []) this.alarms.delete(name);
        return {};
      case 'DescribeAlarms': {
        const names = input.AlarmNames as string[] | undefined;
        const state = input.StateValue as string | undefined;
        const prefix = input.AlarmNamePrefix as string | undefined;
        return {
          MetricAlarms: [...this.alarms.values()].filter(
            (a) =>
              (!names || names.includes(a.AlarmName)) &&
              (!state || a.StateValue === state) &&
              (!prefix || a.AlarmName.startsWith(prefix)),
          ),
        };
      }
      case 'GetMetricData':
        return {
          MetricDataResults: ((input.MetricDataQueries as { Id: string }[] | undefined) ?? []).map((q) => ({
            Id: q.Id,
            Label: q.Id,
            Timestamps: [],
            Values: [],
            StatusCode: 'Complete',
          })),
        };
      default:
        throw Object.assign(new Error(`${operation} is not emulated locally`), { code: 'InvalidAction' });
    }
  }

  listen(host: string): Promise<LocalEndpoint> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.split('.').pop() ?? '';
        try {
          const text = Buffer.concat(chunks).toString('utf8');
          const out = this.handle(operation, text ? (JSON.parse(text) as Record<string, unknown>) : {});
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(out));
        } catch (error) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: `com.amazonaws.cloudwatch#${(error as { code?: string }).code ?? 'InvalidParameterValue'}`,
              message: (error as Error).message,
            }),
          );
        }
      });
    });
    return listenLocal(server, host);
  }
}
