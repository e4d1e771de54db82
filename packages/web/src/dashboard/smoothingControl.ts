import { h } from './dom.js';

/** A slider for the smoothing weight (0 to 0.99) with its value beside it. */
export function smoothingControl(initial: number, onChange: (weight: number) => void): HTMLElement {
  const value = h('output', {}, initial.toFixed(2));
  const input = h('input', {
    type: 'range',
    min: 0,
    max: 0.99,
    step: 0.01,
    value: initial,
    'aria-label': 'smoothing',
    oninput: (e) => {
      const v = Number((e.target as HTMLInputElement).value);
      value.textContent = v.toFixed(2);
      onChange(v);
    },
  });
  return h('label', { class: 'smoothing', title: 'exponential moving average; the raw values stay visible, faint' }, 'Smoothing', input, value);
}
