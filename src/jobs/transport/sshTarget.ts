// A cluster named as the user types it for `ssh`: a Host from ~/.ssh/config, `user@host`,
// `user@host:port` or `[v6 address]:port`. ssh itself resolves the rest (HostName, User, Port,
// keys) from the user's config, so an alias passes through untouched.
import { UserError } from '../../common/errors';

export interface SshTarget {
  /** A config alias, a host name or an address (IPv6 without brackets). */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** The text it was parsed from, trimmed: the cluster's name in messages. */
  readonly text: string;
}

// A host or user may not start with '-' (ssh would read it as an option: `-oProxyCommand=...`)
// nor hold whitespace, quotes or control characters (ssh's own config parser splits on them).
const NAME = /^[^\s\-'"`\\@[\]\p{Cc}][^\s'"`\\@[\]\p{Cc}]*$/u;
/** A user may hold '@' (a domain account, `me@corp@host`): ssh splits at the last one, as here. */
const USER = /^[^\s\-'"`\\\p{Cc}][^\s'"`\\\p{Cc}]*$/u;

export function parseSshTarget(text: string): SshTarget {
  const trimmed = text.trim();
  const bad = (why: string): UserError =>
    // JSON quoting shows a newline or a tab as \n or \t, not as a broken message.
    new UserError(`${JSON.stringify(text)} is not an SSH host (${why}). Use a Host from your ~/.ssh/config, user@host or user@host:port.`);
  if (!trimmed) throw bad('it is empty');
  const at = trimmed.lastIndexOf('@');
  const user = at >= 0 ? trimmed.slice(0, at) : undefined;
  let rest = at >= 0 ? trimmed.slice(at + 1) : trimmed;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if (rest.indexOf(':') === rest.lastIndexOf(':') && rest.includes(':')) {
    // One colon: host:port. Several: an IPv6 address without a port.
    const colon = rest.indexOf(':');
    const portText = rest.slice(colon + 1);
    if (!/^\d+$/.test(portText)) throw bad(`${JSON.stringify(portText)} is not a port number`);
    port = Number(portText);
    rest = rest.slice(0, colon);
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw bad(`port ${port} is out of range`);
  if (user !== undefined && !USER.test(user)) throw bad(`${JSON.stringify(user)} is not a user name`);
  if (!NAME.test(rest)) throw bad(rest ? `${JSON.stringify(rest)} is not a host name` : 'no host');
  return { host: rest, ...(user === undefined ? {} : { user }), ...(port === undefined ? {} : { port }), text: trimmed };
}

/** ssh's arguments naming the target, last before the remote command: `-l` and `-p` only when given, so the config's apply otherwise. */
export function sshTargetArgs(target: SshTarget): string[] {
  return [...(target.user === undefined ? [] : ['-l', target.user]), ...(target.port === undefined ? [] : ['-p', String(target.port)]), '--', target.host];
}

/** What the user types in a terminal to reach it (`ssh -p 2222 alice@login`): for messages. */
export function terminalCommand(target: SshTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `ssh ${target.port === undefined ? '' : `-p ${target.port} `}${target.user === undefined ? '' : `${target.user}@`}${host}`;
}
