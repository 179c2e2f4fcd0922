import { MlflowServer } from '../mlflowServer';

// MLflow's own client variables, for the surfaces without VS Code's settings (the CLI, the MCP
// server, the headless agent): MLFLOW_TRACKING_URI names the server, MLFLOW_TRACKING_TOKEN or
// MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD sign in, as mlflow's RestStore reads them.

type Env = Readonly<Record<string, string | undefined>>;

/** A bearer token, or basic-auth "user:password" (MlflowServer tells them apart by the colon). */
export function serverToken(env: Env): string | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return env.MLFLOW_TRACKING_TOKEN;
  return env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD ? `${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}` : undefined;
}

/** The tracking server at `url` signed in with the environment's credentials. */
export function serverAt(url: string, env: Env): MlflowServer {
  return new MlflowServer(url, () => Promise.resolve(serverToken(env)));
}

/**
 * The server MLFLOW_TRACKING_URI names when it is http(s); a file or sqlite URI is a store the
 * folder's discovery finds. Credentials written into the URI (https://user:pass@host) sign in
 * where no variable does, and are taken out of it: the URI is shown to the model and in messages.
 */
export function serverFromEnv(env: Env): MlflowServer | undefined {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (!uri || !/^https?:\/\//i.test(uri)) return undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return serverAt(uri, env);
  }
  if (!url.username && !url.password) return serverAt(uri, env);
  const inUri = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  const token = serverToken(env) ?? inUri;
  return new MlflowServer(url.toString(), () => Promise.resolve(token));
}
