//! libsvm's SMO solver specialised to the one-class problem
//!
//! ```text
//! min_α ½ αᵀQα   subject to   0 <= α_i <= 1,   Σ α_i = ν l
//! ```
//!
//! (all labels +1, linear term 0, every upper bound 1: scikit-learn passes
//! unit sample weights). It is a line-by-line port of libsvm 3.x's
//! `Solver::Solve` as scikit-learn 1.9 ships it, so that it takes the same
//! steps as scikit-learn's `OneClassSVM`:
//!
//! * **Start** (`solve_one_class`): `ν l` is accumulated as `Σ_i ν` and
//!   poured into the first variables: α = 1 while it lasts, then the
//!   fractional remainder, then zeros.
//! * **Working set** (WSS3, Fan, Chen & Lin 2005): `i` maximises `−G_i` over
//!   variables below their upper bound; `j` minimises the second-order
//!   decrease `−(G_max + G_j)² / (Q_ii + Q_jj − 2 Q_ij)` over variables above
//!   zero with `G_max + G_j > 0` (a non-positive curvature is replaced by
//!   τ = 1e-12). Ties go to the later position (`>=` / `<=`, as libsvm).
//! * **Stop** when `G_max + max_{α_j > 0} G_j < tol`, checked again on the
//!   whole problem (gradient reconstructed) before stopping, or after
//!   `max_iter` iterations.
//! * **Shrinking** every `min(l, 1000)` iterations: bounded variables whose
//!   gradient says they will stay bounded leave the active set (swapped to
//!   the end); once the violation falls below `10 · tol` the whole problem is
//!   restored once. `G_bar` keeps the gradient contribution of variables at
//!   the upper bound so the inactive part can be rebuilt.
//! * **ρ** (`calculate_rho`): the mean gradient over free variables, or the
//!   midpoint of the bound-derived interval when none is free.
//!
//! Kernel values come from [`super::kernel::OneClassQ`] in single precision,
//! as libsvm's `Qfloat`; the gradient and α are double precision.

use super::kernel::OneClassQ;

/// libsvm's τ: the curvature used when `Q_ii + Q_jj − 2 Q_ij <= 0`.
const TAU: f64 = 1e-12;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Lower,
    Upper,
    Free,
}

/// What the solver returns.
pub(super) struct Solution {
    /// α in the original row order.
    pub alpha: Vec<f64>,
    pub rho: f64,
    /// Iterations taken.
    pub iterations: u64,
    /// Whether `max_iter` stopped the solver before convergence.
    pub hit_max_iter: bool,
}

struct Solver<'q> {
    q: &'q mut OneClassQ,
    l: usize,
    active_size: usize,
    g: Vec<f64>,
    g_bar: Vec<f64>,
    alpha: Vec<f64>,
    status: Vec<Status>,
    active_set: Vec<usize>,
    eps: f64,
    unshrink: bool,
}

/// The one upper bound (libsvm's `C_i`, a unit sample weight).
const C: f64 = 1.0;

fn status_of(a: f64) -> Status {
    if a >= C {
        Status::Upper
    } else if a <= 0.0 {
        Status::Lower
    } else {
        Status::Free
    }
}

crate::exp_fixed::widest_simd!(add_scaled, add_scaled_avx512, add_scaled_avx2, add_scaled_body,
    (g: &mut [f64], a: f64, q: &[f32]) -> ());
crate::exp_fixed::widest_simd!(sub_scaled, sub_scaled_avx512, sub_scaled_avx2, sub_scaled_body,
    (g: &mut [f64], a: f64, q: &[f32]) -> ());
crate::exp_fixed::widest_simd!(add_two_scaled, add_two_scaled_avx512, add_two_scaled_avx2,
    add_two_scaled_body, (g: &mut [f64], a: f64, qa: &[f32], b: f64, qb: &[f32]) -> ());

/// `g[k] += a · q[k]` (q widened to f64): libsvm's gradient updates,
/// vectorised (each element is one independent update, so every SIMD build
/// gives the same bits).
#[inline(always)]
fn add_scaled_body(g: &mut [f64], a: f64, q: &[f32]) {
    for (gk, &qk) in g.iter_mut().zip(q) {
        *gk += a * f64::from(qk);
    }
}

