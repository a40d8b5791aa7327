// N-API surface of the kernel pack. Every function takes the tensors' own TypedArrays (the
// cpu backend's storage) and reads/writes them in place: no copies cross the boundary.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gemm.h"
#include "fused.h"
#include "lstm.h"
#include "transformer.h"

namespace {

struct Arr {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type = napi_float32_array;
};

#define CHECK(call)                                              \
  do {                                                           \
    if ((call) != napi_ok) {                                     \
      napi_throw_error(env, nullptr, "llm-kernels: " #call);     \
      return false;                                              \
    }                                                            \
  } while (0)

bool throw_type(napi_env env, const std::string& msg) {
  napi_throw_type_error(env, nullptr, ("llm-kernels: " + msg).c_str());
  return false;
}

bool get_array(napi_env env, napi_value v, Arr* out, const char* name, bool allow_null = false) {
  napi_valuetype vt;
  CHECK(napi_typeof(env, v, &vt));
  if (allow_null && (vt == napi_null || vt == napi_undefined)) {
    out->data = nullptr;
    out->length = 0;
    return true;
  }
  bool is_ta = false;
  CHECK(napi_is_typedarray(env, v, &is_ta));
  if (!is_ta) return throw_type(env, std::string(name) + " must be a TypedArray");
  napi_value buf;
  size_t offset;
  CHECK(napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &buf, &offset));
  return true;
}

bool get_f32(napi_env env, napi_value v, Arr* out, const char* name, bool allow_null = false) {
  if (!get_array(env, v, out, name, allow_null)) return false;
  if (out->data != nullptr && out->type != napi_float32_array) return throw_type(env, std::string(name) + " must be a Float32Array");
  return true;
}

bool get_i32(napi_env env, napi_value v, Arr* out, const char* name) {
  if (!get_array(env, v, out, name)) return false;
  if (out->type != napi_int32_array) return throw_type(env, std::string(name) + " must be an Int32Array");
  return true;
}

bool get_long(napi_env env, napi_value v, long* out, const char* name) {
  int64_t x;
  if (napi_get_value_int64(env, v, &x) != napi_ok) return throw_type(env, std::string(name) + " must be a number");
  if (x < 0) return throw_type(env, std::string(name) + " must be >= 0");
  *out = static_cast<long>(x);
  return true;
}

bool get_double(napi_env env, napi_value v, double* out, const char* name) {
  if (napi_get_value_double(env, v, out) != napi_ok) return throw_type(env, std::string(name) + " must be a number");
  return true;
}

bool get_bool(napi_env env, napi_value v, bool* out, const char* name) {
  if (napi_get_value_bool(env, v, out) != napi_ok) return throw_type(env, std::string(name) + " must be a boolean");
  return true;
}

bool size_is(napi_env env, const Arr& a, size_t need, const char* name) {
  if (a.length < need) {
    return throw_type(env, std::string(name) + " has " + std::to_string(a.length) + " elements, needs " + std::to_string(need));
  }
  return true;
}

template <size_t N>
bool args_of(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < N) return throw_type(env, "expected " + std::to_string(N) + " arguments, got " + std::to_string(argc));
  return true;
}

// matmul(a, b, out, batch, batchA, batchB, m, n, k, transA, transB, bias|null, activation, alpha)
napi_value MatMul(napi_env env, napi_callback_info info) {
  napi_value argv[14];
  if (!args_of(env, info, argv)) return nullptr;
  Arr a, b, c, bias;
  llmk::MatMulArgs m{};
  long act;
  double alpha;
  if (!get_f32(env, argv[0], &a, "a") || !get_f32(env, argv[1], &b, "b") || !get_f32(env, argv[2], &c, "out") ||
      !get_long(env, argv[3], &m.batch, "batch") || !get_long(env, argv[4], &m.batch_a, "batchA") ||
      !get_long(env, argv[5], &m.batch_b, "batchB") || !get_long(env, argv[6], &m.m, "m") ||
      !get_long(env, argv[7], &m.n, "n") || !get_long(env, argv[8], &m.k, "k") ||
      !get_bool(env, argv[9], &m.trans_a, "transA") || !get_bool(env, argv[10], &m.trans_b, "transB") ||
      !get_f32(env, argv[11], &bias, "bias", true) || !get_long(env, argv[12], &act, "activation") ||
      !get_double(env, argv[13], &alpha, "alpha"))
    return nullptr;
  if (m.batch_a < 1 || m.batch_b < 1) {
    throw_type(env, "batchA and batchB must be >= 1");
    return nullptr;
  }
  if (!size_is(env, a, m.batch_a * m.m * m.k, "a") || !size_is(env, b, m.batch_b * m.k * m.n, "b") ||
      !size_is(env, c, m.batch * m.m * m.n, "out"))
    return nullptr;
  if (bias.data != nullptr && bias.length != 1 && static_cast<long>(bias.length) != m.n) {
    throw_type(env, "bias must have 1 or n elements");
    return nullptr;
  }
  if (act < 0 || act > llmk::ActLeakyRelu) {
    throw_type(env, "unknown activation");
    return nullptr;
  }
  m.a = static_cast<const float*>(a.data);
  m.b = static_cast<const float*>(b.data);
  m.c = static_cast<float*>(c.data);
  m.bias = static_cast<const float*>(bias.data);
  m.bias_len = static_cast<long>(bias.length);
  m.activation = static_cast<int>(act);
  m.alpha = static_cast<float>(alpha);
  llmk::batch_matmul(m);
  return nullptr;
}

