// A whole-sequence LSTM layer-direction in one call, forward and backward.
//
// Per time step the work is a small product ([x_t | h_{t−1}]·[W_ih | W_hh]ᵀ forward: B × (F+H) ·
// (F+H) × 4H; dgates·[W_hh | W_ih] backward) plus the gate math, and every step depends on the
// one before, so what matters is the per-step overhead:
//  - The weights are packed once per call into panels, one per block of hidden units: a forward
//    panel holds the four gates' columns of VL units ([F+H][4·VL]), so one register tile of the
//    microkernel yields the i, f, g, o pre-activations of the same units and the gate math
//    follows at once, on data still in L1; a backward panel holds [W_hh | W_ih]'s columns of
//    4·VL inputs ([4H][4·VL]) for [dh_{t−1} | dx_t] = dgates_t·[W_hh | W_ih].
//  - The unit blocks are the work items of a step. The threads stay inside one parallel region
//    for the whole sequence and meet at a spin barrier per step (no pool fork/join per step).
//    Each thread first takes the items from its own stretch of the blocks, so its weight slice
//    stays in its cache, then any unclaimed one; a thread that waits too long for an item a
//    descheduled sibling claimed (the machine is shared) runs it itself (run_phased).
//  - The backward fuses "[dh | dx] of step t" with "gate gradients of step t−1" in one item (the
//    gate part touches only the item's units), so it also needs one barrier per step.
//  - dW_hh and dW_ih are one large product each over all steps at the end; dbias is summed per
//    item.
#include "lstm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "fastmath.h"
#include "gemm.h"

namespace llmk {

namespace {

// The gate loops run one row's VL (16 with AVX-512) units at a time: compiled for AVX-512 too.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && !defined(LLMK_NO_CLONES)
#define LLMK_LSTM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LLMK_LSTM_CLONES
#endif

// Prefetch the cache lines of [p, p + n) floats (for reading, or for writing when `write`).
template <bool Write>
inline void prefetch_run(const float* p, long n) {
  const char* a = reinterpret_cast<const char*>(p);
  const char* end = reinterpret_cast<const char*>(p + n);
  for (const char* q = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(a) & ~uintptr_t{63}); q < end; q += 64)
    __builtin_prefetch(q, Write ? 1 : 0, 3);
}

// ---------------------------------------------------------------------------------------------
// Microkernels: C[mr × 4·VL] = [A1 | A2][mr rows] · P[K1 + K2][4·VL]: row r of A is K1 floats at
// a1[r] then K2 floats at a2[r], against one packed panel (64-byte aligned); C has row stride
// 4·VL. The A rows are read in place (broadcast per element): a step's rows are a few KB, already
// cached, and any subset of the batch rows can be passed (rows past their length are skipped).

using Mk = void (*)(long K1, const float* const* a1, long K2, const float* const* a2, const float* p, float* c);

template <int MR, int VL>
void mk_scalar(long K1, const float* const* a1, long K2, const float* const* a2, const float* p, float* c) {
  constexpr int W = 4 * VL;
  float acc[MR][W] = {};
  for (int seg = 0; seg < 2; seg++) {
    const long K = seg == 0 ? K1 : K2;
    if (K == 0) continue;
    const float* const* a = seg == 0 ? a1 : a2;
    for (long k = 0; k < K; k++) {
      for (int r = 0; r < MR; r++) {
        const float x = a[r][k];
        for (int j = 0; j < W; j++) acc[r][j] += x * p[j];
      }
      p += W;
    }
  }
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < W; j++) c[r * W + j] = acc[r][j];
}

#if defined(__x86_64__) || defined(__i386__)
#define LLMK_LSTM_X86 1

