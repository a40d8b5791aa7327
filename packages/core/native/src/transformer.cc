// Transformer training kernels.
//
// Causal self-attention, one task per (batch, head): the products read q, k, v and write y, dq,
// dk, dv in place inside the packed [B, T, 3d] / [B, T, d] tensors (strided views handed to the
// packed GEMM), so no split, head transpose or merge is ever materialised. Queries are taken in
// blocks of kRowBlock rows; a block only needs the keys up to its last row, which skips most of
// the masked upper triangle (about 5/8 of the full products are computed at T = 128).
#include "transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fastmath.h"
#include "gemm.h"

namespace llmk {

static constexpr long kRowBlock = 32;

// Row i of the scores (n = i + 1 visible keys, T in all): softmax(scale·s) over the visible keys,
// zeros after them.
LLMK_CLONES static void causal_softmax_row(float* r, long n, long T, float scale) {
  float mx = -INFINITY;
  for (long j = 0; j < n; j++) {
    const float z = r[j] * scale;
    r[j] = z;
    mx = z > mx ? z : mx;
  }
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (long j = 0; j < n; j++) {
    const float e = fexp(r[j] - mx);
    r[j] = e;
    sum += e;
  }
  const float inv = 1.f / sum;
  for (long j = 0; j < n; j++) r[j] *= inv;
  if (n < T) std::memset(r + n, 0, sizeof(float) * (T - n));
}

// dS = scale·P∘(dP − Σ P∘dP) over the visible keys (in place in dP), zeros after them.
LLMK_CLONES static void causal_softmax_grad_row(const float* p, float* d, long n, long T, float scale) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < n; j++) s += p[j] * d[j];
  for (long j = 0; j < n; j++) d[j] = scale * p[j] * (d[j] - s);
  if (n < T) std::memset(d + n, 0, sizeof(float) * (T - n));
}

void causal_attention_fwd(const float* qkv, float* y, float* probs, long B, long T, long H, long hd, float scale) {
  const long D = H * hd, ld = 3 * D;
  parallel_chunks(B * H, 4.0 * T * T * hd, [&](long t0, long t1) {
    for (long t = t0; t < t1; t++) {
      const long b = t / H, h = t % H;
      const float* q = qkv + b * T * ld + h * hd;
      const float* k = q + D;
      const float* v = q + 2 * D;
      float* P = probs + t * T * T;
      float* yh = y + b * T * D + h * hd;
      for (long i0 = 0; i0 < T; i0 += kRowBlock) {
        const long i1 = std::min(T, i0 + kRowBlock);
        // S[i0:i1, 0:i1] = Q[i0:i1]·K[0:i1]ᵀ
        gemm_serial(i1 - i0, i1, hd, q + i0 * ld, ld, 1, k, 1, ld, P + i0 * T, T);
        for (long i = i0; i < i1; i++) causal_softmax_row(P + i * T, i + 1, T, scale);
        // Y[i0:i1] = P[i0:i1, 0:i1]·V[0:i1]
        gemm_serial(i1 - i0, hd, i1, P + i0 * T, T, 1, v, ld, 1, yh + i0 * D, D);
      }
    }
  });
}

void causal_attention_bwd(const float* qkv, const float* probs, const float* dy, float* dqkv, long B, long T, long H, long hd,
                          float scale) {
  const long D = H * hd, ld = 3 * D;
  parallel_chunks(B * H, 8.0 * T * T * hd, [&](long t0, long t1) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < static_cast<size_t>(T * T)) scratch.resize(T * T);
    float* dS = scratch.data();
    for (long t = t0; t < t1; t++) {
      const long b = t / H, h = t % H;
      const float* q = qkv + b * T * ld + h * hd;
      const float* k = q + D;
      const float* v = q + 2 * D;
      const float* P = probs + t * T * T;
      const float* dyh = dy + b * T * D + h * hd;
      float* dq = dqkv + b * T * ld + h * hd;
      float* dk = dq + D;
      float* dv = dq + 2 * D;
      for (long i0 = 0; i0 < T; i0 += kRowBlock) {
        const long i1 = std::min(T, i0 + kRowBlock);
        // dP[i0:i1, 0:i1] = dY[i0:i1]·V[0:i1]ᵀ, then dS in place
        gemm_serial(i1 - i0, i1, hd, dyh + i0 * D, D, 1, v, 1, ld, dS + i0 * T, T);
        for (long i = i0; i < i1; i++) causal_softmax_grad_row(P + i * T, dS + i * T, i + 1, T, scale);
        // dQ[i0:i1] = dS[i0:i1, 0:i1]·K[0:i1]
        gemm_serial(i1 - i0, hd, i1, dS + i0 * T, T, 1, k, ld, 1, dq + i0 * ld, ld);
      }
      for (long j0 = 0; j0 < T; j0 += kRowBlock) {
        const long j1 = std::min(T, j0 + kRowBlock);
        // Key j only receives from queries i ≥ j: dK[j0:j1] = dS[j0:T, j0:j1]ᵀ·Q[j0:T], dV likewise with P and dY.
        gemm_serial(j1 - j0, hd, T - j0, dS + j0 * T + j0, 1, T, q + j0 * ld, ld, 1, dk + j0 * ld, ld);
        gemm_serial(j1 - j0, hd, T - j0, P + j0 * T + j0, 1, T, dyh + j0 * D, D, 1, dv + j0 * ld, ld);
      }
    }
  });
}

LLMK_CLONES static float sumsq_span(const float* x, long n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (long i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

double sum_squares(const float* const* xs, const long* lens, long count) {
  // Cut every array into spans of at most 16K elements (float partial sums stay accurate), sum the
  // spans in parallel, and add the partials in double.
  constexpr long kSpan = 16384;
  struct Span {
    const float* p;
    long n;
  };
  std::vector<Span> spans;
  for (long a = 0; a < count; a++)
    for (long i = 0; i < lens[a]; i += kSpan) spans.push_back({xs[a] + i, std::min(kSpan, lens[a] - i)});
  std::vector<double> part(spans.size(), 0.0);
  parallel_chunks(static_cast<long>(spans.size()), 2.0 * kSpan, [&](long s0, long s1) {
    for (long s = s0; s < s1; s++) part[s] = sumsq_span(spans[s].p, spans[s].n);
  });
  double total = 0.0;
  for (double v : part) total += v;
  return total;
}

}  // namespace llmk