// softmax(x, out, rows, cols)
napi_value Softmax(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, argv)) return nullptr;
  Arr x, y;
  long rows, cols;
  if (!get_f32(env, argv[0], &x, "x") || !get_f32(env, argv[1], &y, "out") || !get_long(env, argv[2], &rows, "rows") ||
      !get_long(env, argv[3], &cols, "cols"))
    return nullptr;
  if (!size_is(env, x, rows * cols, "x") || !size_is(env, y, rows * cols, "out")) return nullptr;
  llmk::softmax(static_cast<const float*>(x.data), static_cast<float*>(y.data), rows, cols);
  return nullptr;
}

// gather(x, indices, out, outer, dim, inner) → -1, or the position of the first bad index
napi_value Gather(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, argv)) return nullptr;
  Arr x, idx, out;
  long outer, dim, inner;
  if (!get_array(env, argv[0], &x, "x") || !get_i32(env, argv[1], &idx, "indices") ||
      !get_array(env, argv[2], &out, "out") || !get_long(env, argv[3], &outer, "outer") ||
      !get_long(env, argv[4], &dim, "dim") || !get_long(env, argv[5], &inner, "inner"))
    return nullptr;
  auto four = [](napi_typedarray_type t) {
    return t == napi_float32_array || t == napi_int32_array || t == napi_uint32_array;
  };
  if (!four(x.type) || x.type != out.type) {
    throw_type(env, "x and out must be Float32Array or Int32Array of the same type");
    return nullptr;
  }
  const long nidx = static_cast<long>(idx.length);
  if (!size_is(env, x, outer * dim * inner, "x") || !size_is(env, out, outer * nidx * inner, "out")) return nullptr;
  long bad = llmk::gather4(static_cast<const uint32_t*>(x.data), static_cast<const int32_t*>(idx.data),
                           static_cast<uint32_t*>(out.data), outer, dim, inner, nidx);
  napi_value r;
  napi_create_int64(env, bad, &r);
  return r;
}

// unsortedSegmentSum(x, ids, out, rows, inner, numSegments)
napi_value SegmentSum(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, argv)) return nullptr;
  Arr x, ids, out;
  long rows, inner, nseg;
  if (!get_f32(env, argv[0], &x, "x") || !get_i32(env, argv[1], &ids, "segmentIds") ||
      !get_f32(env, argv[2], &out, "out") || !get_long(env, argv[3], &rows, "rows") ||
      !get_long(env, argv[4], &inner, "inner") || !get_long(env, argv[5], &nseg, "numSegments"))
    return nullptr;
  if (!size_is(env, x, rows * inner, "x") || !size_is(env, ids, rows, "segmentIds") ||
      !size_is(env, out, nseg * inner, "out"))
    return nullptr;
  llmk::unsorted_segment_sum(static_cast<const float*>(x.data), static_cast<const int32_t*>(ids.data),
                             static_cast<float*>(out.data), rows, inner, nseg);
  return nullptr;
}

// adam(var, m, v, g, lr, beta1, beta2, eps, beta1Power, beta2Power): in place
napi_value Adam(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args_of(env, info, argv)) return nullptr;
  Arr var, m, v, g;
  double h[6];
  if (!get_f32(env, argv[0], &var, "var") || !get_f32(env, argv[1], &m, "m") || !get_f32(env, argv[2], &v, "v") ||
      !get_f32(env, argv[3], &g, "g"))
    return nullptr;
  const char* names[6] = {"lr", "beta1", "beta2", "epsilon", "beta1Power", "beta2Power"};
  for (int i = 0; i < 6; i++)
    if (!get_double(env, argv[4 + i], &h[i], names[i])) return nullptr;
  const size_t n = var.length;
  if (!size_is(env, m, n, "m") || !size_is(env, v, n, "v") || !size_is(env, g, n, "g")) return nullptr;
  llmk::adam_update(static_cast<float*>(var.data), static_cast<float*>(m.data), static_cast<float*>(v.data),
                    static_cast<const float*>(g.data), static_cast<long>(n), static_cast<float>(h[0]),
                    static_cast<float>(h[1]), static_cast<float>(h[2]), static_cast<float>(h[3]),
                    static_cast<float>(h[4]), static_cast<float>(h[5]));
  return nullptr;
}

