import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's `chromium` package puts the browser. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for headless Chromium on a machine without a display or network: no sandbox (tests may
 * run as root), no GPU, and none of the background connections to Google's services (refused on
 * a closed network, and slow to give up on).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const executable = (path: string): Promise<boolean> =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * The Chromium the report's browser test drives: `$BATON_CHROMIUM`, else Debian's `/usr/bin/chromium`.
 * When neither is there and the process runs as root on a machine with `apt-get`, it installs
 * Debian's `chromium` package (about a minute); otherwise it throws, saying how to install it.
 */
export async function ensureChromium(): Promise<string> {
  const chosen = process.env['BATON_CHROMIUM'];
  if (chosen !== undefined) {
    if (await executable(chosen)) return chosen;
    throw new Error(`BATON_CHROMIUM is set to ${chosen}, which is not an executable file`);
  }
  if (await executable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const root = process.getuid?.() === 0;
  if (!root || !(await executable('/usr/bin/apt-get')))
    throw new Error(
      "the report's browser test needs Chromium: install Debian's package (sudo apt-get install chromium) " +
        'or set BATON_CHROMIUM to a Chromium or Chrome executable',
    );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env, timeout: 180_000 });
    await run('apt-get', ['install', '-y', '-qq', 'chromium'], { env, timeout: 300_000, maxBuffer: 16 << 20 });
  } catch (error) {
    throw new Error("installing Debian's chromium package failed (apt-get install chromium)", { cause: error });
  }
  if (await executable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  throw new Error(`apt-get installed chromium, but ${DEBIAN_CHROMIUM} is not there`);
}
