// Single-precision GEMM and the training-path kernels of the @llm/core native pack.
#pragma once

#include <cstdint>
#include <functional>

namespace llmk {

/** Instruction sets the kernels can dispatch to. */
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

/** What this CPU supports (checked at run time with cpuid). */
bool cpu_has(Isa isa);
/** The set in use; set_isa refuses (returns false) one the CPU lacks. */
Isa current_isa();
bool set_isa(Isa isa);
const char* isa_name(Isa isa);

/** Runs body over [0, items) split into chunks on the pool when the work is large enough. */
void parallel_chunks(long items, double work_per_item, const std::function<void(long, long)>& body);

/** Threads used by the kernels (the caller plus workers). */
int threads();
void set_threads(int n);

/** Epilogue applied to C after the product (tfjs `_FusedMatMul` activations). */
enum Activation { ActLinear = 0, ActRelu = 1, ActRelu6 = 2, ActSigmoid = 3, ActElu = 4, ActLeakyRelu = 5 };

struct MatMulArgs {
  const float* a;
  const float* b;
  float* c;
  long batch, batch_a, batch_b;  // output batches; a and b use index % batch_a / % batch_b
  long m, n, k;
  bool trans_a, trans_b;
  const float* bias;  // nullptr, or length n (per column), or length 1
  long bias_len;
  int activation;
  float alpha;  // leaky-relu slope
  bool serial;  // run on the calling thread only (the caller already splits the work)
};

/** C[b] = act(op(A[b % batch_a]) · op(B[b % batch_b]) + bias), row-major, using every thread. */
void batch_matmul(const MatMulArgs& args);

/**
 * Triangular structure gemm_serial may exploit (row i, column j of C; depth p):
 * TriOutLower: only C's lower triangle (j ≤ i) is wanted; microtiles wholly above it are skipped
 * (left unwritten). TriALower: A(i, p) = 0 for p > i. TriAUpper: A(i, p) = 0 for p < i.
 */
enum Tri { TriNone = 0, TriOutLower = 1, TriALower = 2, TriAUpper = 3 };

/**
 * C (m×n, row stride ldc) = A·B on the calling thread, with A's element (i, p) at a[i·rsa + p·csa]
 * and B's (p, j) at b[p·rsb + j·csb]: any strided view, packed once (the fused attention's products).
 */
void gemm_serial(long m, long n, long k, const float* a, long rsa, long csa, const float* b, long rsb, long csb, float* c,
                 long ldc, int tri = TriNone);

/** Row-wise softmax over the last axis: rows × cols. */
void softmax(const float* x, float* y, long rows, long cols);

/** out[o, j, i] = x[o, idx[j], i] for 4-byte elements; returns the first bad index or -1. */
long gather4(const uint32_t* x, const int32_t* idx, uint32_t* out, long outer, long dim, long inner, long nidx);

/** out[numSegments, inner] = Σ rows of x by segment id (ids out of range are dropped). */
void unsorted_segment_sum(const float* x, const int32_t* ids, float* out, long rows, long inner, long num_segments);

/** One Adam step in place (tfjs's AdamOptimizer formula). */
void adam_update(float* var, float* m, float* v, const float* g, long n, float lr, float beta1, float beta2,
                 float eps, float beta1_power, float beta2_power);

}  // namespace llmk

namespace llmk {

/** Most dimensions the copy and broadcast kernels take. */
constexpr int kMaxRank = 8;

/**
 * dst[dstOffset + Σ i_d·dstStrides_d] = src[srcOffset + Σ i_d·srcStrides_d] over `shape`
 * (4-byte elements). Covers slice, concat, pad, transpose, split and unstack.
 */
void strided_copy(const uint32_t* src, uint32_t* dst, int rank, const long* shape, const long* src_strides,
                  long src_offset, const long* dst_strides, long dst_offset);

/** Elementwise binary ops with broadcasting (a zero stride repeats an element). */
enum BinaryOp { OpAdd = 0, OpSub = 1, OpMul = 2, OpDiv = 3, OpPow = 4, OpSquaredDiff = 5, OpMax = 6, OpMin = 7 };
void binary(int op, const float* a, const long* a_strides, const float* b, const long* b_strides, float* out, int rank,
            const long* shape);


/** Elementwise unary ops on float32 (same formulas as tfjs's cpu kernels). */
enum UnaryOp { USigmoid = 0, UTanh = 1, UExp = 2, ULog = 3, USqrt = 4, URsqrt = 5, USquare = 6, UNeg = 7, URelu = 8, UAbs = 9 };
void unary(int op, const float* x, float* out, long n);

/** Reduce x viewed as [outer, red, inner] over the middle axis: out[outer, inner]. */
enum ReduceOp { RSum = 0, RMean = 1, RMax = 2, RMin = 3 };
void reduce(int op, const float* x, float* out, long outer, long red, long inner);

}  // namespace llmk