bool get_longs(napi_env env, napi_value v, long* out, uint32_t n, const char* name, bool allow_negative = false) {
  bool is_array = false;
  CHECK(napi_is_array(env, v, &is_array));
  if (!is_array) return throw_type(env, std::string(name) + " must be an array");
  uint32_t len;
  CHECK(napi_get_array_length(env, v, &len));
  if (len != n) return throw_type(env, std::string(name) + " must have " + std::to_string(n) + " entries");
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int64_t x;
    CHECK(napi_get_element(env, v, i, &e));
    if (napi_get_value_int64(env, e, &x) != napi_ok) return throw_type(env, std::string(name) + " must hold numbers");
    if (x < 0 && !allow_negative) return throw_type(env, std::string(name) + " must be >= 0");
    out[i] = static_cast<long>(x);
  }
  return true;
}

// Highest element index touched (offset + Σ (shape-1)·stride) must lie inside the array.
bool in_bounds(napi_env env, const Arr& a, int rank, const long* shape, const long* strides, long offset, const char* name) {
  long hi = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return true;
    hi += (shape[d] - 1) * strides[d];
  }
  if (hi >= static_cast<long>(a.length)) return throw_type(env, std::string(name) + " is too small for the view");
  return true;
}

bool is4(const Arr& a) {
  return a.type == napi_float32_array || a.type == napi_int32_array || a.type == napi_uint32_array;
}

// stridedCopy(src, dst, shape, srcStrides, srcOffset, dstStrides, dstOffset)
napi_value StridedCopy(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, argv)) return nullptr;
  Arr src, dst;
  uint32_t rank;
  if (!get_array(env, argv[0], &src, "src") || !get_array(env, argv[1], &dst, "dst")) return nullptr;
  if (!is4(src) || !is4(dst)) {
    throw_type(env, "src and dst must be Float32Array or Int32Array");
    return nullptr;
  }
  if (napi_get_array_length(env, argv[2], &rank) != napi_ok || rank > static_cast<uint32_t>(llmk::kMaxRank)) {
    throw_type(env, "shape must be an array of at most 8 dimensions");
    return nullptr;
  }
  long shape[llmk::kMaxRank], ss[llmk::kMaxRank], ds[llmk::kMaxRank], so, dofs;
  if (!get_longs(env, argv[2], shape, rank, "shape") || !get_longs(env, argv[3], ss, rank, "srcStrides") ||
      !get_long(env, argv[4], &so, "srcOffset") || !get_longs(env, argv[5], ds, rank, "dstStrides") ||
      !get_long(env, argv[6], &dofs, "dstOffset"))
    return nullptr;
  if (!in_bounds(env, src, rank, shape, ss, so, "src") || !in_bounds(env, dst, rank, shape, ds, dofs, "dst")) return nullptr;
  llmk::strided_copy(static_cast<const uint32_t*>(src.data), static_cast<uint32_t*>(dst.data), static_cast<int>(rank), shape, ss,
                     so, ds, dofs);
  return nullptr;
}

// binary(op, a, aStrides, b, bStrides, out, shape): out is contiguous over shape
napi_value Binary(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, argv)) return nullptr;
  long op;
  Arr a, b, out;
  uint32_t rank;
  if (!get_long(env, argv[0], &op, "op") || !get_f32(env, argv[1], &a, "a") || !get_f32(env, argv[3], &b, "b") ||
      !get_f32(env, argv[5], &out, "out"))
    return nullptr;
  if (op > llmk::OpMin) {
    throw_type(env, "unknown binary op");
    return nullptr;
  }
  if (napi_get_array_length(env, argv[6], &rank) != napi_ok || rank > static_cast<uint32_t>(llmk::kMaxRank)) {
    throw_type(env, "shape must be an array of at most 8 dimensions");
    return nullptr;
  }
  long shape[llmk::kMaxRank], as[llmk::kMaxRank], bs[llmk::kMaxRank], os[llmk::kMaxRank];
  if (!get_longs(env, argv[6], shape, rank, "shape") || !get_longs(env, argv[2], as, rank, "aStrides") ||
      !get_longs(env, argv[4], bs, rank, "bStrides"))
    return nullptr;
  long acc = 1;
  for (int d = static_cast<int>(rank) - 1; d >= 0; d--) {
    os[d] = acc;
    acc *= shape[d];
  }
  if (!in_bounds(env, a, rank, shape, as, 0, "a") || !in_bounds(env, b, rank, shape, bs, 0, "b") ||
      !in_bounds(env, out, rank, shape, os, 0, "out"))
    return nullptr;
  llmk::binary(static_cast<int>(op), static_cast<const float*>(a.data), as, static_cast<const float*>(b.data), bs,
               static_cast<float*>(out.data), static_cast<int>(rank), shape);
  return nullptr;
}

