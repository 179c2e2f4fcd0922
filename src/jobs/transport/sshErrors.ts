// ssh's own failures (exit code 255) said in words the user can act on, ssh's text kept below.
import { UnreachableError } from './commandRunner';
import { terminalCommand, type SshTarget } from './sshTarget';

/** The last lines of what ssh printed: enough to diagnose, without a whole host-key banner of @ signs. */
function sshSaid(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^@+$/.test(l));
  return lines.slice(-6).join('\n');
}

/** Why ssh could not run a command on `target` (its stderr), as an UnreachableError naming the host and what to do. */
export function sshFailure(target: SshTarget, stderr: string): UnreachableError {
  const host = target.text;
  const said = sshSaid(stderr);
  const quoted = `ssh said:\n${said || '(nothing)'}`;
  const terminal = terminalCommand(target);
  let message: string;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    message =
      `The host key of ${host} has changed since it was stored in known_hosts, and ssh refused to connect: the server may have been reinstalled, or someone may be intercepting the connection. ` +
      `Ask the cluster's administrators for its key fingerprint; if it matches, remove the old key (ssh-keygen -R HOST, as ssh says below) and run \`${terminal}\` once in a terminal to accept the new one.`;
  } else if (/Host key verification failed|host key is known|No .* host key is known/i.test(stderr)) {
    message = `${host}'s host key is not in your known_hosts, and ML Engineer never accepts one on its own. Run \`${terminal}\` once in a terminal, check the fingerprint and accept it; then try again.`;
  } else if (/Permission denied|Too many authentication failures|no mutual signature|Authentication failed/i.test(stderr)) {
    message =
      `ssh could not log in to ${host} with your keys or agent (passwords and passphrases cannot be typed here). ` +
      `Make \`${terminal}\` work in a terminal without a prompt: add your key to the agent (ssh-add) or set IdentityFile for the host in ~/.ssh/config.`;
  } else if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(stderr)) {
    message = `The host name of ${host} could not be resolved. Check the name, or add a Host entry with its HostName in ~/.ssh/config.`;
  } else if (/Connection closed|closed by remote host|Broken pipe|Connection reset|mux_client|master/i.test(stderr)) {
    message = `The SSH connection to ${host} was lost. It is opened again on the next try.`;
  } else {
    message = `Could not reach ${host} over SSH. Check that \`${terminal}\` works in a terminal.`;
  }
  return new UnreachableError(`${message}\n${quoted}`);
}
