import { constants } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isReloadError } from '../errors/reloadError.js';
import { DEFAULT_COLLECT_TIMEOUT_MS } from '../loader/collectRegistrations.js';
import { ArgumentChecks } from '../loader/argumentChecks.js';
import { checkSetting } from '../settings/checkSettings.js';
import { MAX_TIMER_MS } from '../settings/settingSpecs.js';
import { keygen, sign, signBundle, verify } from './cliCommands.js';
import { inspect } from './inspectCommand.js';
import { userDirectory } from './userDirectory.js';

const USAGE = `baton — sign, verify and inspect Baton plugin artifacts

usage:
  baton keygen [--out <dir>]                         write an ed25519 signing key pair
  baton sign <plugin-dir> --key <private.pem>         hash every file, write and sign baton-plugin.json
                                                      (with no "surfaces" in it, they are listed from
                                                      what register() registers, run as inspect runs it:
                                                      --services, --timeout and --runtime apply)
  baton sign <plugin-dir> --key <private.pem> --bundle <out-dir> [--external <module>]...
                                                      bundle the plugin (esbuild) into one file in
                                                      <out-dir>, and sign that artifact (loader "bundle")
  baton verify <plugin-dir> --trust <public.pem>...   check the signature and every file hash
  baton inspect <plugin-dir> --trust <public.pem>... [--against <dir>] [options]
                                                      surfaces, versions, compat verdict against another version

inspect verifies both artifacts (like verify), then runs their code in a child process, from a copy
of the verified bytes in a private temporary runtime directory, removed afterwards. Options:
  --against <dir>      the version to compare with (the one serving now); needs the plugins' code
  --unsigned           skip verification: inspect directories as they are (only code you trust)
  --services <module>  a module whose default export (container, { directory, signal }) registers
                       the host services the plugins resolve in register(), on the tsyringe
                       container it is given, e.g. container.register('my.env', { useValue: env })
  --shared <module>    for bundled artifacts: a module the host shares with them (loadPluginVersion's
                       shared; the ones given to sign --bundle as --external), imported from where
                       --runtime resolves; repeat for each
  --timeout <ms>       how long each step that runs plugin code may take: importing each plugin,
                       each register(), the compat checks, the services module (default
                       ${DEFAULT_COLLECT_TIMEOUT_MS}, at most ${MAX_TIMER_MS}); the child process is stopped then
  --runtime <dir>      where the temporary runtime directory is made (default: the current
                       directory); the plugins' bare imports (@baton/core, …) resolve from there.
                       Every directory on its path must belong to root or you and not be writable
                       by others (so not /tmp)

sign --bundle builds what the host loads without Node's module cache, so a retired version's code
is garbage collected: the entry and everything it imports become <out-dir>/plugin.cjs (and a source
map), except @baton/core, Node's built-ins and each --external module (ones the host passes to
loadPluginVersion as shared, e.g. --external @baton/kinds). Needs the esbuild package installed.

Relative paths are resolved against the directory you ran the command in (with npx inside a
workspace too, where npm changes into the package's directory: its INIT_CWD is used).

exit codes: 0 ok (compatible), 1 failed or incompatible, 2 usage error,
            130 interrupted (SIGINT), 143 terminated (SIGTERM)
`;

/** What each command takes: how many positional arguments, and which options. */
const COMMANDS = {
  keygen: { positionals: [], options: ['out'] },
  sign: { positionals: ['<plugin-dir>'], options: ['key', 'bundle', 'external', 'services', 'timeout', 'runtime'] },
  verify: { positionals: ['<plugin-dir>'], options: ['trust'] },
  inspect: {
    positionals: ['<plugin-dir>'],
    options: ['trust', 'against', 'unsigned', 'services', 'shared', 'timeout', 'runtime'],
  },
} as const;
type Command = keyof typeof COMMANDS;

/**
 * Runs the CLI with `argv` (without node and script); returns the exit code. Relative paths are
 * resolved against {@link userDirectory}`(env)`.
 */
