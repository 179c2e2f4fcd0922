// The remote command line for one argv. sshd hands it to the user's login shell (bash, zsh, tcsh,
// fish...), each of which parses quotes its own way, so the script itself travels base64-encoded
// inside a constant wrapper that every one of them reads alike, and a POSIX `sh` runs it: there
// each argument is single-quoted, so nothing in it ($(), ;, quotes, newlines) is ever interpreted.

/** Printed on stderr when the command itself exits 255, the code ssh also uses for its own failures. */
export const REMOTE_EXIT_255_MARKER = 'ml-engineer: remote command exited 255';

/** One argument for a POSIX shell: single quotes, an embedded ' written as '\''. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The POSIX script run on the cluster: argv (in `cwd` when given), exit 255 told apart from ssh's own 255. */
export function remoteScript(argv: readonly string[], cwd?: string): string {
  if (argv.length === 0) throw new Error('remoteScript: no command');
  const command = argv.map(shellQuote).join(' ');
  const run = cwd === undefined ? command : `cd -- ${shellQuote(cwd)} && ${command}`;
  // Not `exec`: the shell stays to report the code, so a signal's end is 128+n (ssh would say 255).
  return `${run}\ns=$?\n[ "$s" -ne 255 ] || printf '%s\\n' ${shellQuote(REMOTE_EXIT_255_MARKER)} >&2\nexit "$s"\n`;
}

/**
 * What ssh is given as the remote command: a wrapper of letters, digits and base64 only inside one
 * pair of single quotes, which bash, zsh, dash, csh/tcsh and fish all pass to `sh` unchanged
 * (tcsh would choke on a newline inside quotes, fish on a backslash).
 */
export function remoteCommandLine(argv: readonly string[], cwd?: string): string {
  const encoded = Buffer.from(remoteScript(argv, cwd), 'utf8').toString('base64');
  // `&&`: a cluster without base64 fails loudly (127, "base64: not found"), not as an empty script's success.
  return `exec sh -c 'script="$(echo ${encoded} | base64 -d)" && eval "$script"'`;
}

/** stderr without the exit-255 marker, and whether it was there (then 255 was the command's own). */
export function takeExit255Marker(stderr: string): { stderr: string; marked: boolean } {
  const line = `${REMOTE_EXIT_255_MARKER}\n`;
  return stderr.endsWith(line) ? { stderr: stderr.slice(0, -line.length), marked: true } : { stderr, marked: false };
}
