// A whole-sequence LSTM layer-direction, forward and backward (lstm.cc).
#pragma once

#include <cstdint>

namespace llmk {

struct LstmShape {
  long T, B, H;
  bool reverse;
  /**
   * Layout of the per-step arrays. false: step-major, xproj [T,B,4H] and out [T+2,B,H] (the
   * outputs, then the final h, then the final c). true: batch-major, xproj [B,T,4H] and out
   * [B,T+2,H] (each row's T outputs, then its final h, then its final c). The saved arrays
   * (acts, hprev, cprev, tc) and dxproj use the same layout as xproj.
   */
  bool batch_first;
};

/**
 * Forward (PyTorch's gate order i, f, g, o). xproj holds x·W_ihᵀ (+ biases); bias (or null) is a
 * [4H] vector added to every step's gates; whhT is W_hhᵀ [H,4H]; lengths (or null) holds each
 * row's length: steps at or past it keep the state and output zeros. acts [.,4H] (gate
 * activations) and hprev/cprev/tc [.,H] (state before the step, tanh of the new cell) are saved
 * for lstm_bwd.
 */
void lstm_fwd(const LstmShape& s, const float* xproj, const float* bias, const float* h0, const float* c0, const float* whhT,
              const int32_t* lengths, float* out, float* acts, float* hprev, float* cprev, float* tc);

/**
 * Backward of lstm_fwd: dout has out's shape; writes dxproj (= the gates' pre-activation
 * gradient), dh0, dc0, dwhhT [H,4H] and, when dbias is not null, dbias [4H] (Σ of dxproj's rows).
 */
void lstm_bwd(const LstmShape& s, const float* dout, const float* acts, const float* hprev, const float* cprev, const float* tc,
              const float* whhT, const int32_t* lengths, float* dxproj, float* dh0, float* dc0, float* dwhhT, float* dbias);

}  // namespace llmk
