// Which VS Code target a VSIX is built for, and which DuckDB binding it must carry. The dataset
// engine is DuckDB's native library, so a VSIX holds one platform's binary: its target must name
// that platform, or VS Code would install a Linux package on a Mac (vsce --target; bindings:
// @duckdb/node-bindings' optionalDependencies).

/** vsce targets that DuckDB ships a binding for, with that binding's package name. */
export const TARGETS = {
  'linux-x64': '@duckdb/node-bindings-linux-x64',
  'linux-arm64': '@duckdb/node-bindings-linux-arm64',
  'alpine-x64': '@duckdb/node-bindings-linux-x64-musl',
  'alpine-arm64': '@duckdb/node-bindings-linux-arm64-musl',
  'darwin-x64': '@duckdb/node-bindings-darwin-x64',
  'darwin-arm64': '@duckdb/node-bindings-darwin-arm64',
  'win32-x64': '@duckdb/node-bindings-win32-x64',
  'win32-arm64': '@duckdb/node-bindings-win32-arm64',
};

/** The target of the machine running the build (musl Linux is VS Code's "alpine"). */
export function hostTarget(platform, arch, musl) {
  const os = platform === 'linux' && musl ? 'alpine' : platform;
  const target = `${os}-${arch}`;
  if (!(target in TARGETS)) {
    throw new Error(`DuckDB has no binding for ${target}: package for one of ${Object.keys(TARGETS).join(', ')} with --target`);
  }
  return target;
}

/** The binding package for a target, or a clear error naming the targets there are. */
export function bindingFor(target) {
  const binding = TARGETS[target];
  if (!binding) throw new Error(`unknown target "${target}": one of ${Object.keys(TARGETS).join(', ')}`);
  return binding;
}
