// Types of scripts/build.mjs for the TypeScript that imports it (test/helpers/build.ts).
export declare const ROOT: string;
export declare const DIST: string;
export declare function sourceHash(): string;
export declare function isFresh(): boolean;
export declare function ensureBuilt(options?: { onBuild?: () => void }): Promise<void>;
