// Prints docs/environment.md: every GANTRY_* environment variable from the table in
// packages/tfjs-backend-onednn/src/environment.ts. A test fails when the file is out of date.
//   node packages/gantry/dist/scripts/environment-doc.js > docs/environment.md
import { pathToFileURL } from 'node:url';
import { SETTINGS, SETTING_NAMES, type SettingStage } from 'tfjs-backend-onednn/environment';

const sections: { stage: SettingStage; title: string; intro: string }[] = [
  { stage: 'run', title: 'While Gantry runs', intro: 'Read by Gantry and its native backend. Every `gantry` command checks them before it starts: a value a setting does not take is exit code 2 with one line that names the variable and what it takes (the backend used alone refuses to load with the same sentence).' },
  { stage: 'child', title: 'Set by Gantry for its own processes', intro: 'Gantry sets these for the processes it starts; they are checked on start like the others.' },
  { stage: 'install', title: 'While npm installs the backend', intro: "Read by tfjs-backend-onednn's install step (`scripts/install.mjs`), which runs before anything is compiled." },
  { stage: 'build', title: 'While building and testing on other systems', intro: 'Read by build scripts.' },
  { stage: 'test', title: 'Inside the tests', intro: 'Set and read by the tests themselves.' },
];

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function environmentDoc(): string {
  const parts = [`# Environment variables

Every setting Gantry takes from the environment, generated from the table in
\`packages/tfjs-backend-onednn/src/environment.ts\` (TypeScript reads them through that module,
the native addon through \`native/environment.h\`; a test fails on a \`GANTRY_*\` name in the
sources that is not in the table). An empty variable counts as unset.
Regenerate with \`npm run build:ts && node packages/gantry/dist/scripts/environment-doc.js > docs/environment.md\`.
`];
  for (const { stage, title, intro } of sections) {
    const names = SETTING_NAMES.filter((n) => SETTINGS[n].stage === stage);
    if (names.length === 0) continue;
    parts.push(`## ${title}\n\n${intro}\n\n| variable | takes | default | what it does | read by |\n|---|---|---|---|---|`);
    for (const name of names) {
      const s = SETTINGS[name];
      parts.push(`| \`${name}\` | ${cell(s.type)} | ${cell(s.default)} | ${cell(s.does)} | ${s.readBy.map((f) => `\`${f}\``).join(', ')} |`);
    }
    parts[parts.length - 1] += '\n';
  }
  return parts.join('\n').trimEnd();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(environmentDoc());
