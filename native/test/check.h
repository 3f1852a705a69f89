// A tiny test harness for the native unit tests: QINT8_TEST registers a case, CHECK_EQ compares exactly.
#ifndef QINT8_TEST_CHECK_H_
#define QINT8_TEST_CHECK_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace qint8_test {

struct Case {
  const char* name;
  std::function<void()> body;
};

inline std::vector<Case>& Registry() {
  static std::vector<Case> cases;
  return cases;
}

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { Registry().push_back({name, std::move(body)}); }
};

inline int& Failures() {
  static int failures = 0;
  return failures;
}

}  // namespace qint8_test

#define QINT8_CONCAT_(a, b) a##b
#define QINT8_CONCAT(a, b) QINT8_CONCAT_(a, b)
#define QINT8_TEST(name)                                                                          \
  static void name();                                                                             \
  static qint8_test::Registrar QINT8_CONCAT(registrar_, name)(#name, name);                       \
  static void name()

// Exact comparison of two integers (or anything printable as long long); reports and counts a failure.
#define CHECK_EQ(actual, expected)                                                                \
  do {                                                                                            \
    const long long a_ = static_cast<long long>(actual);                                          \
    const long long e_ = static_cast<long long>(expected);                                        \
    if (a_ != e_) {                                                                               \
      std::fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n", __FILE__, __LINE__,  \
                   #actual, #expected, a_, e_);                                                   \
      ++qint8_test::Failures();                                                                   \
    }                                                                                             \
  } while (0)

#define CHECK(cond)                                                                               \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
      ++qint8_test::Failures();                                                                   \
    }                                                                                             \
  } while (0)

#endif  // QINT8_TEST_CHECK_H_
