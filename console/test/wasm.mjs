// Loads the WASM packages from dist/ in Node (wasm-bindgen `--target web`
// output, the same files the page serves, instantiated with initSync).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const consoleDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = join(consoleDir, "..");
export const dist = join(consoleDir, "dist");

async function loadPkg(dir) {
  const mod = await import(join(dist, dir, "policy_wasm.js"));
  mod.initSync({ module: readFileSync(join(dist, dir, "policy_wasm_bg.wasm")) });
  return mod;
}

/** The full build (check, compile, explanations). */
export const full = await loadPkg("pkg");
/** The eval-only build (load artifact bytes, decide). */
export const evalOnly = await loadPkg("pkg-eval");
