// Errors at module boundaries are values: Result<T> holds either a T or an Error
// whose message names the problem. No exception crosses a module or thread boundary.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace edgenode {

// What kind of failure, so a CLI can map it to an exit code (2 bad input, 1 internal).
enum class ErrorKind { bad_input, internal, unavailable };

struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::bad_input;
};

inline Error bad_input(std::string message) { return {std::move(message), ErrorKind::bad_input}; }
inline Error internal_error(std::string message) { return {std::move(message), ErrorKind::internal}; }
inline Error unavailable(std::string message) { return {std::move(message), ErrorKind::unavailable}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace edgenode

// Propagates an error out of the enclosing function returning a Result.
#define EDGENODE_TRY(expr)                      \
  do {                                          \
    auto edgenode_try_result_ = (expr);         \
    if (!edgenode_try_result_.ok()) return edgenode_try_result_.error(); \
  } while (0)
