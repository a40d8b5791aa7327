// Transformer training kernels.
//
// Causal self-attention, one task per (batch, head): the products read q, k, v and write y, dq,
// dk, dv in place inside the packed [B, T, 3d] / [B, T, d] tensors (strided views handed to the
// packed GEMM), so no split, head transpose or merge is ever materialised, and the GEMM skips
// the masked upper triangle (a little over half of the full products is computed at T = 128).
#include "transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fastmath.h"
#include "gemm.h"

namespace llmk {

// Row i of the scores (n = i + 1 visible keys, T in all): softmax(scale·s) over the visible keys,
// zeros after them (the products below rely on those zeros).
LLMK_CLONES static void causal_softmax_row(float* r, long n, long T, float scale) {
  softmax_row(r, r, n, scale);
  if (n < T) std::memset(r + n, 0, sizeof(float) * (T - n));
}

// dS = scale·P∘(dP − Σ P∘dP) over the visible keys (in place in dP), zeros after them.
LLMK_CLONES static void causal_softmax_grad_row(const float* p, float* d, long n, long T, float scale) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < n; j++) s += p[j] * d[j];
#pragma omp simd
  for (long j = 0; j < n; j++) d[j] = scale * p[j] * (d[j] - s);
  if (n < T) std::memset(d + n, 0, sizeof(float) * (T - n));
}

// Each product below runs once per head on strided views; the triangular hints skip the
// microtiles above the diagonal of the scores and the depth where P or dS is zero (causal).

void causal_attention_fwd(const float* qkv, float* y, float* probs, long B, long T, long H, long hd, float scale) {
  const long D = H * hd, ld = 3 * D;
  parallel_chunks(B * H, 4.0 * T * T * hd, [&](long t0, long t1) {
    for (long t = t0; t < t1; t++) {
      const long b = t / H, h = t % H;
      const float* q = qkv + b * T * ld + h * hd;
      const float* k = q + D;
      const float* v = q + 2 * D;
      float* P = probs + t * T * T;
      // S = Q·Kᵀ (lower triangle), P = causal softmax, Y = P·V
      gemm_serial(T, T, hd, q, ld, 1, k, 1, ld, P, T, TriOutLower);
      for (long i = 0; i < T; i++) causal_softmax_row(P + i * T, i + 1, T, scale);
      gemm_serial(T, hd, T, P, T, 1, v, ld, 1, y + b * T * D + h * hd, D, TriALower);
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
      // dP = dY·Vᵀ (lower triangle), then dS in place
      gemm_serial(T, T, hd, dyh, D, 1, v, 1, ld, dS, T, TriOutLower);
      for (long i = 0; i < T; i++) causal_softmax_grad_row(P + i * T, dS + i * T, i + 1, T, scale);
      // dQ = dS·K, dK = dSᵀ·Q, dV = Pᵀ·dY (dSᵀ and Pᵀ are upper triangular)
      gemm_serial(T, hd, T, dS, T, 1, k, ld, 1, dq, ld, TriALower);
      gemm_serial(T, hd, T, dS, 1, T, q, ld, 1, dq + D, ld, TriAUpper);
      gemm_serial(T, hd, T, P, 1, T, dyh, D, 1, dq + 2 * D, ld, TriAUpper);
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
