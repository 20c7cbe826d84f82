// The iterator of roc's subscriptions (logs, status, presence): `for (auto& x : subscription)`.
#pragma once

#include <cstddef>
#include <iterator>

namespace roc {

/// An input iterator that steps by calling `owner->next()`, which waits up to the subscription's
/// timeout and gives an empty value when nothing came, so a loop gets control back regularly.
/// The range never ends by itself: break out of the loop.
template <class Owner, class Value>
class NextIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using pointer = Value*;
  using reference = Value&;

  explicit NextIterator(Owner* owner) : owner_(owner) { ++*this; }
  /// The end sentinel: never dereferenced.
  NextIterator(Owner* owner, int) : owner_(owner) {}
  reference operator*() { return current_; }
  pointer operator->() { return &current_; }
  NextIterator& operator++() {
    current_ = owner_->next();
    return *this;
  }
  bool operator!=(const NextIterator&) const { return true; }
  bool operator==(const NextIterator&) const { return false; }

 private:
  Owner* owner_;
  Value current_;
};

}  // namespace roc
