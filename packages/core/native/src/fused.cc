// Fused training-path kernels: LayerNorm, GELU, sparse softmax-cross-entropy, AdamW and a
// whole-sequence LSTM, each forward and backward. One pass over memory where tfjs would run a
// chain of elementwise kernels, one N-API call where tfjs would dispatch dozens of ops.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "fused.h"

namespace llmk {

void layer_norm_fwd(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                    long rows, long cols, float eps) {
  parallel_chunks(rows, cols * 6.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double s = 0;
      for (long j = 0; j < cols; j++) s += xr[j];
      const float mu = static_cast<float>(s / cols);
      double q = 0;
      for (long j = 0; j < cols; j++) {
        const float d = xr[j] - mu;
        q += static_cast<double>(d) * d;
      }
      const float rs = 1.f / std::sqrt(static_cast<float>(q / cols) + eps);
      mean[r] = mu;
      rstd[r] = rs;
      for (long j = 0; j < cols; j++) {
        const float v = (xr[j] - mu) * rs * gamma[j];
        yr[j] = beta ? v + beta[j] : v;
      }
    }
  });
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
      for (long r = rows * b / blocks; r < rows * (b + 1) / blocks; r++) {
        const float* dyr = dy + r * cols;
        const float* xr = x + r * cols;
        float* dxr = dx + r * cols;
        const float mu = mean[r], rs = rstd[r];
        float sg = 0.f, sgx = 0.f;
        for (long j = 0; j < cols; j++) {
          const float xh = (xr[j] - mu) * rs;
          const float g = dyr[j] * gamma[j];
          sg += g;
          sgx += g * xh;
          pg[j] += dyr[j] * xh;
          pb[j] += dyr[j];
        }
        const float mg = sg / cols, mgx = sgx / cols;
        for (long j = 0; j < cols; j++) {
          const float xh = (xr[j] - mu) * rs;
          dxr[j] = rs * (dyr[j] * gamma[j] - mg - xh * mgx);
        }
      }
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

void gelu_fwd(const float* x, float* y, long n, bool approximate) {
  parallel_chunks(n, 20.0, [&](long i0, long i1) {
    if (approximate) {
      for (long i = i0; i < i1; i++) {
        const float v = x[i];
        const float t = std::tanh(kSqrt2OverPi * (v + kGeluC * v * v * v));
        y[i] = 0.5f * v * (1.f + t);
      }
    } else {
      for (long i = i0; i < i1; i++) y[i] = 0.5f * x[i] * (1.f + std::erf(x[i] * kInvSqrt2));
    }
  });
}

void gelu_bwd(const float* x, const float* dy, float* dx, long n, bool approximate) {
  parallel_chunks(n, 24.0, [&](long i0, long i1) {
    if (approximate) {
      for (long i = i0; i < i1; i++) {
        const float v = x[i];
        const float t = std::tanh(kSqrt2OverPi * (v + kGeluC * v * v * v));
        const float d = 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * kSqrt2OverPi * (1.f + 3.f * kGeluC * v * v);
        dx[i] = dy[i] * d;
      }
    } else {
      for (long i = i0; i < i1; i++) {
        const float v = x[i];
        const float d = 0.5f * (1.f + std::erf(v * kInvSqrt2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
        dx[i] = dy[i] * d;
      }
    }
  });
}

void xent_fwd(const float* x, const int32_t* targets, float* loss, float* lse, long rows, long cols, float smoothing) {
  parallel_chunks(rows, cols * 4.0, [&](long r0, long r1) {
    for (long r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float mx = -INFINITY;
      double sx = 0;
      for (long j = 0; j < cols; j++) {
        mx = std::max(mx, xr[j]);
        sx += xr[j];
      }
      double s = 0;
      for (long j = 0; j < cols; j++) s += std::exp(xr[j] - mx);
      const float l = mx + static_cast<float>(std::log(s));
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
      for (long j = 0; j < cols; j++) dr[j] = g * (std::exp(xr[j] - l) - u);
      dr[t] -= g * (1.f - smoothing);
    }
  });
}

void adamw_update(float* p, float* m, float* v, const float* g, long n, float lr, float beta1, float beta2, float eps,
                  float bc1, float bc2, float decay) {
  const float keep = 1.f - lr * decay, sbc2 = std::sqrt(bc2), step = lr / bc1;
  parallel_chunks(n, 12.0, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++) {
      const float gi = g[i];
      const float mi = m[i] * beta1 + gi * (1.f - beta1);
      const float vi = v[i] * beta2 + gi * gi * (1.f - beta2);
      m[i] = mi;
      v[i] = vi;
      const float denom = std::sqrt(vi) / sbc2 + eps;
      p[i] = p[i] * keep - (mi / denom) * step;
    }
  });
}

