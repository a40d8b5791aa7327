// Fast float exp / tanh / sigmoid for the fused kernels: Cephes-style range reduction and a
// degree-6 polynomial (relative error ~2e-7 over the float range, saturating outside it), written
// so that GCC vectorises the loops that call them (GCC 12+ resolves the x86-64-v4/v3 clones; older
// compilers and clang build the baseline only). LLMK_CLONES compiles a function for x86-64-v4
// (AVX-512), x86-64-v3 (AVX2+FMA) and the baseline, picked at load time (ifunc), so the addon
// still runs on any x86-64 (AVX-512: GELU, cross-entropy ~1.5-1.9x faster than AVX2 on this Zen 4).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && !defined(LLMK_NO_CLONES)
#define LLMK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LLMK_CLONES
#endif

namespace llmk {

__attribute__((always_inline)) inline float fexp(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

__attribute__((always_inline)) inline float fsigmoid(float x) { return 1.f / (1.f + fexp(-x)); }

/** tanh(x) = 1 − 2/(e^{2x} + 1); near 0 the odd Taylor series keeps the relative error small. */
__attribute__((always_inline)) inline float ftanh(float x) {
  const float big = 1.f - 2.f / (fexp(2.f * x) + 1.f);
  const float x2 = x * x;
  const float small = x * (1.f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.0539682540f)));
  return (x2 < 0.0025f) ? small : big;
}

/**
 * y = softmax(scale·x) over one row of n (y may be x). Inlined into its callers, so each gets the
 * vector width of the clone it is compiled in.
 */
__attribute__((always_inline)) inline void softmax_row(const float* x, float* y, long n, float scale) {
  float mx = -__builtin_inff();
#pragma omp simd reduction(max : mx)
  for (long j = 0; j < n; j++) {
    const float z = x[j] * scale;
    y[j] = z;
    mx = z > mx ? z : mx;
  }
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (long j = 0; j < n; j++) {
    const float e = fexp(y[j] - mx);
    y[j] = e;
    sum += e;
  }
  const float inv = 1.f / sum;
#pragma omp simd
  for (long j = 0; j < n; j++) y[j] *= inv;
}

/** erf(x), Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
__attribute__((always_inline)) inline float ferf(float x) {
  const float ax = x < 0.f ? -x : x;
  const float t = 1.f / (1.f + 0.3275911f * ax);
  const float p = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float r = 1.f - p * fexp(-ax * ax);
  return x < 0.f ? -r : r;
}

}  // namespace llmk
