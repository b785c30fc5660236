// The optimiser steps of the Kernels interface (sgdStep, adamStep; src/kernels/kernels.ts), float32
// parameters and state on raw pointers (the binding has checked the lengths).
//
// Each element is updated in double precision with the reference's operations in the reference's
// order (src/kernels/ts-kernels.ts, whose JavaScript numbers are doubles), every stored value
// rounded to float32 and read back rounded, so the new weights and optimiser state are
// bit-identical to the reference's. Only the three sums are added in another order (lanes).
#pragma once

namespace vanishing {

/** torch.optim.SGD's hyper-parameters for one step; `first`: the first step, which starts the momentum buffer at the gradient. */
struct SgdStep {
  double learningRate, momentum, dampening, weightDecay;
  bool nesterov, first;
};

/** torch.optim.Adam's quantities for one step: stepSize = lr / (1 − β1^t), biasCorrection2Root = √(1 − β2^t). */
struct AdamStep {
  double stepSize, beta1, beta2, epsilon, weightDecay, biasCorrection2Root;
};

/** Σ (θ_after − θ_before)², Σ θ_before², Σ θ_after² over the elements, in double. */
struct UpdateSums {
  double moved, before, after;
};

/** One SGD step over n elements; `momentum` is null when the momentum factor is 0. */
UpdateSums sgdStep(long n, float* data, const float* grad, float* momentum, const SgdStep& step);

/** One Adam step over n elements. */
UpdateSums adamStep(long n, float* data, const float* grad, float* firstMoment, float* secondMoment, const AdamStep& step);

}  // namespace vanishing