// unary(op, x, out)
napi_value Unary(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args_of(env, info, argv)) return nullptr;
  long op;
  Arr x, out;
  if (!get_long(env, argv[0], &op, "op") || !get_f32(env, argv[1], &x, "x") || !get_f32(env, argv[2], &out, "out")) return nullptr;
  if (op > llmk::UAbs) {
    throw_type(env, "unknown unary op");
    return nullptr;
  }
  if (!size_is(env, out, x.length, "out")) return nullptr;
  llmk::unary(static_cast<int>(op), static_cast<const float*>(x.data), static_cast<float*>(out.data), static_cast<long>(x.length));
  return nullptr;
}

// reduce(op, x, out, outer, red, inner)
napi_value Reduce(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, argv)) return nullptr;
  long op, outer, red, inner;
  Arr x, out;
  if (!get_long(env, argv[0], &op, "op") || !get_f32(env, argv[1], &x, "x") || !get_f32(env, argv[2], &out, "out") ||
      !get_long(env, argv[3], &outer, "outer") || !get_long(env, argv[4], &red, "red") || !get_long(env, argv[5], &inner, "inner"))
    return nullptr;
  if (op > llmk::RMin || red < 1) {
    throw_type(env, "unknown reduction or empty reduced axis");
    return nullptr;
  }
  if (!size_is(env, x, outer * red * inner, "x") || !size_is(env, out, outer * inner, "out")) return nullptr;
  llmk::reduce(static_cast<int>(op), static_cast<const float*>(x.data), static_cast<float*>(out.data), outer, red, inner);
  return nullptr;
}

// --- fused kernels (fused.cc) -------------------------------------------------------------------

bool f32n(napi_env env, napi_value v, Arr* out, const char* name, size_t need, bool allow_null = false) {
  if (!get_f32(env, v, out, name, allow_null)) return false;
  if (out->data == nullptr) return true;
  return size_is(env, *out, need, name);
}

bool i32n(napi_env env, napi_value v, Arr* out, const char* name, size_t need, bool allow_null = false) {
  napi_valuetype vt;
  CHECK(napi_typeof(env, v, &vt));
  if (allow_null && (vt == napi_null || vt == napi_undefined)) {
    out->data = nullptr;
    out->length = 0;
    return true;
  }
  if (!get_i32(env, v, out, name)) return false;
  return size_is(env, *out, need, name);
}

#define F(a) static_cast<float*>((a).data)
#define CF(a) static_cast<const float*>((a).data)
#define CI(a) static_cast<const int32_t*>((a).data)

// layerNorm(x, gamma, beta|null, y, mean, rstd, rows, cols, eps)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_of(env, info, argv)) return nullptr;
  long rows, cols;
  double eps;
  if (!get_long(env, argv[6], &rows, "rows") || !get_long(env, argv[7], &cols, "cols") || !get_double(env, argv[8], &eps, "eps")) return nullptr;
  Arr x, g, b, y, mu, rs;
  const size_t n = rows * cols;
  if (!f32n(env, argv[0], &x, "x", n) || !f32n(env, argv[1], &g, "gamma", cols) || !f32n(env, argv[2], &b, "beta", cols, true) ||
      !f32n(env, argv[3], &y, "y", n) || !f32n(env, argv[4], &mu, "mean", rows) || !f32n(env, argv[5], &rs, "rstd", rows))
    return nullptr;
  llmk::layer_norm_fwd(CF(x), CF(g), CF(b), F(y), F(mu), F(rs), rows, cols, static_cast<float>(eps));
  return nullptr;
}

// layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta|null, rows, cols)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args_of(env, info, argv)) return nullptr;
  long rows, cols;
  if (!get_long(env, argv[8], &rows, "rows") || !get_long(env, argv[9], &cols, "cols")) return nullptr;
  Arr dy, x, g, mu, rs, dx, dg, db;
  const size_t n = rows * cols;
  if (!f32n(env, argv[0], &dy, "dy", n) || !f32n(env, argv[1], &x, "x", n) || !f32n(env, argv[2], &g, "gamma", cols) ||
      !f32n(env, argv[3], &mu, "mean", rows) || !f32n(env, argv[4], &rs, "rstd", rows) || !f32n(env, argv[5], &dx, "dx", n) ||
      !f32n(env, argv[6], &dg, "dgamma", cols) || !f32n(env, argv[7], &db, "dbeta", cols, true))
    return nullptr;
  if (rows == 0) return nullptr;
  llmk::layer_norm_bwd(CF(dy), CF(x), CF(g), CF(mu), CF(rs), F(dx), F(dg), db.data ? F(db) : nullptr, rows, cols);
  return nullptr;
}

// gelu(x, y, approximate)
napi_value Gelu(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args_of(env, info, argv)) return nullptr;
  Arr x, y;
  bool approx;
  if (!get_f32(env, argv[0], &x, "x") || !f32n(env, argv[1], &y, "y", x.length) || !get_bool(env, argv[2], &approx, "approximate")) return nullptr;
  llmk::gelu_fwd(CF(x), F(y), static_cast<long>(x.length), approx);
  return nullptr;
}

// geluGrad(x, dy, dx, approximate)
napi_value GeluGrad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args_of(env, info, argv)) return nullptr;
  Arr x, dy, dx;
  bool approx;
  if (!get_f32(env, argv[0], &x, "x") || !f32n(env, argv[1], &dy, "dy", x.length) || !f32n(env, argv[2], &dx, "dx", x.length) ||
      !get_bool(env, argv[3], &approx, "approximate"))
    return nullptr;
  llmk::gelu_bwd(CF(x), CF(dy), F(dx), static_cast<long>(x.length), approx);
  return nullptr;
}

// xent(x, targets, loss, lse, rows, cols, smoothing)
napi_value Xent(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, argv)) return nullptr;
  long rows, cols;
  double eps;
  if (!get_long(env, argv[4], &rows, "rows") || !get_long(env, argv[5], &cols, "cols") || !get_double(env, argv[6], &eps, "smoothing")) return nullptr;
  Arr x, t, loss, lse;
  if (!f32n(env, argv[0], &x, "x", rows * cols) || !i32n(env, argv[1], &t, "targets", rows) || !f32n(env, argv[2], &loss, "loss", rows) ||
      !f32n(env, argv[3], &lse, "lse", rows))
    return nullptr;
  if (cols < 1) return throw_type(env, "cols must be >= 1"), nullptr;
  llmk::xent_fwd(CF(x), CI(t), F(loss), F(lse), rows, cols, static_cast<float>(eps));
  return nullptr;
}

// xentGrad(x, targets, lse, dloss, dx, rows, cols, smoothing)
napi_value XentGrad(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_of(env, info, argv)) return nullptr;
  long rows, cols;
  double eps;
  if (!get_long(env, argv[5], &rows, "rows") || !get_long(env, argv[6], &cols, "cols") || !get_double(env, argv[7], &eps, "smoothing")) return nullptr;
  Arr x, t, lse, dl, dx;
  if (!f32n(env, argv[0], &x, "x", rows * cols) || !i32n(env, argv[1], &t, "targets", rows) || !f32n(env, argv[2], &lse, "lse", rows) ||
      !f32n(env, argv[3], &dl, "dloss", rows) || !f32n(env, argv[4], &dx, "dx", rows * cols))
    return nullptr;
  if (cols < 1) return throw_type(env, "cols must be >= 1"), nullptr;
  llmk::xent_bwd(CF(x), CI(t), CF(lse), CF(dl), F(dx), rows, cols, static_cast<float>(eps));
  return nullptr;
}

// maskedSoftmax(x, mask|null, y, rows, cols, maskRows, scale)
napi_value MaskedSoftmax(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_of(env, info, argv)) return nullptr;
  long rows, cols, mrows;
  double scale;
  if (!get_long(env, argv[3], &rows, "rows") || !get_long(env, argv[4], &cols, "cols") || !get_long(env, argv[5], &mrows, "maskRows") ||
      !get_double(env, argv[6], &scale, "scale"))
    return nullptr;
  Arr x, m, y;
  if (!f32n(env, argv[0], &x, "x", rows * cols) || !f32n(env, argv[1], &m, "mask", mrows * cols, true) || !f32n(env, argv[2], &y, "y", rows * cols)) return nullptr;
  if (m.data && mrows < 1) return throw_type(env, "maskRows must be >= 1"), nullptr;
  llmk::masked_softmax_fwd(CF(x), m.data ? CF(m) : nullptr, F(y), rows, cols, mrows, static_cast<float>(scale));
  return nullptr;
}

