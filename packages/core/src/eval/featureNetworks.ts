/**
 * The data whose feature network (the classifier behind FID, KID, recall, coverage and class
 * accuracy) ships with Gantry. The Node package holds the weights; config validation only needs
 * the names, so a run that asks for evaluation on other data is refused before it starts.
 */
export const FEATURE_NETWORK_DATA: readonly string[] = ['mnist', 'fashion-mnist', 'emoji'];

export function shipsFeatureNetwork(data: string): boolean {
  return FEATURE_NETWORK_DATA.includes(data);
}
