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

/** The keys by their prefix, in the order a GAN is read: losses, D, augmentation, quality, speed; the rest last. */
export function metricGroups(keys: string[]): { title: string; keys: string[] }[] {
  const known = new Set(groupOrder.map(([p]) => p));
  const order = (k: string) => Object.keys(titles).indexOf(k) === -1 ? 1e9 : Object.keys(titles).indexOf(k);
  const sortKeys = (ks: string[]) => ks.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const groups = groupOrder
    .map(([prefix, title]) => ({ title, keys: sortKeys(keys.filter((k) => k.split('/')[0] === prefix && k.includes('/'))) }))
    .filter((g) => g.keys.length > 0);
  const rest = sortKeys(keys.filter((k) => !k.includes('/') || !known.has(k.split('/')[0])));
  if (rest.length > 0) groups.push({ title: 'Other', keys: rest });
  return groups;
}
