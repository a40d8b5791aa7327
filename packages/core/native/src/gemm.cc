// Blocked, packed SGEMM (the Goto/BLIS scheme): C is cut into independent tiles that the
// threads pull from a counter; each tile loops NC columns × KC depth × MC rows, packs a KC×NC
// sliver of B and an MC×KC block of A into contiguous micro-panels, and runs an MR×NR
// register-blocked microkernel (AVX-512 6×32, AVX2+FMA 6×16, or portable 4×8) chosen at run
// time from cpuid. Transposes are folded into the packing (any row/column stride).
#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "pool.h"
#include "fastmath.h"

namespace llmk {

// ---------------------------------------------------------------------------------------------
// Dispatch

using Ukernel = void (*)(long kc, const float* a, const float* b, float* c, long ldc, bool accumulate);

struct KernelSet {
  Isa isa;
  int mr, nr;
  Ukernel ukr;
};

bool cpu_has(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (isa) {
    case Isa::Scalar: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  }
  return false;
#else
  return isa == Isa::Scalar;
#endif
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Microkernels: C[MR×NR] (+)= Apanel[kc×MR]ᵀ · Bpanel[kc×NR]

template <int MR, int NR>
static void ukr_scalar(long kc, const float* a, const float* b, float* c, long ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (long p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const float ai = a[i];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

#if defined(__x86_64__) || defined(__i386__)
#define LLMK_X86 1

__attribute__((target("avx2,fma"))) static void ukr_avx2_6x16(long kc, const float* a, const float* b, float* c,
                                                               long ldc, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (long p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 x;
    x = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    a += 6;
    b += 16;
  }
#define LLMK_ST(r, v0, v1)                                                                   \
  do {                                                                                      \
    float* row = c + (r) * ldc;                                                             \
    if (accumulate) {                                                                       \
      _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), v0));                      \
      _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), v1));              \
    } else {                                                                                \
      _mm256_storeu_ps(row, v0);                                                            \
      _mm256_storeu_ps(row + 8, v1);                                                        \
    }                                                                                       \
  } while (0)
  LLMK_ST(0, c00, c01);
  LLMK_ST(1, c10, c11);
  LLMK_ST(2, c20, c21);
  LLMK_ST(3, c30, c31);
  LLMK_ST(4, c40, c41);
  LLMK_ST(5, c50, c51);
#undef LLMK_ST
}

// Stores (or adds, when accumulating) the AVX-512 6×32 register tile c00…c51 into C (row stride ldc).
#define LLMK_STORE_ROW_512(r, v0, v1)                                                         \
  do {                                                                                        \
    float* row = c + (r) * ldc;                                                               \
    if (accumulate) {                                                                         \
      _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), v0));                        \
      _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_loadu_ps(row + 16), v1));              \
    } else {                                                                                  \
      _mm512_storeu_ps(row, v0);                                                              \
      _mm512_storeu_ps(row + 16, v1);                                                         \
    }                                                                                         \
  } while (0)
#define LLMK_STORE_6X32_512()                                                                 \
  do {                                                                                        \
    LLMK_STORE_ROW_512(0, c00, c01);                                                          \
    LLMK_STORE_ROW_512(1, c10, c11);                                                          \
    LLMK_STORE_ROW_512(2, c20, c21);                                                          \
    LLMK_STORE_ROW_512(3, c30, c31);                                                          \
    LLMK_STORE_ROW_512(4, c40, c41);                                                          \
    LLMK_STORE_ROW_512(5, c50, c51);                                                          \
  } while (0)

