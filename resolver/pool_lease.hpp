// PoolLease: a connection borrowed from a store's pool, shared by SqliteStore and PgStore. When
// the lease ends the connection goes back through Owner::release, or, without an owner (a
// connection of its own), is closed. Belongs to one thread.
#pragma once

#include <memory>
#include <utility>

namespace resolver {

template <typename Owner, typename Connection>
class PoolLease {
 public:
  PoolLease(Owner* owner, std::unique_ptr<Connection> c) : owner_(owner), c_(std::move(c)) {}
  PoolLease(PoolLease&&) = default;
  ~PoolLease() {
    if (c_ && owner_) owner_->release(std::move(c_));
  }
  Connection& operator*() { return *c_; }
  Connection* operator->() { return c_.get(); }

 private:
  Owner* owner_;
  std::unique_ptr<Connection> c_;
};

}  // namespace resolver
