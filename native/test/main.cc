// Runs every registered native test case; exits non-zero when any check failed.
#include "check.h"

int main() {
  int failed_cases = 0;
  for (const auto& c : qint8_test::Registry()) {
    const int before = qint8_test::Failures();
    c.body();
    const bool ok = qint8_test::Failures() == before;
    failed_cases += ok ? 0 : 1;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", c.name);
  }
  const int total = static_cast<int>(qint8_test::Registry().size());
  std::printf("%d passed, %d failed\n", total - failed_cases, failed_cases);
  return failed_cases == 0 ? 0 : 1;
}
