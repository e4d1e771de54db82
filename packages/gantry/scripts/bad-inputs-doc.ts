// Prints docs/bad-inputs.md: every bad-input case of the CLI tests, run for real, with the
// line Gantry printed and its exit code.
//   node packages/gantry/dist/scripts/bad-inputs-doc.js > docs/bad-inputs.md
import { join } from 'node:path';
import { badInputCases, makeBadInputWorkspace, runGantry } from '../test/badInputCases.js';

const w = await makeBadInputWorkspace();
const rows: string[] = [];
for (const c of badInputCases) {
  const args = c.args(w).map((a) => a.split(w.dir).join('$W'));
  const r = runGantry(c.args(w), join(w.dir, 'cache'));
  const line = r.stderr.trim().split('\n').filter((l) => !l.startsWith('gantry: warning')).join(' / ').split(w.dir).join('$W');
  rows.push(`| ${c.name} | \`gantry ${args.join(' ').replace(/\|/g, '\\|')}\` | ${r.code} | ${line.replace(/\|/g, '\\|')} |`);
}
console.log(`# Bad input: what Gantry says

Each row is a case from the CLI tests (\`packages/gantry/test/badInputCases.ts\`), run for real;
the tests assert the exit code and that stderr holds exactly this one line. \`$W\` is the test's
temporary folder, holding a tiny 8x8 dataset, its config and a finished 5-step run.
Regenerate with \`npm run build:ts && node packages/gantry/dist/scripts/bad-inputs-doc.js > docs/bad-inputs.md\`.

Other refusals covered by tests elsewhere: a second training on a run directory in use
(exit 2, "in use by training process PID"), a checkpoint write that fails (the previous
checkpoint stays intact), and every data source's malformed files (\`data-*.test.ts\`).

| case | command | exit | message |
|---|---|---|---|
${rows.join('\n')}`);