template <int MR>
__attribute__((target("avx512f,fma"))) void mk_avx512(long K1, const float* const* a1, long K2, const float* const* a2, const float* p,
                                                      float* c) {
  __m512 acc[MR][4];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < 4; j++) acc[r][j] = _mm512_setzero_ps();
  for (int seg = 0; seg < 2; seg++) {
    const long K = seg == 0 ? K1 : K2;
    if (K == 0) continue;
    const float* const* a = seg == 0 ? a1 : a2;
#pragma GCC unroll 2
    for (long k = 0; k < K; k++) {
      const __m512 b0 = _mm512_load_ps(p), b1 = _mm512_load_ps(p + 16), b2 = _mm512_load_ps(p + 32), b3 = _mm512_load_ps(p + 48);
#pragma GCC unroll 8
      for (int r = 0; r < MR; r++) {
        const __m512 x = _mm512_set1_ps(a[r][k]);
        acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);
        acc[r][3] = _mm512_fmadd_ps(x, b3, acc[r][3]);
      }
      p += 64;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < 4; j++) _mm512_store_ps(c + r * 64 + j * 16, acc[r][j]);
}

template <int MR>
__attribute__((target("avx2,fma"))) void mk_avx2(long K1, const float* const* a1, long K2, const float* const* a2, const float* p,
                                                 float* c) {
  __m256 acc[MR][4];
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < 4; j++) acc[r][j] = _mm256_setzero_ps();
  for (int seg = 0; seg < 2; seg++) {
    const long K = seg == 0 ? K1 : K2;
    if (K == 0) continue;
    const float* const* a = seg == 0 ? a1 : a2;
    for (long k = 0; k < K; k++) {
      const __m256 b0 = _mm256_load_ps(p), b1 = _mm256_load_ps(p + 8), b2 = _mm256_load_ps(p + 16), b3 = _mm256_load_ps(p + 24);
#pragma GCC unroll 8
      for (int r = 0; r < MR; r++) {
        const __m256 x = _mm256_broadcast_ss(a[r] + k);
        acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        acc[r][2] = _mm256_fmadd_ps(x, b2, acc[r][2]);
        acc[r][3] = _mm256_fmadd_ps(x, b3, acc[r][3]);
      }
      p += 32;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < 4; j++) _mm256_store_ps(c + r * 32 + j * 8, acc[r][j]);
}
#endif

struct Kern {
  int vl;     // units per gate in a forward panel (a vector's lanes)
  int mr;     // most rows per microkernel call
  Mk mk[7];   // mk[r]: r rows (1..mr)
};

Kern kern_for(Isa isa) {
#ifdef LLMK_LSTM_X86
  if (isa == Isa::Avx512) return {16, 6, {nullptr, mk_avx512<1>, mk_avx512<2>, mk_avx512<3>, mk_avx512<4>, mk_avx512<5>, mk_avx512<6>}};
  if (isa == Isa::Avx2) return {8, 3, {nullptr, mk_avx2<1>, mk_avx2<2>, mk_avx2<3>, nullptr, nullptr, nullptr}};
#endif
  return {8, 4, {nullptr, mk_scalar<1, 8>, mk_scalar<2, 8>, mk_scalar<3, 8>, mk_scalar<4, 8>, nullptr, nullptr}};
}

struct Aligned {
  float* p = nullptr;
  explicit Aligned(size_t n) {
    const size_t bytes = ((std::max<size_t>(n, 1) * sizeof(float) + 63) / 64) * 64;
    p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (p == nullptr) throw std::bad_alloc();
  }
  ~Aligned() { std::free(p); }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
};

// ---------------------------------------------------------------------------------------------
// The parallel region: `phases` steps of `items` work items each; every item of a phase must be
// done before any item of the next phase starts.

inline void cpu_relax() {
#ifdef LLMK_LSTM_X86
  _mm_pause();
#endif
}

