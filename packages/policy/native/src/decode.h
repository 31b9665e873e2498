// Incremental decoding over a batch of sequences with a KV cache per layer.
#pragma once
#include <cstdint>
#include <vector>

#include "model.h"

namespace eto {

class DecodeSession {
 public:
  DecodeSession(Model& m, int S, int maxLen);

  /**
   * Appends counts[b] tokens (taken in order from `tokens`) to each sequence b
   * and writes the logits of the last fed position of every sequence that got
   * tokens into last[b * V ...]; the others' rows are left as they are.
   */
  void feed(const int32_t* tokens, const int32_t* counts, float* last);
  const std::vector<int>& lengths() const { return lens_; }
  int sequences() const { return S_; }
  int maxLength() const { return maxLen_; }

 private:
  void ensureRows(int R);

  Model& m_;
  const int S_, maxLen_;
  std::vector<int> lens_;
  Arena cache_;
  std::vector<float*> kc_, vc_;
  Arena ws_;
  int capR_ = 0;
  LayerActs la_{};
  float* x_ = nullptr;
  int32_t *seq_ = nullptr, *pos_ = nullptr, *tok_ = nullptr;
  Arena lmScratch_;
  Arena logits_;
};

}  // namespace eto