static inline float sigm(float z) { return 1.f / (1.f + std::exp(-z)); }

static void matmul(const float* a, const float* b, float* c, long m, long n, long k, bool ta, bool tb) {
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
  batch_matmul(args);
}

void lstm_fwd(const LstmShape& s, const float* xproj, const float* h0, const float* c0, const float* whhT, const int32_t* lengths,
              float* out, float* acts, float* hprev, float* cprev, float* tc) {
  const long T = s.T, B = s.B, H = s.H, G = 4 * H;
  std::vector<float> h(h0, h0 + B * H), c(c0, c0 + B * H), gates(B * G);
  for (long step = 0; step < T; step++) {
    const long t = s.reverse ? T - 1 - step : step;
    std::memcpy(hprev + t * B * H, h.data(), sizeof(float) * B * H);
    std::memcpy(cprev + t * B * H, c.data(), sizeof(float) * B * H);
    matmul(h.data(), whhT, gates.data(), B, G, H, false, false);
    float* a = acts + t * B * G;
    float* o = out + t * B * H;
    float* tct = tc + t * B * H;
    const float* xp = xproj + t * B * G;
    parallel_chunks(B, G * 12.0, [&](long b0, long b1) {
      for (long b = b0; b < b1; b++) {
        float* ab = a + b * G;
        if (lengths && t >= lengths[b]) {
          std::memset(ab, 0, sizeof(float) * G);
          std::memset(o + b * H, 0, sizeof(float) * H);
          std::memset(tct + b * H, 0, sizeof(float) * H);
          continue;
        }
        const float* gb = gates.data() + b * G;
        const float* xb = xp + b * G;
        float* hb = h.data() + b * H;
        float* cb = c.data() + b * H;
        for (long j = 0; j < H; j++) {
          const float ig = sigm(gb[j] + xb[j]);
          const float fg = sigm(gb[H + j] + xb[H + j]);
          const float gg = std::tanh(gb[2 * H + j] + xb[2 * H + j]);
          const float og = sigm(gb[3 * H + j] + xb[3 * H + j]);
          ab[j] = ig;
          ab[H + j] = fg;
          ab[2 * H + j] = gg;
          ab[3 * H + j] = og;
          const float cn = fg * cb[j] + ig * gg;
          const float th = std::tanh(cn);
          cb[j] = cn;
          tct[b * H + j] = th;
          hb[j] = og * th;
          o[b * H + j] = hb[j];
        }
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
    parallel_chunks(B, G * 10.0, [&](long b0, long b1) {
      for (long b = b0; b < b1; b++) {
        float* dgb = dg + b * G;
        if (lengths && t >= lengths[b]) {
          std::memset(dgb, 0, sizeof(float) * G);
          continue;  // state held: dh, dc pass through unchanged
        }
        const float* ab = a + b * G;
        float* dhb = dh.data() + b * H;
        float* dcb = dc.data() + b * H;
        for (long j = 0; j < H; j++) {
          const float ig = ab[j], fg = ab[H + j], gg = ab[2 * H + j], og = ab[3 * H + j];
          const float th = tct[b * H + j];
          const float dht = dhb[j] + dot[b * H + j];
          const float dcn = dcb[j] + dht * og * (1.f - th * th);
          const float dO = dht * th;
          dgb[j] = dcn * gg * ig * (1.f - ig);
          dgb[H + j] = dcn * cp[b * H + j] * fg * (1.f - fg);
          dgb[2 * H + j] = dcn * ig * (1.f - gg * gg);
          dgb[3 * H + j] = dO * og * (1.f - og);
          dcb[j] = dcn * fg;
        }
      }
    });
    // dh_prev = dgates · whhTᵀ for rows inside the sequence; rows past their end pass dh through.
    matmul(dg, whhT, dhp.data(), B, H, G, false, true);
    for (long b = 0; b < B; b++) {
      if (lengths && t >= lengths[b]) continue;
      std::memcpy(dh.data() + b * H, dhp.data() + b * H, sizeof(float) * H);
    }
  }
  std::memcpy(dh0, dh.data(), sizeof(float) * B * H);
  std::memcpy(dc0, dc.data(), sizeof(float) * B * H);
  // dW_hhᵀ = Σ_t h_prev[t]ᵀ · dgates[t]: one product over all steps.
  matmul(hprev, dxproj, dwhhT, H, G, T * B, true, false);
}

}  // namespace llmk