export async function main(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  printError: (line: string) => void = console.error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const check = new ArgumentChecks('main', 'load');
  check.strings('argv', argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        key: { type: 'string' },
        bundle: { type: 'string' },
        external: { type: 'string', multiple: true },
        trust: { type: 'string', multiple: true },
        against: { type: 'string' },
        unsigned: { type: 'boolean' },
        services: { type: 'string' },
        shared: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        runtime: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    printError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    print(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const base = userDirectory(env);
  const path = (value: string): string => {
    if (value === '') throw usage('an empty path was given (for the current directory, write .)');
    return resolve(base, value);
  };
  try {
    if (!Object.hasOwn(COMMANDS, command)) throw usage(`unknown command '${command}'`);
    checkShape(command as Command, rest, values);
    const target = rest[0] === undefined ? undefined : path(rest[0]);
    const trust = (values.trust ?? []).map(path);
    switch (command as Command) {
      case 'keygen':
        await keygen(path(values.out ?? '.'), print);
        return 0;
      case 'sign': {
        if (!target || !values.key) throw usage('sign needs <plugin-dir> and --key <private.pem>');
        if (values.external !== undefined && values.bundle === undefined)
          throw usage('--external only goes with --bundle <out-dir>');
        // For a manifest without "surfaces": how register() is run to list them.
        const child = {
          services: values.services === undefined ? undefined : path(values.services),
          timeoutMs: timeoutOption(values.timeout),
          runtimeParent: path(values.runtime ?? '.'),
        };
        if (values.bundle !== undefined)
          await signBundle(target, path(values.bundle), path(values.key), values.external ?? [], print, child);
        else await sign(target, path(values.key), print, child);
        return 0;
      }
      case 'verify':
        if (!target || trust.length === 0)
          throw usage('verify needs <plugin-dir> and at least one --trust <public.pem>');
        await verify(target, trust, print);
        return 0;
      case 'inspect': {
        if (!target) throw usage('inspect needs <plugin-dir>');
        if (trust.length === 0 && !values.unsigned)
          throw usage('inspect verifies the artifacts: give --trust <public.pem> (or --unsigned for code you trust)');
        if (trust.length > 0 && values.unsigned) throw usage('give either --trust or --unsigned, not both');
        const compatible = await inspect(
          target,
          {
            against: values.against === undefined ? undefined : path(values.against),
            trust,
            unsigned: values.unsigned === true,
            services: values.services === undefined ? undefined : path(values.services),
            shared: values.shared,
            timeoutMs: timeoutOption(values.timeout),
            runtimeParent: path(values.runtime ?? '.'),
          },
          print,
        );
        return compatible ? 0 : 1;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    printError(
      isReloadError(error)
        ? `baton: ${error.code}: ${error.message}`
        : `baton: ${error instanceof Error ? error.message : String(error)}`,
    );
    const signal = isReloadError(error) ? error.details['signal'] : undefined;
    return typeof signal === 'string' && signal in constants.signals
      ? 128 + constants.signals[signal as keyof typeof constants.signals]
      : 1;
  }
}

/** Refuses extra positional arguments and the options of other commands. */
function checkShape(command: Command, rest: readonly string[], values: Record<string, unknown>): void {
  const spec = COMMANDS[command];
  if (rest.length > spec.positionals.length)
    throw usage(
      `${command} takes ${spec.positionals.length === 0 ? 'no arguments' : `one argument, ${spec.positionals.join(' ')}`}; unexpected ${rest
        .slice(spec.positionals.length)
        .map((a) => `'${a}'`)
        .join(', ')}`,
    );
  const allowed: readonly string[] = spec.options;
  const foreign = Object.keys(values)
    .sort()
    .filter((name) => name !== 'help' && values[name] !== undefined && !allowed.includes(name));
  if (foreign.length > 0)
    throw usage(
      `${foreign.map((name) => `--${name}`).join(', ')} ${foreign.length === 1 ? 'is not an option' : 'are not options'} of ${command}`,
    );
}

/** `--timeout`: whole milliseconds from 1 to 2^31 − 1 (Node's timers fire at once beyond). */
function timeoutOption(text: string | undefined): number {
  if (text === undefined) return DEFAULT_COLLECT_TIMEOUT_MS;
  const problem = `--timeout must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS} (got ${text})`;
  if (!/^[0-9]{1,16}$/.test(text)) throw usage(problem);
  try {
    return checkSetting('registerTimeoutMs', Number(text));
  } catch {
    throw usage(problem);
  }
}

class UsageError extends Error {}
const usage = (message: string): UsageError => new UsageError(message);
