// Strided copies (slice, concat, pad, transpose, split, unstack) and broadcasting binary ops:
// dimensions are first merged where the layout allows and size-1 dimensions dropped, then the
// innermost run is a memcpy or a tight loop, and large jobs are split over the thread pool.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "gemm.h"
#include "fastmath.h"

namespace llmk {

namespace {

struct Layout {
  int rank = 0;
  long shape[kMaxRank];
  long s[3][kMaxRank];  // strides of up to three arrays
};

// Drop size-1 dims and merge dim d into d+1 when every array is contiguous across them.
Layout collapse(int rank, const long* shape, const long* const* strides, int arrays) {
  Layout in;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    in.shape[in.rank] = shape[d];
    for (int k = 0; k < arrays; k++) in.s[k][in.rank] = strides[k][d];
    in.rank++;
  }
  Layout out;
  for (int d = 0; d < in.rank; d++) {
    if (out.rank > 0) {
      bool merge = true;
      for (int k = 0; k < arrays; k++)
        if (out.s[k][out.rank - 1] != in.s[k][d] * in.shape[d]) merge = false;
      if (merge) {
        out.shape[out.rank - 1] *= in.shape[d];
        for (int k = 0; k < arrays; k++) out.s[k][out.rank - 1] = in.s[k][d];
        continue;
      }
    }
    out.shape[out.rank] = in.shape[d];
    for (int k = 0; k < arrays; k++) out.s[k][out.rank] = in.s[k][d];
    out.rank++;
  }
  if (out.rank == 0) {  // a single element
    out.rank = 1;
    out.shape[0] = 1;
    for (int k = 0; k < arrays; k++) out.s[k][0] = 1;
  }
  return out;
}

// Calls fn(offsets[arrays]) for each innermost run of the rows [r0, r1) of L (rows = all dims but the last).
template <typename F>
void for_rows(const Layout& L, int arrays, long r0, long r1, const long* base, F&& fn) {
  const int outer = L.rank - 1;
  long idx[kMaxRank] = {0};
  long off[3];
  // Decompose r0 into an index over the outer dims.
  long r = r0;
  for (int d = outer - 1; d >= 0; d--) {
    idx[d] = r % L.shape[d];
    r /= L.shape[d];
  }
  for (int k = 0; k < arrays; k++) {
    off[k] = base[k];
    for (int d = 0; d < outer; d++) off[k] += idx[d] * L.s[k][d];
  }
  for (long row = r0; row < r1; row++) {
    fn(off);
    for (int d = outer - 1; d >= 0; d--) {
      idx[d]++;
      for (int k = 0; k < arrays; k++) off[k] += L.s[k][d];
      if (idx[d] < L.shape[d]) break;
      for (int k = 0; k < arrays; k++) off[k] -= L.s[k][d] * L.shape[d];
      idx[d] = 0;
    }
  }
}

long rows_of(const Layout& L) {
  long rows = 1;
  for (int d = 0; d < L.rank - 1; d++) rows *= L.shape[d];
  return rows;
}

}  // namespace

