// Fused training-path kernels: LayerNorm, GELU, sparse softmax-cross-entropy, AdamW and a
// whole-sequence LSTM, each forward and backward. One pass over memory where tfjs would run a
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

static void matmul(const float* a, const float* b, float* c, long m, long n, long k, bool ta, bool tb, bool serial) {
  MatMulArgs args{};
  args.a = a;
  args.b = b;
  args.c = c;
  args.batch = args.batch_a = args.batch_b = 1;
  args.m = m;
  args.n = n;
  args.k = k;
  args.trans_a = ta;
  args.trans_b = tb;
  args.bias = nullptr;
  args.bias_len = 0;
  args.activation = ActLinear;
  args.alpha = 0.f;
  args.serial = serial;
  batch_matmul(args);
}

// The batch rows are split into one block per thread; each block runs its own (serial) product
// and gate math, so a time step costs one fork/join instead of two.
static void over_row_blocks(long B, long flops_per_row, const std::function<void(long, long)>& body) {
  const long blocks = std::max<long>(1, std::min<long>(threads(), B / 4));
  if (blocks == 1 || B * flops_per_row < 400000) {
    body(0, B);
    return;
  }
  parallel_chunks(blocks, 1e9, [&](long k0, long k1) {
    for (long k = k0; k < k1; k++) body(B * k / blocks, B * (k + 1) / blocks);
  });
}

LLMK_CLONES static void lstm_gates_fwd(long H, const float* gb, const float* xb, float* ab, float* cb, float* hb, float* tcb, float* ob) {
  for (long j = 0; j < H; j++) {
    const float ig = fsigmoid(gb[j] + xb[j]);
    const float fg = fsigmoid(gb[H + j] + xb[H + j]);
    const float gg = ftanh(gb[2 * H + j] + xb[2 * H + j]);
    const float og = fsigmoid(gb[3 * H + j] + xb[3 * H + j]);
    ab[j] = ig;
    ab[H + j] = fg;
    ab[2 * H + j] = gg;
    ab[3 * H + j] = og;
    const float cn = fg * cb[j] + ig * gg;
    const float th = ftanh(cn);
    cb[j] = cn;
    tcb[j] = th;
    hb[j] = og * th;
    ob[j] = og * th;
  }
}

LLMK_CLONES static void lstm_gates_bwd(long H, const float* ab, const float* tcb, const float* cpb, const float* dob, float* dhb, float* dcb, float* dgb) {
  for (long j = 0; j < H; j++) {
    const float ig = ab[j], fg = ab[H + j], gg = ab[2 * H + j], og = ab[3 * H + j];
    const float th = tcb[j];
    const float dht = dhb[j] + dob[j];
    const float dcn = dcb[j] + dht * og * (1.f - th * th);
    const float dO = dht * th;
    dgb[j] = dcn * gg * ig * (1.f - ig);
    dgb[H + j] = dcn * cpb[j] * fg * (1.f - fg);
    dgb[2 * H + j] = dcn * ig * (1.f - gg * gg);
    dgb[3 * H + j] = dO * og * (1.f - og);
    dcb[j] = dcn * fg;
  }
}

void lstm_fwd(const LstmShape& s, const float* xproj, const float* h0, const float* c0, const float* whhT, const int32_t* lengths,
              float* out, float* acts, float* hprev, float* cprev, float* tc) {
  const long T = s.T, B = s.B, H = s.H, G = 4 * H;
  std::vector<float> h(h0, h0 + B * H), c(c0, c0 + B * H), gates(B * G);
  for (long step = 0; step < T; step++) {
    const long t = s.reverse ? T - 1 - step : step;
    float* a = acts + t * B * G;
    float* o = out + t * B * H;
    float* tct = tc + t * B * H;
    float* hp = hprev + t * B * H;
    float* cp = cprev + t * B * H;
    const float* xp = xproj + t * B * G;
    over_row_blocks(B, 2 * G * H, [&](long b0, long b1) {
      std::memcpy(hp + b0 * H, h.data() + b0 * H, sizeof(float) * (b1 - b0) * H);
      std::memcpy(cp + b0 * H, c.data() + b0 * H, sizeof(float) * (b1 - b0) * H);
      matmul(h.data() + b0 * H, whhT, gates.data() + b0 * G, b1 - b0, G, H, false, false, true);
      for (long b = b0; b < b1; b++) {
        if (lengths && t >= lengths[b]) {
          std::memset(a + b * G, 0, sizeof(float) * G);
          std::memset(o + b * H, 0, sizeof(float) * H);
          std::memset(tct + b * H, 0, sizeof(float) * H);
          continue;
        }
        lstm_gates_fwd(H, gates.data() + b * G, xp + b * G, a + b * G, c.data() + b * H, h.data() + b * H, tct + b * H, o + b * H);
      }
    });
  }
  std::memcpy(out + T * B * H, h.data(), sizeof(float) * B * H);
  std::memcpy(out + (T + 1) * B * H, c.data(), sizeof(float) * B * H);
}

void lstm_bwd(const LstmShape& s, const float* dout, const float* acts, const float* hprev, const float* cprev, const float* tc,
              const float* whhT, const int32_t* lengths, float* dxproj, float* dh0, float* dc0, float* dwhhT) {
  const long T = s.T, B = s.B, H = s.H, G = 4 * H;
  std::vector<float> dh(dout + T * B * H, dout + (T + 1) * B * H), dc(dout + (T + 1) * B * H, dout + (T + 2) * B * H), dhp(B * H);
  for (long step = T - 1; step >= 0; step--) {
    const long t = s.reverse ? T - 1 - step : step;
    const float* a = acts + t * B * G;
    const float* cp = cprev + t * B * H;
    const float* tct = tc + t * B * H;
    const float* dot = dout + t * B * H;
    float* dg = dxproj + t * B * G;
    over_row_blocks(B, 2 * G * H, [&](long b0, long b1) {
      for (long b = b0; b < b1; b++) {
        if (lengths && t >= lengths[b]) {
          std::memset(dg + b * G, 0, sizeof(float) * G);  // state held: dh, dc pass through
          continue;
        }
        lstm_gates_bwd(H, a + b * G, tct + b * H, cp + b * H, dot + b * H, dh.data() + b * H, dc.data() + b * H, dg + b * G);
      }
      // dh_prev = dgates · whhTᵀ for rows inside the sequence; rows past their end keep dh.
      matmul(dg + b0 * G, whhT, dhp.data() + b0 * H, b1 - b0, H, G, false, true, true);
      for (long b = b0; b < b1; b++) {
        if (lengths && t >= lengths[b]) continue;
        std::memcpy(dh.data() + b * H, dhp.data() + b * H, sizeof(float) * H);
      }
    });
  }
  std::memcpy(dh0, dh.data(), sizeof(float) * B * H);
  std::memcpy(dc0, dc.data(), sizeof(float) * B * H);
  // dW_hhᵀ = Σ_t h_prev[t]ᵀ · dgates[t]: one product over all steps.
  matmul(hprev, dxproj, dwhhT, H, G, T * B, true, false, false);
}

}  // namespace llmk
