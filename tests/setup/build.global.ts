import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

/** End-to-end tests run what `npm start` runs (dist/); build it once per run, before any test file starts. */
export async function setup(): Promise<void> {
  const root = resolve(import.meta.dirname, "../..");
  try {
    await promisify(execFile)(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { cwd: root, timeout: 120_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`The build failed:\n${stdout}${stderr}`);
  }
}