// item(k, i) must be a pure function of data finished in earlier phases, writing only places no
// other (phase, item) writes, so that running it twice, even at the same time, writes the same
// values. commit(k, i) holds its side effects that must happen once (accumulations); it runs
// on the thread that finishes (k, i) first, before the phase counts it as done.
//
// Items are claimed first from the participant's own stretch (cache affinity), then anywhere.
// A participant that has run out of items and has waited for one another thread claimed for
// several times the usual item time assumes that thread was descheduled (the machine is shared)
// and runs the item itself; the owner, when it resumes, finds it finished.
template <typename Item, typename Commit>
void run_phased(long phases, long items, double flops_per_phase, Item&& item, Commit&& commit) {
  const int nt = threads();
  const long parts = std::min<long>(nt, items);
  // Small problems (tests, tiny layers) run on the calling thread.
  if (parts <= 1 || flops_per_phase < 2.0e5) {
    for (long k = 0; k < phases; k++)
      for (long i = 0; i < items; i++) {
        item(k, i);
        commit(k, i);
      }
    return;
  }
  using Clock = std::chrono::steady_clock;
  // LLM_NATIVE_LSTM_STEAL_NS overrides the wait before running another thread's item (tests set
  // 0: run every unfinished item at once, so items routinely run twice at the same time).
  const char* steal_env = std::getenv("LLM_NATIVE_LSTM_STEAL_NS");
  const double steal_ns = steal_env ? std::atof(steal_env) : -1.0;
  const long spin_first = steal_env ? 0 : 2000;
  std::atomic<long> done{0};
  // claim[i] / fin[i]: phases of item i claimed / finished so far.
  std::unique_ptr<std::atomic<long>[]> claim(new std::atomic<long>[items]);
  std::unique_ptr<std::atomic<long>[]> fin(new std::atomic<long>[items]);
  for (long i = 0; i < items; i++) {
    claim[i].store(0, std::memory_order_relaxed);
    fin[i].store(0, std::memory_order_relaxed);
  }
  auto finish = [&](long k, long i) {
    long e = k;
    if (fin[i].load(std::memory_order_acquire) == k && fin[i].compare_exchange_strong(e, k + 1, std::memory_order_acq_rel)) {
      commit(k, i);
      done.fetch_add(1, std::memory_order_acq_rel);
    }
  };
  auto participant = [&](long p) {
    const long start = items * p / parts;
    double item_ns = 20000.0;  // running mean of this participant's item time
    for (long k = 0; k < phases; k++) {
      // Wait for phase k − 1.
      const long need = k * items;
      if (done.load(std::memory_order_acquire) < need) {
        const auto t0 = Clock::now();
        for (long spins = 0; done.load(std::memory_order_acquire) < need; spins++) {
          if (spins < spin_first) {
            cpu_relax();
            continue;
          }
          if (steal_ns < 0) {
            std::this_thread::yield();
            if ((spins & 15) != 0) continue;
          }
          const double waited = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
          if (waited < (steal_ns >= 0 ? steal_ns : 4.0 * item_ns + 50000.0)) continue;
          for (long i = 0; i < items; i++) {
            if (fin[i].load(std::memory_order_acquire) != k - 1) continue;
            item(k - 1, i);
            finish(k - 1, i);
          }
        }
      }
      for (long j = 0; j < items; j++) {
        const long i = (start + j) % items;
        long seen = claim[i].load(std::memory_order_relaxed);
        if (seen != k || !claim[i].compare_exchange_strong(seen, k + 1, std::memory_order_acq_rel)) continue;
        const auto t0 = Clock::now();
        item(k, i);
        item_ns = 0.9 * item_ns + 0.1 * std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
        finish(k, i);
      }
    }
  };
  // One pool task per participant; a participant that starts late (or runs after another on the
  // same thread) finds the finished phases claimed and skips through them.
  parallel_chunks(parts, 1e12, [&](long p0, long p1) {
    for (long p = p0; p < p1; p++) participant(p);
  });
}

// ---------------------------------------------------------------------------------------------
// Gate math for one row and up to VL (forward) / 4·VL (backward) units. `pre` holds the product's
// tile row (gate g of unit l at pre[g*ps + l]); the other arrays are at the row's first unit with
// gates H apart.

