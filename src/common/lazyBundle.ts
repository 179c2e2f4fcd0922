import { join } from 'node:path';

// Heavy code ships in bundles of its own, dist/lazy/<name>.js, required the first time a feature
// is used and never at activation (docs/architecture.md, "Lazy loading"). Adapters load them here.

/** dist/lazy/<name>.js of the extension at `extensionPath`. */
export function lazyBundlePath(extensionPath: string, name: string): string {
  return join(extensionPath, 'dist', 'lazy', `${name}.js`);
}

/** Loads the bundle on its first call and returns the same module after; `peek()` returns it only if loaded. */
export type LazyBundle<T> = (() => T) & { readonly peek: () => T | undefined };

export function lazyBundle<T>(extensionPath: string, name: string): LazyBundle<T> {
  let loaded: T | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle of our own, loaded by path on first use
  const load = (): T => (loaded ??= require(lazyBundlePath(extensionPath, name)) as T);
  return Object.assign(load, { peek: () => loaded });
}
