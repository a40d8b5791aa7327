// Fused training-path kernels: LayerNorm, GELU, sparse softmax-cross-entropy and AdamW, each
// forward and backward (the whole-sequence LSTM is in lstm.cc). One pass over memory where tfjs would run a
// chain of elementwise kernels, one N-API call where tfjs would dispatch dozens of ops.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "fused.h"
#include "fastmath.h"

namespace llmk {

// One row of LayerNorm (float sums in vector lanes: at these widths as accurate as tfjs's own).
LLMK_CLONES static void layer_norm_row(const float* xr, const float* gamma, const float* beta, float* yr, float* mean, float* rstd,
                                       long cols, float eps) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < cols; j++) s += xr[j];
  const float mu = s / static_cast<float>(cols);
  float q = 0.f;
#pragma omp simd reduction(+ : q)
  for (long j = 0; j < cols; j++) q += (xr[j] - mu) * (xr[j] - mu);
  const float rs = 1.f / std::sqrt(q / static_cast<float>(cols) + eps);
  *mean = mu;
  *rstd = rs;
  if (beta) {
#pragma omp simd
    for (long j = 0; j < cols; j++) yr[j] = (xr[j] - mu) * rs * gamma[j] + beta[j];
  } else {
#pragma omp simd
    for (long j = 0; j < cols; j++) yr[j] = (xr[j] - mu) * rs * gamma[j];
  }
}

void layer_norm_fwd(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                    long rows, long cols, float eps) {
  parallel_chunks(rows, cols * 6.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) layer_norm_row(x + r * cols, gamma, beta, y + r * cols, mean + r, rstd + r, cols, eps);
  });
}

// dx of one row; adds the row's dγ and dβ terms into pg, pb.
LLMK_CLONES static void layer_norm_grad_row(const float* dyr, const float* xr, const float* gamma, float mu, float rs, float* dxr,
                                            float* pg, float* pb, long cols) {
  float sg = 0.f, sgx = 0.f;
#pragma omp simd reduction(+ : sg, sgx)
  for (long j = 0; j < cols; j++) {
    const float xh = (xr[j] - mu) * rs;
    const float g = dyr[j] * gamma[j];
    sg += g;
    sgx += g * xh;
    pg[j] += dyr[j] * xh;
    pb[j] += dyr[j];
  }
  const float mg = sg / static_cast<float>(cols), mgx = sgx / static_cast<float>(cols);
#pragma omp simd
  for (long j = 0; j < cols; j++) {
    const float xh = (xr[j] - mu) * rs;
    dxr[j] = rs * (dyr[j] * gamma[j] - mg - xh * mgx);
  }
}

void layer_norm_bwd(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, float* dx,
                    float* dgamma, float* dbeta, long rows, long cols) {
  // Rows split into a fixed number of blocks; each block keeps its own dγ/dβ partial sums.
  const long blocks = std::min<long>(rows, 8);
  std::vector<float> part(static_cast<size_t>(blocks) * 2 * cols, 0.f);
  parallel_chunks(blocks, static_cast<double>(rows) / blocks * cols * 10.0, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) {
      float* pg = part.data() + b * 2 * cols;
      float* pb = pg + cols;
      for (long r = rows * b / blocks; r < rows * (b + 1) / blocks; r++)
        layer_norm_grad_row(dy + r * cols, x + r * cols, gamma, mean[r], rstd[r], dx + r * cols, pg, pb, cols);
    }
  });
  for (long j = 0; j < cols; j++) {
    float g = 0.f, b = 0.f;
    for (long k = 0; k < blocks; k++) {
      g += part[k * 2 * cols + j];
      b += part[k * 2 * cols + cols + j];
    }
    dgamma[j] = g;
    if (dbeta) dbeta[j] = b;
  }
}

static constexpr float kSqrt2OverPi = 0.7978845608028654f;
static constexpr float kGeluC = 0.044715f;
static constexpr float kInvSqrt2 = 0.7071067811865476f;
static constexpr float kInvSqrt2Pi = 0.3989422804014327f;

LLMK_CLONES static void gelu_tanh_fwd(const float* x, float* y, long i0, long i1) {
  for (long i = i0; i < i1; i++) {
    const float v = x[i];
    const float t = ftanh(kSqrt2OverPi * (v + kGeluC * v * v * v));
    y[i] = 0.5f * v * (1.f + t);
  }
}

LLMK_CLONES static void gelu_tanh_bwd(const float* x, const float* dy, float* dx, long i0, long i1) {
  for (long i = i0; i < i1; i++) {
    const float v = x[i];
    const float t = ftanh(kSqrt2OverPi * (v + kGeluC * v * v * v));
    const float d = 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kGeluC * v * v);
    dx[i] = dy[i] * d;
  }
}

LLMK_CLONES static void gelu_erf_fwd(const float* x, float* y, long i0, long i1) {
  for (long i = i0; i < i1; i++) y[i] = 0.5f * x[i] * (1.f + ferf(x[i] * kInvSqrt2));
}

LLMK_CLONES static void gelu_erf_bwd(const float* x, const float* dy, float* dx, long i0, long i1) {
  for (long i = i0; i < i1; i++) {
    const float v = x[i];
    dx[i] = dy[i] * (0.5f * (1.f + ferf(v * kInvSqrt2)) + v * kInvSqrt2Pi * fexp(-0.5f * v * v));
  }
}