void strided_copy(const uint32_t* src, uint32_t* dst, int rank, const long* shape, const long* src_strides,
                  long src_offset, const long* dst_strides, long dst_offset) {
  for (int d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  const long* strides[2] = {src_strides, dst_strides};
  const Layout L = collapse(rank, shape, strides, 2);
  const long n = L.shape[L.rank - 1];
  const long ss = L.s[0][L.rank - 1], ds = L.s[1][L.rank - 1];
  const long base[2] = {src_offset, dst_offset};
  parallel_chunks(rows_of(L), static_cast<double>(n), [&](long r0, long r1) {
    for_rows(L, 2, r0, r1, base, [&](const long* off) {
      const uint32_t* s = src + off[0];
      uint32_t* t = dst + off[1];
      if (ss == 1 && ds == 1) {
        std::memcpy(t, s, sizeof(uint32_t) * n);
      } else if (ds == 1) {
        for (long i = 0; i < n; i++) t[i] = s[i * ss];
      } else {
        for (long i = 0; i < n; i++) t[i * ds] = s[i * ss];
      }
    });
  });
}

template <int OP>
static inline float apply(float x, float y) {
  if (OP == OpAdd) return x + y;
  if (OP == OpSub) return x - y;
  if (OP == OpMul) return x * y;
  if (OP == OpDiv) return x / y;
  if (OP == OpPow) return std::pow(x, y);
  if (OP == OpSquaredDiff) return (x - y) * (x - y);
  if (OP == OpMax) return (std::isnan(x) || std::isnan(y)) ? NAN : (x > y ? x : y);
  return (std::isnan(x) || std::isnan(y)) ? NAN : (x < y ? x : y);
}

template <int OP>
static void binary_t(const float* a, const float* b, float* out, const Layout& L) {
  const long n = L.shape[L.rank - 1];
  const long as = L.s[0][L.rank - 1], bs = L.s[1][L.rank - 1];
  const long base[3] = {0, 0, 0};
  // Few long rows (same-shape operands collapse to one row): cut each row into pieces too.
  const long rows = rows_of(L);
  const long parts = rows >= 4L * threads() ? 1 : std::max<long>(1, std::min<long>((4L * threads() + rows - 1) / rows, n / 16384));
  parallel_chunks(rows * parts, static_cast<double>(n) / parts, [&](long u0, long u1) {
    for (long u = u0; u < u1;) {
      const long r = u / parts, q = u % parts;
      const long i0 = n * q / parts, i1 = n * (q + 1) / parts;
      const long r1 = parts == 1 ? u1 : r + 1;
      for_rows(L, 3, r, r1, base, [&](const long* off) {
        const float* x = a + off[0];
        const float* y = b + off[1];
        float* z = out + off[2];
        if (as == 1 && bs == 1) {
          for (long i = i0; i < i1; i++) z[i] = apply<OP>(x[i], y[i]);
        } else if (as == 1 && bs == 0) {
          const float yv = y[0];
          for (long i = i0; i < i1; i++) z[i] = apply<OP>(x[i], yv);
        } else if (as == 0 && bs == 1) {
          const float xv = x[0];
          for (long i = i0; i < i1; i++) z[i] = apply<OP>(xv, y[i]);
        } else {
          for (long i = i0; i < i1; i++) z[i] = apply<OP>(x[i * as], y[i * bs]);
        }
      });
      u = parts == 1 ? u1 : u + 1;
    }
  });
}

void binary(int op, const float* a, const long* a_strides, const float* b, const long* b_strides, float* out, int rank,
            const long* shape) {
  long total = 1;
  for (int d = 0; d < rank; d++) total *= shape[d];
  if (total == 0) return;
  long o_strides[kMaxRank];
  long acc = 1;
  for (int d = rank - 1; d >= 0; d--) {
    o_strides[d] = acc;
    acc *= shape[d];
  }
  const long* strides[3] = {a_strides, b_strides, o_strides};
  const Layout L = collapse(rank, shape, strides, 3);
  switch (op) {
    case OpAdd: binary_t<OpAdd>(a, b, out, L); break;
    case OpSub: binary_t<OpSub>(a, b, out, L); break;
    case OpMul: binary_t<OpMul>(a, b, out, L); break;
    case OpDiv: binary_t<OpDiv>(a, b, out, L); break;
    case OpPow: binary_t<OpPow>(a, b, out, L); break;
    case OpSquaredDiff: binary_t<OpSquaredDiff>(a, b, out, L); break;
    case OpMax: binary_t<OpMax>(a, b, out, L); break;
    default: binary_t<OpMin>(a, b, out, L); break;
  }
}

// Sigmoid and tanh through the vectorised approximations (relative error ~1e-7; both saturate).
LLMK_CLONES static void sigmoid_range(const float* x, float* y, long i0, long i1) {
  for (long i = i0; i < i1; i++) y[i] = fsigmoid(x[i]);
}
LLMK_CLONES static void tanh_range(const float* x, float* y, long i0, long i1) {
  for (long i = i0; i < i1; i++) y[i] = ftanh(x[i]);
}

template <int OP>
static void unary_t(const float* x, float* y, long n) {
  parallel_chunks(n, OP <= ULog ? 20.0 : 2.0, [&](long i0, long i1) {
    if (OP == USigmoid) return sigmoid_range(x, y, i0, i1);
    if (OP == UTanh) return tanh_range(x, y, i0, i1);
    for (long i = i0; i < i1; i++) {
      const float v = x[i];
      float r;
      if (OP == USigmoid) r = 1.f / (1.f + std::exp(-v));
      else if (OP == UTanh) r = std::tanh(v);
      else if (OP == UExp) r = std::exp(v);
      else if (OP == ULog) r = std::log(v);
      else if (OP == USqrt) r = std::sqrt(v);
      else if (OP == URsqrt) r = 1.f / std::sqrt(v);
      else if (OP == USquare) r = v * v;
      else if (OP == UNeg) r = -v;
      else if (OP == URelu) r = v < 0.f ? 0.f : v;
      else r = std::fabs(v);
      y[i] = r;
    }
  });
}

void unary(int op, const float* x, float* out, long n) {
  switch (op) {
    case USigmoid: unary_t<USigmoid>(x, out, n); break;
    case UTanh: unary_t<UTanh>(x, out, n); break;
    case UExp: unary_t<UExp>(x, out, n); break;
    case ULog: unary_t<ULog>(x, out, n); break;
    case USqrt: unary_t<USqrt>(x, out, n); break;
    case URsqrt: unary_t<URsqrt>(x, out, n); break;
    case USquare: unary_t<USquare>(x, out, n); break;
    case UNeg: unary_t<UNeg>(x, out, n); break;
    case URelu: unary_t<URelu>(x, out, n); break;
    default: unary_t<UAbs>(x, out, n); break;
  }
}

void reduce(int op, const float* x, float* out, long outer, long red, long inner) {
  const float scale = op == RMean ? 1.f / static_cast<float>(red) : 1.f;
  if (inner == 1) {
    parallel_chunks(outer, static_cast<double>(red), [&](long o0, long o1) {
      for (long o = o0; o < o1; o++) {
        const float* r = x + o * red;
        if (op == RMax || op == RMin) {
          float m = r[0];
          for (long i = 1; i < red; i++) {
            const float v = r[i];
            if (std::isnan(v) || std::isnan(m)) m = NAN;
            else if (op == RMax ? v > m : v < m) m = v;
          }
          out[o] = m;
        } else {
          // Four partial sums: vectorizable without reassociation flags, and more accurate.
          float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
          long i = 0;
          for (; i + 4 <= red; i += 4) {
            s0 += r[i];
            s1 += r[i + 1];
            s2 += r[i + 2];
            s3 += r[i + 3];
          }
          for (; i < red; i++) s0 += r[i];
          out[o] = ((s0 + s1) + (s2 + s3)) * scale;
        }
      }
    });
    return;
  }
  // Rows of `inner` values are accumulated into out[o, :], streaming through memory once.
  parallel_chunks(outer * ((inner + 63) / 64), static_cast<double>(red) * 64, [&](long c0, long c1) {
    const long per = (inner + 63) / 64;
    for (long c = c0; c < c1; c++) {
      const long o = c / per;
      const long j0 = (c % per) * 64, j1 = std::min(inner, j0 + 64);
      float* dst = out + o * inner;
      const float* src = x + o * red * inner;
      for (long j = j0; j < j1; j++) dst[j] = src[j];
      for (long r = 1; r < red; r++) {
        const float* row = src + r * inner;
        if (op == RMax || op == RMin) {
          for (long j = j0; j < j1; j++) {
            const float v = row[j];
            if (std::isnan(v) || std::isnan(dst[j])) dst[j] = NAN;
            else if (op == RMax ? v > dst[j] : v < dst[j]) dst[j] = v;
          }
        } else {
          for (long j = j0; j < j1; j++) dst[j] += row[j];
        }
      }
      if (op == RMean)
        for (long j = j0; j < j1; j++) dst[j] *= scale;
    }
  });
}

}  // namespace llmk