// maskedSoftmaxGrad(y, dy, dx, rows, cols, scale)
napi_value MaskedSoftmaxGrad(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_of(env, info, argv)) return nullptr;
  long rows, cols;
  double scale;
  if (!get_long(env, argv[3], &rows, "rows") || !get_long(env, argv[4], &cols, "cols") || !get_double(env, argv[5], &scale, "scale")) return nullptr;
  Arr y, dy, dx;
  if (!f32n(env, argv[0], &y, "y", rows * cols) || !f32n(env, argv[1], &dy, "dy", rows * cols) || !f32n(env, argv[2], &dx, "dx", rows * cols)) return nullptr;
  llmk::masked_softmax_bwd(CF(y), CF(dy), F(dx), rows, cols, static_cast<float>(scale));
  return nullptr;
}

// adamw(p, m, v, g, lr, beta1, beta2, eps, bc1, bc2, decay): in place
napi_value AdamW(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!args_of(env, info, argv)) return nullptr;
  Arr p, m, v, g;
  double h[7];
  if (!get_f32(env, argv[0], &p, "p") || !f32n(env, argv[1], &m, "m", p.length) || !f32n(env, argv[2], &v, "v", p.length) ||
      !f32n(env, argv[3], &g, "g", p.length))
    return nullptr;
  const char* names[7] = {"lr", "beta1", "beta2", "eps", "bc1", "bc2", "decay"};
  for (int i = 0; i < 7; i++)
    if (!get_double(env, argv[4 + i], &h[i], names[i])) return nullptr;
  // Optional 12th argument: a factor applied to g first (gradient clipping folded into the step).
  double gscale = 1.0;
  {
    size_t argc = 12;
    napi_value all[12];
    napi_valuetype vt = napi_undefined;
    if (napi_get_cb_info(env, info, &argc, all, nullptr, nullptr) == napi_ok && argc >= 12) napi_typeof(env, all[11], &vt);
    if (vt != napi_undefined && !get_double(env, all[11], &gscale, "gradScale")) return nullptr;
  }
  llmk::adamw_update(F(p), F(m), F(v), CF(g), static_cast<long>(p.length), static_cast<float>(h[0]), static_cast<float>(h[1]),
                     static_cast<float>(h[2]), static_cast<float>(h[3]), static_cast<float>(h[4]), static_cast<float>(h[5]),
                     static_cast<float>(h[6]), static_cast<float>(gscale));
  return nullptr;
}

// --- transformer kernels (transformer.cc) --------------------------------------------------------

bool attention_shape(napi_env env, napi_value* argv, long* B, long* T, long* H, long* hd, double* scale) {
  return get_long(env, argv[0], B, "B") && get_long(env, argv[1], T, "T") && get_long(env, argv[2], H, "H") &&
         get_long(env, argv[3], hd, "hd") && get_double(env, argv[4], scale, "scale");
}

// causalAttention(qkv, y, probs, B, T, H, hd, scale)
napi_value CausalAttention(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_of(env, info, argv)) return nullptr;
  long B, T, H, hd;
  double scale;
  if (!attention_shape(env, argv + 3, &B, &T, &H, &hd, &scale)) return nullptr;
  Arr qkv, y, p;
  if (!f32n(env, argv[0], &qkv, "qkv", B * T * 3 * H * hd) || !f32n(env, argv[1], &y, "y", B * T * H * hd) ||
      !f32n(env, argv[2], &p, "probs", B * H * T * T))
    return nullptr;
  llmk::causal_attention_fwd(CF(qkv), F(y), F(p), B, T, H, hd, static_cast<float>(scale));
  return nullptr;
}

// causalAttentionGrad(qkv, probs, dy, dqkv, B, T, H, hd, scale)
napi_value CausalAttentionGrad(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_of(env, info, argv)) return nullptr;
  long B, T, H, hd;
  double scale;
  if (!attention_shape(env, argv + 4, &B, &T, &H, &hd, &scale)) return nullptr;
  Arr qkv, p, dy, dqkv;
  if (!f32n(env, argv[0], &qkv, "qkv", B * T * 3 * H * hd) || !f32n(env, argv[1], &p, "probs", B * H * T * T) ||
      !f32n(env, argv[2], &dy, "dy", B * T * H * hd) || !f32n(env, argv[3], &dqkv, "dqkv", B * T * 3 * H * hd))
    return nullptr;
  llmk::causal_attention_bwd(CF(qkv), CF(p), CF(dy), F(dqkv), B, T, H, hd, static_cast<float>(scale));
  return nullptr;
}