LLMK_LSTM_CLONES void gates_fwd(long n, const float* __restrict pre, long ps, const float* __restrict x, long xs, const float* __restrict bias,
                                long H, float* __restrict act, const float* __restrict cp, float* __restrict cn, float* __restrict tcb,
                           float* __restrict hn, float* __restrict ob) {
  for (long l = 0; l < n; l++) {
    const float ig = fsigmoid(pre[l] + x[l] + bias[l]);
    const float fg = fsigmoid(pre[ps + l] + x[xs + l] + bias[H + l]);
    const float gg = ftanh(pre[2 * ps + l] + x[2 * xs + l] + bias[2 * H + l]);
    const float og = fsigmoid(pre[3 * ps + l] + x[3 * xs + l] + bias[3 * H + l]);
    act[l] = ig;
    act[H + l] = fg;
    act[2 * H + l] = gg;
    act[3 * H + l] = og;
    const float c = fg * cp[l] + ig * gg;
    const float th = ftanh(c);
    cn[l] = c;
    tcb[l] = th;
    hn[l] = og * th;
    ob[l] = og * th;
  }
}

LLMK_LSTM_CLONES void gates_bwd(long n, long H, const float* __restrict a, const float* __restrict tcb, const float* __restrict cpb,
                                const float* __restrict dob, const float* __restrict dhb, const float* __restrict dcb, float* __restrict dcout,
                                float* __restrict dg) {
  for (long l = 0; l < n; l++) {
    const float ig = a[l], fg = a[H + l], gg = a[2 * H + l], og = a[3 * H + l];
    const float th = tcb[l];
    const float dht = dhb[l] + dob[l];
    const float dcn = dcb[l] + dht * og * (1.f - th * th);
    dg[l] = dcn * gg * ig * (1.f - ig);
    dg[H + l] = dcn * cpb[l] * fg * (1.f - fg);
    dg[2 * H + l] = dcn * ig * (1.f - gg * gg);
    dg[3 * H + l] = dht * th * og * (1.f - og);
    dcout[l] = dcn * fg;
  }
}

struct Layout {
  long T, B, H, G;
  bool reverse, bf, seq;
  // Row of (t, b) in xproj-shaped arrays, of the output of step t in out (when seq), and of the
  // final h (j = 0) or c (j = 1) in out.
  long row(long t, long b) const { return bf ? b * T + t : t * B + b; }
  long orow(long t, long b) const { return bf ? b * (T + 2) + t : t * B + b; }
  long frow(long j, long b) const { return seq ? orow(T + j, b) : (bf ? b * 2 + j : j * B + b); }
  // Time of the s-th step processed.
  long time(long s) const { return reverse ? T - 1 - s : s; }
};

// matmul on the pool (or serial): C[m×n] = op(A)·op(B).
void gemm(const float* a, bool ta, const float* b, bool tb, float* c, long m, long n, long k) {
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
  args.serial = false;
  batch_matmul(args);
}

}  // namespace

