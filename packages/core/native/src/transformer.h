// Transformer training kernels (transformer.cc): fused causal self-attention and the global
// gradient norm.
#pragma once

namespace llmk {

/**
 * Causal self-attention straight from the packed projection: qkv [B, T, 3·H·hd] holds q, k, v
 * side by side (GPT-2's c_attn output); y [B, T, H·hd] = softmax(q·kᵀ·scale, causal)·v with the
 * heads merged. probs [B, H, T, T] is written for the backward (zeros above the diagonal).
 */
void causal_attention_fwd(const float* qkv, float* y, float* probs, long B, long T, long H, long hd, float scale);

/** dqkv [B, T, 3·H·hd] of causal_attention_fwd from dy [B, T, H·hd]. */
void causal_attention_bwd(const float* qkv, const float* probs, const float* dy, float* dqkv, long B, long T, long H, long hd,
                          float scale);

/** Σ x² over several arrays (accumulated in double), using every thread. */
double sum_squares(const float* const* xs, const long* lens, long count);

}  // namespace llmk