// sumSquares([Float32Array, ...]) → Σ x² over all of them
napi_value SumSquares(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args_of(env, info, argv)) return nullptr;
  bool is_array = false;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return throw_type(env, "sumSquares takes an array of Float32Arrays"), nullptr;
  uint32_t count = 0;
  napi_get_array_length(env, argv[0], &count);
  std::vector<const float*> ptrs(count);
  std::vector<long> lens(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value el;
    Arr a;
    if (napi_get_element(env, argv[0], i, &el) != napi_ok || !get_f32(env, el, &a, "sumSquares element")) return nullptr;
    ptrs[i] = CF(a);
    lens[i] = static_cast<long>(a.length);
  }
  napi_value r;
  napi_create_double(env, llmk::sum_squares(ptrs.data(), lens.data(), static_cast<long>(count)), &r);
  return r;
}

bool lstm_shape(napi_env env, napi_value* argv, llmk::LstmShape* s) {
  return get_long(env, argv[0], &s->T, "T") && get_long(env, argv[1], &s->B, "B") && get_long(env, argv[2], &s->H, "H") &&
         get_bool(env, argv[3], &s->reverse, "reverse") && get_bool(env, argv[4], &s->batch_first, "batchFirst") &&
         get_bool(env, argv[5], &s->sequence, "sequence");
}

// lstm(x|null, F, xproj|null, bias|null, wih|null, whh, whhTransposed, h0, c0, lengths|null, out, acts, hprev, cprev, tc,
//      T, B, H, reverse, batchFirst, sequence)
napi_value Lstm(napi_env env, napi_callback_info info) {
  napi_value argv[21];
  if (!args_of(env, info, argv)) return nullptr;
  llmk::LstmShape s{};
  llmk::LstmWeights w{};
  if (!lstm_shape(env, argv + 15, &s) || !get_long(env, argv[1], &w.F, "F") || !get_bool(env, argv[6], &w.whh_transposed, "whhTransposed"))
    return nullptr;
  const size_t bh = s.B * s.H, tbh = s.T * bh, G = 4 * s.H;
  Arr x, xp, bias, wih, whh, h0, c0, len, out, acts, hp, cp, tc;
  if (!f32n(env, argv[0], &x, "x", s.T * s.B * w.F, true) || !f32n(env, argv[2], &xp, "xproj", 4 * tbh, true) ||
      !f32n(env, argv[3], &bias, "bias", G, true) || !f32n(env, argv[4], &wih, "wih", G * w.F, true) || !f32n(env, argv[5], &whh, "whh", G * s.H) ||
      !f32n(env, argv[7], &h0, "h0", bh) || !f32n(env, argv[8], &c0, "c0", bh) || !i32n(env, argv[9], &len, "lengths", s.B, true) ||
      !f32n(env, argv[10], &out, "out", (s.sequence ? tbh : 0) + 2 * bh) || !f32n(env, argv[11], &acts, "acts", 4 * tbh) || !f32n(env, argv[12], &hp, "hprev", tbh) ||
      !f32n(env, argv[13], &cp, "cprev", tbh) || !f32n(env, argv[14], &tc, "tc", tbh))
    return nullptr;
  if ((x.data == nullptr) != (wih.data == nullptr)) {
    throw_type(env, "x and wih go together");
    return nullptr;
  }
  w.x = x.data ? CF(x) : nullptr;
  w.xproj = xp.data ? CF(xp) : nullptr;
  w.bias = bias.data ? CF(bias) : nullptr;
  w.wih = wih.data ? CF(wih) : nullptr;
  w.whh = CF(whh);
  llmk::lstm_fwd(s, w, CF(h0), CF(c0), len.data ? CI(len) : nullptr, F(out), F(acts), F(hp), F(cp), F(tc));
  return nullptr;
}

