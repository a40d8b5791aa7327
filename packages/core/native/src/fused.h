// Fused training-path kernels (fused.cc).
#pragma once

#include <cstdint>

namespace llmk {

/** y = (x − mean)·rstd·γ + β per row of `cols`; writes each row's mean and 1/σ for the backward. */
void layer_norm_fwd(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd, long rows,
                    long cols, float eps);
/** dx, dγ and (when dbeta is not null) dβ of layer_norm_fwd. */
void layer_norm_bwd(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, float* dx,
                    float* dgamma, float* dbeta, long rows, long cols);

/** GELU: exact (erf) or the tanh approximation (GPT-2's gelu_new). */
void gelu_fwd(const float* x, float* y, long n, bool approximate);
void gelu_bwd(const float* x, const float* dy, float* dx, long n, bool approximate);

/**
 * Per-row loss of softmax cross-entropy against an integer target with label smoothing ε:
 * lse − (1−ε)·x_t − ε·mean(x); rows whose target is outside [0, cols) get loss 0 and gradient 0.
 */
void xent_fwd(const float* x, const int32_t* targets, float* loss, float* lse, long rows, long cols, float smoothing);
void xent_bwd(const float* x, const int32_t* targets, const float* lse, const float* dloss, float* dx, long rows, long cols,
              float smoothing);

/**
 * y = softmax(x·scale + mask) over rows of `cols`; mask (or null) has mask_rows rows, row r uses
 * mask row r % mask_rows (a [T, S] mask broadcast over batch and heads). Backward:
 * dx = scale·y·(dy − Σ dy·y).
 */
void masked_softmax_fwd(const float* x, const float* mask, float* y, long rows, long cols, long mask_rows, float scale);
void masked_softmax_bwd(const float* y, const float* dy, float* dx, long rows, long cols, float scale);

/** One AdamW step in place (decoupled decay; bias corrections bc1 = 1−β1^t, bc2 = 1−β2^t), on the gradient g·gscale. */
void adamw_update(float* p, float* m, float* v, const float* g, long n, float lr, float beta1, float beta2, float eps,
                  float bc1, float bc2, float decay, float gscale = 1.f);

}  // namespace llmk
