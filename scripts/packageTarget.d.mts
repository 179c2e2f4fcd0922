// Types of packageTarget.mjs, for the unit test that imports it.
export declare const TARGETS: Readonly<Record<string, string>>;
export declare function hostTarget(platform: string, arch: string, musl: boolean): string;
export declare function bindingFor(target: string): string;
