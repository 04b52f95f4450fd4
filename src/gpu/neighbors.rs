//! The GPU half of the exact neighbour search: `kernels/sqdist_topk.cu`
//! selects each query row's candidates; the CPU re-measures them
//! (`detectors::neighbors::candidates`).
