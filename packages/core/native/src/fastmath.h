// Fast float exp / tanh / sigmoid for the fused kernels: Cephes-style range reduction and a
// degree-6 polynomial (relative error ~2e-7 over the float range, saturating outside it), written
// so that GCC vectorises the loops that call them. LLMK_CLONES compiles a function for AVX2+FMA
// and for the baseline, picked at load time (ifunc), so the addon still runs on any x86-64.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LLMK_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define LLMK_CLONES
#endif

namespace llmk {

inline float fexp(float x) {
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

inline float fsigmoid(float x) { return 1.f / (1.f + fexp(-x)); }

/** tanh(x) = 1 − 2/(e^{2x} + 1); near 0 the odd Taylor series keeps the relative error small. */
inline float ftanh(float x) {
  const float big = 1.f - 2.f / (fexp(2.f * x) + 1.f);
  const float x2 = x * x;
  const float small = x * (1.f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.0539682540f)));
  return (x2 < 0.0025f) ? small : big;
}

}  // namespace llmk