void lstm_fwd(const LstmShape& s, const LstmWeights& w, const float* h0, const float* c0, const int32_t* lengths, float* out,
              float* acts, float* hprev, float* cprev, float* tc) {
  const Layout L{s.T, s.B, s.H, 4 * s.H, s.reverse, s.batch_first, s.sequence};
  const long T = L.T, B = L.B, H = L.H, G = L.G, F = w.x ? w.F : 0;
  if (B == 0 || H == 0) return;
  if (T == 0) {
    for (long b = 0; b < B; b++) {
      std::memcpy(out + L.frow(0, b) * H, h0 + b * H, sizeof(float) * H);
      std::memcpy(out + L.frow(1, b) * H, c0 + b * H, sizeof(float) * H);
    }
    return;
  }
  const Kern kr = kern_for(current_isa());
  const long VL = kr.vl, W = 4 * VL, NU = (H + VL - 1) / VL, K = F + H;
  // Forward panels: panel u, row k, column g·VL + l: the weight of input k (x's F features, then
  // h's H units) for gate g of unit u·VL + l (0 past H).
  Aligned panels(static_cast<size_t>(NU) * K * W);
  for (long u = 0; u < NU; u++) {
    float* pu = panels.p + u * K * W;
    for (long g = 0; g < 4; g++)
      for (long l = 0; l < VL; l++) {
        const long unit = u * VL + l, j = g * H + unit;
        for (long k = 0; k < K; k++) {
          float v = 0.f;
          if (unit < H) {
            if (k < F) v = w.wih[j * F + k];
            else v = w.whh_transposed ? w.whh[(k - F) * G + j] : w.whh[j * H + (k - F)];
          }
          pu[k * W + g * VL + l] = v;
        }
      }
  }
  std::vector<float> zeros;
  if (w.bias == nullptr || w.xproj == nullptr) zeros.assign(G, 0.f);
  const float* bias = w.bias ? w.bias : zeros.data();
  // The state before the first step.
  const long t0 = L.time(0);
  for (long b = 0; b < B; b++) {
    std::memcpy(hprev + L.row(t0, b) * H, h0 + b * H, sizeof(float) * H);
    std::memcpy(cprev + L.row(t0, b) * H, c0 + b * H, sizeof(float) * H);
  }
  auto item = [&](long step, long u) {
    const long t = L.time(step);
    const bool last = step + 1 == T;
    const long tn = last ? 0 : L.time(step + 1);
    const long u0 = u * VL, nu = std::min(VL, H - u0);
    const float* pu = panels.p + u * K * W;
    alignas(64) float tile[6 * 64];
    // In the batch-major layout a step's rows lie T rows apart, which the hardware prefetcher
    // does not follow: fetch the next step's lines of this item while this step computes.
    if (!last) {
      const long t1 = tn, t2 = step + 2 < T ? L.time(step + 2) : -1;
      for (long b = 0; b < B; b++) {
        const long r1 = L.row(t1, b);
        for (long g = 0; g < 4; g++) {
          if (w.xproj) prefetch_run<false>(w.xproj + r1 * G + g * H + u0, nu);
          prefetch_run<true>(acts + r1 * G + g * H + u0, nu);
        }
        // x's row is read by every item: each prefetches its share.
        if (F > 0) prefetch_run<false>(w.x + r1 * F + F * u / NU, F * (u + 1) / NU - F * u / NU);
        prefetch_run<true>(tc + r1 * H + u0, nu);
        if (L.seq) prefetch_run<true>(out + L.orow(t1, b) * H + u0, nu);
        if (t2 >= 0) {
          prefetch_run<true>(hprev + L.row(t2, b) * H + u0, nu);
          prefetch_run<true>(cprev + L.row(t2, b) * H + u0, nu);
        }
      }
    }
    // Rows inside their sequence go through the product in chunks of up to mr; rows past their
    // length only hold their state.
    long rows[8];
    const float* a1[8];
    const float* a2[8];
    float discard[64];  // the step's output, when only the final state is returned
    long mr = 0;
    auto flush = [&]() {
      if (mr == 0) return;
      kr.mk[mr](F, a1, H, a2, pu, tile);
      for (long r = 0; r < mr; r++) {
        const long b = rows[r], ri = L.row(t, b);
        const float* cp = cprev + ri * H + u0;
        float* hn = last ? out + L.frow(0, b) * H + u0 : hprev + L.row(tn, b) * H + u0;
        float* cn = last ? out + L.frow(1, b) * H + u0 : cprev + L.row(tn, b) * H + u0;
        const float* xp = w.xproj ? w.xproj + ri * G + u0 : zeros.data();
        gates_fwd(nu, tile + r * W, VL, xp, w.xproj ? H : 0, bias + u0, H, acts + ri * G + u0, cp, cn, tc + ri * H + u0, hn,
                  L.seq ? out + L.orow(t, b) * H + u0 : discard);
      }
      mr = 0;
    };
    for (long b = 0; b < B; b++) {
      const long ri = L.row(t, b);
      if (lengths && t >= lengths[b]) {
        float* hn = last ? out + L.frow(0, b) * H + u0 : hprev + L.row(tn, b) * H + u0;
        float* cn = last ? out + L.frow(1, b) * H + u0 : cprev + L.row(tn, b) * H + u0;
        for (long g = 0; g < 4; g++) std::memset(acts + ri * G + g * H + u0, 0, sizeof(float) * nu);
        std::memset(tc + ri * H + u0, 0, sizeof(float) * nu);
        if (L.seq) std::memset(out + L.orow(t, b) * H + u0, 0, sizeof(float) * nu);
        std::memmove(hn, hprev + ri * H + u0, sizeof(float) * nu);
        std::memmove(cn, cprev + ri * H + u0, sizeof(float) * nu);
        continue;
      }
      rows[mr] = b;
      a1[mr] = F > 0 ? w.x + ri * F : nullptr;
      a2[mr] = hprev + ri * H;
      if (++mr == kr.mr) flush();
    }
    flush();
  };
  run_phased(T, NU, 2.0 * B * K * G, item, [](long, long) {});
}

