/**
 * Which recurrent layer a PyTorch parameter name belongs to:
 * `rnn.weight_hh_l3` (vanilla stack) and `rnn_layers.3.weight_hh_l0` (residual) are layer 3;
 * `fc.weight` belongs to no recurrent layer.
 */

/** The layer index of a recurrent parameter, or null for the head. */
export function layerOfParameter(name: string): number | null {
  const residual = /^rnn_layers\.(\d+)\./.exec(name);
  if (residual !== null) return Number(residual[1]);
  const vanilla = /^rnn\.(?:weight|bias)_(?:ih|hh)_l(\d+)$/.exec(name);
  return vanilla !== null ? Number(vanilla[1]) : null;
}

/** The `weight_hh` (recurrent) or `weight_ih` (input) name of every layer, bottom first. */
function weightNamesPerLayer(parameterNames: readonly string[], kind: 'weight_hh' | 'weight_ih'): string[] {
  const byLayer: string[] = [];
  for (const name of parameterNames) {
    const layer = layerOfParameter(name);
    if (layer !== null && name.includes(kind)) byLayer[layer] = name;
  }
  return byLayer.filter((name) => name !== undefined);
}

/** The recurrent weight (weight_hh) name of every layer, bottom first. */
export function recurrentWeightNames(parameterNames: readonly string[]): string[] {
  return weightNamesPerLayer(parameterNames, 'weight_hh');
}

/** The input weight (weight_ih) name of every layer, bottom first. */
export function inputWeightNames(parameterNames: readonly string[]): string[] {
  return weightNamesPerLayer(parameterNames, 'weight_ih');
}

/**
 * The per-layer weights depth is judged on: the recurrent weights, or — with one time step, where
 * W_hh gets no gradient by construction — the input weights of layers 1 and up (layer 0's has
 * the input's shape, not comparable).
 */
export function depthWeightNames(parameterNames: readonly string[], steps: number): string[] {
  return steps >= 2 ? recurrentWeightNames(parameterNames) : inputWeightNames(parameterNames).slice(1);
}
