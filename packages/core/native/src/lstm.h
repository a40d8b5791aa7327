// A whole-sequence LSTM layer-direction, forward and backward (lstm.cc).
#pragma once

#include <cstdint>

namespace llmk {

struct LstmShape {
  long T, B, H;
  bool reverse;
  /**
   * Layout of the per-step arrays. false: step-major, x [T,B,F], xproj [T,B,4H] and out
   * [T+2,B,H] (the outputs, then the final h, then the final c). true: batch-major, x [B,T,F],
   * xproj [B,T,4H] and out [B,T+2,H] (each row's T outputs, then its final h, then its final c).
   * The saved arrays (acts, hprev, cprev, tc) and dgates use the same layout as xproj.
   */
  bool batch_first;
  /**
   * false: out holds only the final h and c ([B,2,H] batch-major, [2,B,H] step-major) and the
   * per-step outputs are not written (nor read from dout in the backward).
   */
  bool sequence;
};

/**
 * The weights and inputs of one layer-direction (PyTorch's gate order i, f, g, o). The gates'
 * pre-activations of a step are Σ of whichever of these are present:
 *   xproj[t] (a precomputed x·W_ihᵀ), x[t]·W_ihᵀ (x [.,F], wih [4H,F]; F = 0 when absent),
 *   h[t−1]·W_hhᵀ, bias [4H].
 * whh is W_hh [4H,H], or W_hhᵀ [H,4H] when whh_transposed.
 */
struct LstmWeights {
  const float* xproj;
  const float* x;
  long F;
  const float* wih;
  const float* whh;
  bool whh_transposed;
  const float* bias;
};

/**
 * Forward. lengths (or null) holds each row's length: steps at or past it keep the state and
 * output zeros. acts [.,4H] (gate activations) and hprev/cprev/tc [.,H] (state before the step,
 * tanh of the new cell) are saved for lstm_bwd.
 */
void lstm_fwd(const LstmShape& s, const LstmWeights& w, const float* h0, const float* c0, const int32_t* lengths, float* out,
              float* acts, float* hprev, float* cprev, float* tc);

/** Gradients lstm_bwd writes; any but dgates, dh0, dc0 and dwhh may be null. */
struct LstmGrads {
  float* dgates;  // [.,4H]: the pre-activations' gradient (= dxproj)
  float* dx;      // [.,F]
  float* dwih;    // [4H,F]
  float* dwhh;    // W_hh's layout (see LstmWeights)
  float* dbias;   // [4H]
  float* dh0;     // [B,H]
  float* dc0;     // [B,H]
};

/** Backward of lstm_fwd: dout has out's shape. */
void lstm_bwd(const LstmShape& s, const LstmWeights& w, const float* dout, const float* acts, const float* hprev, const float* cprev,
              const float* tc, const int32_t* lengths, const LstmGrads& g);

}  // namespace llmk
