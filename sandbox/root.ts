import * as path from "path";

/** Where every sandbox of this checkout keeps its state: `.sandbox/` at the repository root. */
export const SANDBOX_ROOT = path.resolve(__dirname, "..", ".sandbox");