// lstmGrad(dout, acts, hprev, cprev, tc, x|null, F, wih|null, whh, whhTransposed, lengths|null,
//          dgates, dx|null, dwih|null, dwhh, dbias|null, dh0, dc0, T, B, H, reverse, batchFirst, sequence)
napi_value LstmGrad(napi_env env, napi_callback_info info) {
  napi_value argv[24];
  if (!args_of(env, info, argv)) return nullptr;
  llmk::LstmShape s{};
  llmk::LstmWeights w{};
  if (!lstm_shape(env, argv + 18, &s) || !get_long(env, argv[6], &w.F, "F") || !get_bool(env, argv[9], &w.whh_transposed, "whhTransposed"))
    return nullptr;
  const size_t bh = s.B * s.H, tbh = s.T * bh, G = 4 * s.H, tbf = s.T * s.B * w.F;
  Arr dout, acts, hp, cp, tc, x, wih, whh, len, dg, dx, dwih, dwhh, db, dh0, dc0;
  if (!f32n(env, argv[0], &dout, "dout", (s.sequence ? tbh : 0) + 2 * bh) || !f32n(env, argv[1], &acts, "acts", 4 * tbh) || !f32n(env, argv[2], &hp, "hprev", tbh) ||
      !f32n(env, argv[3], &cp, "cprev", tbh) || !f32n(env, argv[4], &tc, "tc", tbh) || !f32n(env, argv[5], &x, "x", tbf, true) ||
      !f32n(env, argv[7], &wih, "wih", G * w.F, true) || !f32n(env, argv[8], &whh, "whh", G * s.H) || !i32n(env, argv[10], &len, "lengths", s.B, true) ||
      !f32n(env, argv[11], &dg, "dgates", 4 * tbh) || !f32n(env, argv[12], &dx, "dx", tbf, true) || !f32n(env, argv[13], &dwih, "dwih", G * w.F, true) ||
      !f32n(env, argv[14], &dwhh, "dwhh", G * s.H) || !f32n(env, argv[15], &db, "dbias", G, true) || !f32n(env, argv[16], &dh0, "dh0", bh) ||
      !f32n(env, argv[17], &dc0, "dc0", bh))
    return nullptr;
  if ((x.data == nullptr) != (wih.data == nullptr) || (x.data == nullptr && (dx.data != nullptr || dwih.data != nullptr))) {
    throw_type(env, "x, wih, dx and dwih go together");
    return nullptr;
  }
  w.x = x.data ? CF(x) : nullptr;
  w.wih = wih.data ? CF(wih) : nullptr;
  w.whh = CF(whh);
  llmk::LstmGrads g{F(dg), dx.data ? F(dx) : nullptr, dwih.data ? F(dwih) : nullptr, F(dwhh), db.data ? F(db) : nullptr, F(dh0), F(dc0)};
  llmk::lstm_bwd(s, w, CF(dout), CF(acts), CF(hp), CF(cp), CF(tc), len.data ? CI(len) : nullptr, g);
  return nullptr;
}

napi_value str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// info() → { isa, threads, avx2, avx512 }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "isa", str(env, llmk::isa_name(llmk::current_isa())));
  napi_create_int32(env, llmk::threads(), &v);
  napi_set_named_property(env, o, "threads", v);
  napi_get_boolean(env, llmk::cpu_has(llmk::Isa::Avx2), &v);
  napi_set_named_property(env, o, "avx2", v);
  napi_get_boolean(env, llmk::cpu_has(llmk::Isa::Avx512), &v);
  napi_set_named_property(env, o, "avx512", v);
  return o;
}

// setIsa('scalar'|'avx2'|'avx512') → boolean (false when the CPU lacks it)
napi_value SetIsa(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args_of(env, info, argv)) return nullptr;
  char buf[16];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len) != napi_ok) {
    throw_type(env, "isa must be a string");
    return nullptr;
  }
  bool ok = false;
  if (std::strcmp(buf, "scalar") == 0) ok = llmk::set_isa(llmk::Isa::Scalar);
  else if (std::strcmp(buf, "avx2") == 0) ok = llmk::set_isa(llmk::Isa::Avx2);
  else if (std::strcmp(buf, "avx512") == 0) ok = llmk::set_isa(llmk::Isa::Avx512);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

// setThreads(n)
napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args_of(env, info, argv)) return nullptr;
  long n;
  if (!get_long(env, argv[0], &n, "threads")) return nullptr;
  llmk::set_threads(static_cast<int>(n));
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"unsortedSegmentSum", nullptr, SegmentSum, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"stridedCopy", nullptr, StridedCopy, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"layerNormGrad", nullptr, LayerNormGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"gelu", nullptr, Gelu, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"geluGrad", nullptr, GeluGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"xent", nullptr, Xent, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"xentGrad", nullptr, XentGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"maskedSoftmax", nullptr, MaskedSoftmax, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"maskedSoftmaxGrad", nullptr, MaskedSoftmaxGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"causalAttention", nullptr, CausalAttention, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"causalAttentionGrad", nullptr, CausalAttentionGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"lstm", nullptr, Lstm, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"lstmGrad", nullptr, LstmGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default_method, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
