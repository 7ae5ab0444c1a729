import { Command, CommanderError } from 'commander';
import { createColors } from 'picocolors';
import { ApiError, ExitCode, StewardError } from '#client/errors';
import { evidenceCommands } from './commands/evidence.ts';
import { registryCommands } from './commands/registry.ts';
import { workflowCommands } from './commands/workflows.ts';
import { type Args, type Context, contextOf, type GlobalOptions } from './context.ts';

/**
 * `steward`: the command line for Steward. commander parses (subcommands, help, typed options),
 * every command runs through `run`, which builds the client from the global options and turns
 * any error into a plain message and an exit code by class (see `ExitCode`).
 */
export const buildProgram = () => {
  const program = new Command('steward')
    .description(
      'Steward from the shell: models, versions and their artifacts, approvals, deployments, lineage, audit, drift.\n' +
        'Local mode: STEWARD_URL or http://localhost:$PORT, identity from --as. On AWS: SigV4 with the default credential chain.',
    )
    .version('0.1.0')
    .option('--url <url>', 'the API’s base URL (default: STEWARD_URL, else http://localhost:$PORT)')
    .option(
      '--as <principal>',
      'local mode: act as this principal (X-Steward-Principal; default STEWARD_PRINCIPAL)',
    )
    .option('--auth <mode>', 'sigv4 or local (default: local for localhost, sigv4 otherwise)')
    .option('--region <region>', 'AWS region for SigV4 (default: AWS_REGION, or the one in the URL)')
    .option('--profile <name>', 'AWS profile for SigV4 (default: AWS_PROFILE)')
    .option('--json', 'print the API’s JSON answers, for scripts')
    .showHelpAfterError()
    .exitOverride();
  const run =
    (action: (ctx: Context, ...args: Args) => Promise<void>) =>
    async (...args: Args) => {
      const ctx = contextOf(program.opts<GlobalOptions>());
      // commander passes the positional arguments, then the options, then the command.
      await action(ctx, ...args.slice(0, -1));
    };
  registryCommands(program, run);
  workflowCommands(program, run);
  evidenceCommands(program, run);
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  return program;
};

/** Print an error the way a person reads it; problem+json under --json. */
export const report = (
  error: unknown,
  json: boolean,
  stderr: NodeJS.WriteStream = process.stderr,
): number => {
  const c = createColors(Boolean(stderr.isTTY) && !process.env.NO_COLOR);
  if (error instanceof ApiError) {
    const p = error.problem;
    if (json) stderr.write(`${JSON.stringify(p)}\n`);
    else {
      stderr.write(
        `${c.red('error')}: ${p.detail ?? p.title ?? 'request failed'} ${c.dim(`(${p.status} ${p.title ?? ''})`.replace(' )', ')'))}\n`,
      );
      for (const f of p.errors ?? []) stderr.write(`  ${c.bold(f.path || '(body)')}: ${f.message}\n`);
    }
    return error.exitCode;
  }
  if (error instanceof StewardError) {
    stderr.write(
      json ? `${JSON.stringify({ error: error.message })}\n` : `${c.red('error')}: ${error.message}\n`,
    );
    return error.exitCode;
  }
  stderr.write(`${c.red('error')}: ${error instanceof Error ? error.message : String(error)}\n`);
  return ExitCode.failure;
};

export const main = async (argv: string[] = process.argv): Promise<number> => {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      // commander has printed the message and the help already.
      return ExitCode.usage;
    }
    return report(error, Boolean(program.opts().json));
  }
};
