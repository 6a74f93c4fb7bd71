import { dirname, isAbsolute, resolve } from 'node:path';

/**
 * The directory the user typed the command in, against which relative paths on the command line
 * are resolved. Normally the current directory; but `npx baton …` (`npm exec`) run inside a
 * workspace changes into the package's directory first, and says where the user was in `INIT_CWD`.
 * That directory is used when npm ran this command (`npm_command=exec`) and the current directory
 * is still the one npm changed into (the directory of `npm_package_json`): a script run by `npm
 * exec` that changed directory itself keeps its own.
 */
export function userDirectory(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const initial = env['INIT_CWD'];
  if (env['npm_command'] !== 'exec' || initial === undefined || !isAbsolute(initial)) return cwd;
  const packageJson = env['npm_package_json'];
  if (packageJson !== undefined && resolve(dirname(packageJson)) !== resolve(cwd)) return cwd;
  return initial;
}
