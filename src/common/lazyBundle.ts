import { join } from 'node:path';

// Code not needed at activation ships in bundles of its own, required the first time it is used
// (docs/architecture.md, "Lazy loading"): heavy packages in dist/lazy/<name>.js, each feature's
// adapters in dist/features/<name>.js (loaded by src/activation/features.ts). All load through here.

export type BundleFolder = 'lazy' | 'features';

/** dist/<folder>/<name>.js of the extension at `extensionPath`. */
export function lazyBundlePath(extensionPath: string, name: string, folder: BundleFolder = 'lazy'): string {
  return join(extensionPath, 'dist', folder, `${name}.js`);
}

/** Loads the bundle on its first call and returns the same module after; `peek()` returns it only if loaded. */
export type LazyBundle<T> = (() => T) & { readonly peek: () => T | undefined };

export function lazyBundle<T>(extensionPath: string, name: string, folder: BundleFolder = 'lazy'): LazyBundle<T> {
  let loaded: T | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle of our own, loaded by path on first use
  const load = (): T => (loaded ??= require(lazyBundlePath(extensionPath, name, folder)) as T);
  return Object.assign(load, { peek: () => loaded });
}