void gelu_fwd(const float* x, float* y, long n, bool approximate) {
  parallel_chunks(n, 20.0, [&](long i0, long i1) {
    if (approximate) {
      gelu_tanh_fwd(x, y, i0, i1);
    } else {
      gelu_erf_fwd(x, y, i0, i1);
    }
  });
}

void gelu_bwd(const float* x, const float* dy, float* dx, long n, bool approximate) {
  parallel_chunks(n, 24.0, [&](long i0, long i1) {
    if (approximate) {
      gelu_tanh_bwd(x, dy, dx, i0, i1);
    } else {
      gelu_erf_bwd(x, dy, dx, i0, i1);
    }
  });
}

// max, Σx and Σ exp(x − max) of one row.
LLMK_CLONES static void row_stats(const float* x, long n, float* mx_out, float* sum_out, float* sumexp_out) {
  float mx = -INFINITY, sx = 0.f;
#pragma omp simd reduction(max : mx) reduction(+ : sx)
  for (long j = 0; j < n; j++) {
    mx = x[j] > mx ? x[j] : mx;
    sx += x[j];
  }
  float se = 0.f;
#pragma omp simd reduction(+ : se)
  for (long j = 0; j < n; j++) se += fexp(x[j] - mx);
  *mx_out = mx;
  *sum_out = sx;
  *sumexp_out = se;
}

LLMK_CLONES static void row_xent_grad(const float* x, float* d, long n, float g, float l, float u) {
  for (long j = 0; j < n; j++) d[j] = g * (fexp(x[j] - l) - u);
}

void xent_fwd(const float* x, const int32_t* targets, float* loss, float* lse, long rows, long cols, float smoothing) {
  parallel_chunks(rows, cols * 4.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float mx, sx, s;
      row_stats(xr, cols, &mx, &sx, &s);
      const float l = mx + std::log(s);
      lse[r] = l;
      const int32_t t = targets[r];
      if (t < 0 || t >= cols) {
        loss[r] = 0.f;
        continue;
      }
      loss[r] = l - (1.f - smoothing) * xr[t] - smoothing * static_cast<float>(sx / cols);
    }
  });
}

void xent_bwd(const float* x, const int32_t* targets, const float* lse, const float* dloss, float* dx, long rows, long cols,
              float smoothing) {
  parallel_chunks(rows, cols * 3.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* dr = dx + r * cols;
      const int32_t t = targets[r];
      if (t < 0 || t >= cols) {
        std::memset(dr, 0, sizeof(float) * cols);
        continue;
      }
      const float g = dloss[r], l = lse[r], u = smoothing / cols;
      row_xent_grad(xr, dr, cols, g, l, u);
      dr[t] -= g * (1.f - smoothing);
    }
  });
}

LLMK_CLONES static void masked_softmax_row(const float* xr, const float* mr, float* yr, long cols, float scale) {
  float mx = -INFINITY;
  for (long j = 0; j < cols; j++) {
    const float z = xr[j] * scale + (mr ? mr[j] : 0.f);
    yr[j] = z;
    mx = z > mx ? z : mx;
  }
  if (mx == -INFINITY) mx = 0.f;  // a fully masked row: all zeros, then 0/0 = NaN as in tfjs
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (long j = 0; j < cols; j++) {
    const float e = yr[j] == -INFINITY ? 0.f : fexp(yr[j] - mx);
    yr[j] = e;
    sum += e;
  }
  const float inv = 1.f / sum;
  for (long j = 0; j < cols; j++) yr[j] *= inv;
}

LLMK_CLONES static void softmax_bwd_row(const float* yr, const float* dyr, float* dxr, long cols, float scale) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < cols; j++) s += yr[j] * dyr[j];
  for (long j = 0; j < cols; j++) dxr[j] = scale * yr[j] * (dyr[j] - s);
}

void masked_softmax_fwd(const float* x, const float* mask, float* y, long rows, long cols, long mask_rows, float scale) {
  parallel_chunks(rows, cols * 8.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) masked_softmax_row(x + r * cols, mask ? mask + (r % mask_rows) * cols : nullptr, y + r * cols, cols, scale);
  });
}

void masked_softmax_bwd(const float* y, const float* dy, float* dx, long rows, long cols, float scale) {
  parallel_chunks(rows, cols * 4.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) softmax_bwd_row(y + r * cols, dy + r * cols, dx + r * cols, cols, scale);
  });
}

// The element loop on its own, vectorised (the scalar square root and divisions cost ~6 ns per element).
LLMK_CLONES static void adamw_range(float* __restrict p, float* __restrict m, float* __restrict v, const float* __restrict g, long i0,
                                    long i1, float beta1, float beta2, float eps, float keep, float sbc2, float step, float gscale) {
#pragma omp simd
  for (long i = i0; i < i1; i++) {
    const float gi = g[i] * gscale;
    const float mi = m[i] * beta1 + gi * (1.f - beta1);
    const float vi = v[i] * beta2 + gi * gi * (1.f - beta2);
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / sbc2 + eps;
    p[i] = p[i] * keep - (mi / denom) * step;
  }
}

void adamw_update(float* p, float* m, float* v, const float* g, long n, float lr, float beta1, float beta2, float eps,
                  float bc1, float bc2, float decay, float gscale) {
  const float keep = 1.f - lr * decay, sbc2 = std::sqrt(bc2), step = lr / bc1;
  parallel_chunks(n, 12.0, [&](long i0, long i1) { adamw_range(p, m, v, g, i0, i1, beta1, beta2, eps, keep, sbc2, step, gscale); });
}

}  // namespace llmk
