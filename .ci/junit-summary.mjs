// Print CI's closing line "N passed, M failed[, K skipped]" from bun test's JUnit report.
import { readFileSync } from "node:fs";

const xml = readFileSync(process.argv[2] ?? "test-results/junit.xml", "utf8");
const root = /<testsuites\b[^>]*>/.exec(xml)?.[0];
if (!root) {
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? 0);
const tests = attr("tests");
const failed = attr("failures") + attr("errors");
const skipped = attr("skipped");
console.log(`${tests - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
