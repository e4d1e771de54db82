/** Readable names for the keys the trainer logs; unknown keys show as they are. */
const titles: Record<string, string> = {
  'loss/D': 'D loss',
  'loss/G': 'G loss',
  'loss/penalty': 'Gradient penalty',
  'D/real': 'D(x): mean D on real images',
  'D/fake': 'D(G(z)): mean D on fakes',
  'D/acc_real': 'D accuracy on real',
  'D/acc_fake': 'D accuracy on fakes',
  'augment/p': 'Augmentation probability p',
  'eval/fid': 'FID',
  'eval/kid': 'KID',
  'eval/kid_std': 'KID std',
  'eval/is': 'Inception score',
  'eval/precision': 'Precision',
  'eval/recall': 'Recall',
  'eval/classes': 'Classes covered',
  'eval/class_kl': 'Class KL',
  'eval/class_accuracy': 'Class accuracy',
  'eval/n': 'Evaluation samples',
  'perf/images_per_s': 'Images per second',
  'perf/ms_per_step': 'ms per step',
  'perf/rss_mb': 'Memory (RSS, MB)',
  'perf/tensors': 'Live tensors',
  'time/elapsed_s': 'Elapsed seconds',
  epoch: 'Epoch',
};

export const metricTitle = (key: string) => titles[key] ?? key;

const groupOrder: [string, string][] = [
  ['loss', 'Losses'],
  ['D', 'Discriminator'],
  ['augment', 'Augmentation'],
  ['eval', 'Quality'],
  ['perf', 'Speed and memory'],
];

/** Metrics read against each other, drawn in one chart: D on real and on fake images. */
const pairs: { keys: [string, string]; title: string; labels: [string, string] }[] = [
  { keys: ['D/real', 'D/fake'], title: 'D(x) and D(G(z))', labels: ['D(x)', 'D(G(z))'] },
  { keys: ['D/acc_real', 'D/acc_fake'], title: 'D accuracy, real and fake', labels: ['real', 'fake'] },
];

/** One chart: its metrics (one, or a pair) with their legend labels. */
export interface ChartSpec {
  id: string;
  title: string;
  keys: string[];
  labels: string[];
}

/**
 * The charts of a run, by group, in the order a GAN is read: losses, D, augmentation, quality,
 * speed; the rest last. Every metric is in exactly one chart.
 */
export function metricGroups(keys: string[]): { title: string; charts: ChartSpec[] }[] {
  const known = new Set(groupOrder.map(([p]) => p));
  const titleOrder = Object.keys(titles);
  const order = (k: string) => (titleOrder.indexOf(k) === -1 ? 1e9 : titleOrder.indexOf(k));
  const chartsOf = (ks: string[]): ChartSpec[] => {
    const sorted = ks.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    const out: ChartSpec[] = [];
    const used = new Set<string>();
    for (const k of sorted) {
      if (used.has(k)) continue;
      const pair = pairs.find((p) => p.keys[0] === k && sorted.includes(p.keys[1]));
      if (pair) {
        pair.keys.forEach((pk) => used.add(pk));
        out.push({ id: pair.keys.join('+'), title: pair.title, keys: [...pair.keys], labels: [...pair.labels] });
      } else {
        used.add(k);
        out.push({ id: k, title: metricTitle(k), keys: [k], labels: [metricTitle(k)] });
      }
    }
    return out;
  };
  const groups = groupOrder
    .map(([prefix, title]) => ({ title, charts: chartsOf(keys.filter((k) => k.split('/')[0] === prefix && k.includes('/'))) }))
    .filter((g) => g.charts.length > 0);
  const rest = chartsOf(keys.filter((k) => !k.includes('/') || !known.has(k.split('/')[0])));
  if (rest.length > 0) groups.push({ title: 'Other', charts: rest });
  return groups;
}