/// `g[k] -= a · q[k]` (see [`add_scaled_body`]).
#[inline(always)]
fn sub_scaled_body(g: &mut [f64], a: f64, q: &[f32]) {
    for (gk, &qk) in g.iter_mut().zip(q) {
        *gk -= a * f64::from(qk);
    }
}

/// `g[k] += qa[k] · a + qb[k] · b`, libsvm's order (see [`add_scaled_body`]).
#[inline(always)]
fn add_two_scaled_body(g: &mut [f64], a: f64, qa: &[f32], b: f64, qb: &[f32]) {
    for ((gk, &x), &y) in g.iter_mut().zip(qa).zip(qb) {
        *gk += f64::from(x) * a + f64::from(y) * b;
    }
}

/// libsvm's initial point for the one-class problem.
pub(super) fn initial_alpha(l: usize, nu: f64) -> Vec<f64> {
    let mut nu_l = 0.0f64;
    for _ in 0..l {
        nu_l += C * nu;
    }
    let mut alpha = vec![0.0; l];
    let mut i = 0;
    while nu_l > 0.0 && i < l {
        alpha[i] = if C < nu_l { C } else { nu_l };
        nu_l -= alpha[i];
        i += 1;
    }
    alpha
}

/// Solve the one-class dual for the kernel `q` (l × l) with parameter `nu`.
pub(super) fn solve(
    q: &mut OneClassQ,
    l: usize,
    nu: f64,
    eps: f64,
    shrinking: bool,
    max_iter: Option<u64>,
) -> Solution {
    let alpha = initial_alpha(l, nu);
    let status: Vec<Status> = alpha.iter().map(|&a| status_of(a)).collect();
    let mut s = Solver {
        q,
        l,
        active_size: l,
        g: vec![0.0; l],
        g_bar: vec![0.0; l],
        alpha,
        status,
        active_set: (0..l).collect(),
        eps,
        unshrink: false,
    };
    s.init_gradient();
    let (iterations, hit_max_iter) = s.iterate(shrinking, max_iter);
    let rho = s.calculate_rho();
    let mut alpha = vec![0.0; l];
    for (pos, &orig) in s.active_set.iter().enumerate() {
        alpha[orig] = s.alpha[pos];
    }
    Solution {
        alpha,
        rho,
        iterations,
        hit_max_iter,
    }
}

