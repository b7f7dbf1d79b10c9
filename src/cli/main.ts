// Entry point of the `prefork` command: parses the option table with yargs and maps every failure to a documented
// exit code.
import yargs, { type Argv, type Options } from 'yargs';
import { isPreforkError } from '../errors';
import { EXIT, exitCodeFor } from '../exit-codes';
import { formatInspection, inspectionJson, inspectOne } from './inspect';
import { envValues, unknownEnvWarnings } from './env';
import { COMMANDS, type CommandSpec } from './options';
import { start, type StartArgs } from './start';
import { control, type ControlArgs } from './control-commands';

/**
 * A command's options for yargs: values from PREFORK_* variables (env.ts) rank below the command line and above the
 * defaults, and the options the table types as numbers stay text, so option-values.ts can quote a bad one as typed.
 */
function withOptions(y: Argv, spec: CommandSpec, env: NodeJS.ProcessEnv): Argv {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]): [string, Options] => [name, o.type === 'number' ? { ...o, string: true } : o]),
  );
  return y.options(options).config(envValues(spec.options, env));
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = EXIT.OK.code;
  let usageError: string | undefined;
  for (const warning of unknownEnvWarnings(env)) process.stderr.write(`${warning}\n`);
  const parser = yargs(argv)
    .scriptName('prefork')
    .usage('$0 <command> [options]')
    .command(COMMANDS.start.command, COMMANDS.start.describe, y => withOptions(y, COMMANDS.start, env).positional('app', {
      type: 'string',
      describe: 'App module (CommonJS or ESM) or package directory',
    }))
    .command(COMMANDS.reload.command, COMMANDS.reload.describe, y => withOptions(y, COMMANDS.reload, env))
    .command(COMMANDS.stop.command, COMMANDS.stop.describe, y => withOptions(y, COMMANDS.stop, env))
    .command(COMMANDS.scale.command, COMMANDS.scale.describe, y => withOptions(y, COMMANDS.scale, env).positional('count', {
      type: 'string',
      describe: 'N, +K or -K (e.g. 4, +1, -2)',
    }))
    .command(COMMANDS.upgrade.command, COMMANDS.upgrade.describe, y => withOptions(y, COMMANDS.upgrade, env))
    .command(COMMANDS.status.command, COMMANDS.status.describe, y => withOptions(y, COMMANDS.status, env))
    .command(COMMANDS.inspect.command, COMMANDS.inspect.describe, y => withOptions(y, COMMANDS.inspect, env).positional('files', {
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
    } else if (cmd === 'reload' || cmd === 'stop' || cmd === 'status' || cmd === 'scale' || cmd === 'upgrade') {
      exitCode = await control(cmd, args as unknown as ControlArgs);
    } else if (cmd === 'inspect') {
      const files = args.files as string[];
      const out = [];
      for (const f of files) out.push(await inspectOne(f));
      process.stdout.write(`${args.json ? inspectionJson(out) : formatInspection(out)}\n`);
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
