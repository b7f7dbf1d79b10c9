// Entry point of the `prefork` command: parses the option table with yargs and maps every failure to a documented
// exit code.
import yargs from 'yargs';
import { isPreforkError } from '../errors';
import { EXIT, exitCodeFor } from '../exit-codes';
import { formatInspection, inspectOne } from './inspect';
import { COMMANDS } from './options';
import { start, type StartArgs } from './start';
import { control, type ControlArgs } from './control-commands';

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.OK.code;
  let usageError: string | undefined;
  const parser = yargs(argv)
    .scriptName('prefork')
    .env('PREFORK')
    .usage('$0 <command> [options]')
    .command(COMMANDS.start.command, COMMANDS.start.describe, y => y.options(COMMANDS.start.options).positional('app', {
      type: 'string',
      describe: 'App module (CommonJS or ESM) or package directory',
    }))
    .command(COMMANDS.reload.command, COMMANDS.reload.describe, y => y.options(COMMANDS.reload.options))
    .command(COMMANDS.stop.command, COMMANDS.stop.describe, y => y.options(COMMANDS.stop.options))
    .command(COMMANDS.status.command, COMMANDS.status.describe, y => y.options(COMMANDS.status.options))
    .command(COMMANDS.inspect.command, COMMANDS.inspect.describe, y => y.options(COMMANDS.inspect.options).positional('files', {
      type: 'string',
      array: true,
      describe: 'FILE[:dtype[shape]] (raw files: e.g. data.bin:f32[1000,64])',
    }))
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .version()
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      usageError = msg;
    });
  const args = await parser.parseAsync();
  if (usageError !== undefined) {
    process.stderr.write(`prefork: ${usageError}\nRun 'prefork --help' for usage.\n`);
    return EXIT.USAGE.code;
  }
  if (args.help || args.version) return EXIT.OK.code;
  try {
    const cmd = String(args._[0]);
    if (cmd === 'start') {
      exitCode = await start(args as unknown as StartArgs);
    } else if (cmd === 'reload' || cmd === 'stop' || cmd === 'status') {
      exitCode = await control(cmd, args as unknown as ControlArgs);
    } else if (cmd === 'inspect') {
      const files = args.files as string[];
      const out = [];
      for (const f of files) out.push(await inspectOne(f));
      process.stdout.write(args.json ? `${JSON.stringify({ files: out }, null, 2)}\n` : `${formatInspection(out)}\n`);
    }
  } catch (e) {
    exitCode = reportError(e);
  }
  return exitCode;
}

/** Prints an error the way every command does and returns its exit code. */
export function reportError(e: unknown): number {
  if (isPreforkError(e)) {
    process.stderr.write(`prefork: ${e.message} [${e.code}]\n`);
    return exitCodeFor(e.code);
  }
  process.stderr.write(`prefork: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.FAILURE.code;
}
