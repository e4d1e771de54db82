// A small cache of oneDNN primitives.
//
// Creating a primitive descriptor and JIT-compiling its kernel costs 0.1 to
// 0.7 ms, more than running most of the ops in a small GAN. A training step
// calls the same few dozen (shape, attribute) combinations over and over, so
// each family keeps its primitives here, keyed by EVERY value that shapes the
// primitive: the operation kind, all tensor dimensions, strides, dilations,
// paddings, the fused activation and its alpha, whether a bias is present, and
// the thread count the primitive was created for (oneDNN fixes the thread
// split when it builds a kernel, so a primitive built for 1 thread must not
// serve a 2-thread call). A key that misses any of these would hand back a
// primitive for the wrong problem. The cache is cleared when it grows past a
// bound, which only happens with workloads whose shapes keep changing.
#pragma once

#include <map>
#include <memory>
#include <vector>

namespace onednn_addon {

using CacheKey = std::vector<double>;

template <typename Entry>
class PrimitiveCache {
 public:
  explicit PrimitiveCache(size_t maxEntries = 512) : max_(maxEntries) {}

  // Returns the entry for key, or nullptr.
  Entry* Find(const CacheKey& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second.get();
  }

  Entry* Insert(const CacheKey& key, std::unique_ptr<Entry> e) {
    if (map_.size() >= max_) map_.clear();
    Entry* raw = e.get();
    map_[key] = std::move(e);
    return raw;
  }

  void Clear() { map_.clear(); }
  size_t Size() const { return map_.size(); }

 private:
  size_t max_;
  std::map<CacheKey, std::unique_ptr<Entry>> map_;
};

}  // namespace onednn_addon
