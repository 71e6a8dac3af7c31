// Copy the browser libraries from node_modules (npm ci, exact versions in package-lock.json) into static/vendor/.
// `node scripts/vendor.mjs --check` copies nothing and fails when a committed file differs from its package's.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// The source map is not shipped, and Django's manifest storage refuses a reference to a missing file.
const withoutSourceMap = (text) => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");

const FILES = [
  { from: "chart.js/dist/chart.umd.min.js", to: "chartjs/chart.umd.min.js", edit: withoutSourceMap },
  { from: "chart.js/LICENSE.md", to: "chartjs/LICENSE.md" },
  { from: "@alpinejs/csp/dist/module.esm.min.js", to: "alpinejs/alpine-csp.esm.min.js" },
  {
    from: "lightweight-charts/dist/lightweight-charts.standalone.production.mjs",
    to: "lightweight-charts/lightweight-charts.standalone.production.mjs",
  },
  { from: "lightweight-charts/LICENSE", to: "lightweight-charts/LICENSE" },
];

const check = process.argv.includes("--check");
const stale = [];
for (const { from, to, edit = (text) => text } of FILES) {
  const expected = edit(readFileSync(join(root, "node_modules", from), "utf8"));
  const target = join(root, "static", "vendor", to);
  if (!check) {
    writeFileSync(target, expected);
    continue;
  }
  let committed = null;
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // missing: reported below
  }
  if (committed !== expected) stale.push(`static/vendor/${to} (from node_modules/${from})`);
}
if (stale.length > 0) {
  console.error(`Vendored files differ from the pinned packages; run \`npm run vendor\`:\n  ${stale.join("\n  ")}`);
  process.exit(1);
}
console.log(check ? "static/vendor matches package-lock.json" : "static/vendor updated from node_modules");
