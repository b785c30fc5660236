// What one core of this CPU can do at most, for the benchmark's roofline: its clock and the
// floating-point throughput of this build variant's vectors.
#pragma once

namespace vanishing {

/** The core's clock in Hz, from a chain of dependent integer operations of known latency (roofline.cc); 0 where it cannot be measured. */
double measureClockHz();

/**
 * The float32 FLOP/s of fused multiply-adds at this variant's vector width on one thread: many
 * independent accumulators, so the FMA units, not the latency, are the limit (2 FLOP per lane).
 */
double measurePeakFlops();

/** The vector width of this variant in float lanes. */
int vectorLanes();

}  // namespace vanishing