impl Solver<'_> {
    fn is_upper(&self, i: usize) -> bool {
        self.status[i] == Status::Upper
    }
    fn is_lower(&self, i: usize) -> bool {
        self.status[i] == Status::Lower
    }
    fn is_free(&self, i: usize) -> bool {
        self.status[i] == Status::Free
    }

    /// libsvm's initial gradient `G = Q α` and `G_bar = Σ_{α_i = C} C Q_i`,
    /// accumulated in the same order (column by column) from full columns
    /// computed by blocks.
    fn init_gradient(&mut self) {
        let l = self.l;
        // G = p = 0, G_bar = 0.
        let rows: Vec<usize> = (0..l).filter(|&i| !self.is_lower(i)).collect();
        let Solver {
            q,
            g,
            g_bar,
            alpha,
            status,
            ..
        } = self;
        q.for_each_full_row(&rows, |i, qi| {
            add_scaled(g, alpha[i], qi);
            if status[i] == Status::Upper {
                add_scaled(g_bar, C, qi);
            }
        });
    }

    /// The main loop; returns (iterations, stopped by max_iter).
    fn iterate(&mut self, shrinking: bool, max_iter: Option<u64>) -> (u64, bool) {
        let l = self.l;
        let mut iter: u64 = 0;
        let mut counter = l.min(1000) + 1;
        loop {
            if max_iter.is_some_and(|m| iter >= m) {
                return (iter, true);
            }
            counter -= 1;
            if counter == 0 {
                counter = l.min(1000);
                if shrinking {
                    self.do_shrinking();
                }
            }
            let (i, j) = match self.select_working_set() {
                Some(pair) => pair,
                None => {
                    self.reconstruct_gradient();
                    self.active_size = l;
                    match self.select_working_set() {
                        Some(pair) => {
                            counter = 1;
                            pair
                        }
                        None => return (iter, false),
                    }
                }
            };
            iter += 1;
            self.step(i, j);
        }
    }

    /// One SMO update of α_i, α_j (equal labels: their sum is kept).
    fn step(&mut self, i: usize, j: usize) {
        let active = self.active_size;
        let l = self.l;
        self.q.ensure(i, active);
        self.q.ensure(j, active);
        let (qd_i, qd_j) = (self.q.qd(i), self.q.qd(j));
        let old_i = self.alpha[i];
        let old_j = self.alpha[j];
        {
            let qij = self.q.row(i)[j];
            let mut quad_coef = qd_i + qd_j - 2.0 * qij as f64;
            if quad_coef <= 0.0 {
                quad_coef = TAU;
            }
            let delta = (self.g[i] - self.g[j]) / quad_coef;
            let sum = self.alpha[i] + self.alpha[j];
            let a = &mut self.alpha;
            a[i] -= delta;
            a[j] += delta;
            if sum > C {
                if a[i] > C {
                    a[i] = C;
                    a[j] = sum - C;
                }
            } else if a[j] < 0.0 {
                a[j] = 0.0;
                a[i] = sum;
            }
            if sum > C {
                if a[j] > C {
                    a[j] = C;
                    a[i] = sum - C;
                }
            } else if a[i] < 0.0 {
                a[i] = 0.0;
                a[j] = sum;
            }
        }
        let d_i = self.alpha[i] - old_i;
        let d_j = self.alpha[j] - old_j;
        add_two_scaled(
            &mut self.g[..active],
            d_i,
            &self.q.row(i)[..active],
            d_j,
            &self.q.row(j)[..active],
        );
        let ui = self.is_upper(i);
        let uj = self.is_upper(j);
        self.status[i] = status_of(self.alpha[i]);
        self.status[j] = status_of(self.alpha[j]);
        for (k, was_upper) in [(i, ui), (j, uj)] {
            if was_upper != self.is_upper(k) {
                self.q.ensure(k, l);
                let qk = &self.q.row(k)[..l];
                if was_upper {
                    sub_scaled(&mut self.g_bar, C, qk);
                } else {
                    add_scaled(&mut self.g_bar, C, qk);
                }
            }
        }
    }

    /// WSS3; `None` when optimal within `eps` on the active set.
    fn select_working_set(&mut self) -> Option<(usize, usize)> {
        let active = self.active_size;
        let mut gmax = f64::NEG_INFINITY;
        let mut gmax2 = f64::NEG_INFINITY;
        let mut gmax_idx = None;
        let mut gmin_idx = None;
        let mut obj_diff_min = f64::INFINITY;
        for t in 0..active {
            if !self.is_upper(t) && -self.g[t] >= gmax {
                gmax = -self.g[t];
                gmax_idx = Some(t);
            }
        }
        if let Some(i) = gmax_idx {
            self.q.ensure(i, active);
            let qi = self.q.row(i);
            let qd_i = self.q.qd(i);
            for (j, &qij) in qi[..active].iter().enumerate() {
                if self.status[j] != Status::Lower {
                    let gj = self.g[j];
                    let grad_diff = gmax + gj;
                    if gj >= gmax2 {
                        gmax2 = gj;
                    }
                    if grad_diff > 0.0 {
                        let quad_coef = qd_i + self.q.qd(j) - 2.0 * qij as f64;
                        let obj_diff = if quad_coef > 0.0 {
                            -(grad_diff * grad_diff) / quad_coef
                        } else {
                            -(grad_diff * grad_diff) / TAU
                        };
                        if obj_diff <= obj_diff_min {
                            gmin_idx = Some(j);
                            obj_diff_min = obj_diff;
                        }
                    }
                }
            }
        }
        // Without an i, libsvm's grad_diff is -inf for every j: optimal.
        match (gmax_idx, gmin_idx) {
            (Some(i), Some(j)) if gmax + gmax2 >= self.eps => Some((i, j)),
            _ => None,
        }
    }

    fn be_shrunk(&self, i: usize, gmax1: f64, gmax2: f64) -> bool {
        match self.status[i] {
            Status::Upper => -self.g[i] > gmax1,
            Status::Lower => self.g[i] > gmax2,
            Status::Free => false,
        }
    }

    fn do_shrinking(&mut self) {
        let mut gmax1 = f64::NEG_INFINITY;
        let mut gmax2 = f64::NEG_INFINITY;
        for i in 0..self.active_size {
            if !self.is_upper(i) && -self.g[i] >= gmax1 {
                gmax1 = -self.g[i];
            }
            if !self.is_lower(i) && self.g[i] >= gmax2 {
                gmax2 = self.g[i];
            }
        }
        if !self.unshrink && gmax1 + gmax2 <= self.eps * 10.0 {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active_size = self.l;
        }
        let mut i = 0;
        while i < self.active_size {
            if self.be_shrunk(i, gmax1, gmax2) {
                self.active_size -= 1;
                while self.active_size > i {
                    if !self.be_shrunk(self.active_size, gmax1, gmax2) {
                        self.swap_index(i, self.active_size);
                        break;
                    }
                    self.active_size -= 1;
                }
            }
            i += 1;
        }
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.q.swap_index(i, j);
        self.g.swap(i, j);
        self.status.swap(i, j);
        self.alpha.swap(i, j);
        self.active_set.swap(i, j);
        self.g_bar.swap(i, j);
    }

    /// Rebuild the gradient of the inactive variables from `G_bar` and the
    /// free variables.
    fn reconstruct_gradient(&mut self) {
        let (active, l) = (self.active_size, self.l);
        if active == l {
            return;
        }
        for j in active..l {
            self.g[j] = self.g_bar[j] + 0.0;
        }
        let nr_free = (0..active).filter(|&j| self.is_free(j)).count();
        if (nr_free as u128) * (l as u128) > 2 * (active as u128) * ((l - active) as u128) {
            for i in active..l {
                self.q.ensure(i, active);
                let qi = self.q.row(i);
                let mut gi = self.g[i];
                for ((&st, &a), &qij) in self.status[..active]
                    .iter()
                    .zip(&self.alpha[..active])
                    .zip(&qi[..active])
                {
                    if st == Status::Free {
                        gi += a * qij as f64;
                    }
                }
                self.g[i] = gi;
            }
        } else {
            for i in 0..active {
                if self.is_free(i) {
                    self.q.ensure(i, l);
                    let qi = &self.q.row(i)[..l];
                    let alpha_i = self.alpha[i];
                    for (gj, &qij) in self.g[active..l].iter_mut().zip(&qi[active..l]) {
                        *gj += alpha_i * qij as f64;
                    }
                }
            }
        }
    }

    fn calculate_rho(&self) -> f64 {
        let mut nr_free = 0usize;
        let (mut ub, mut lb, mut sum_free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for i in 0..self.active_size {
            let yg = self.g[i];
            match self.status[i] {
                Status::Upper => lb = if lb > yg { lb } else { yg },
                Status::Lower => ub = if ub < yg { ub } else { yg },
                Status::Free => {
                    nr_free += 1;
                    sum_free += yg;
                }
            }
        }
        if nr_free > 0 {
            sum_free / nr_free as f64
        } else {
            (ub + lb) / 2.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_alpha_pours_nu_l_like_libsvm() {
        assert_eq!(initial_alpha(4, 0.5), vec![1.0, 1.0, 0.0, 0.0]);
        let a = initial_alpha(5, 0.5);
        assert_eq!(&a[..2], &[1.0, 1.0]);
        assert!((a[2] - 0.5).abs() < 1e-15 && a[3] == 0.0 && a[4] == 0.0);
        assert_eq!(initial_alpha(3, 1.0), vec![1.0, 1.0, 1.0]);
        let a = initial_alpha(10, 0.01);
        assert!((a[0] - 0.1).abs() < 1e-15 && a[1..].iter().all(|&v| v == 0.0));
    }
}