void lstm_bwd(const LstmShape& s, const LstmWeights& w, const float* dout, const float* acts, const float* hprev, const float* cprev,
              const float* tc, const int32_t* lengths, const LstmGrads& gr) {
  const Layout L{s.T, s.B, s.H, 4 * s.H, s.reverse, s.batch_first, s.sequence};
  const long T = L.T, B = L.B, H = L.H, G = L.G, F = w.x ? w.F : 0;
  if (B == 0 || H == 0) return;
  if (gr.dbias) std::memset(gr.dbias, 0, sizeof(float) * G);
  if (T == 0) {
    // No steps: the final state is the initial state.
    for (long b = 0; b < B; b++) {
      std::memcpy(gr.dh0 + b * H, dout + L.frow(0, b) * H, sizeof(float) * H);
      std::memcpy(gr.dc0 + b * H, dout + L.frow(1, b) * H, sizeof(float) * H);
    }
    std::memset(gr.dwhh, 0, sizeof(float) * H * G);
    if (gr.dwih) std::memset(gr.dwih, 0, sizeof(float) * G * F);
    return;
  }
  const Kern kr = kern_for(current_isa());
  const long W = 4 * kr.vl, C = H + (gr.dx ? F : 0), NV = (C + W - 1) / W;
  // Backward panels over the columns of [W_hh | W_ih] ([4H, H + F]): panel v, row j, column m =
  // the weight of gate j for input v·W + m (h's units, then x's features; 0 past the end).
  Aligned panels(static_cast<size_t>(NV) * G * W);
  for (long v = 0; v < NV; v++) {
    float* pv = panels.p + v * G * W;
    for (long m = 0; m < W; m++) {
      const long col = v * W + m;
      for (long j = 0; j < G; j++) {
        float x = 0.f;
        if (col < H) x = w.whh_transposed ? w.whh[col * G + j] : w.whh[j * H + col];
        else if (col < C) x = w.wih[j * F + (col - H)];
        pv[j * W + m] = x;
      }
    }
  }
  // dh and dc entering phase k's gate gradients, one [B,H] slot per phase (so that an item writes
  // only its own phase's slots and can be run twice; see run_phased). Kept between calls.
  static thread_local std::vector<float> slots;
  slots.resize(static_cast<size_t>(2 * (T + 1) * B * H));
  float* dhs = slots.data();
  float* dcs = dhs + (T + 1) * B * H;
  for (long b = 0; b < B; b++) {
    std::memcpy(dhs + b * H, dout + L.frow(0, b) * H, sizeof(float) * H);
    std::memcpy(dcs + b * H, dout + L.frow(1, b) * H, sizeof(float) * H);
  }
  float* dgates = gr.dgates;
  const std::vector<float> no_dout(L.seq ? 0 : W, 0.f);  // the steps' outputs were not returned: no gradient
  // Phase k: (k > 0) [dh | dx] ← dgates(step k−1)·[W_hh | W_ih] for the item's columns, then
  // (k < T) the gate gradients of step k for the item's units; steps counted backwards from the
  // last one processed forward.
  auto item = [&](long k, long v) {
    const long v0 = v * W, nv = std::min(W, C - v0), nh = std::max(0L, std::min(W, H - v0));
    float* dh = dhs + k * B * H;
    float* dc = dcs + k * B * H;
    alignas(64) float tile[6 * 64];
    if (k > 0) {
      const long tp = L.time(T - k);
      const float* pv = panels.p + v * G * W;
      long rows[8];
      const float* a1[8];
      long mr = 0;
      auto flush = [&]() {
        if (mr == 0) return;
        kr.mk[mr](G, a1, 0, nullptr, pv, tile);
        for (long r = 0; r < mr; r++) {
          const long b = rows[r];
          if (nh > 0) std::memcpy(dh + b * H + v0, tile + r * W, sizeof(float) * nh);
          if (nv > nh) std::memcpy(gr.dx + L.row(tp, b) * F + (v0 + nh - H), tile + r * W + nh, sizeof(float) * (nv - nh));
        }
        mr = 0;
      };
      for (long b = 0; b < B; b++) {
        if (lengths && tp >= lengths[b]) {
          // Past its length the row held its state: dh passes through, and x had no effect.
          if (nh > 0) std::memcpy(dh + b * H + v0, dh - B * H + b * H + v0, sizeof(float) * nh);
          if (nv > nh) std::memset(gr.dx + L.row(tp, b) * F + (v0 + nh - H), 0, sizeof(float) * (nv - nh));
          continue;
        }
        rows[mr] = b;
        a1[mr] = dgates + L.row(tp, b) * G;
        if (++mr == kr.mr) flush();
      }
      flush();
    }
    if (k < T && nh > 0) {
      const long t = L.time(T - 1 - k);
      if (k + 1 < T) {
        const long t1 = L.time(T - 2 - k);
        for (long b = 0; b < B; b++) {
          const long r1 = L.row(t1, b);
          for (long g = 0; g < 4; g++) {
            prefetch_run<false>(acts + r1 * G + g * H + v0, nh);
            prefetch_run<true>(dgates + r1 * G + g * H + v0, nh);
          }
          prefetch_run<false>(tc + r1 * H + v0, nh);
          prefetch_run<false>(cprev + r1 * H + v0, nh);
          if (L.seq) prefetch_run<false>(dout + L.orow(t1, b) * H + v0, nh);
        }
      }
      for (long b = 0; b < B; b++) {
        const long ri = L.row(t, b);
        float* dg = dgates + ri * G + v0;
        float* dcn = dc + B * H + b * H + v0;
        if (lengths && t >= lengths[b]) {
          for (long g = 0; g < 4; g++) std::memset(dg + g * H, 0, sizeof(float) * nh);
          std::memcpy(dcn, dc + b * H + v0, sizeof(float) * nh);
          continue;
        }
        gates_bwd(nh, H, acts + ri * G + v0, tc + ri * H + v0, cprev + ri * H + v0, L.seq ? dout + L.orow(t, b) * H + v0 : no_dout.data(), dh + b * H + v0,
                  dc + b * H + v0, dcn, dg);
      }
    }
  };
  // The bias gradient sums the item's gate gradients once (whichever thread finishes it first).
  auto commit = [&](long k, long v) {
    const long v0 = v * W, nh = std::max(0L, std::min(W, H - v0));
    if (!gr.dbias || k >= T || nh <= 0) return;
    const long t = L.time(T - 1 - k);
    for (long b = 0; b < B; b++) {
      const float* dg = dgates + L.row(t, b) * G + v0;
      for (long g = 0; g < 4; g++)
        for (long l = 0; l < nh; l++) gr.dbias[g * H + v0 + l] += dg[g * H + l];
    }
  };
  run_phased(T + 1, NV, 2.0 * B * C * G, item, commit);
  std::memcpy(gr.dh0, dhs + T * B * H, sizeof(float) * B * H);
  std::memcpy(gr.dc0, dcs + T * B * H, sizeof(float) * B * H);
  // Weight gradients: one product each over all steps (rows of hprev, x and dgates share the layout).
  if (w.whh_transposed) {
    gemm(hprev, true, dgates, false, gr.dwhh, H, G, T * B);  // dW_hhᵀ = Σ h_prevᵀ·dgates
  } else {
    gemm(dgates, true, hprev, false, gr.dwhh, G, H, T * B);  // dW_hh = Σ dgatesᵀ·h_prev
  }
  if (gr.dwih && F > 0) gemm(dgates, true, w.x, false, gr.dwih, G, F, T * B);
}

}  // namespace llmk