__attribute__((target("avx512f,fma"))) static void ukr_avx512_6x32(long kc, const float* a, const float* b, float* c,
                                                                    long ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (long p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    __m512 x;
    x = _mm512_set1_ps(a[0]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
    x = _mm512_set1_ps(a[1]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
    x = _mm512_set1_ps(a[2]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
    x = _mm512_set1_ps(a[3]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
    x = _mm512_set1_ps(a[4]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
    x = _mm512_set1_ps(a[5]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
    a += 6;
    b += 32;
  }
  LLMK_STORE_6X32_512();
}
#endif

#ifdef LLMK_X86
// The AVX-512 6×32 kernel reading A unpacked: A(r, p) at a[r·lda + p·astep] (a row-major block with
// astep 1, or a transposed one with lda 1). For the small products of the fused attention, where
// packing A cost about as much as multiplying it.
__attribute__((target("avx512f,fma"))) static void ukr_avx512_6x32_direct(long kc, const float* a, long lda, long astep,
                                                                           const float* b, float* c, long ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  const float* a0 = a;
  const float* a1 = a + lda;
  const float* a2 = a + 2 * lda;
  const float* a3 = a + 3 * lda;
  const float* a4 = a + 4 * lda;
  const float* a5 = a + 5 * lda;
  for (long p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    const long o = p * astep;
    __m512 x;
    x = _mm512_set1_ps(a0[o]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01);
    x = _mm512_set1_ps(a1[o]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11);
    x = _mm512_set1_ps(a2[o]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21);
    x = _mm512_set1_ps(a3[o]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31);
    x = _mm512_set1_ps(a4[o]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41);
    x = _mm512_set1_ps(a5[o]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51);
    b += 32;
  }
  LLMK_STORE_6X32_512();
}
#endif

static KernelSet kernel_for(Isa isa) {
#ifdef LLMK_X86
  if (isa == Isa::Avx512) return {Isa::Avx512, 6, 32, ukr_avx512_6x32};
  if (isa == Isa::Avx2) return {Isa::Avx2, 6, 16, ukr_avx2_6x16};
#endif
  return {Isa::Scalar, 4, 8, ukr_scalar<4, 8>};
}

static Isa best_isa() {
  // AVX-512 (6×32 tiles) when the CPU has it: on this AMD EPYC (double-pumped 512-bit units) it
  // still needs fewer instructions per FLOP and measured ~91 GFLOP per CPU-second against
  // ~70-83 for the AVX2 6×16 kernel at 1024². LLM_NATIVE_ISA=avx512|avx2|scalar overrides.
  const char* env = std::getenv("LLM_NATIVE_ISA");
  if (env != nullptr) {
    if (std::strcmp(env, "avx512") == 0 && cpu_has(Isa::Avx512)) return Isa::Avx512;
    if (std::strcmp(env, "avx2") == 0 && cpu_has(Isa::Avx2)) return Isa::Avx2;
    if (std::strcmp(env, "scalar") == 0) return Isa::Scalar;
  }
  if (cpu_has(Isa::Avx512)) return Isa::Avx512;
  if (cpu_has(Isa::Avx2)) return Isa::Avx2;
  return Isa::Scalar;
}

static KernelSet g_kernel = kernel_for(best_isa());

Isa current_isa() { return g_kernel.isa; }

bool set_isa(Isa isa) {
  if (!cpu_has(isa)) return false;
  g_kernel = kernel_for(isa);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Threads

static int default_threads() {
  const char* env = std::getenv("LLM_NATIVE_THREADS");
  if (env != nullptr) {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 64);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 64u));
}

static ThreadPool& pool() {
  static ThreadPool p(default_threads());
  return p;
}

int threads() { return pool().threads(); }
void set_threads(int n) {
  n = std::max(1, std::min(n, 64));
  if (n != pool().threads()) pool().resize(n);
}

// ---------------------------------------------------------------------------------------------
// Packing

struct AlignedBuf {
  float* p = nullptr;
  size_t cap = 0;
  ~AlignedBuf() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      cap = p ? n : 0;
    }
    return p;
  }
};

// A block (mc × kc, element (i, p) at a[i*rs + p*cs]) → panels of MR rows: dst[panel][p][r].
// With [p_lo(panel), p_hi(panel)) from a triangular hint (see gemm_tile), only that depth is packed.
static void pack_a(long mc, long kc, const float* a, long rs, long cs, int mr, float* dst, int tri = TriNone, long row0 = 0, long pc = 0) {
  for (long i0 = 0; i0 < mc; i0 += mr) {
    const long m = std::min<long>(mr, mc - i0);
    const float* src = a + i0 * rs;
    long plo = 0, phi = kc;
    if (tri == TriALower) phi = std::min(kc, std::max(0L, row0 + i0 + m - pc));
    if (tri == TriAUpper) plo = std::min(kc, std::max(0L, row0 + i0 - pc));
    if (cs == 1) {
      for (long p = plo; p < phi; p++) {
        long r = 0;
        for (; r < m; r++) dst[p * mr + r] = src[r * rs + p];
        for (; r < mr; r++) dst[p * mr + r] = 0.f;
      }
    } else {
      for (long p = plo; p < phi; p++) {
        const float* col = src + p * cs;
        long r = 0;
        for (; r < m; r++) dst[p * mr + r] = col[r * rs];
        for (; r < mr; r++) dst[p * mr + r] = 0.f;
      }
    }
    dst += mr * kc;
  }
}

// B sliver (kc × nc, element (p, j) at b[p*rs + j*cs]) → panels of NR columns: dst[panel][p][c].
static void pack_b(long kc, long nc, const float* b, long rs, long cs, int nr, float* dst) {
  for (long j0 = 0; j0 < nc; j0 += nr) {
    const long n = std::min<long>(nr, nc - j0);
    const float* src = b + j0 * cs;
    if (cs == 1) {
      for (long p = 0; p < kc; p++) {
        const float* row = src + p * rs;
        float* d = dst + p * nr;
        if (n == nr) {
          std::memcpy(d, row, sizeof(float) * nr);
        } else {
          long c = 0;
          for (; c < n; c++) d[c] = row[c];
          for (; c < nr; c++) d[c] = 0.f;
        }
      }
    } else {
      // Transposed B: read each column contiguously, write with stride nr (stays in L1).
      for (long c = 0; c < nr; c++) {
        if (c < n) {
          const float* col = src + c * cs;
          for (long p = 0; p < kc; p++) dst[p * nr + c] = col[p * rs];
        } else {
          for (long p = 0; p < kc; p++) dst[p * nr + c] = 0.f;
        }
      }
    }
    dst += nr * kc;
  }
}

// ---------------------------------------------------------------------------------------------
// One tile of C: rows [0, m), cols [0, n) of the given views.

static constexpr long KC = 256;
static constexpr long MC_TARGET = 144;
static constexpr long NC = 4096;

static void gemm_tile(const KernelSet& ks, long m, long n, long k, const float* a, long rsa, long csa, const float* b,
                      long rsb, long csb, float* c, long ldc, int tri = TriNone) {
  if (k == 0) {
    for (long i = 0; i < m; i++) std::memset(c + i * ldc, 0, sizeof(float) * n);
    return;
  }
  thread_local AlignedBuf abuf, bbuf;
  const int mr = ks.mr, nr = ks.nr;
  const long mc_max = std::max<long>(mr, (MC_TARGET / mr) * mr);
  float* ap = abuf.get(static_cast<size_t>(mc_max) * KC);
  float* bp = bbuf.get(static_cast<size_t>(((std::min(NC, n) + nr - 1) / nr) * nr) * KC);
  alignas(64) float edge[16 * 32];
#ifdef LLMK_X86
  // The triangular (attention) products read full panels of A in place; only a last partial
  // panel is packed.
  const bool direct = tri != TriNone && ks.isa == Isa::Avx512;
#else
  const bool direct = false;
#endif
  for (long jc = 0; jc < n; jc += NC) {
    const long nc = std::min(NC, n - jc);
    for (long pc = 0; pc < k; pc += KC) {
      const long kc = std::min(KC, k - pc);
      const bool acc = pc > 0;
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, nr, bp);
      for (long ic = 0; ic < m; ic += mc_max) {
        const long mc = std::min(mc_max, m - ic);
        const long full = direct ? (mc / mr) * mr : 0;  // rows read in place
        if (mc > full) pack_a(mc - full, kc, a + (ic + full) * rsa + pc * csa, rsa, csa, mr, ap, tri, ic + full, pc);
        for (long jr = 0; jr < nc; jr += nr) {
          const long nn = std::min<long>(nr, nc - jr);
          const float* bpanel = bp + (jr / nr) * nr * kc;
          for (long ir = 0; ir < mc; ir += mr) {
            const long mm = std::min<long>(mr, mc - ir);
            const float* apanel = ap + ((ir - (ir >= full ? full : 0)) / mr) * mr * kc;
            float* ct = c + (ic + ir) * ldc + jc + jr;
            // Triangular structure (see Tri): skip tiles, or the depth where A is known to be zero.
            const long row0 = ic + ir;
            long p0 = 0, p1 = kc;
            if (tri == TriOutLower && jc + jr > row0 + mm - 1) continue;
            if (tri == TriALower) p1 = std::min(kc, std::max(0L, row0 + mm - pc));
            if (tri == TriAUpper) p0 = std::min(kc, std::max(0L, row0 - pc));
            if (p1 <= p0) {
              if (!acc)
                for (long i = 0; i < mm; i++) std::memset(ct + i * ldc, 0, sizeof(float) * nn);
              continue;
            }
#ifdef LLMK_X86
            if (ir < full) {
              const float* arow = a + (ic + ir) * rsa + (pc + p0) * csa;
              if (nn == nr) {
                ukr_avx512_6x32_direct(p1 - p0, arow, rsa, csa, bpanel + p0 * nr, ct, ldc, acc);
              } else {
                ukr_avx512_6x32_direct(p1 - p0, arow, rsa, csa, bpanel + p0 * nr, edge, nr, false);
                for (long i = 0; i < mm; i++)
                  for (long j = 0; j < nn; j++) ct[i * ldc + j] = acc ? ct[i * ldc + j] + edge[i * nr + j] : edge[i * nr + j];
              }
              continue;
            }
#endif
            if (mm == mr && nn == nr) {
              ks.ukr(p1 - p0, apanel + p0 * mr, bpanel + p0 * nr, ct, ldc, acc);
            } else {
              ks.ukr(p1 - p0, apanel + p0 * mr, bpanel + p0 * nr, edge, nr, false);
              for (long i = 0; i < mm; i++)
                for (long j = 0; j < nn; j++) ct[i * ldc + j] = acc ? ct[i * ldc + j] + edge[i * nr + j] : edge[i * nr + j];
            }
          }
        }
      }
    }
  }
}

void gemm_serial(long m, long n, long k, const float* a, long rsa, long csa, const float* b, long rsb, long csb, float* c,
                 long ldc, int tri) {
  if (m <= 0 || n <= 0) return;
  gemm_tile(g_kernel, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, tri);
}

static inline float activate(float x, int act, float alpha) {
  switch (act) {
    case ActRelu: return x > 0.f ? x : 0.f;
    case ActRelu6: return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
    case ActSigmoid: return 1.f / (1.f + std::exp(-x));
    case ActElu: return x > 0.f ? x : std::expm1(x);
    case ActLeakyRelu: return x > 0.f ? x : alpha * x;
    default: return x;
  }
}

static void epilogue(float* c, long ldc, long m, long n, long col0, const MatMulArgs& args) {
  if (args.bias == nullptr && args.activation == ActLinear) return;
  for (long i = 0; i < m; i++) {
    float* row = c + i * ldc;
    if (args.bias != nullptr) {
      if (args.bias_len == 1) {
        const float bv = args.bias[0];
        for (long j = 0; j < n; j++) row[j] += bv;
      } else {
        const float* bias = args.bias + col0;
        for (long j = 0; j < n; j++) row[j] += bias[j];
      }
    }
    if (args.activation != ActLinear)
      for (long j = 0; j < n; j++) row[j] = activate(row[j], args.activation, args.alpha);
  }
}

// One product on every thread with B packed once and shared (the BLIS scheme): the threads first
// pack all of a column sliver of B (every KC-deep panel of it) between them, then pull (MC rows ×
// a share of the columns) blocks from the pool's counter; a block packs its own rows of A and runs
// the whole depth, so its piece of C stays in cache. Many small blocks keep both cores busy to the
// end even when one is slowed by another process, and no thread re-packs B (the per-tile scheme
// packs all of B once per row tile).
static void gemm_shared(const KernelSet& ks, long m, long n, long k, const float* a, long rsa, long csa, const float* b, long rsb,
                        long csb, float* c, long ldc, const MatMulArgs& args) {
  const int nt = threads();
  const int mr = ks.mr, nr = ks.nr;
  const long mc_max = std::max<long>(mr, (MC_TARGET / mr) * mr);
  const long depth = (k + KC - 1) / KC;
  // Column sliver: at most NC columns and about 4M packed floats (16 MB).
  const long nc_cap = std::max<long>(nr, std::min<long>(NC, ((4L << 20) / std::max<long>(k, 1)) / nr * nr));
  static AlignedBuf shared_b;  // batch_matmul is not reentrant (one JS thread)
  const long nc_alloc = (std::min(nc_cap, n) + nr - 1) / nr * nr;
  float* bp = shared_b.get(static_cast<size_t>(nc_alloc) * KC * depth);
  const long row_blocks = (m + mc_max - 1) / mc_max;
  for (long jc = 0; jc < n; jc += nc_cap) {
    const long nc = std::min(nc_cap, n - jc);
    const long panels = (nc + nr - 1) / nr;
    const long sliver = panels * nr * KC;  // floats per KC-deep sliver
    // Column parts per row block: enough blocks for about 4 per thread, parts of ≥ 4 panels.
    const long col_parts = std::max<long>(1, std::min<long>(panels / 4, (4L * nt + row_blocks - 1) / row_blocks));
    const long pack_chunks = std::min<long>(panels * depth, 4L * nt);
    pool().run(pack_chunks, [&](long t) {
      const long u0 = panels * depth * t / pack_chunks, u1 = panels * depth * (t + 1) / pack_chunks;
      for (long u = u0; u < u1;) {
        // a run of panels within one depth slice
        const long d = u / panels, p0 = u % panels;
        const long p1 = std::min(panels, p0 + (u1 - u));
        const long pc = d * KC, kc = std::min(KC, k - pc);
        const long j0 = p0 * nr, j1 = std::min(nc, p1 * nr);
        pack_b(kc, j1 - j0, b + pc * rsb + (jc + j0) * csb, rsb, csb, nr, bp + d * sliver + p0 * nr * kc);
        u += p1 - p0;
      }
    });
    pool().run(row_blocks * col_parts, [&](long t) {
      thread_local AlignedBuf abuf;
      float* ap = abuf.get(static_cast<size_t>(mc_max) * KC);
      alignas(64) float edge[16 * 32];
      const long ib = t / col_parts, cp = t % col_parts;
      const long ic = ib * mc_max, mc = std::min(mc_max, m - ic);
      const long q0 = panels * cp / col_parts, q1 = panels * (cp + 1) / col_parts;
      if (q1 <= q0) return;
      for (long d = 0; d < depth; d++) {
        const long pc = d * KC, kc = std::min(KC, k - pc);
        const bool acc = d > 0;
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, mr, ap);
        for (long q = q0; q < q1; q++) {
          const long jr = q * nr;
          const long nn = std::min<long>(nr, nc - jr);
          const float* bpanel = bp + d * sliver + q * nr * kc;
          for (long ir = 0; ir < mc; ir += mr) {
            const long mm = std::min<long>(mr, mc - ir);
            const float* apanel = ap + (ir / mr) * mr * kc;
            float* ct = c + (ic + ir) * ldc + jc + jr;
            if (mm == mr && nn == nr) {
              ks.ukr(kc, apanel, bpanel, ct, ldc, acc);
            } else {
              ks.ukr(kc, apanel, bpanel, edge, nr, false);
              for (long i = 0; i < mm; i++)
                for (long j = 0; j < nn; j++) ct[i * ldc + j] = acc ? ct[i * ldc + j] + edge[i * nr + j] : edge[i * nr + j];
            }
          }
        }
      }
      const long c0 = jc + q0 * nr, c1 = jc + std::min(nc, q1 * nr);
      epilogue(c + ic * ldc + c0, ldc, mc, c1 - c0, c0, args);
    });
  }
}

void batch_matmul(const MatMulArgs& args) {
  const KernelSet ks = g_kernel;
  const long M = args.m, N = args.n, K = args.k, B = args.batch;
  if (M == 0 || N == 0 || B == 0) return;
  // Strides of op(A) (M×K) and op(B) (K×N) in the row-major inputs.
  const long rsa = args.trans_a ? 1 : K, csa = args.trans_a ? M : 1;
  const long rsb = args.trans_b ? 1 : N, csb = args.trans_b ? K : 1;
  const long a_batch = M * K, b_batch = K * N, c_batch = M * N;

  // Cut the work into independent tiles, about two per thread (a core may be busy with another
  // process, so the threads pull tiles dynamically). Each tile packs its own rows of A and
  // columns of B, so the grid is chosen to minimise the re-packing: tiles_n·|A| + tiles_m·|B|.
  const int nt = threads();
  const double flops = 2.0 * M * N * K * B;
  long tiles_m = 1, tiles_n = 1;
  // Below ~4 MFLOP (tens of microseconds) waking a worker costs more than it saves.
  const bool parallel = !args.serial && nt > 1 && flops >= 4.0e6;
  const char* tiles_env = std::getenv("LLM_NATIVE_GEMM_TILES");  // "1": the per-tile scheme below for every shape
  const bool tiles_only = tiles_env != nullptr && tiles_env[0] != '\0' && std::strcmp(tiles_env, "0") != 0;
  if (parallel && B < 2L * nt && K >= 16 && M >= 2L * ks.mr && N >= 4L * ks.nr && !tiles_only) {
    // Few, large products: share the packed B between the threads.
    for (long bi = 0; bi < B; bi++)
      gemm_shared(ks, M, N, K, args.a + (bi % args.batch_a) * a_batch, rsa, csa, args.b + (bi % args.batch_b) * b_batch, rsb, csb,
                  args.c + bi * c_batch, N, args);
    return;
  }
  if (parallel && B < 2L * nt) {
    const long want = (2L * nt + B - 1) / B;
    const long max_n = std::max<long>(1, N / 64), max_m = std::max<long>(1, M / 48);
    double best = -1;
    for (long tm = 1; tm <= std::min(want, max_m); tm++) {
      const long tn = std::min(max_n, (want + tm - 1) / tm);
      const double cost = static_cast<double>(tn) * M + static_cast<double>(tm) * N + (tm * tn < want ? 1e18 : 0.0);
      if (best < 0 || cost < best) {
        best = cost;
        tiles_m = tm;
        tiles_n = tn;
      }
    }
  }
  // Tile edges on microkernel multiples.
  auto edge_of = [](long total, long tiles, long unit, long t) {
    long units = (total + unit - 1) / unit;
    long u = (units * t) / tiles;
    return std::min(total, u * unit);
  };
  const long per_batch = tiles_m * tiles_n;
  auto task = [&](long t) {
    const long bi = t / per_batch;
    const long r = t % per_batch;
    const long tm = r / tiles_n, tn = r % tiles_n;
    const long m0 = edge_of(M, tiles_m, ks.mr, tm), m1 = edge_of(M, tiles_m, ks.mr, tm + 1);
    const long n0 = edge_of(N, tiles_n, ks.nr, tn), n1 = edge_of(N, tiles_n, ks.nr, tn + 1);
    if (m1 <= m0 || n1 <= n0) return;
    const float* a = args.a + (bi % args.batch_a) * a_batch + m0 * rsa;
    const float* b = args.b + (bi % args.batch_b) * b_batch + n0 * csb;
    float* c = args.c + bi * c_batch + m0 * N + n0;
    gemm_tile(ks, m1 - m0, n1 - n0, K, a, rsa, csa, b, rsb, csb, c, N);
    epilogue(c, N, m1 - m0, n1 - n0, n0, args);
  };
  const long total = B * per_batch;
  if (parallel) {
    pool().run(total, task);
  } else {
    for (long t = 0; t < total; t++) task(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Other training-path kernels

// Splits [0, items) into chunks over the pool when there is enough work (about 2^17
// element-operations) to pay for waking the workers.
void parallel_chunks(long items, double work_per_item, const std::function<void(long, long)>& body) {
  const int nt = threads();
  if (nt == 1 || items * work_per_item < 131072.0 || items < 2) {
    body(0, items);
    return;
  }
  const long chunks = std::min<long>(items, 4L * nt);
  pool().run(chunks, [&](long t) {
    const long r0 = items * t / chunks, r1 = items * (t + 1) / chunks;
    body(r0, r1);
  });
}

template <typename F>
static void parallel_rows(long rows, double work_per_row, F&& body) {
  parallel_chunks(rows, work_per_row, std::function<void(long, long)>(body));
}

LLMK_CLONES static void softmax_rows(const float* x, float* y, long r0, long r1, long cols) {
  for (long r = r0; r < r1; r++) softmax_row(x + r * cols, y + r * cols, cols, 1.f);
}

void softmax(const float* x, float* y, long rows, long cols) {
  parallel_rows(rows, cols * 8.0, [&](long r0, long r1) {
    softmax_rows(x, y, r0, r1, cols);
  });
}

long gather4(const uint32_t* x, const int32_t* idx, uint32_t* out, long outer, long dim, long inner, long nidx) {
  for (long j = 0; j < nidx; j++)
    if (idx[j] < 0 || idx[j] >= dim) return j;
  parallel_rows(outer * nidx, static_cast<double>(inner), [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const long o = r / nidx, j = r % nidx;
      std::memcpy(out + r * inner, x + (o * dim + idx[j]) * inner, sizeof(uint32_t) * inner);
    }
  });
  return -1;
}

void unsorted_segment_sum(const float* x, const int32_t* ids, float* out, long rows, long inner, long num_segments) {
  // Threads own disjoint column ranges, so no two write the same output element.
  const long col_chunk = 64;
  const long chunks = (inner + col_chunk - 1) / col_chunk;
  parallel_rows(chunks, static_cast<double>(rows) * col_chunk, [&](long c0, long c1) {
    const long j0 = c0 * col_chunk, j1 = std::min(inner, c1 * col_chunk);
    for (long s = 0; s < num_segments; s++) std::memset(out + s * inner + j0, 0, sizeof(float) * (j1 - j0));
    for (long r = 0; r < rows; r++) {
      const long s = ids[r];
      if (s < 0 || s >= num_segments) continue;
      const float* src = x + r * inner;
      float* dst = out + s * inner;
      for (long j = j0; j < j1; j++) dst[j] += src[j];
    }
  });
}

void adam_update(float* var, float* m, float* v, const float* g, long n, float lr, float beta1, float beta2, float eps,
                 float beta1_power, float beta2_power) {
  const float c1 = 1.f / (1.f - beta1_power), c2 = 1.f / (1.f - beta2_power);
  parallel_rows(n, 12.0, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      const float gi = g[i];
      const float mi = beta1 * m[i] + (1.f - beta1) * gi;
      const float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      var[i] -= lr * (mi * c1) / (std::sqrt(vi * c2) + eps);
    }
  });
}

}  // namespace llmk
